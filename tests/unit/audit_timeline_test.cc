// The audit timeline and report (cli/audit_timeline.h, cli/audit_report.h;
// issue 7): real leaves from one simulated consortium (5 organisations,
// t = 3; organisations 1 and 2 with 3 editors of whom 2 are needed) and its
// log operator, read back as events, per-request progress and per-member
// activity, and every problem a full check must flag, each at its leaf.
#include "cli/audit_timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/merkle.h"
#include "cli/audit_report.h"
#include "crypto/hash.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"

namespace conclave::testing {
namespace {

using cli::BuildTimeline;
using cli::LeafKind;
using cli::SignatureStatus;
using cli::Timeline;
using cli::TimelineBuilder;
using cli::TimelineEvent;
using cli::TimelineOptions;
using cli::TimelineProblem;

// The problems at `index`, as "kind: message".
std::vector<const TimelineProblem*> ProblemsAt(const Timeline& t,
                                               uint64_t index) {
  std::vector<const TimelineProblem*> out;
  for (const TimelineProblem& p : t.problems) {
    if (p.index == index) out.push_back(&p);
  }
  return out;
}

::testing::AssertionResult HasProblem(const Timeline& t, uint64_t index,
                                      const std::string& kind,
                                      const std::string& words = "") {
  for (const TimelineProblem* p : ProblemsAt(t, index)) {
    if (p->kind == kind && p->message.find(words) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  std::string all;
  for (const TimelineProblem& p : t.problems) {
    all +=
        "\n  leaf " + std::to_string(p.index) + " " + p.kind + ": " + p.message;
  }
  return ::testing::AssertionFailure()
         << "no " << kind << " problem containing \"" << words << "\" at leaf "
         << index << "; problems:" << all;
}

const cli::MemberActivity* FindMember(const Timeline& t, uint32_t org,
                                      uint32_t editor) {
  for (const cli::MemberActivity& m : t.members) {
    if (m.org_id == org && m.editor_index == editor) return &m;
  }
  return nullptr;
}

class AuditTimelineTest : public ConsortiumTest<AuditTimelineTest> {
 protected:
  // Every committed leaf of the operator's log.
  std::vector<Bytes> Leaves() const {
    std::vector<Bytes> out;
    for (uint64_t i = 0; i < op_->size(); ++i) {
      StatusOr<Bytes> leaf = op_->log().storage().Leaf(i);
      EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
      out.push_back(leaf.ok() ? *leaf : Bytes{});
    }
    return out;
  }

  // The operator's log read back, checked against its checkpoint.
  Timeline Read(TimelineOptions options = {}) {
    StatusOr<audit::Checkpoint> cp = op_->Checkpoint();
    EXPECT_TRUE(cp.ok());
    StatusOr<Timeline> t =
        BuildTimeline(c().roster(), Leaves(), 0,
                      cp.ok() ? std::optional(*cp) : std::nullopt, options);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *std::move(t) : Timeline{};
  }

  Submission SubmitLogged(std::string_view text) {
    StatusOr<Submission> s = c().Submit(AsBytes(text));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    EXPECT_TRUE(op_->AppendSubmission(*s).ok());
    return *std::move(s);
  }
};

TEST(AuditTimelineFormat, FormatUtcKnownAnswers) {
  EXPECT_EQ(cli::FormatUtc(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(cli::FormatUtc(kFixtureNow), "2025-10-09 08:53:20 UTC");
  EXPECT_EQ(cli::FormatUtc(951782400), "2000-02-29 00:00:00 UTC");
}

TEST(AuditTimelineFormat, HtmlEscapeEveryMetacharacter) {
  EXPECT_EQ(cli::HtmlEscape("a<b>&\"c'd"), "a&lt;b&gt;&amp;&quot;c&#39;d");
  EXPECT_EQ(cli::HtmlEscape("plain text, ünïcode"), "plain text, ünïcode");
  EXPECT_EQ(cli::HtmlEscape(""), "");
}

// A whole honest story: submission, request, a quorum of votes from
// organisations 1 (two editors), 3 and 4, releases, and an expiry.
TEST_F(AuditTimelineTest, HonestStoryHasNoProblems) {
  const Submission s = SubmitLogged("an honest story\n");
  const std::vector<EditorRef> voters =
      c().QuorumOf(std::vector<uint32_t>{1, 3, 4});
  ASSERT_EQ(voters.size(), 4u);
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {1, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Approval> approvals,
                       ReleaseAll(c(), run, voters));
  for (const v1::Approval& a : approvals) ASSERT_OK(op().AppendApproval(a));
  // A second request, refused by organisation 5 and left open.
  ASSERT_OK_AND_ASSIGN(QuorumRun open,
                       RequestAndVote(c(), op(), {2, 1}, s, {}));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement refuse,
                       c().Vote({5, 1}, open.verified, open.seen, kFixtureNow,
                                v1::DECISION_REFUSE));
  const uint64_t refuse_index = op().size();
  ASSERT_OK(op().AppendVote(refuse));

  const Timeline t = Read();
  EXPECT_TRUE(t.problems.empty()) << t.problems.front().message;
  ASSERT_EQ(t.events.size(), op().size());
  ASSERT_TRUE(t.checkpoint.has_value());
  EXPECT_EQ(t.checkpoint->size, op().size());
  EXPECT_EQ(t.counts.at("submission"), 1u);
  EXPECT_EQ(t.counts.at("request"), 2u);
  EXPECT_EQ(t.counts.at("vote"), 5u);
  EXPECT_EQ(t.counts.at("approval"), 4u);

  // The events, in log order.
  const TimelineEvent& sub = t.events[0];
  EXPECT_EQ(sub.kind, LeafKind::kSubmission);
  EXPECT_EQ(sub.submission_id, s.id);
  EXPECT_EQ(sub.signature, SignatureStatus::kUnsigned);
  EXPECT_EQ(sub.time_unix, kFixtureNow);

  const TimelineEvent& req = t.events[run.request_index];
  EXPECT_EQ(req.kind, LeafKind::kRequest);
  EXPECT_EQ(req.signature, SignatureStatus::kVerified);
  EXPECT_EQ(req.request_id, quorum::RequestIdHex(run.request.id));
  EXPECT_EQ(req.submission_id, s.id);
  EXPECT_EQ(req.text, "fixture request");
  EXPECT_EQ(req.org_id, 1u);
  EXPECT_EQ(req.editor_index, 1u);
  EXPECT_EQ(req.editor, quorum::EditorLabel(c().roster().body, 1, 1));
  EXPECT_TRUE(req.details.empty());  // only for TimelineOptions::detail_index

  const TimelineEvent& vote = t.events[run.request_index + 1];
  EXPECT_EQ(vote.kind, LeafKind::kVote);
  EXPECT_EQ(vote.decision, "approve");
  EXPECT_EQ(vote.text, "fixture vote");
  EXPECT_EQ(vote.request_id, req.request_id);
  EXPECT_EQ(vote.submission_id, s.id);  // from the request it names
  EXPECT_EQ(t.events[refuse_index].decision, "refuse");

  const TimelineEvent& rel = t.events[run.request_index + 1 + voters.size()];
  EXPECT_EQ(rel.kind, LeafKind::kApproval);
  EXPECT_EQ(rel.signature, SignatureStatus::kVerified);
  EXPECT_EQ(rel.request_id, req.request_id);

  // Per-request progress.
  ASSERT_EQ(t.requests.size(), 2u);
  const cli::RequestProgress& p = t.requests[0];
  EXPECT_TRUE(p.valid);
  EXPECT_EQ(p.state, "released");
  EXPECT_EQ(p.approve_votes, 4u);
  EXPECT_EQ(p.approvals, 4u);
  EXPECT_TRUE(p.progress.complete());
  EXPECT_EQ(p.progress.SatisfiedOrgs(), (std::vector<uint32_t>{1, 3, 4}));
  // The quorum completed with the last of the four votes.
  ASSERT_TRUE(p.quorum_index.has_value());
  EXPECT_EQ(*p.quorum_index, run.request_index + voters.size());
  EXPECT_NE(p.description.find("3 of 3 organisations have approved"),
            std::string::npos)
      << p.description;
  const cli::RequestProgress& q = t.requests[1];
  EXPECT_EQ(q.state, "open");
  EXPECT_EQ(q.refuse_votes, 1u);
  EXPECT_FALSE(q.progress.complete());
  EXPECT_FALSE(q.quorum_index.has_value());

  // Per-member activity: every roster editor is listed, active or not.
  EXPECT_EQ(t.members.size(), 9u);
  const cli::MemberActivity* a = FindMember(t, 1, 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->requests, 1u);
  EXPECT_EQ(a->approve_votes, 1u);
  EXPECT_EQ(a->approvals, 1u);
  EXPECT_EQ(a->first_time, kFixtureNow);
  const cli::MemberActivity* e5 = FindMember(t, 5, 1);
  ASSERT_NE(e5, nullptr);
  EXPECT_EQ(e5->refuse_votes, 1u);
  const cli::MemberActivity* idle = FindMember(t, 2, 3);
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->requests + idle->approve_votes + idle->approvals, 0u);
  EXPECT_FALSE(idle->first_time.has_value());
}

// --full: a statement whose signature does not verify is flagged at its
// leaf and not counted.
TEST_F(AuditTimelineTest, BadSignatureFlaggedAndNotCounted) {
  const Submission s = SubmitLogged("bad signature\n");
  ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), {1, 1}, s, {}));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow));
  std::string sig = vote.signature();
  sig[5] ^= 0x01;
  vote.set_signature(sig);
  const uint64_t bad = op().size();
  ASSERT_OK(op().AppendVote(vote));
  // A statement claiming a signer the roster does not have.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement stranger,
                       c().Vote({4, 1}, run.verified, run.seen, kFixtureNow));
  stranger.set_org_id(9);
  const uint64_t foreign = op().size();
  ASSERT_OK(op().AppendVote(stranger));

  const Timeline t = Read();
  EXPECT_TRUE(HasProblem(t, bad, cli::kProblemBadSignature, "does not verify"));
  EXPECT_EQ(t.events[bad].signature, SignatureStatus::kBad);
  EXPECT_TRUE(t.events[bad].decision.empty());  // the body was never read
  EXPECT_TRUE(
      HasProblem(t, foreign, cli::kProblemBadSignature, "not a member"));
  EXPECT_EQ(t.problems.size(), 2u);
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0].approve_votes, 0u);
  EXPECT_EQ(FindMember(t, 3, 1)->approve_votes, 0u);
}

