// Quorum decryption end to end (brief §5, §6; issue 6): one simulated
// ceremony (5 organisations, t = 3; organisations 1 and 2 with 3 editors of
// whom 2 are needed, the others 1 of 1), a log operator with every
// organisation's witness, and the attacks the protocol must stop. Every
// refusal is checked for its status code and the words that tell a person
// what failed, and that no output file appears.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/header.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "quorum/approval.h"
#include "quorum/combine.h"
#include "quorum/evidence.h"
#include "quorum/progress.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"

namespace conclave::testing {
namespace {

namespace fs = std::filesystem;

std::set<std::string> DirEntries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

std::string Text(ByteSpan b) { return std::string(AsStringView(b)); }

std::string Label(std::span<const uint32_t> orgs) {
  std::string s;
  for (uint32_t o : orgs) s += (s.empty() ? "" : ",") + std::to_string(o);
  return s;
}

class QuorumProtocolTest : public ConsortiumTest<QuorumProtocolTest> {
 protected:
  void SetUp() override {
    ConsortiumTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(TempDir work, TempDir::Create("quorum-protocol"));
    work_.emplace(std::move(work));
  }

  const fs::path& work() const { return work_->path(); }

  // A fresh submission to the consortium.
  Submission Submit(std::string_view plaintext,
                    std::vector<uint32_t> excluded = {}) {
    StatusOr<Submission> s = c().Submit(AsBytes(plaintext), excluded);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *std::move(s) : Submission{};
  }

  // Releases for every editor, expecting success.
  std::vector<v1::Approval> ReleaseOk(const QuorumRun& run,
                                      std::span<const EditorRef> releasers,
                                      uint64_t now = kFixtureNow) {
    StatusOr<std::vector<v1::Approval>> a =
        ReleaseAll(c(), run, releasers, now);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *std::move(a) : std::vector<v1::Approval>{};
  }

  std::optional<TempDir> work_;
};

// The consortium itself is what the brief asks for.
TEST_F(QuorumProtocolTest, CeremonyShape) {
  EXPECT_EQ(c().threshold(), 3u);
  EXPECT_EQ(c().org_ids(), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(c().editor_count(1), 3u);
  EXPECT_EQ(c().editor_threshold(1), 2u);
  EXPECT_EQ(c().editor_count(2), 3u);
  EXPECT_EQ(c().editor_threshold(2), 2u);
  for (uint32_t o : {3u, 4u, 5u}) {
    EXPECT_EQ(c().editor_count(o), 1u);
    EXPECT_EQ(c().editor_threshold(o), 1u);
  }
  EXPECT_EQ(c().editors().size(), 9u);
  EXPECT_EQ(c().roster().body.drill_submission_ids_size(), 1);
}

// ---------------------------------------------------------------------------
// Any quorum opens; no smaller set does.

TEST_F(QuorumProtocolTest, EveryThreeOrganisationsOpen) {
  const std::string plaintext = "every quorum of three opens this\n";
  const Submission s = Submit(plaintext);
  ASSERT_FALSE(s.file.empty());
  const std::vector<uint32_t> orgs = c().org_ids();
  int opened = 0;
  for (size_t a = 0; a < orgs.size(); ++a) {
    for (size_t b = a + 1; b < orgs.size(); ++b) {
      for (size_t d = b + 1; d < orgs.size(); ++d) {
        const std::vector<uint32_t> subset = {orgs[a], orgs[b], orgs[d]};
        SCOPED_TRACE("organisations " + Label(subset));
        const std::vector<EditorRef> voters = c().QuorumOf(subset);
        ASSERT_OK_AND_ASSIGN(
            QuorumRun run,
            RequestAndVote(c(), op(), {subset[0], 1}, s, voters));
        const std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
        ASSERT_EQ(approvals.size(), voters.size());
        ASSERT_OK_AND_ASSIGN(
            quorum::Combined combined,
            c().Combine({subset[0], 1}, run.verified, approvals));
        EXPECT_TRUE(combined.report.refused.empty());
        EXPECT_EQ(combined.report.used.size(), voters.size());
        const fs::path in = work() / ("in-" + Label(subset) + ".age");
        const fs::path out = work() / ("out-" + Label(subset) + ".txt");
        ASSERT_OK(s.WriteTo(in));
        ASSERT_OK(quorum::DecryptSubmissionToFile(run.verified,
                                                  combined.file_key, in, out));
        ASSERT_OK_AND_ASSIGN(Bytes got, ReadBytesFromFile(out));
        EXPECT_EQ(Text(got), plaintext);
        ++opened;
      }
    }
  }
  EXPECT_EQ(opened, 10);
}

TEST_F(QuorumProtocolTest, EveryTwoEditorsOfOrganisationsOneAndTwoOpen) {
  const std::string plaintext = "any two of three editors speak for org\n";
  const Submission s = Submit(plaintext);
  const std::vector<std::pair<uint32_t, uint32_t>> pairs = {
      {1, 2}, {1, 3}, {2, 3}};
  int opened = 0;
  for (const auto& [a1, a2] : pairs) {
    for (const auto& [b1, b2] : pairs) {
      SCOPED_TRACE("org 1 editors " + std::to_string(a1) + "," +
                   std::to_string(a2) + "; org 2 editors " +
                   std::to_string(b1) + "," + std::to_string(b2));
      const std::vector<EditorRef> voters = {
          {1, a1}, {1, a2}, {2, b1}, {2, b2}, {3, 1}};
      ASSERT_OK_AND_ASSIGN(
          Bytes got, OpenWithQuorum(c(), op(), {3, 1}, s, voters, work()));
      EXPECT_EQ(Text(got), plaintext);
      ++opened;
    }
  }
  EXPECT_EQ(opened, 9);
}

TEST_F(QuorumProtocolTest, TwoOrganisationsAreRefused) {
  const Submission s = Submit("two organisations are not enough\n");
  const std::vector<uint32_t> two = {1, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(two);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {3, 1}, s, voters));
  for (const EditorRef& r : voters) {
    SCOPED_TRACE("releaser " + std::to_string(r.org_id) + "/" +
                 std::to_string(r.editor_index));
    EXPECT_TRUE(IsError(
        c().Release(r, &run.request.statement, &run.evidence, kFixtureNow),
        StatusCode::kFailedPrecondition,
        {"no quorum", "2 of 3 organisations", "waiting for"}));
  }
}

TEST_F(QuorumProtocolTest, OneEditorOfTwoDoesNotCountItsOrganisation) {
  const std::string plaintext = "org 1 needs two editors\n";
  const Submission s = Submit(plaintext);
  const std::vector<EditorRef> voters = {{1, 1}, {3, 1}, {4, 1}};
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {3, 1}, s, voters));
  for (const EditorRef& r : voters) {
    EXPECT_TRUE(IsError(
        c().Release(r, &run.request.statement, &run.evidence, kFixtureNow),
        StatusCode::kFailedPrecondition,
        {"2 of 3 organisations", "1 of 2 editors"}));
  }
  // The second editor of organisation 1 completes the quorum.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({1, 3}, run.verified, run.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  const std::vector<EditorRef> all = {{1, 1}, {1, 3}, {3, 1}, {4, 1}};
  const std::vector<v1::Approval> approvals = ReleaseOk(run, all);
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {3, 1}, run.verified,
                                                 approvals, s, work()));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, SeveralEditorsOfOneOrganisationCountOnce) {
  const Submission s = Submit("six editors, two organisations\n");
  const std::vector<EditorRef> voters = {{1, 1}, {1, 2}, {1, 3},
                                         {2, 1}, {2, 2}, {2, 3}};
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  for (const EditorRef& r : voters) {
    EXPECT_TRUE(IsError(
        c().Release(r, &run.request.statement, &run.evidence, kFixtureNow),
        StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));
  }
}

