// What the daemon's in-process tests share: each organisation's real
// witness (witness::Witness) behind an HTTP server on loopback, and the
// options of a daemon for the quorum fixture's consortium. Linking it also
// brings the ThreadSanitizer suppression for the uninstrumented httplib.
#ifndef CONCLAVE_TESTS_DAEMON_FIXTURE_H_
#define CONCLAVE_TESTS_DAEMON_FIXTURE_H_

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "daemon/service.h"
#include "tests/quorum_fixture.h"
#include "witness/witness.h"

namespace conclave::testing {

// One organisation's witness (its roster key, from the fixture, and the
// fixture's clock) behind an HTTP server on an ephemeral loopback port.
class TestWitness {
 public:
  TestWitness(const Consortium& c, uint32_t org,
              const std::filesystem::path& dir);
  ~TestWitness();
  TestWitness(const TestWitness&) = delete;
  TestWitness& operator=(const TestWitness&) = delete;

  std::string Url() const;

 private:
  std::unique_ptr<witness::Witness> witness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Running witnesses, by organisation id.
using TestWitnesses =
    std::vector<std::pair<uint32_t, std::unique_ptr<TestWitness>>>;

// Starts the witness of each of `orgs`, in dir/witness<org>, appending them
// to `out`.
void StartTestWitnesses(const Consortium& c, const std::filesystem::path& dir,
                        TestWitnesses* out,
                        const std::set<uint32_t>& orgs = {1, 2, 3, 4, 5});

// A daemon of `c` on `data_dir`: the ceremony's roster file, the fixture's
// log key, every witness of `witnesses`, `clock`, and 10 s to settle.
StatusOr<daemon::DaemonOptions> ConsortiumDaemonOptions(
    const Consortium& c, const std::filesystem::path& data_dir,
    const TestWitnesses& witnesses, std::function<uint64_t()> clock);

// A consortium made once for the test suite `Suite` (a ceremony takes a
// while). Null if the ceremony failed: each test's SetUp asserts
// ASSERT_NE(consortium_, nullptr) << *setup_error_.
template <typename Suite>
class SharedConsortiumTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<std::unique_ptr<Consortium>> c = Consortium::Create();
    if (!c.ok()) {
      *setup_error_ = "ceremony failed: " + c.status().ToString();
      return;
    }
    consortium_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete consortium_;
    consortium_ = nullptr;
  }
  static const Consortium& c() { return *consortium_; }

  static inline Consortium* consortium_ = nullptr;
  // Leaked on purpose: no destructor runs at exit.
  static inline std::string* setup_error_ = new std::string;
};

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_DAEMON_FIXTURE_H_