// --full: the same submission id logged twice.
TEST_F(AuditTimelineTest, DuplicateSubmissionIdFlagged) {
  const Submission s = SubmitLogged("twice\n");
  ASSERT_OK(op().AppendSubmission(s));  // leaf 1: the same id again
  SubmitLogged("another\n");
  const Timeline t = Read();
  EXPECT_TRUE(HasProblem(t, 1, cli::kProblemDuplicateSubmission,
                         "already received at leaf 0"));
  EXPECT_EQ(t.problems.size(), 1u);
}

// --full: votes, releases, withdrawals and expiries naming a request the log
// does not hold before them; a request for a submission never received.
TEST_F(AuditTimelineTest, UnknownRequestsAndSubmissionsFlagged) {
  ASSERT_OK_AND_ASSIGN(Submission unlogged, c().Submit(AsBytes("unlogged\n")));
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest req,
                       c().Request({1, 1}, unlogged.header, kFixtureNow));
  ASSERT_OK(op().AppendRequest(req.statement));  // leaf 0
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());

  const quorum::RequestId ghost = Sha256(AsBytes(std::string_view("ghost")));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().HandSignedVote({3, 1}, ghost, seen, kFixtureNow));
  ASSERT_OK(op().AppendVote(vote));     // leaf 1
  ASSERT_OK(op().AppendExpiry(ghost));  // leaf 2

  const Timeline t = Read();
  EXPECT_TRUE(HasProblem(t, 0, cli::kProblemUnknownSubmission, unlogged.id));
  EXPECT_TRUE(HasProblem(t, 1, cli::kProblemUnknownRequest,
                         quorum::RequestIdHex(ghost)));
  EXPECT_TRUE(HasProblem(t, 2, cli::kProblemUnknownRequest));
  EXPECT_EQ(t.problems.size(), 3u);

  // Starting mid-log, earlier leaves are unknown, so nothing is flagged for
  // lack of them (and the timeline says so).
  std::vector<Bytes> leaves = Leaves();
  StatusOr<Timeline> tail = BuildTimeline(
      c().roster(), std::span<const Bytes>(leaves).subspan(1), 1, std::nullopt);
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_TRUE(tail->problems.empty());
  EXPECT_EQ(tail->first_index, 1u);
  ASSERT_EQ(tail->notes.size(), 1u);
  EXPECT_NE(tail->notes[0].find("starts at leaf 1"), std::string::npos);
}