TEST_F(QuorumProtocolTest, ReleaseBeforeQuorumThenAfter) {
  const std::string plaintext = "the third vote arrives late\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> first_two = {4, 5};
  ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), {4, 1}, s,
                                                     c().QuorumOf(first_two)));
  const v1::LogEvidence early = run.evidence;
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));
  // The third voter holds the old evidence: not yet.
  EXPECT_TRUE(IsError(
      c().Release({3, 1}, &run.request.statement, &early, kFixtureNow),
      StatusCode::kFailedPrecondition, {"has no approval", "vote first"}));
  EXPECT_TRUE(
      IsError(c().Release({4, 1}, &run.request.statement, &early, kFixtureNow),
              StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));
  // A settled checkpoint after the third vote.
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  const std::vector<EditorRef> all = {{3, 1}, {4, 1}, {5, 1}};
  const std::vector<v1::Approval> approvals = ReleaseOk(run, all);
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {4, 1}, run.verified,
                                                 approvals, s, work()));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, ReleaserWhoDidNotVoteIsRefused) {
  const Submission s = Submit("quorum without org 4\n");
  const std::vector<uint32_t> orgs = {1, 2, 3};
  ASSERT_OK_AND_ASSIGN(
      QuorumRun run, RequestAndVote(c(), op(), {4, 1}, s, c().QuorumOf(orgs)));
  EXPECT_TRUE(IsError(
      c().Release({4, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"vote first"}));
  // The third editor of organisation 1 did not vote either.
  EXPECT_TRUE(IsError(
      c().Release({1, 3}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"vote first"}));
}

// An editor who approves and refuses counts as neither.
TEST_F(QuorumProtocolTest, ConflictingVotesCountAsNeither) {
  const Submission s = Submit("make up your mind\n");
  const std::vector<uint32_t> orgs = {1, 2, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement refusal,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow,
                                v1::DECISION_REFUSE));
  ASSERT_OK(op().AppendVote(refusal));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition,
      {"2 of 3 organisations", "conflicting"}));
}

// A vote must name a checkpoint that contains the request: an approval
// "seen" in a tree that ends before the request is not counted.
TEST_F(QuorumProtocolTest, VoteNamingAnEarlierCheckpointIsNotCounted) {
  const Submission s = Submit("seen before it existed\n");
  ASSERT_OK(op().AppendSubmission(s));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint before, op().Checkpoint());
  const std::vector<EditorRef> voters =
      c().QuorumOf(std::vector<uint32_t>{1, 2});
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement early,
                       c().Vote({5, 1}, run.verified, before, kFixtureNow));
  ASSERT_OK(op().AppendVote(early));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition,
      {"2 of 3 organisations", "not counted: organisation 5 editor 1",
       "cannot have shown the request"}));
  // The same voter naming the right checkpoint completes the quorum.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({5, 1}, run.verified, run.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_OK(
      c().Release({1, 1}, &run.request.statement, &run.evidence, kFixtureNow));
}

// The operator shows a releaser leaves other than the ones the cosigned
// checkpoint commits to (a refusal turned into an approval).
TEST_F(QuorumProtocolTest, EvidenceWithASwappedLeafIsRefused) {
  const Submission s = Submit("the leaves are what was signed\n");
  const std::vector<EditorRef> voters =
      c().QuorumOf(std::vector<uint32_t>{1, 2});
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement refusal,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow,
                                v1::DECISION_REFUSE));
  ASSERT_OK_AND_ASSIGN(const uint64_t refusal_index, op().AppendVote(refusal));
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence,
                       op().Evidence(run.request_index));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement approval,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow));
  v1::LogLeaf leaf;
  leaf.set_time_unix(kFixtureNow);
  *leaf.mutable_vote() = approval;
  const Bytes swapped = quorum::EncodeLogLeaf(leaf);
  *evidence.mutable_leaves(refusal_index - run.request_index) =
      std::string(AsStringView(swapped));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &evidence, kFixtureNow),
      StatusCode::kUnauthenticated, {"does not match the checkpoint"}));
  // Nor may it add the approval after the checkpoint's last leaf.
  ASSERT_OK_AND_ASSIGN(evidence, op().Evidence(run.request_index));
  evidence.add_leaves(std::string(AsStringView(swapped)));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &evidence, kFixtureNow),
      StatusCode::kInvalidArgument, {"leaves"}));
}

// ---------------------------------------------------------------------------
// Attacks (issue 6).

// Two requests for one submission, each short of quorum: neither releases,
// and approvals made for one request are useless for another.
TEST_F(QuorumProtocolTest, TwoRequestsForOneSubmissionDoNotCombine) {
  const std::string plaintext = "two requests, one submission\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> a_orgs = {1, 2};
  const std::vector<uint32_t> b_orgs = {3, 4};
  ASSERT_OK_AND_ASSIGN(
      QuorumRun a, RequestAndVote(c(), op(), {1, 1}, s, c().QuorumOf(a_orgs)));
  ASSERT_OK_AND_ASSIGN(
      QuorumRun b, RequestAndVote(c(), op(), {3, 1}, s, c().QuorumOf(b_orgs)));
  ASSERT_NE(quorum::RequestIdHex(a.request.id),
            quorum::RequestIdHex(b.request.id));
  EXPECT_EQ(a.verified.submission.id, b.verified.submission.id);
  // Votes for A and B together span 4 organisations, but each request has 2.
  ASSERT_OK_AND_ASSIGN(a.evidence, op().Evidence(a.request_index));
  ASSERT_OK_AND_ASSIGN(b.evidence, op().Evidence(b.request_index));
  for (const EditorRef& r : c().QuorumOf(a_orgs)) {
    EXPECT_TRUE(
        IsError(c().Release(r, &a.request.statement, &a.evidence, kFixtureNow),
                StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));
  }
  for (const EditorRef& r : c().QuorumOf(b_orgs)) {
    EXPECT_TRUE(
        IsError(c().Release(r, &b.request.statement, &b.evidence, kFixtureNow),
                StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));
  }
  // A vote for B does not count for A even when given as A's evidence: the
  // evidence from B's leaf starts at B's request.
  EXPECT_TRUE(IsError(
      c().Release({3, 1}, &a.request.statement, &b.evidence, kFixtureNow),
      StatusCode::kInvalidArgument, {"another request"}));

  // A reaches quorum with organisation 5; its approvals do not open B.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({5, 1}, a.verified, a.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));
  ASSERT_OK_AND_ASSIGN(a.evidence, op().Evidence(a.request_index));
  std::vector<EditorRef> a_releasers = c().QuorumOf(a_orgs);
  a_releasers.push_back({5, 1});
  const std::vector<v1::Approval> a_approvals = ReleaseOk(a, a_releasers);
  ASSERT_EQ(a_approvals.size(), 5u);
  StatusOr<quorum::Combined> wrong =
      c().Combine({3, 1}, b.verified, a_approvals);
  EXPECT_TRUE(IsError(wrong, StatusCode::kFailedPrecondition,
                      {"not enough valid approvals",
                       "approves another "
                       "request"}));
  // Nor do they help when mixed with partials B's requester could get.
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {1, 1}, a.verified,
                                                 a_approvals, s, work()));
  EXPECT_EQ(Text(got), plaintext);
}

