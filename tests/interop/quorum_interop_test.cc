// Quorum decryption of submissions made by an independent implementation
// (issue 6): the npm age-encryption package with the intake page's
// recipient (web/lib/conclave-recipient.js), driven by make_submission.mjs.
// One simulated consortium (5 organisations, t = 3; organisations 1 and 2
// with 3 editors of whom 2 are needed, the others 1 of 1) opens them
// through request → votes → release → combine → DecryptSubmissionToFile
// with every quorum, and no smaller set gets a partial released or a file
// key combined.
//
// Needs node and tests/interop/node_modules (the interop_npm_ci fixture):
// without them every test FAILS with the reason, never skips.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "age/p256tag.h"
#include "crypto/random.h"
#include "quorum/combine.h"
#include "quorum/release.h"
#include "tests/e2e/program.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"

#ifndef CONCLAVE_NODE_PATH
#define CONCLAVE_NODE_PATH ""
#endif
#ifndef CONCLAVE_INTEROP_DIR
#error "CONCLAVE_INTEROP_DIR must name tests/interop"
#endif

namespace conclave::testing {
namespace {

namespace fs = std::filesystem;

// ~200 KiB: four 64 KiB STREAM chunks, the last one partial.
constexpr size_t kPlaintextSize = 200 * 1024 + 17;

std::string Label(std::span<const uint32_t> orgs) {
  std::string s;
  for (uint32_t o : orgs) s += (s.empty() ? "" : ",") + std::to_string(o);
  return s;
}

std::string Label(std::span<const EditorRef> refs) {
  std::string s;
  for (const EditorRef& r : refs) {
    s += (s.empty() ? "" : " ") + std::to_string(r.org_id) + "/" +
         std::to_string(r.editor_index);
  }
  return s;
}

// Every k-subset of `items`, in lexicographic order.
std::vector<std::vector<uint32_t>> Subsets(const std::vector<uint32_t>& items,
                                           size_t k) {
  std::vector<std::vector<uint32_t>> out;
  std::vector<bool> pick(items.size(), false);
  std::fill(pick.begin(), pick.begin() + static_cast<ptrdiff_t>(k), true);
  do {
    std::vector<uint32_t> s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (pick[i]) s.push_back(items[i]);
    }
    out.push_back(std::move(s));
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return out;
}

std::string NodePath() {
  const char* env = getenv("CONCLAVE_NODE");
  if (env != nullptr && *env != '\0') return env;
  return CONCLAVE_NODE_PATH;
}

// The npm-made submission and what the script reported.
struct NpmSubmission {
  Submission submission;
  fs::path path;
  std::string report;  // the script's JSON line
};

class QuorumInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Status s = Prepare();
    if (!s.ok()) *setup_error_ = s.ToString();
  }
  static void TearDownTestSuite() {
    delete open_;
    delete excluding_five_;
    delete plaintext_;
    delete consortium_;
    delete dir_;
    open_ = excluding_five_ = nullptr;
    plaintext_ = nullptr;
    consortium_ = nullptr;
    dir_ = nullptr;
  }

  static Status Prepare() {
    const std::string node = NodePath();
    if (node.empty() || !fs::exists(node)) {
      return FailedPreconditionError(
          "node not found (\"" + node +
          "\"): install Node.js 20 (scripts/install-deps), or set "
          "CONCLAVE_NODE");
    }
    const fs::path interop = CONCLAVE_INTEROP_DIR;
    if (!fs::exists(interop / "node_modules" / "age-encryption" /
                    "package.json")) {
      return FailedPreconditionError(
          (interop / "node_modules").string() +
          " has no age-encryption: run `npm ci` there (ctest's "
          "interop_npm_ci fixture does)");
    }
    CONCLAVE_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("quorum-interop"));
    dir_ = new TempDir(std::move(dir));
    CONCLAVE_ASSIGN_OR_RETURN(std::unique_ptr<Consortium> c,
                              Consortium::Create());
    consortium_ = c.release();