// A vote naming a checkpoint whose root is not this log's at that size: the
// voter was shown another history.
TEST_F(AuditTimelineTest, VoteOnAnotherHistoryIsASplitView) {
  const Submission s = SubmitLogged("split view\n");
  ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), {1, 1}, s, {}));
  audit::Checkpoint other = run.seen;
  other.root_hash[0] ^= 0x80;
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, run.verified, other, kFixtureNow));
  const uint64_t split = op().size();
  ASSERT_OK(op().AppendVote(vote));
  // A checkpoint before the request cannot show it.
  audit::Checkpoint early = run.seen;
  early.size = run.request_index;
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement blind,
                       c().Vote({4, 1}, run.verified, early, kFixtureNow));
  const uint64_t blind_index = op().size();
  ASSERT_OK(op().AppendVote(blind));

  const Timeline t = Read();
  EXPECT_TRUE(
      HasProblem(t, split, cli::kProblemSplitView, "not this log's root"));
  EXPECT_TRUE(HasProblem(t, blind_index, cli::kProblemSplitView,
                         "does not contain the request"));
}

// Only the requester may withdraw; nothing may follow a withdrawal; the
// same editor voting both ways is counted as neither.
TEST_F(AuditTimelineTest, WithdrawalsAndConflictingVotes) {
  const Submission s = SubmitLogged("withdraw\n");
  ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), {1, 1}, s, {}));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement yes,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement no,
                       c().Vote({3, 1}, run.verified, run.seen, kFixtureNow,
                                v1::DECISION_REFUSE));
  ASSERT_OK(op().AppendVote(yes));
  const uint64_t conflict = op().size();
  ASSERT_OK(op().AppendVote(no));
  const uint64_t again = op().size();
  ASSERT_OK(op().AppendVote(yes));  // the same vote twice

  // A withdrawal signed by someone else than the requester.
  v1::WithdrawalBody body;
  body.set_request_id(AsString(run.request.id));
  body.set_epoch(c().roster().body.epoch());
  body.set_org_id(2);
  body.set_editor_index(1);
  body.set_reason("not mine to withdraw");
  body.set_created_unix(kFixtureNow);
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement foreign,
                       c().SignBody(quorum::kWithdrawalDst, body, {2, 1}));
  const uint64_t foreign_index = op().size();
  ASSERT_OK(op().AppendWithdrawal(foreign));

  ASSERT_OK_AND_ASSIGN(const ConsortiumEditor* requester, c().Editor({1, 1}));
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement withdrawal,
      quorum::MakeWithdrawal(c().roster(), requester->keys(), run.verified,
                             "changed my mind", kFixtureNow));
  const uint64_t withdrawn = op().size();
  ASSERT_OK(op().AppendWithdrawal(withdrawal));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement late,
                       c().Vote({4, 1}, run.verified, run.seen, kFixtureNow));
  const uint64_t late_index = op().size();
  ASSERT_OK(op().AppendVote(late));
  const uint64_t expiry = op().size();
  ASSERT_OK(op().AppendExpiry(run.request.id));

  const Timeline t = Read();
  EXPECT_TRUE(HasProblem(t, conflict, cli::kProblemVoteNotCounted));
  EXPECT_TRUE(HasProblem(t, again, cli::kProblemVoteNotCounted));
  EXPECT_TRUE(HasProblem(t, foreign_index, cli::kProblemNotRequester,
                         "only its requester"));
  EXPECT_TRUE(ProblemsAt(t, withdrawn).empty());
  EXPECT_EQ(t.events[withdrawn].text, "changed my mind");
  EXPECT_TRUE(HasProblem(t, late_index, cli::kProblemAfterClose,
                         "withdrawn at leaf " + std::to_string(withdrawn)));
  EXPECT_TRUE(HasProblem(t, expiry, cli::kProblemAfterClose, "already"));
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0].state, "withdrawn");
  EXPECT_EQ(t.requests[0].closed_index, withdrawn);
  // Organisation 3's editor voted both ways: counted as neither.
  for (const quorum::OrganisationProgress& o : t.requests[0].progress.orgs) {
    if (o.org_id == 3) {
      EXPECT_TRUE(o.conflicting.contains(1));
    }
  }
}