// A header whose enc is 2·enc or enc + G of a real submission, keeping its
// sender proof (and a recomputed tag, so only the proof can catch it).
StatusOr<Bytes> RelatedHeader(const Consortium& c, const Submission& s,
                              bool doubled) {
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header, age::ParseHeader(s.header));
  if (header.stanzas.size() != 2) return InternalError("not a submission");
  CONCLAVE_ASSIGN_OR_RETURN(age::P256TagStanza tag,
                            age::ParseP256TagStanza(header.stanzas[0]));
  CONCLAVE_ASSIGN_OR_RETURN(Point enc, Point::DecodeUncompressed(tag.enc));
  const Point related = doubled ? enc + enc : enc + Point::Generator();
  tag.enc = related.EncodeUncompressed();
  tag.tag = age::ComputeP256Tag(tag.enc, c.consortium_key());
  std::vector<age::Stanza> stanzas = {age::EncodeP256TagStanza(tag),
                                      header.stanzas[1]};
  const SecretBytes file_key = RandomBytes(age::kFileKeySize);
  CONCLAVE_ASSIGN_OR_RETURN(age::Header forged,
                            age::BuildHeader(std::move(stanzas), file_key));
  return forged.bytes;
}

TEST_F(QuorumProtocolTest, RelatedSubmissionIsRefused) {
  const Submission victim = Submit("the victim's submission\n");
  for (bool doubled : {true, false}) {
    SCOPED_TRACE(doubled ? "enc' = 2·enc" : "enc' = enc + G");
    ASSERT_OK_AND_ASSIGN(Bytes forged, RelatedHeader(c(), victim, doubled));
    // Intake's check says why.
    ASSERT_OK_AND_ASSIGN(age::Header parsed, age::ParseHeader(forged));
    const Status v =
        age::ValidateSubmission(parsed, c().consortium_key()).status();
    EXPECT_EQ(age::GetSubmissionDefect(v), age::SubmissionDefect::kProofInvalid)
        << v.ToString();
    // The requester's tool refuses at once.
    EXPECT_TRUE(IsError(c().Request({1, 1}, forged, kFixtureNow),
                        StatusCode::kUnauthenticated, {"proof-invalid"}));
    // A hand-made request, logged with a "quorum" of hand-signed votes, is
    // refused by every releaser.
    ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                         c().DraftRequestBody({1, 1}, forged, kFixtureNow));
    EXPECT_NE(body.submission_id(), victim.id);
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement request,
                         c().SignBody(quorum::kRequestDst, body, {1, 1}));
    EXPECT_TRUE(IsError(c().VerifyRequest(request),
                        StatusCode::kUnauthenticated, {"proof-invalid"}));
    ASSERT_OK_AND_ASSIGN(const uint64_t index, op().AppendRequest(request));
    ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
    const quorum::RequestId id = Sha256(AsBytes(request.signed_()));
    const std::vector<uint32_t> orgs = {1, 2, 3};
    for (const EditorRef& r : c().QuorumOf(orgs)) {
      ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                           c().HandSignedVote(r, id, seen, kFixtureNow));
      ASSERT_OK(op().AppendVote(vote));
    }
    ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, op().Evidence(index));
    for (const EditorRef& r : c().QuorumOf(orgs)) {
      EXPECT_TRUE(IsError(c().Release(r, &request, &evidence, kFixtureNow),
                          StatusCode::kUnauthenticated, {"proof-invalid"}));
    }
  }
}

TEST_F(QuorumProtocolTest, RequestWithAnotherSubmissionIdIsRefused) {
  const Submission s = Submit("the embedded header\n");
  const Submission other = Submit("the id it claims\n");
  ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                       c().DraftRequestBody({2, 1}, s.header, kFixtureNow));
  ASSERT_EQ(body.submission_id(), s.id);
  {
    // As drafted, it verifies (the drafting is right).
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement good,
                         c().SignBody(quorum::kRequestDst, body, {2, 1}));
    EXPECT_OK(c().VerifyRequest(good));
  }
  body.set_submission_id(other.id);
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement request,
                       c().SignBody(quorum::kRequestDst, body, {2, 1}));
  EXPECT_TRUE(IsError(c().VerifyRequest(request), StatusCode::kInvalidArgument,
                      {"names submission " + other.id, s.id}));
  ASSERT_OK_AND_ASSIGN(const uint64_t index, op().AppendRequest(request));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  const quorum::RequestId id = Sha256(AsBytes(request.signed_()));
  const std::vector<uint32_t> orgs = {2, 3, 4};
  for (const EditorRef& r : c().QuorumOf(orgs)) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().HandSignedVote(r, id, seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(vote));
  }
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, op().Evidence(index));
  EXPECT_TRUE(IsError(c().Release({3, 1}, &request, &evidence, kFixtureNow),
                      StatusCode::kInvalidArgument, {"names submission"}));
}