    plaintext_ = new Bytes(kPlaintextSize);
    FillRandom(*plaintext_);
    const fs::path plaintext_path = dir_->path() / "plaintext.bin";
    CONCLAVE_RETURN_IF_ERROR(WriteBytesToFile(plaintext_path, *plaintext_));
    const std::string recipient =
        age::EncodeP256TagRecipient(consortium_->consortium_key());

    auto make = [&](const std::string& exclusions,
                    const std::string& name) -> StatusOr<NpmSubmission> {
      NpmSubmission out;
      out.path = dir_->path() / name;
      const ProgramResult r =
          RunProgram(dir_->path(), node,
                     {(interop / "make_submission.mjs").string(), recipient,
                      exclusions, plaintext_path.string(), out.path.string()});
      if (r.exit_code != 0) {
        return InternalError("make_submission.mjs exited " +
                             std::to_string(r.exit_code) + ": " + r.err);
      }
      out.report = r.out;
      CONCLAVE_ASSIGN_OR_RETURN(out.submission, ReadSubmission(out.path));
      return out;
    };
    CONCLAVE_ASSIGN_OR_RETURN(NpmSubmission open, make("", "open.age"));
    open_ = new NpmSubmission(std::move(open));
    CONCLAVE_ASSIGN_OR_RETURN(NpmSubmission five, make("5", "not-five.age"));
    excluding_five_ = new NpmSubmission(std::move(five));
    return OkStatus();
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
    ASSERT_OK_AND_ASSIGN(op_, Operator::Create(*consortium_));
    ASSERT_OK_AND_ASSIGN(TempDir work, TempDir::Create("quorum-interop-out"));
    work_.emplace(std::move(work));
  }

  const Consortium& c() const { return *consortium_; }
  Operator& op() { return *op_; }

  // Organisations 1 and 2 need 2 of their 3 editors: each time one of them
  // is in a quorum the next pair is used, so every pair takes part.
  std::vector<EditorRef> Voters(std::span<const uint32_t> orgs) {
    static const std::pair<uint32_t, uint32_t> kPairs[] = {
        {1, 2}, {1, 3}, {2, 3}};
    std::vector<EditorRef> voters;
    for (uint32_t org : orgs) {
      if (c().editor_threshold(org) == 2 && c().editor_count(org) == 3) {
        const auto& [a, b] = kPairs[next_pair_[org]++ % 3];
        voters.push_back({org, a});
        voters.push_back({org, b});
      } else {
        for (const EditorRef& r : c().QuorumOf(org)) voters.push_back(r);
      }
    }
    return voters;
  }

  // request → votes → release → combine → DecryptSubmissionToFile by the
  // organisations `orgs`, and the plaintext compared byte for byte. Then
  // every strict subset of the approvals that leaves an organisation short
  // (one organisation's approvals dropped, or one editor of a 2-of-3
  // organisation) fails to combine.
  void OpensWith(const NpmSubmission& npm, std::span<const uint32_t> orgs) {
    const std::vector<EditorRef> voters = Voters(orgs);
    SCOPED_TRACE("voters " + Label(voters));
    const EditorRef requester = voters.front();
    ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), requester,
                                                       npm.submission, voters));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Approval> approvals,
                         ReleaseAll(c(), run, voters));
    ASSERT_EQ(approvals.size(), voters.size());
    ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                         c().Combine(requester, run.verified, approvals));
    EXPECT_TRUE(combined.report.refused.empty());
    EXPECT_EQ(combined.report.used.size(), voters.size());
    const fs::path out = work_->path() / ("plain-" + Label(orgs) + "-" +
                                          std::to_string(++opened_));
    ASSERT_OK(quorum::DecryptSubmissionToFile(run.verified, combined.file_key,
                                              npm.path, out));
    ASSERT_OK_AND_ASSIGN(Bytes got, ReadBytesFromFile(out));
    ASSERT_EQ(got.size(), plaintext_->size());
    EXPECT_TRUE(got == *plaintext_) << "plaintext differs";

    for (size_t drop = 0; drop < voters.size(); ++drop) {
      // Leave out voter `drop` (for a 2-of-3 organisation that leaves it one
      // editor short; for a 1-of-1 organisation, the whole organisation).
      std::vector<v1::Approval> fewer;
      for (size_t i = 0; i < approvals.size(); ++i) {
        if (i != drop) fewer.push_back(approvals[i]);
      }
      SCOPED_TRACE("without " + Label(std::span(&voters[drop], 1)));
      EXPECT_TRUE(IsError(c().Combine(requester, run.verified, fewer),
                          StatusCode::kFailedPrecondition, {}));
    }
  }

  // The voters' organisations do not make a quorum: every voter's release
  // is refused, and combining the (no) approvals fails.
  void CannotRelease(const NpmSubmission& npm,
                     std::span<const EditorRef> voters) {
    SCOPED_TRACE("voters " + Label(voters));
    const EditorRef requester = voters.front();
    ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), requester,
                                                       npm.submission, voters));
    std::vector<v1::Approval> approvals;
    for (const EditorRef& r : voters) {
      StatusOr<quorum::Release> release =
          c().Release(r, &run.request.statement, &run.evidence, kFixtureNow);
      EXPECT_TRUE(IsError(release, StatusCode::kFailedPrecondition, {}))
          << "releaser " << r.org_id << "/" << r.editor_index;
      if (release.ok()) approvals.push_back(release->approval);
    }
    EXPECT_TRUE(approvals.empty());
    EXPECT_TRUE(IsError(c().Combine(requester, run.verified, approvals),
                        StatusCode::kFailedPrecondition, {}));
  }

  static TempDir* dir_;
  static Consortium* consortium_;
  static Bytes* plaintext_;
  static NpmSubmission* open_;
  static NpmSubmission* excluding_five_;
  static std::string* setup_error_;

  std::unique_ptr<Operator> op_;
  std::optional<TempDir> work_;
  std::map<uint32_t, size_t> next_pair_;
  int opened_ = 0;
};