// A release logged before the log held a complete quorum, and one by an
// editor who never voted.
TEST_F(AuditTimelineTest, EarlyAndUnvotedReleasesFlagged) {
  const Submission s = SubmitLogged("early release\n");
  const std::vector<EditorRef> voters =
      c().QuorumOf(std::vector<uint32_t>{3, 4, 5});
  ASSERT_OK_AND_ASSIGN(QuorumRun run,
                       RequestAndVote(c(), op(), {3, 1}, s, voters));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Approval> approvals,
                       ReleaseAll(c(), run, voters));
  // The honest log: submission, request, 3 votes, releases. Rebuild it with
  // the first release moved before the last vote.
  std::vector<Bytes> leaves = Leaves();
  ASSERT_EQ(leaves.size(), 5u);
  v1::LogLeaf rel;
  rel.set_time_unix(kFixtureNow);
  *rel.mutable_approval() = approvals[0];
  std::vector<Bytes> reordered = {
      leaves[0], leaves[1], leaves[2], leaves[3], quorum::EncodeLogLeaf(rel),
      leaves[4]};
  StatusOr<Timeline> t =
      BuildTimeline(c().roster(), reordered, 0, std::nullopt);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(HasProblem(*t, 4, cli::kProblemEarlyApproval));
  EXPECT_EQ(t->problems.size(), 1u);

  // A release by organisation 1's editor, who did not vote.
  for (const v1::Approval& a : approvals) ASSERT_OK(op().AppendApproval(a));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Approval> unvoted,
                       ReleaseAll(c(), run, std::vector<EditorRef>{{4, 1}}));
  // Re-sign a copy of organisation 4's release as if from organisation 1's
  // editor 1, body and all.
  ASSERT_OK_AND_ASSIGN(v1::ApprovalBody body, quorum::VerifyApprovalStatement(
                                                  c().roster(), unvoted[0]));
  body.set_org_id(1);
  body.set_editor_index(1);
  v1::Approval forged = unvoted[0];
  ASSERT_OK_AND_ASSIGN(
      *forged.mutable_statement(),
      c().SignBody(quorum::kApprovalStatementDst, body, {1, 1}));
  const uint64_t stray = op().size();
  ASSERT_OK(op().AppendApproval(forged));
  const Timeline full = Read();
  EXPECT_TRUE(HasProblem(full, stray, cli::kProblemApprovalMismatch,
                         "without a counted vote"));
  EXPECT_EQ(full.requests[0].approvals, 4u);
}