// A copied header is the same submission (same id, exclusions, quorum); a
// different payload behind it does not decrypt, and nothing is written.
TEST_F(QuorumProtocolTest, CopiedHeaderIsTheSameSubmission) {
  const std::string plaintext = "the original payload\n";
  const Submission original = Submit(plaintext, {5});
  const Submission donor = Submit("a payload under another file key\n", {5});
  Bytes copy = original.header;
  copy.insert(copy.end(), donor.file.begin() + donor.header.size(),
              donor.file.end());
  ASSERT_OK_AND_ASSIGN(Submission copied, SubmissionFromBytes(copy));
  EXPECT_EQ(copied.id, original.id);
  EXPECT_EQ(copied.header, original.header);
  EXPECT_EQ(copied.excluded_orgs, original.excluded_orgs);
  EXPECT_NE(copied.file, original.file);

  const std::vector<uint32_t> orgs = {1, 2, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, copied, voters));
  EXPECT_EQ(run.verified.submission.id, original.id);
  EXPECT_EQ(run.verified.submission.excluded_orgs, std::vector<uint32_t>{5});
  const std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({1, 1}, run.verified, approvals));

  const fs::path in = work() / "copied.age";
  const fs::path out = work() / "copied.txt";
  ASSERT_OK(copied.WriteTo(in));
  const Status payload =
      quorum::DecryptSubmissionToFile(run.verified, combined.file_key, in, out);
  EXPECT_FALSE(payload.ok());
  EXPECT_EQ(age::GetErrorKind(payload), age::ErrorKind::kPayload)
      << payload.ToString();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(DirEntries(work()), std::set<std::string>{"copied.age"});

  // Another submission's file under this request: refused at the header.
  const fs::path donor_in = work() / "donor.age";
  ASSERT_OK(donor.WriteTo(donor_in));
  EXPECT_TRUE(IsError(quorum::DecryptSubmissionToFile(
                          run.verified, combined.file_key, donor_in, out),
                      StatusCode::kFailedPrecondition,
                      {"this file is not the requested submission"}));
  EXPECT_FALSE(fs::exists(out));

  // The same quorum opens the original: the copy gained nothing.
  const fs::path orig_in = work() / "original.age";
  ASSERT_OK(original.WriteTo(orig_in));
  ASSERT_OK(quorum::DecryptSubmissionToFile(run.verified, combined.file_key,
                                            orig_in, out));
  ASSERT_OK_AND_ASSIGN(Bytes got, ReadBytesFromFile(out));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, UnsettledCheckpointIsRefused) {
  const std::string plaintext = "only a settled view counts\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> orgs = {1, 4, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {4, 1}, s, voters));
  // W = ceil((5 + 3) / 2) = 4 organisations' witnesses.
  for (const std::set<uint32_t>& cosigners :
       {std::set<uint32_t>{}, std::set<uint32_t>{1, 4, 5},
        std::set<uint32_t>{2, 3, 5}}) {
    ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence,
                         op().Evidence(run.request_index, cosigners));
    EXPECT_TRUE(IsError(
        c().Release({4, 1}, &run.request.statement, &evidence, kFixtureNow),
        StatusCode::kFailedPrecondition,
        {"not settled", std::to_string(cosigners.size()) + " of 4"}));
  }
  ASSERT_OK_AND_ASSIGN(
      v1::LogEvidence four,
      op().Evidence(run.request_index, std::set<uint32_t>{2, 3, 4, 5}));
  run.evidence = four;
  const std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {4, 1}, run.verified,
                                                 approvals, s, work()));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, ExcludedOrganisationNeverCounts) {
  const std::string plaintext = "not for organisation 4\n";
  const Submission s = Submit(plaintext, {4});
  ASSERT_EQ(s.excluded_orgs, std::vector<uint32_t>{4});
  // Its editors can neither request...
  EXPECT_TRUE(IsError(c().Request({4, 1}, s.header, kFixtureNow),
                      StatusCode::kPermissionDenied, {"excluded"}));
  ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                       c().DraftRequestBody({4, 1}, s.header, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement by_excluded,
                       c().SignBody(quorum::kRequestDst, body, {4, 1}));
  EXPECT_TRUE(IsError(c().VerifyRequest(by_excluded),
                      StatusCode::kPermissionDenied, {"excluded"}));
  // ... nor vote.
  const std::vector<EditorRef> voters = {{3, 1}, {5, 1}};
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {3, 1}, s, voters));
  EXPECT_TRUE(IsError(c().Vote({4, 1}, run.verified, run.seen, kFixtureNow),
                      StatusCode::kPermissionDenied, {"excluded"}));
  // A hand-signed vote from organisation 4 in the log is not counted.
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement forced,
      c().HandSignedVote({4, 1}, run.request.id, run.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(forced));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_TRUE(IsError(
      c().Release({3, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition,
      {"2 of 3 organisations", "excluded by the whistleblower"}));
  EXPECT_TRUE(IsError(
      c().Release({4, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"vote first"}));
  // Even a correct partial of organisation 4, made by hand, is refused.
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* four, c().Editor({4, 1}));
  ASSERT_OK_AND_ASSIGN(Scalar y4,
                       Scalar::FromBytes(AsBytes(four->share().share())));
  ASSERT_OK_AND_ASSIGN(v1::Approval from_four,
                       HandMadeApproval(c(), {4, 1}, run.verified, y4));
  // Organisation 1 completes a quorum without 4.
  for (const EditorRef& r : c().QuorumOf(1)) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(r, run.verified, run.seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(vote));
  }
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  const std::vector<EditorRef> releasers = {{1, 1}, {1, 2}, {3, 1}, {5, 1}};
  std::vector<v1::Approval> approvals = ReleaseOk(run, releasers);
  // Organisation 4 still cannot release after the quorum.
  EXPECT_TRUE(IsError(
      c().Release({4, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"vote first"}));
  // 3, 5 and the excluded 4: not a quorum.
  std::vector<v1::Approval> with_four = {approvals[2], approvals[3], from_four};
  EXPECT_TRUE(IsError(c().Combine({3, 1}, run.verified, with_four),
                      StatusCode::kFailedPrecondition,
                      {"organisation 4 editor 1",
                       "the submission excludes this organisation"}));
  approvals.push_back(from_four);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({3, 1}, run.verified, approvals));
  ASSERT_EQ(combined.report.refused.size(), 1u);
  for (const auto& [org, editor] : combined.report.used) EXPECT_NE(org, 4u);
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {3, 1}, run.verified,
                                                 approvals, s, work()));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, ExpiredRequestIsRefused) {
  const Submission s = Submit("an hour to decide\n");
  ASSERT_OK_AND_ASSIGN(
      quorum::NewRequest request,
      c().Request({5, 1}, s.header, kFixtureNow, "urgent", 3600));
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest verified,
                       c().VerifyRequest(request.statement));
  ASSERT_OK_AND_ASSIGN(const uint64_t index,
                       op().AppendRequest(request.statement));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  const std::vector<uint32_t> orgs = {2, 3, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  for (const EditorRef& r : voters) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(r, verified, seen, kFixtureNow + 60));
    ASSERT_OK(op().AppendVote(vote));
  }
  // Votes after expiry are refused too.
  EXPECT_TRUE(IsError(c().Vote({1, 1}, verified, seen, kFixtureNow + 3600),
                      StatusCode::kFailedPrecondition, {"expired"}));
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, op().Evidence(index));
  // Just before: fine. At and after the expiry: refused.
  EXPECT_OK(
      c().Release({2, 1}, &request.statement, &evidence, kFixtureNow + 3599));
  for (uint64_t late : {kFixtureNow + 3600, kFixtureNow + 100000}) {
    EXPECT_TRUE(
        IsError(c().Release({2, 1}, &request.statement, &evidence, late),
                StatusCode::kFailedPrecondition, {"expired"}));
  }
  // The daemon's expiry leaf closes it for everyone, whatever their clock.
  ASSERT_OK(op().AppendExpiry(request.id));
  ASSERT_OK_AND_ASSIGN(evidence, op().Evidence(index));
  for (const EditorRef& r : voters) {
    EXPECT_TRUE(
        IsError(c().Release(r, &request.statement, &evidence, kFixtureNow + 60),
                StatusCode::kFailedPrecondition, {"expired"}));
  }
}

