// GoogleTest pieces over tests/quorum_fixture.h, shared by the test files
// that build on the fixture: status assertions and a suite base class. Kept
// apart from quorum_fixture.h because that one never asserts (the benchmark
// links it without GoogleTest). Header only.
#ifndef CONCLAVE_TESTS_QUORUM_FIXTURE_GTEST_H_
#define CONCLAVE_TESTS_QUORUM_FIXTURE_GTEST_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "base/status.h"
#include "tests/quorum_fixture.h"

namespace conclave::testing {

inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const StatusOr<T>& s) {
  return s.status();
}

#define CONCLAVE_QF_CONCAT_INNER_(a, b) a##b
#define CONCLAVE_QF_CONCAT_(a, b) CONCLAVE_QF_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const ::conclave::Status qf_status_ =                  \
        ::conclave::testing::ToStatus((expr));             \
    ASSERT_TRUE(qf_status_.ok()) << qf_status_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                    \
  do {                                                     \
    const ::conclave::Status qf_status_ =                  \
        ::conclave::testing::ToStatus((expr));             \
    EXPECT_TRUE(qf_status_.ok()) << qf_status_.ToString(); \
  } while (0)
#define CONCLAVE_QF_ASSERT_OK_AND_ASSIGN_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                                      \
  ASSERT_TRUE(tmp.ok()) << ::conclave::testing::ToStatus(tmp).ToString(); \
  lhs = std::move(tmp).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CONCLAVE_QF_ASSERT_OK_AND_ASSIGN_(    \
      CONCLAVE_QF_CONCAT_(qf_statusor_, __LINE__), lhs, expr)

// The status has `code` and its message contains every one of `parts`.
inline ::testing::AssertionResult IsError(
    const Status& s, StatusCode code,
    std::initializer_list<std::string> parts) {
  if (s.ok()) return ::testing::AssertionFailure() << "unexpected OK";
  if (s.code() != code) {
    return ::testing::AssertionFailure()
           << "code " << StatusCodeName(s.code()) << ", wanted "
           << StatusCodeName(code) << ": " << s.message();
  }
  for (const std::string& part : parts) {
    if (s.message().find(part) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message lacks \"" << part << "\": " << s.message();
    }
  }
  return ::testing::AssertionSuccess();
}
template <typename T>
::testing::AssertionResult IsError(const StatusOr<T>& s, StatusCode code,
                                   std::initializer_list<std::string> parts) {
  return IsError(s.status(), code, parts);
}

// A suite over one default Consortium, made once per suite (the simulated
// ceremony is slow), with a fresh log Operator for every test. `Suite` is
// the derived class, so that every suite has its own consortium.
template <typename Suite>
class ConsortiumTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<std::unique_ptr<Consortium>> c = Consortium::Create();
    if (!c.ok()) {
      *setup_error_ = c.status().ToString();
      return;
    }
    consortium_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete consortium_;
    consortium_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(consortium_, nullptr) << "ceremony failed: " << *setup_error_;
    ASSERT_OK_AND_ASSIGN(op_, Operator::Create(*consortium_));
  }

  const Consortium& c() const { return *consortium_; }
  Operator& op() { return *op_; }

  // Leaked on purpose: no destructor runs at exit (Google style).
  static inline Consortium* consortium_ = nullptr;
  static inline std::string* setup_error_ = new std::string;
  std::unique_ptr<Operator> op_;
};

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_QUORUM_FIXTURE_GTEST_H_