TempDir* QuorumInteropTest::dir_ = nullptr;
Consortium* QuorumInteropTest::consortium_ = nullptr;
Bytes* QuorumInteropTest::plaintext_ = nullptr;
NpmSubmission* QuorumInteropTest::open_ = nullptr;
NpmSubmission* QuorumInteropTest::excluding_five_ = nullptr;
std::string* QuorumInteropTest::setup_error_ = new std::string;

// The npm files are submissions to this consortium as the C++ side reads
// them: an id, the exclusions, a STREAM of several chunks.
TEST_F(QuorumInteropTest, NpmFilesAreSubmissions) {
  EXPECT_EQ(c().threshold(), 3u);
  EXPECT_EQ(c().editor_threshold(1), 2u);
  EXPECT_EQ(c().editor_count(1), 3u);
  EXPECT_EQ(c().editor_threshold(2), 2u);
  EXPECT_EQ(c().editor_count(2), 3u);
  EXPECT_EQ(open_->submission.id.size(), 64u);
  EXPECT_TRUE(open_->submission.excluded_orgs.empty());
  EXPECT_NE(open_->report.find("\"excluded\":[]"), std::string::npos)
      << open_->report;
  EXPECT_EQ(excluding_five_->submission.excluded_orgs,
            std::vector<uint32_t>{5});
  EXPECT_NE(excluding_five_->report.find("\"excluded\":[5]"), std::string::npos)
      << excluding_five_->report;
  EXPECT_NE(open_->submission.id, excluding_five_->submission.id);
  // 64 KiB chunks + 16-byte tags: more than three chunks of payload.
  EXPECT_GT(open_->submission.file.size(),
            open_->submission.header.size() + 3 * (65536 + 16));
  ASSERT_OK_AND_ASSIGN(
      quorum::NewRequest request,
      c().Request({3, 1}, open_->submission.header, kFixtureNow));
  ASSERT_OK(c().VerifyRequest(request.statement));
}