TEST_F(QuorumProtocolTest, WithdrawnRequestIsRefused) {
  const Submission s = Submit("withdrawn after the votes\n");
  const std::vector<uint32_t> orgs = {1, 2, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {2, 3}, s, voters));
  // Only the requester may withdraw: another editor's withdrawal is refused
  // by the tool, and a hand-signed one in the log changes nothing.
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* other, c().Editor({1, 1}));
  EXPECT_TRUE(
      IsError(quorum::MakeWithdrawal(c().roster(), other->keys(), run.verified,
                                     "not mine", kFixtureNow),
              StatusCode::kPermissionDenied, {"only the requester"}));
  v1::WithdrawalBody wb;
  wb.set_request_id(run.request.id.data(), run.request.id.size());
  wb.set_epoch(c().roster().body.epoch());
  wb.set_org_id(1);
  wb.set_editor_index(1);
  wb.set_reason("not mine to withdraw");
  wb.set_created_unix(kFixtureNow);
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement foreign,
                       c().SignBody(quorum::kWithdrawalDst, wb, {1, 1}));
  ASSERT_OK(op().AppendWithdrawal(foreign));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_OK(
      c().Release({5, 1}, &run.request.statement, &run.evidence, kFixtureNow));
  // The requester's withdrawal closes it.
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* requester, c().Editor({2, 3}));
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement withdrawal,
      quorum::MakeWithdrawal(c().roster(), requester->keys(), run.verified,
                             "no longer needed", kFixtureNow));
  ASSERT_OK(op().AppendWithdrawal(withdrawal));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  for (const EditorRef& r : voters) {
    EXPECT_TRUE(IsError(
        c().Release(r, &run.request.statement, &run.evidence, kFixtureNow),
        StatusCode::kFailedPrecondition, {"withdrawn", "no longer needed"}));
  }
}

// The log showed one voter a fork: its vote names a checkpoint whose root
// at that size is not this log's.
TEST_F(QuorumProtocolTest, SplitViewAborts) {
  const Submission s = Submit("one log for everyone\n");
  const Submission filler = Submit("another submission\n");
  const Submission fork_filler = Submit("what the fork shows instead\n");
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       c().Request({1, 1}, s.header, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest verified,
                       c().VerifyRequest(request.statement));
  ASSERT_OK_AND_ASSIGN(const uint64_t index,
                       op().AppendRequest(request.statement));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Operator> fork, op().Fork(index + 1));
  ASSERT_OK(op().AppendSubmission(filler));
  ASSERT_OK(fork->AppendSubmission(fork_filler));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint forked, fork->Checkpoint());
  ASSERT_EQ(seen.size, forked.size);
  ASSERT_NE(seen.root_hash, forked.root_hash);

  std::vector<EditorRef> voters = c().QuorumOf(std::vector<uint32_t>{1, 2});
  for (const EditorRef& r : voters) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(r, verified, seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(vote));
  }
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement fooled,
                       c().Vote({3, 1}, verified, forked, kFixtureNow));
  ASSERT_OK(op().AppendVote(fooled));
  voters.push_back({3, 1});
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, op().Evidence(index));
  for (const EditorRef& r : voters) {
    EXPECT_TRUE(IsError(
        c().Release(r, &request.statement, &evidence, kFixtureNow),
        StatusCode::kAborted, {"split view", "organisation 3 editor 1"}));
  }
}

// Drill proofs open only the listed drill files, and listed drill ids only
// with a drill proof.
TEST_F(QuorumProtocolTest, DrillProofOnUnlistedSubmissionIsRefused) {
  ASSERT_OK_AND_ASSIGN(Submission fake,
                       c().Submit(AsBytes("looks like a drill\n"), {}, true));
  EXPECT_TRUE(IsError(c().Request({1, 1}, fake.header, kFixtureNow),
                      StatusCode::kPermissionDenied,
                      {"drill proof", "not a drill file"}));
  ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                       c().DraftRequestBody({1, 1}, fake.header, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement request,
                       c().SignBody(quorum::kRequestDst, body, {1, 1}));
  EXPECT_TRUE(IsError(c().VerifyRequest(request), StatusCode::kPermissionDenied,
                      {"drill proof"}));
  // Without the log (the drill path) every releaser refuses.
  for (const ConsortiumEditor* e : c().editors()) {
    EXPECT_TRUE(IsError(c().Release(e->ref(), &request, nullptr, kFixtureNow),
                        StatusCode::kPermissionDenied, {"drill proof"}));
  }
}

// The other direction needs a real sender proof for a listed drill id, i.e.
// knowledge of r = log_G(enc) of a drill file, which nobody has (the drill
// maker erased it): the sender proof binds the id. So list a real
// submission's id as a drill in a roster re-signed by every editor (the
// fixture holds every identity), and check that its real proof is refused
// there, with or without the log.
TEST_F(QuorumProtocolTest, RealProofOnListedDrillIdIsRefused) {
  const Submission real = Submit("a real submission listed as a drill\n");
  ASSERT_OK_AND_ASSIGN(keyceremony::VerifiedRoster listed,
                       c().Resign([&](v1::RosterBody* body) {
                         body->add_drill_submission_ids(real.id);
                       }));
  ASSERT_NE(listed.fingerprint, c().roster().fingerprint);
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* e, c().Editor({3, 1}));
  quorum::RequestOptions options;
  options.reason = "drill?";
  options.now_unix = kFixtureNow;
  EXPECT_TRUE(IsError(
      quorum::MakeRequest(listed, e->keys(), real.header, options),
      StatusCode::kPermissionDenied, {"listed in the roster as a drill"}));
  // A request made under the true roster, checked under `listed`: another
  // roster (its fingerprint), before any drill question.
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest honest,
                       c().Request({3, 1}, real.header, kFixtureNow));
  EXPECT_TRUE(IsError(quorum::VerifyRequest(listed, honest.statement),
                      StatusCode::kFailedPrecondition, {"another roster"}));
  // A request under `listed` itself, released without the log.
  v1::RequestBody body;
  ASSERT_TRUE(body.ParseFromString(honest.statement.signed_()));
  body.set_roster_fingerprint(listed.fingerprint.data(),
                              listed.fingerprint.size());
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement request,
                       c().SignBody(quorum::kRequestDst, body, {3, 1}));
  EXPECT_TRUE(IsError(quorum::VerifyRequest(listed, request),
                      StatusCode::kPermissionDenied,
                      {"listed in the roster as a drill"}));
  quorum::ReleaseInput input;
  input.roster = &listed;
  input.releaser = &e->keys();
  input.share = &e->share();
  input.request = &request;
  input.now_unix = kFixtureNow;
  EXPECT_TRUE(IsError(quorum::ReleasePartial(input),
                      StatusCode::kPermissionDenied,
                      {"listed in the roster as a drill"}));
}