// Leaves that are not log entries, and roster leaves.
TEST_F(AuditTimelineTest, UnreadableAndRosterLeaves) {
  v1::LogLeaf roster_leaf;
  roster_leaf.set_time_unix(kFixtureNow);
  const Bytes roster_bytes =
      ToBytes(AsBytes(std::string_view("not a roster at all")));
  roster_leaf.mutable_roster()->set_roster(AsString(roster_bytes));
  ASSERT_OK(op().Append(roster_leaf));                           // leaf 0
  ASSERT_OK(op().AppendRaw(AsBytes(std::string_view("junk"))));  // leaf 1
  v1::LogLeaf started;
  started.set_time_unix(kFixtureNow + 1);
  started.mutable_daemon_started()->set_version("conclaved 0.1");
  ASSERT_OK(op().Append(started));  // leaf 2
  // The roster itself, as the daemon logs it at its first start.
  ASSERT_OK_AND_ASSIGN(Bytes own, ReadBytesFromFile(c().dir() / "ceremony" /
                                                    "consortium.roster"));
  v1::LogLeaf own_leaf;
  own_leaf.set_time_unix(kFixtureNow + 1);
  own_leaf.mutable_roster()->set_roster(AsString(own));
  ASSERT_OK(op().Append(own_leaf));  // leaf 3

  const Timeline t = Read();
  EXPECT_TRUE(HasProblem(t, 0, cli::kProblemBadRoster, "does not verify"));
  EXPECT_EQ(t.events[1].kind, LeafKind::kUnreadable);
  EXPECT_TRUE(HasProblem(t, 1, cli::kProblemUnreadable));
  EXPECT_EQ(t.events[2].kind, LeafKind::kDaemonStarted);
  EXPECT_EQ(t.events[2].time_unix, kFixtureNow + 1);
  EXPECT_NE(t.events[2].summary.find("conclaved 0.1"), std::string::npos);
  EXPECT_EQ(t.events[3].kind, LeafKind::kRoster);
  EXPECT_EQ(t.events[3].signature, SignatureStatus::kVerified);
  EXPECT_NE(t.events[3].summary.find("the roster you gave"), std::string::npos)
      << t.events[3].summary;
  EXPECT_EQ(t.problems.size(), 2u);
}