TEST_F(QuorumInteropTest, EveryThreeOrganisationsOpen) {
  const auto triples = Subsets(c().org_ids(), 3);
  ASSERT_EQ(triples.size(), 10u);
  for (const auto& orgs : triples) {
    SCOPED_TRACE("organisations " + Label(orgs));
    OpensWith(*open_, orgs);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(opened_, 10);
  // Organisations 1 and 2 were each in six quorums: every 2-of-3 pair of
  // their editors took part twice.
  EXPECT_EQ(next_pair_[1], 6u);
  EXPECT_EQ(next_pair_[2], 6u);
}

TEST_F(QuorumInteropTest, NoTwoOrganisationsRelease) {
  const auto pairs = Subsets(c().org_ids(), 2);
  ASSERT_EQ(pairs.size(), 10u);
  for (const auto& orgs : pairs) {
    SCOPED_TRACE("organisations " + Label(orgs));
    CannotRelease(*open_, Voters(orgs));
    if (HasFatalFailure()) return;
  }
}

// Three organisations, but organisation 1 with one editor of the two it
// needs: it does not count, whichever editor it is.
TEST_F(QuorumInteropTest, OneEditorOfOrganisationOneIsNotEnough) {
  for (uint32_t editor = 1; editor <= 3; ++editor) {
    const std::vector<EditorRef> voters = {{1, editor}, {2, 1}, {2, 3}, {4, 1}};
    CannotRelease(*open_, voters);
    if (HasFatalFailure()) return;
  }
}

// The file excluding organisation 5: every three of the other four open it;
// organisation 5 cannot request or vote, and with it two organisations are
// still two.
TEST_F(QuorumInteropTest, ExcludedOrganisationNeverCounts) {
  const NpmSubmission& npm = *excluding_five_;
  const auto triples = Subsets(c().org_ids(), 3);
  for (const auto& orgs : triples) {
    SCOPED_TRACE("organisations " + Label(orgs));
    if (std::find(orgs.begin(), orgs.end(), 5u) == orgs.end()) {
      OpensWith(npm, orgs);
      if (HasFatalFailure()) return;
      continue;
    }
    const std::vector<uint32_t> others = {orgs[0], orgs[1]};
    const std::vector<EditorRef> voters = Voters(others);
    ASSERT_OK_AND_ASSIGN(
        QuorumRun run,
        RequestAndVote(c(), op(), voters.front(), npm.submission, voters));
    EXPECT_TRUE(IsError(c().Vote({5, 1}, run.verified, run.seen, kFixtureNow),
                        StatusCode::kPermissionDenied, {"excluded"}));
    // A vote from organisation 5 forced into the log does not count.
    ASSERT_OK_AND_ASSIGN(
        v1::SignedStatement forced,
        c().HandSignedVote({5, 1}, run.request.id, run.seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(forced));
    ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
    std::vector<EditorRef> releasers = voters;
    releasers.push_back({5, 1});
    for (const EditorRef& r : releasers) {
      EXPECT_TRUE(IsError(
          c().Release(r, &run.request.statement, &run.evidence, kFixtureNow),
          StatusCode::kFailedPrecondition, {}))
          << "releaser " << r.org_id << "/" << r.editor_index;
    }
    EXPECT_TRUE(IsError(c().Combine(voters.front(), run.verified, {}),
                        StatusCode::kFailedPrecondition, {}));
  }
  EXPECT_EQ(opened_, 4);
  EXPECT_TRUE(IsError(c().Request({5, 1}, npm.submission.header, kFixtureNow),
                      StatusCode::kPermissionDenied, {"excluded"}));
}

}  // namespace
}  // namespace conclave::testing