TEST_F(QuorumProtocolTest, ShareOfAnotherEpochIsRefusedFirst) {
  const Submission s = Submit("the share's epoch matters\n");
  const std::vector<uint32_t> orgs = {1, 2, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* e, c().Editor({3, 1}));
  for (uint64_t epoch : {uint64_t{0}, uint64_t{2}}) {
    SCOPED_TRACE("share epoch " + std::to_string(epoch));
    v1::EditorShare share = e->share();
    share.set_epoch(epoch);
    EXPECT_TRUE(IsError(keyceremony::CheckEditorShare(share, c().roster()),
                        StatusCode::kFailedPrecondition, {"epoch"}));
    // With everything else in order...
    EXPECT_TRUE(IsError(c().Release({3, 1}, &run.request.statement,
                                    &run.evidence, kFixtureNow, &share),
                        StatusCode::kFailedPrecondition, {"epoch"}));
    // ... and before anything else is looked at.
    EXPECT_TRUE(
        IsError(c().Release({3, 1}, nullptr, nullptr, kFixtureNow, &share),
                StatusCode::kFailedPrecondition, {"epoch"}));
    CleanseMessage(&share);
  }
  // Someone else's share under my identity.
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* other, c().Editor({1, 1}));
  EXPECT_TRUE(IsError(c().Release({3, 1}, &run.request.statement, &run.evidence,
                                  kFixtureNow, &other->share()),
                      StatusCode::kFailedPrecondition, {"the share belongs"}));
  // The unmodified share releases.
  EXPECT_OK(
      c().Release({3, 1}, &run.request.statement, &run.evidence, kFixtureNow));
}

// A roster whose epoch is not the share's: the old-epoch share is refused
// even for a request that verifies under the new roster.
TEST_F(QuorumProtocolTest, OldEpochShareUnderNewRoster) {
  const keyceremony::VerifiedRoster& previous = c().roster();
  ASSERT_OK_AND_ASSIGN(
      keyceremony::VerifiedRoster next,
      c().Resign([&previous](v1::RosterBody* body) {
        // A refresh's record, as far as the roster alone shows it (the
        // dealers' signatures belong to the successor check, not used here).
        body->set_epoch(body->epoch() + 1);
        body->set_previous_roster_fingerprint(previous.fingerprint.data(),
                                              previous.fingerprint.size());
        body->set_next_organisation_id(body->organisations_size() + 1);
        v1::MembershipChange* change = body->mutable_change();
        change->set_kind(v1::MEMBERSHIP_CHANGE_REFRESH);
        uint32_t orgs = 0;
        for (const v1::RosterOrganisation& o : body->organisations()) {
          if (orgs++ == body->threshold()) break;
          for (uint32_t j = 1; j <= o.editor_threshold(); ++j) {
            v1::ReshareDealer* d = change->add_dealers();
            d->set_org_id(o.id());
            d->set_editor_index(j);
          }
        }
      }));
  ASSERT_EQ(next.body.epoch(), 2u);
  const Submission s = Submit("new epoch\n");
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* e, c().Editor({3, 1}));
  quorum::RequestOptions options;
  options.reason = "new epoch";
  options.now_unix = kFixtureNow;
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       quorum::MakeRequest(next, e->keys(), s.header, options));
  EXPECT_OK(quorum::VerifyRequest(next, request.statement));
  quorum::ReleaseInput input;
  input.roster = &next;
  input.releaser = &e->keys();
  input.share = &e->share();
  input.request = &request.statement;
  input.now_unix = kFixtureNow;
  EXPECT_TRUE(IsError(quorum::ReleasePartial(input),
                      StatusCode::kFailedPrecondition, {"epoch 1"}));
}

// ---------------------------------------------------------------------------
// Negatives on approvals and statements.

// An approval whose D was made with a wrong scalar (its DLEQ proof is for
// that scalar's point, not Y_oj) but properly signed by the editor.
StatusOr<v1::Approval> WrongPartialApproval(
    const Consortium& c, EditorRef who, const quorum::VerifiedRequest& req) {
  return HandMadeApproval(c, who, req, Scalar::Random());
}

TEST_F(QuorumProtocolTest, WrongPartialIsRefusedAndNamed) {
  const std::string plaintext = "a bad partial is caught\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> orgs = {1, 2, 3, 4};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {2, 1}, s, voters));
  std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  ASSERT_EQ(approvals.size(), 6u);  // 2 + 2 + 1 + 1
  // Organisation 3's approval replaced by a wrong one; organisation 4's
  // held back.
  ASSERT_OK_AND_ASSIGN(v1::Approval bad,
                       WrongPartialApproval(c(), {3, 1}, run.verified));
  const v1::Approval four = approvals.back();
  approvals.pop_back();
  approvals.back() = bad;
  StatusOr<quorum::Combined> refused =
      c().Combine({2, 1}, run.verified, approvals);
  EXPECT_TRUE(IsError(
      refused, StatusCode::kFailedPrecondition,
      {"organisation 3 editor 1", "partial decryption proof does not verify"}));
  // With organisation 4 there is a quorum without 3; the bad one is listed.
  approvals.push_back(four);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({2, 1}, run.verified, approvals));
  ASSERT_EQ(combined.report.refused.size(), 1u);
  EXPECT_NE(combined.report.refused[0].find("organisation 3 editor 1"),
            std::string::npos)
      << combined.report.refused[0];
  for (const auto& [org, editor] : combined.report.used) EXPECT_NE(org, 3u);
  const fs::path in = work() / "s.age";
  const fs::path out = work() / "s.txt";
  ASSERT_OK(s.WriteTo(in));
  ASSERT_OK(quorum::DecryptSubmissionToFile(run.verified, combined.file_key, in,
                                            out));
  ASSERT_OK_AND_ASSIGN(Bytes got, ReadBytesFromFile(out));
  EXPECT_EQ(Text(got), plaintext);
}

TEST_F(QuorumProtocolTest, ApprovalForAnotherRequestIsRefused) {
  const Submission s = Submit("two quorate requests\n");
  const std::vector<uint32_t> orgs = {1, 3, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun a,
                       RequestAndVote(c(), op(), {5, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(QuorumRun b,
                       RequestAndVote(c(), op(), {5, 1}, s, voters));
  const std::vector<v1::Approval> from_a = ReleaseOk(a, voters);
  std::vector<v1::Approval> from_b = ReleaseOk(b, voters);
  ASSERT_EQ(from_b.size(), 4u);
  from_b[2] = from_a[2];  // organisation 3's, made for A
  EXPECT_TRUE(IsError(c().Combine({5, 1}, b.verified, from_b),
                      StatusCode::kFailedPrecondition,
                      {"organisation 3 editor 1", "approves another request"}));
  // An approval of B copied into A's list is refused for the same reason.
  std::vector<v1::Approval> mixed = from_a;
  mixed[0] = ReleaseOk(b, std::vector<EditorRef>{{1, 1}})[0];
  EXPECT_TRUE(IsError(c().Combine({5, 1}, a.verified, mixed),
                      StatusCode::kFailedPrecondition,
                      {"organisation 1 editor 1", "approves another request"}));
}

TEST_F(QuorumProtocolTest, ReplayedAndResentApprovalsCountOnce) {
  const std::string plaintext = "resent approvals\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> orgs = {2, 4, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {2, 2}, s, voters));
  std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  ASSERT_EQ(approvals.size(), 4u);
  // The same editor releasing again: a second, different ciphertext.
  ASSERT_OK_AND_ASSIGN(
      quorum::Release again,
      c().Release({4, 1}, &run.request.statement, &run.evidence, kFixtureNow));
  approvals.push_back(approvals[0]);  // a byte-identical replay
  approvals.push_back(again.approval);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({2, 2}, run.verified, approvals));
  EXPECT_EQ(combined.report.duplicates, 2u);
  EXPECT_TRUE(combined.report.refused.empty());
  EXPECT_EQ(combined.report.used.size(), 4u);
  // Replays do not make up for a missing organisation.
  std::vector<v1::Approval> short_list = {
      approvals[0], approvals[0], approvals[1], approvals[2], approvals[2]};
  StatusOr<quorum::Combined> refused =
      c().Combine({2, 2}, run.verified, short_list);
  EXPECT_TRUE(IsError(refused, StatusCode::kFailedPrecondition,
                      {"not enough valid approvals"}));
}

TEST_F(QuorumProtocolTest, ReplayedApprovalDuplicatesIsOne) {
  const Submission s = Submit("one replay\n");
  const std::vector<uint32_t> orgs = {3, 4, 5};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {3, 1}, s, voters));
  std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  approvals.push_back(approvals[1]);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({3, 1}, run.verified, approvals));
  EXPECT_EQ(combined.report.duplicates, 1u);
  EXPECT_EQ(combined.report.used.size(), 3u);
}