// After a REKEY roster leaf (docs/protocol.md "Rekey: two keys in one log")
// a request for an old-key submission, its votes and releases name the old
// key's last roster and are checked under it, new-key ones under the new
// roster; whichever roster the auditor gives. A statement naming the
// retired epoch for a new-key submission, one naming the new epoch for an
// old-key submission, and a vote of the retired epoch on a new-key request
// are each flagged at their leaf.
TEST_F(AuditTimelineTest, AfterARekeyEachStatementIsCheckedUnderItsRoster) {
  ASSERT_OK_AND_ASSIGN(Bytes own, ReadBytesFromFile(c().dir() / "ceremony" /
                                                    "consortium.roster"));
  v1::LogLeaf first;
  first.set_time_unix(kFixtureNow);
  first.mutable_roster()->set_roster(AsString(own));
  ASSERT_OK(op().Append(first));                               // leaf 0
  const Submission a = SubmitLogged("under the first key\n");  // leaf 1

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Consortium> fresh, Consortium::Create());
  ASSERT_OK_AND_ASSIGN(v1::Roster rekey, Rekeyed(c(), *fresh));
  ASSERT_OK_AND_ASSIGN(keyceremony::VerifiedRoster next,
                       keyceremony::VerifyRosterSuccessor(c().roster(), rekey));
  ASSERT_FALSE(next.consortium_key == c().consortium_key());
  v1::LogLeaf second;
  second.set_time_unix(kFixtureNow);
  second.mutable_roster()->set_roster(rekey.SerializeAsString());
  ASSERT_OK(op().Append(second));  // leaf 2
  ASSERT_OK_AND_ASSIGN(
      Submission b,
      MakeSubmission(next.consortium_key, AsBytes("under the new key\n"), {}));
  ASSERT_OK(op().AppendSubmission(b).status());  // leaf 3

  // A, under the old key's last roster (epoch 1): request, votes, releases.
  const std::vector<uint32_t> orgs = {1, 2, 3};
  const std::vector<EditorRef> voters = c().QuorumOf(orgs);
  ASSERT_OK_AND_ASSIGN(QuorumRun run_a,
                       RequestAndVote(c(), op(), {1, 1}, a, voters));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Approval> approvals,
                       ReleaseAll(c(), run_a, voters));
  for (const v1::Approval& ap : approvals) {
    ASSERT_OK(op().AppendApproval(ap).status());
  }
  const uint64_t a_end = op().size();

  // B, under the new roster, by the same editors' identities.
  auto keys_under = [&](EditorRef ref) -> StatusOr<quorum::EditorKeys> {
    CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, c().Editor(ref));
    return quorum::EditorKeys::FromIdentity(e->identity(), next);
  };
  ASSERT_OK_AND_ASSIGN(quorum::EditorKeys requester, keys_under({2, 1}));
  quorum::RequestOptions ro;
  ro.reason = "the new one";
  ro.now_unix = kFixtureNow;
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest req_b,
                       quorum::MakeRequest(next, requester, b.header, ro));
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest ver_b,
                       quorum::VerifyRequest(next, req_b.statement));
  ASSERT_OK_AND_ASSIGN(const uint64_t b_index,
                       op().AppendRequest(req_b.statement));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  for (const EditorRef& v : voters) {
    ASSERT_OK_AND_ASSIGN(quorum::EditorKeys k, keys_under(v));
    quorum::VoteOptions vo;
    vo.checkpoint_size = seen.size;
    vo.checkpoint_root.assign(seen.root_hash.begin(), seen.root_hash.end());
    vo.now_unix = kFixtureNow;
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         quorum::MakeVote(next, k, ver_b, vo));
    ASSERT_OK(op().AppendVote(vote).status());
  }
  const uint64_t honest_end = op().size();

  // What must be flagged.
  ASSERT_OK_AND_ASSIGN(v1::RequestBody old_for_b,
                       c().DraftRequestBody({3, 1}, b.header, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement old_req,
      c().SignBody(quorum::kRequestDst, old_for_b, EditorRef{3, 1}));
  ASSERT_OK_AND_ASSIGN(const uint64_t old_req_index,
                       op().AppendRequest(old_req));
  ASSERT_OK_AND_ASSIGN(v1::RequestBody new_for_a,
                       c().DraftRequestBody({3, 1}, a.header, kFixtureNow));
  new_for_a.set_epoch(next.body.epoch());
  new_for_a.set_roster_fingerprint(AsString(next.fingerprint));
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement new_req,
      c().SignBody(quorum::kRequestDst, new_for_a, EditorRef{3, 1}));
  ASSERT_OK_AND_ASSIGN(const uint64_t new_req_index,
                       op().AppendRequest(new_req));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement old_vote,
                       c().HandSignedVote({4, 1}, req_b.id, seen, kFixtureNow));
  ASSERT_OK_AND_ASSIGN(const uint64_t old_vote_index,
                       op().AppendVote(old_vote));

  ASSERT_OK_AND_ASSIGN(audit::Checkpoint cp, op().Checkpoint());
  const std::vector<const keyceremony::VerifiedRoster*> pins = {&c().roster(),
                                                                &next};
  for (const keyceremony::VerifiedRoster* pinned : pins) {
    SCOPED_TRACE("pinned roster epoch " + std::to_string(pinned->body.epoch()));
    ASSERT_OK_AND_ASSIGN(Timeline t, BuildTimeline(*pinned, Leaves(), 0, cp));
    for (uint64_t i = 0; i < honest_end; ++i) {
      EXPECT_TRUE(ProblemsAt(t, i).empty())
          << "leaf " << i << ": " << ProblemsAt(t, i).front()->message;
    }
    for (uint64_t i = 4; i < a_end; ++i) {
      EXPECT_EQ(t.events[i].signature, SignatureStatus::kVerified) << i;
    }
    ASSERT_EQ(t.requests.size(), 4u);
    EXPECT_TRUE(t.requests[0].valid);
    EXPECT_TRUE(t.requests[0].progress.complete());
    EXPECT_EQ(t.requests[0].approvals, voters.size());
    EXPECT_TRUE(t.requests[1].valid);
    EXPECT_EQ(t.requests[1].index, b_index);
    EXPECT_TRUE(t.requests[1].progress.complete());
    EXPECT_TRUE(HasProblem(t, old_req_index, cli::kProblemInvalidStatement,
                           "fails verification"));
    EXPECT_TRUE(HasProblem(t, new_req_index, cli::kProblemInvalidStatement,
                           "fails verification"));
    EXPECT_TRUE(
        HasProblem(t, old_vote_index, cli::kProblemVoteNotCounted, "epoch"));
    EXPECT_EQ(t.problems.size(), 3u);
    EXPECT_TRUE(
        std::any_of(t.notes.begin(), t.notes.end(), [](const std::string& n) {
          return n.find(
                     "leaf 2 starts a new consortium "
                     "key") != std::string::npos;
        }));
  }
}

// `audit show`: one event decoded in full; every field, signer and the
// signature status.
TEST_F(AuditTimelineTest, DetailIndexDecodesOneLeafInFull) {
  const Submission s = SubmitLogged("details\n");
  ASSERT_OK_AND_ASSIGN(QuorumRun run, RequestAndVote(c(), op(), {2, 2}, s, {}));
  TimelineOptions o;
  o.detail_index = run.request_index;
  const Timeline t = Read(o);
  const TimelineEvent& e = t.events[run.request_index];
  std::map<std::string, std::string> d(e.details.begin(), e.details.end());
  EXPECT_EQ(d["kind"], "request");
  EXPECT_EQ(d["request id"], quorum::RequestIdHex(run.request.id));
  EXPECT_EQ(d["submission id"], s.id);
  EXPECT_EQ(d["reason"], "fixture request");
  EXPECT_EQ(d["signer"], quorum::EditorLabel(c().roster().body, 2, 2));
  EXPECT_EQ(d["signature"].rfind("verified", 0), 0u) << d["signature"];
  EXPECT_EQ(d["request checks"].rfind("pass", 0), 0u) << d["request checks"];
  EXPECT_EQ(d["leaf hash (RFC 6962)"],
            HexEncode(audit::HashLeaf(Leaves()[run.request_index])));
  EXPECT_TRUE(t.events[0].details.empty());
}