// Signed statements by keys the roster does not list.
TEST_F(QuorumProtocolTest, NonMemberSignatureIsRefused) {
  const Submission s = Submit("outsiders do not count\n");
  const SecretBytes passphrase = SecretBytes::CopyFrom(AsBytes("outsider"));
  ASSERT_OK_AND_ASSIGN(
      keyceremony::NewIdentity outsider,
      keyceremony::CreateEditorIdentity(3, 2, "Mallory", work() / "mallory",
                                        passphrase, 10));
  ASSERT_OK_AND_ASSIGN(
      OpenedSecret sealed,
      ReadSealedFile(work() / "mallory" / "identity.age", passphrase));
  v1::EditorIdentity as_member = sealed.message().editor_identity();
  // Not an editor (org 3 has one editor) and, claiming editor 1, a stranger.
  EXPECT_TRUE(IsError(quorum::EditorKeys::FromIdentity(as_member, c().roster()),
                      StatusCode::kFailedPrecondition, {"this identity"}));
  as_member.set_editor_index(1);
  EXPECT_TRUE(IsError(quorum::EditorKeys::FromIdentity(as_member, c().roster()),
                      StatusCode::kFailedPrecondition, {"does not match"}));
  CleanseMessage(&as_member);

  const std::vector<EditorRef> voters = {{1, 1}, {1, 2}, {2, 1}, {2, 2}};
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  auto forge = [&](uint32_t editor) {
    v1::VoteBody body;
    body.set_request_id(run.request.id.data(), run.request.id.size());
    body.set_epoch(1);
    body.set_org_id(3);
    body.set_editor_index(editor);
    body.set_decision(v1::DECISION_APPROVE);
    body.set_checkpoint_size(run.seen.size);
    body.set_checkpoint_root(run.seen.root_hash.data(),
                             run.seen.root_hash.size());
    body.set_created_unix(kFixtureNow);
    const std::string bytes = body.SerializeAsString();
    const Ed25519Signature sig = outsider.signing_key.Sign(
        keyceremony::DomainSeparatedMessage(quorum::kVoteDst, AsBytes(bytes)));
    v1::SignedStatement st;
    st.set_signed_(bytes);
    st.set_signature(sig.data(), sig.size());
    st.set_org_id(3);
    st.set_editor_index(editor);
    return st;
  };
  const v1::SignedStatement not_member = forge(2);
  const v1::SignedStatement impostor = forge(1);
  EXPECT_TRUE(IsError(quorum::VerifyVote(c().roster(), not_member),
                      StatusCode::kPermissionDenied, {"not a member"}));
  EXPECT_TRUE(IsError(quorum::VerifyVote(c().roster(), impostor),
                      StatusCode::kUnauthenticated, {"does not verify"}));
  ASSERT_OK(op().AppendVote(not_member));
  ASSERT_OK(op().AppendVote(impostor));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  EXPECT_TRUE(IsError(
      c().Release({1, 1}, &run.request.statement, &run.evidence, kFixtureNow),
      StatusCode::kFailedPrecondition, {"2 of 3 organisations"}));

  // An approval re-signed by the outsider in organisation 3 editor 1's name.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));
  ASSERT_OK_AND_ASSIGN(run.evidence, op().Evidence(run.request_index));
  std::vector<EditorRef> releasers = voters;
  releasers.push_back({3, 1});
  std::vector<v1::Approval> approvals = ReleaseOk(run, releasers);
  ASSERT_EQ(approvals.size(), 5u);
  v1::Approval& three = approvals.back();
  const Ed25519Signature resigned =
      outsider.signing_key.Sign(keyceremony::DomainSeparatedMessage(
          quorum::kApprovalStatementDst, AsBytes(three.statement().signed_())));
  three.mutable_statement()->set_signature(resigned.data(), resigned.size());
  EXPECT_TRUE(IsError(c().Combine({1, 1}, run.verified, approvals),
                      StatusCode::kFailedPrecondition,
                      {"claiming to be from organisation 3 editor 1"}));
}

TEST_F(QuorumProtocolTest, TamperedRequestIsUnauthenticated) {
  const Submission s = Submit("signed bytes are what count\n");
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       c().Request({1, 2}, s.header, kFixtureNow));
  ASSERT_OK(c().VerifyRequest(request.statement));
  EXPECT_EQ(request.id, Sha256(AsBytes(request.statement.signed_())));
  // A flipped byte anywhere in `signed`, or in the signature.
  const size_t n = request.statement.signed_().size();
  for (size_t pos : {size_t{0}, n / 3, n / 2, n - 1}) {
    v1::SignedStatement tampered = request.statement;
    (*tampered.mutable_signed_())[pos] ^= 0x01;
    EXPECT_TRUE(IsError(c().VerifyRequest(tampered),
                        StatusCode::kUnauthenticated, {"does not verify"}))
        << "byte " << pos;
  }
  v1::SignedStatement bad_sig = request.statement;
  (*bad_sig.mutable_signature())[10] ^= 0x80;
  EXPECT_TRUE(IsError(c().VerifyRequest(bad_sig), StatusCode::kUnauthenticated,
                      {"does not verify"}));
  // Another editor's name on the envelope.
  v1::SignedStatement relabelled = request.statement;
  relabelled.set_editor_index(1);
  EXPECT_TRUE(IsError(c().VerifyRequest(relabelled),
                      StatusCode::kUnauthenticated, {"does not verify"}));
  // Logged with a quorum of votes, a tampered request is still refused.
  v1::SignedStatement tampered = request.statement;
  (*tampered.mutable_signed_())[n - 1] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(const uint64_t index, op().AppendRequest(tampered));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  const quorum::RequestId id = Sha256(AsBytes(tampered.signed_()));
  const std::vector<uint32_t> orgs = {1, 2, 3};
  for (const EditorRef& r : c().QuorumOf(orgs)) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().HandSignedVote(r, id, seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(vote));
  }
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, op().Evidence(index));
  EXPECT_TRUE(IsError(c().Release({3, 1}, nullptr, &evidence, kFixtureNow),
                      StatusCode::kUnauthenticated, {"does not verify"}));
}