// The timeline is only shown for leaves the checkpoint commits to.
TEST_F(AuditTimelineTest, LeavesMustProduceTheCheckpoint) {
  SubmitLogged("one\n");
  SubmitLogged("two\n");
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint cp, op().Checkpoint());
  std::vector<Bytes> leaves = Leaves();

  audit::Checkpoint wrong_root = cp;
  wrong_root.root_hash[31] ^= 1;
  StatusOr<Timeline> t = BuildTimeline(c().roster(), leaves, 0, wrong_root);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(t.status().message().find("do not produce the checkpoint's root"),
            std::string::npos);

  std::vector<Bytes> changed = leaves;
  changed[1].back() ^= 1;
  t = BuildTimeline(c().roster(), changed, 0, cp);
  EXPECT_EQ(t.status().code(), StatusCode::kUnauthenticated);

  std::vector<Bytes> fewer(leaves.begin(), leaves.begin() + 1);
  t = BuildTimeline(c().roster(), fewer, 0, cp);
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);

  TimelineBuilder b(c().roster());
  ASSERT_OK(b.Add(0, leaves[0]));
  Status gap = b.Add(2, leaves[1]);
  EXPECT_EQ(gap.code(), StatusCode::kInvalidArgument);
}

// The HTML report: self-contained, every value escaped (a reason is free
// text from an editor).
TEST_F(AuditTimelineTest, ReportIsSelfContainedAndEscaped) {
  const Submission s = SubmitLogged("report\n");
  const std::string evil =
      "<script>alert('x')</script> & \"<img src=https://evil.example/x>\"";
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest req,
                       c().Request({1, 2}, s.header, kFixtureNow, evil));
  ASSERT_OK(op().AppendRequest(req.statement));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest v,
                       c().VerifyRequest(req.statement));
  for (const EditorRef& r : c().QuorumOf(std::vector<uint32_t>{3, 4})) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(r, v, seen, kFixtureNow));
    ASSERT_OK(op().AppendVote(vote));
  }
  const Timeline t = Read();
  ASSERT_TRUE(t.problems.empty());
  ASSERT_EQ(t.events[1].text, evil);

  cli::ReportContext ctx;
  ctx.source = "export /tmp/<dir>";
  ctx.verification = {{"log key", "k&y"}};
  ctx.generated_unix = kFixtureNow;
  const std::string html = cli::RenderAuditReport(t, c().roster().body, ctx);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                      "&quot;&lt;img src=https://evil.example/x&gt;&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("export /tmp/&lt;dir&gt;"), std::string::npos);
  EXPECT_NE(html.find("k&amp;y"), std::string::npos);
  // Nothing is loaded from anywhere: no script, link, image or URL
  // attribute; the policy forbids it too.
  for (const char* bad :
       {"<link", "<iframe", "src=\"", "href=\"http", "url(", "@import"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  }
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  // The parts the issue asks for.
  EXPECT_NE(html.find("Timeline"), std::string::npos);
  EXPECT_NE(html.find("vote progress"), std::string::npos);
  EXPECT_NE(html.find("Activity per member"), std::string::npos);
  EXPECT_NE(html.find(t.requests[0].request_id), std::string::npos);
  EXPECT_NE(html.find("2 of 3 organisations have approved"), std::string::npos);
  EXPECT_NE(html.find("2025-10-09 08:53:20 UTC"), std::string::npos);
}

}  // namespace
}  // namespace conclave::testing