TEST_F(QuorumProtocolTest, RosterOfAnotherConsortiumIsRefused) {
  ConsortiumOptions small;
  small.orgs = 3;
  small.threshold = 2;
  small.editors = "1:1";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Consortium> other,
                       Consortium::Create(small));
  const keyceremony::VerifiedRoster& theirs = other->roster();
  const Submission s = Submit("ours, not theirs\n");
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       c().Request({1, 1}, s.header, kFixtureNow));
  // Their organisation 1 editor 1 has other keys: the signature does not
  // verify under their roster (signatures are checked before anything is
  // parsed, so "another roster" cannot be reported first).
  EXPECT_TRUE(IsError(quorum::VerifyRequest(theirs, request.statement),
                      StatusCode::kUnauthenticated, {"does not verify"}));
  // Our identity and share are refused by their roster.
  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* e, c().Editor({1, 1}));
  EXPECT_TRUE(IsError(quorum::EditorKeys::FromIdentity(e->identity(), theirs),
                      StatusCode::kFailedPrecondition, {"this identity"}));
  EXPECT_TRUE(IsError(keyceremony::CheckEditorShare(e->share(), theirs),
                      StatusCode::kFailedPrecondition,
                      {"another consortium key"}));
  quorum::ReleaseInput input;
  input.roster = &theirs;
  input.releaser = &e->keys();
  input.share = &e->share();
  input.request = &request.statement;
  input.now_unix = kFixtureNow;
  EXPECT_TRUE(IsError(quorum::ReleasePartial(input),
                      StatusCode::kFailedPrecondition,
                      {"another consortium key"}));
  // A request of their consortium under our roster: also refused.
  ASSERT_OK_AND_ASSIGN(Submission theirs_s, other->Submit(AsBytes("theirs\n")));
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest their_request,
                       other->Request({1, 1}, theirs_s.header, kFixtureNow));
  EXPECT_TRUE(IsError(c().VerifyRequest(their_request.statement),
                      StatusCode::kUnauthenticated, {"does not verify"}));
  // Same keys, another roster (re-signed with a changed body): refused by
  // fingerprint.
  ASSERT_OK_AND_ASSIGN(
      keyceremony::VerifiedRoster resigned,
      c().Resign([](v1::RosterBody* body) {
        body->mutable_policy()->set_max_request_lifetime_seconds(3600);
      }));
  EXPECT_TRUE(IsError(quorum::VerifyRequest(resigned, request.statement),
                      StatusCode::kFailedPrecondition, {"another roster"}));
}

// ---------------------------------------------------------------------------
// The drill: released without the log, combined, opens the drill file.

TEST_F(QuorumProtocolTest, DrillOpensWithoutEvidence) {
  ASSERT_OK_AND_ASSIGN(Submission drill, c().DrillSubmission(1));
  ASSERT_EQ(drill.id, c().ceremony().drill_ids.at(0));
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       c().Request({1, 1}, drill.header, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest verified,
                       c().VerifyRequest(request.statement));
  EXPECT_TRUE(verified.drill);
  const std::vector<uint32_t> orgs = {1, 2, 4};
  std::vector<v1::Approval> approvals;
  for (const EditorRef& r : c().QuorumOf(orgs)) {
    ASSERT_OK_AND_ASSIGN(
        quorum::Release release,
        c().Release(r, &request.statement, nullptr, kFixtureNow));
    EXPECT_TRUE(release.check.drill);
    EXPECT_FALSE(release.check.progress.has_value());
    approvals.push_back(std::move(release.approval));
  }
  ASSERT_OK_AND_ASSIGN(Bytes got, CombineAndOpen(c(), {1, 1}, verified,
                                                 approvals, drill, work()));
  EXPECT_EQ(Text(got), Consortium::DrillPlaintext(1));
  // An expired drill request is still refused.
  EXPECT_TRUE(IsError(c().Release({3, 1}, &request.statement, nullptr,
                                  kFixtureNow + 30 * 24 * 3600),
                      StatusCode::kFailedPrecondition, {"expired"}));
}

TEST_F(QuorumProtocolTest, RealSubmissionNeedsEvidence) {
  const Submission s = Submit("not a drill\n");
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest request,
                       c().Request({1, 1}, s.header, kFixtureNow));
  for (const ConsortiumEditor* e : c().editors()) {
    EXPECT_TRUE(IsError(
        c().Release(e->ref(), &request.statement, nullptr, kFixtureNow),
        StatusCode::kFailedPrecondition, {"not a drill file", "audit log"}));
  }
}

// A failed combine or decrypt leaves no file behind.
TEST_F(QuorumProtocolTest, NoOutputOnFailure) {
  const std::string plaintext = "either all of it or nothing\n";
  const Submission s = Submit(plaintext);
  const std::vector<uint32_t> orgs = {1, 2, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  const std::vector<v1::Approval> approvals = ReleaseOk(run, voters);
  ASSERT_OK_AND_ASSIGN(quorum::Combined combined,
                       c().Combine({1, 1}, run.verified, approvals));
  // The payload's last byte flipped: the final chunk fails.
  Bytes broken = s.file;
  broken.back() ^= 0x01;
  const fs::path in = work() / "broken.age";
  const fs::path out = work() / "plain.txt";
  ASSERT_OK(WriteBytesToFile(in, broken));
  const Status st =
      quorum::DecryptSubmissionToFile(run.verified, combined.file_key, in, out);
  EXPECT_EQ(age::GetErrorKind(st), age::ErrorKind::kPayload) << st.ToString();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(DirEntries(work()), std::set<std::string>{"broken.age"});
  // A wrong file key: the header MAC fails, nothing written.
  const SecretBytes wrong = RandomBytes(age::kFileKeySize);
  ASSERT_OK(s.WriteTo(in));
  const Status mac =
      quorum::DecryptSubmissionToFile(run.verified, wrong, in, out);
  EXPECT_EQ(age::GetErrorKind(mac), age::ErrorKind::kHmac) << mac.ToString();
  EXPECT_FALSE(fs::exists(out));
  // An existing output file is not touched by a failure.
  ASSERT_OK(WriteBytesToFile(out, AsBytes("keep me")));
  ASSERT_OK(WriteBytesToFile(in, broken));
  EXPECT_FALSE(
      quorum::DecryptSubmissionToFile(run.verified, combined.file_key, in, out)
          .ok());
  ASSERT_OK_AND_ASSIGN(Bytes kept, ReadBytesFromFile(out));
  EXPECT_EQ(Text(kept), "keep me");
  EXPECT_EQ(DirEntries(work()),
            (std::set<std::string>{"broken.age", "plain.txt"}));
  // Only the requester can combine.
  EXPECT_TRUE(IsError(c().Combine({2, 1}, run.verified, approvals),
                      StatusCode::kFailedPrecondition, {"only the requester"}));
}

}  // namespace
}  // namespace conclave::testing
