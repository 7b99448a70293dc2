// conclaved's logic (daemon/service.h) at the service level, without gRPC:
// a simulated consortium (tests/quorum_fixture.h: 5 organisations, t = 3,
// so W = 4 witnesses settle a checkpoint; organisations 1 and 2 with 3
// editors of whom 2 are needed), every organisation's real witness
// (witness::Witness) behind an in-process HTTP server on loopback, and the
// daemon on a temporary data directory with a clock the tests move.
//
// The concurrency test (50 editors voting at once) is meant for TSan too:
// `make test-tsan` runs every ctest under ThreadSanitizer.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "age/age.h"
#include "age/p256tag.h"
#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/note.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "daemon/service.h"
#include "daemon/service_impl.h"
#include "daemon/sqlite_log_storage.h"
#include "daemon/storage_faults.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"
#include "tests/daemon_fixture.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"
#include "witness/witness.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using testing::Consortium;
using testing::ConsortiumOptions;
using testing::EditorRef;
using testing::IsError;
using testing::kFixtureNow;
using testing::Submission;
using testing::TempDir;
using testing::TestWitnesses;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class DaemonServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = Consortium::Create();
    if (!c.ok()) {
      setup_error_ = new std::string(c.status().ToString());
      return;
    }
    consortium_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete consortium_;
    consortium_ = nullptr;
  }

  virtual const Consortium& c() const { return *consortium_; }

  void SetUp() override {
    ASSERT_TRUE(Ready()) << "ceremony failed";
    ASSERT_OK_AND_ASSIGN(TempDir work, TempDir::Create("daemon-service"));
    work_.emplace(std::move(work));
  }
  void TearDown() override {
    if (d_) d_->Shutdown();
    d_.reset();
    witnesses_.clear();
  }
  virtual bool Ready() const { return consortium_ != nullptr; }

  const fs::path& work() const { return work_->path(); }

  void StartWitnesses(std::set<uint32_t> orgs = {1, 2, 3, 4, 5}) {
    testing::StartTestWitnesses(c(), work(), &witnesses_, orgs);
  }

  DaemonOptions Options(const fs::path& data = {}) {
    auto o = testing::ConsortiumDaemonOptions(
        c(), data.empty() ? work() / "data" : data, witnesses_,
        [this] { return clock_.load(); });
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *std::move(o) : DaemonOptions{};
  }

  void Open(DaemonOptions o) {
    auto d = DaemonImpl::Create(std::move(o));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    d_ = std::move(d).value();
  }
  void Open() { Open(Options()); }

  uint64_t now() const { return clock_.load(); }

  v1::SignedStatement Call(EditorRef who, std::string_view method,
                           const google::protobuf::MessageLite& payload) {
    const testing::ConsortiumEditor* e = c().FindEditor(who);
    EXPECT_NE(e, nullptr);
    return SignCall(e->keys(), c().roster(), method, payload, now());
  }

  Submission NewSubmission(std::string_view plaintext,
                           std::vector<uint32_t> excluded = {}) {
    auto s = c().Submit(AsBytes(plaintext), std::move(excluded));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *std::move(s) : Submission{};
  }

  // The settled checkpoint the daemon serves, as a voter sees it.
  audit::Checkpoint Seen() {
    auto reply =
        d_->GetCheckpoint(Call({3, 1}, "GetCheckpoint", v1::CheckpointQuery()));
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok() || reply->checkpoint().empty()) return {};
    auto note = audit::ParseNote(reply->checkpoint());
    EXPECT_TRUE(note.ok());
    auto cp = audit::ParseCheckpoint(note->text);
    EXPECT_TRUE(cp.ok());
    return cp.ok() ? *cp : audit::Checkpoint{};
  }

  struct Posted {
    quorum::NewRequest request;
    quorum::VerifiedRequest verified;
    v1::PostReply reply;
  };
  StatusOr<Posted> PostRequest(EditorRef who, const Submission& s,
                               uint64_t lifetime = 0) {
    Posted p;
    CONCLAVE_ASSIGN_OR_RETURN(
        p.request, c().Request(who, s.header, now(), "for the test", lifetime));
    CONCLAVE_ASSIGN_OR_RETURN(p.verified,
                              c().VerifyRequest(p.request.statement));
    CONCLAVE_ASSIGN_OR_RETURN(
        p.reply,
        d_->PostRequest(Call(who, "PostRequest", p.request.statement)));
    return p;
  }

  StatusOr<v1::PostReply> Vote(EditorRef who, const Posted& p,
                               v1::Decision decision = v1::DECISION_APPROVE) {
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::SignedStatement vote,
        c().Vote(who, p.verified, Seen(), now(), decision));
    return d_->PostVote(Call(who, "PostVote", vote));
  }

  StatusOr<v1::LogEvidence> Evidence(const Posted& p) {
    v1::RequestQuery q;
    q.set_request_id(AsString(p.request.id));
    return d_->GetEvidence(Call({4, 1}, "GetEvidence", q));
  }

  StatusOr<v1::RequestInfo> Info(const Posted& p) {
    v1::RequestQuery q;
    q.set_request_id(AsString(p.request.id));
    return d_->GetRequest(Call({5, 1}, "GetRequest", q));
  }

  StatusOr<v1::PostReply> Approve(EditorRef who, const Posted& p,
                                  const v1::LogEvidence& evidence,
                                  EditorRef relay = {0, 0}) {
    CONCLAVE_ASSIGN_OR_RETURN(
        quorum::Release r,
        c().Release(who, &p.request.statement, &evidence, now()));
    return d_->PostApproval(
        Call(relay.org_id == 0 ? who : relay, "PostApproval", r.approval));
  }

  std::vector<v1::LogLeaf> Leaves() {
    std::vector<v1::LogLeaf> out;
    v1::LeavesQuery q;
    q.set_start(0);
    q.set_end(d_->LogSize());
    auto reply = d_->GetLeaves(Call({2, 3}, "GetLeaves", q));
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return out;
    for (const std::string& leaf : reply->leaves()) {
      auto parsed = quorum::ParseLogLeaf(AsBytes(leaf));
      EXPECT_TRUE(parsed.ok());
      if (parsed.ok()) out.push_back(*parsed);
    }
    return out;
  }

  static Consortium* consortium_;
  static std::string* setup_error_;

  std::optional<TempDir> work_;
  std::atomic<uint64_t> clock_{kFixtureNow};
  TestWitnesses witnesses_;
  std::unique_ptr<DaemonImpl> d_;
};

Consortium* DaemonServiceTest::consortium_ = nullptr;
std::string* DaemonServiceTest::setup_error_ = nullptr;

// ---- The whole story ----

TEST_F(DaemonServiceTest, WholeStorySubmitRequestVoteReleaseCombine) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("the leaked memo");

  // Submission: a log-signed acceptance the whistleblower can check.
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply accepted,
                       d_->Submit(sub.file, "ipv4:127.0.0.1:4000"));
  EXPECT_EQ(accepted.submission_id(), sub.id);
  {
    auto log_key = audit::Ed25519NoteVerifier::FromVerifierKey(
        c().roster().body.log_vkey());
    ASSERT_TRUE(log_key.ok());
    audit::NoteVerifierSet keys;
    ASSERT_OK(keys.Add(log_key->get()));
    ASSERT_OK_AND_ASSIGN(audit::OpenedNote opened,
                         audit::OpenNote(accepted.acceptance(), keys));
    ASSERT_OK_AND_ASSIGN(age::Header header, age::ParseHeader(sub.header));
    EXPECT_EQ(opened.text, "conclave submission acceptance v1\n" +
                               c().log_key().origin() + "\n" + sub.id + "\n" +
                               std::to_string(accepted.leaf_index()) + "\n" +
                               HexEncode(header.Hash()) + "\n");
  }

  // Request, then votes from organisations 1, 2 (two editors each) and 3.
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  EXPECT_FALSE(p.reply.duplicate());
  EXPECT_TRUE(Contains(p.reply.status(), "is in the settled checkpoint"))
      << p.reply.status();
  const std::vector<EditorRef> voters =
      c().QuorumOf(std::vector<uint32_t>{1, 2, 3});
  int completions = 0;
  for (size_t i = 0; i < voters.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(v1::PostReply r, Vote(voters[i], p));
    EXPECT_FALSE(r.duplicate());
    if (Contains(r.status(), "quorum complete with this vote")) ++completions;
    if (i + 1 < voters.size()) {
      EXPECT_FALSE(Contains(r.status(), "quorum complete")) << r.status();
    }
  }
  EXPECT_EQ(completions, 1);
  EXPECT_EQ(d_->quorum_events(), 1u);

  // Each voter releases on the daemon's evidence; one approval is relayed
  // by another member (an air-gapped editor's upload).
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, Evidence(p));
  std::string last_status;
  for (size_t i = 0; i < voters.size(); ++i) {
    const EditorRef relay = i == 0 ? EditorRef{5, 1} : EditorRef{0, 0};
    ASSERT_OK_AND_ASSIGN(v1::PostReply r,
                         Approve(voters[i], p, evidence, relay));
    EXPECT_FALSE(r.duplicate());
    last_status = r.status();
  }
  EXPECT_TRUE(Contains(last_status, "request released")) << last_status;

  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_RELEASED);
  EXPECT_EQ(info.votes_size(), static_cast<int>(voters.size()));
  EXPECT_EQ(info.vote_leaf_indices_size(), static_cast<int>(voters.size()));
  ASSERT_EQ(info.approvals_size(), static_cast<int>(voters.size()));
  std::vector<v1::Approval> approvals(info.approvals().begin(),
                                      info.approvals().end());

  // The requester downloads the file and opens it with the approvals.
  Bytes downloaded;
  v1::SubmissionQuery sq;
  sq.set_submission_id(sub.id);
  ASSERT_OK(d_->GetSubmissionFile(
      Call({1, 1}, "GetSubmissionFile", sq), [&](ByteSpan chunk) {
        downloaded.insert(downloaded.end(), chunk.begin(), chunk.end());
        return OkStatus();
      }));
  EXPECT_EQ(downloaded, sub.file);
  ASSERT_OK_AND_ASSIGN(
      Bytes plain,
      testing::CombineAndOpen(c(), {1, 1}, p.verified, approvals, sub, work()));
  EXPECT_EQ(AsString(plain), "the leaked memo");

  // A vote after release is refused.
  EXPECT_TRUE(IsError(Vote({4, 1}, p), StatusCode::kFailedPrecondition,
                      {"after release"}));

  // The log holds every step, in order.
  std::vector<v1::LogLeaf> leaves = Leaves();
  ASSERT_EQ(leaves.size(), 4u + voters.size() * 2);
  EXPECT_TRUE(leaves[0].has_roster());
  EXPECT_TRUE(leaves[1].has_daemon_started());
  EXPECT_TRUE(leaves[accepted.leaf_index()].has_submission());
  EXPECT_TRUE(leaves[p.reply.leaf_index()].has_request());
  int votes = 0, approvals_logged = 0;
  for (const auto& l : leaves) {
    votes += l.has_vote();
    approvals_logged += l.has_approval();
  }
  EXPECT_EQ(votes, static_cast<int>(voters.size()));
  EXPECT_EQ(approvals_logged, static_cast<int>(voters.size()));
  ASSERT_OK(d_->store().CheckIntegrity(true));
}

// ---- Submissions ----

TEST_F(DaemonServiceTest, SubmissionsAreValidatedAndAcceptedOnce) {
  Open();
  const Submission sub = NewSubmission("one");
  ASSERT_OK_AND_ASSIGN(v1::SubmitReply first, d_->Submit(sub.file, "p"));
  EXPECT_TRUE(IsError(d_->Submit(sub.file, "p"), StatusCode::kAlreadyExists,
                      {"already received",
                       "(leaf " + std::to_string(first.leaf_index()) + ")"}));

  // Drill files never go through intake.
  ASSERT_OK_AND_ASSIGN(Submission drill, c().DrillSubmission());
  EXPECT_TRUE(IsError(d_->Submit(drill.file, "p"),
                      StatusCode::kPermissionDenied, {"drill"}));

  // A plain p256tag file (a stock age client's) is refused with the
  // validator's explanation.
  ASSERT_OK_AND_ASSIGN(age::P256TagRecipient plain,
                       age::P256TagRecipient::Create(c().consortium_key()));
  const age::Recipient* recipients[] = {&plain};
  ASSERT_OK_AND_ASSIGN(Bytes plain_file,
                       age::EncryptToMemory(recipients, AsBytes("x")));
  Status s = d_->Submit(plain_file, "p").status();
  EXPECT_EQ(age::GetSubmissionDefect(s), age::SubmissionDefect::kPlainP256Tag)
      << s.ToString();

  // Armored, truncated, not age at all.
  EXPECT_TRUE(IsError(
      d_->Submit(AsBytes("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"), "p"),
      StatusCode::kInvalidArgument, {"armored"}));
  const Submission other = NewSubmission("two");
  EXPECT_TRUE(IsError(d_->Submit(other.header, "p"),
                      StatusCode::kInvalidArgument, {"payload"}));
  EXPECT_TRUE(IsError(d_->Submit(AsBytes("hello"), "p"),
                      StatusCode::kInvalidArgument, {"not an age file"}));

  // More exclusions than m − t = 2.
  auto too_many = c().Submit(AsBytes("x"), {1, 2, 3});
  ASSERT_TRUE(too_many.ok());
  EXPECT_TRUE(IsError(d_->Submit(too_many->file, "p"),
                      StatusCode::kPermissionDenied, {}));

  // The list shows the one accepted submission.
  ASSERT_OK_AND_ASSIGN(
      v1::SubmissionList list,
      d_->ListSubmissions(Call({1, 1}, "ListSubmissions", v1::ListQuery())));
  ASSERT_EQ(list.submissions_size(), 1);
  EXPECT_EQ(list.submissions(0).submission_id(), sub.id);
  EXPECT_EQ(list.submissions(0).size(), sub.file.size());
}

TEST_F(DaemonServiceTest, SubmissionSizeAndRateLimits) {
  DaemonOptions o = Options();
  o.submissions_per_minute = 2;
  const Submission a = NewSubmission("a");
  o.max_submission_bytes = a.file.size() + 100;
  Open(std::move(o));
  ASSERT_OK(d_->Submit(a.file, "ipv4:10.0.0.1:1000"));
  ASSERT_OK(d_->Submit(NewSubmission("b").file, "ipv4:10.0.0.1:1001"));
  // The third from the same address (another port) within the minute.
  EXPECT_TRUE(IsError(d_->Submit(NewSubmission("c").file, "ipv4:10.0.0.1:1002"),
                      StatusCode::kResourceExhausted, {"per minute"}));
  // Another address has its own bucket.
  ASSERT_OK(d_->Submit(NewSubmission("d").file, "ipv4:10.0.0.2:1000"));
  // Half a minute refills one token.
  clock_ += 30;
  ASSERT_OK(d_->Submit(NewSubmission("e").file, "ipv4:10.0.0.1:1003"));
  clock_ += 60;
  Bytes big = NewSubmission("f").file;
  big.resize(a.file.size() + 101, 0);
  EXPECT_TRUE(IsError(d_->Submit(big, "ipv4:10.0.0.3:1"),
                      StatusCode::kResourceExhausted,
                      {"more than this daemon"}));
}

// ---- Calls ----

TEST_F(DaemonServiceTest, UnsignedReplayedStaleAndMisdirectedCallsAreRefused) {
  Open();
  const v1::ListQuery q;
  v1::SignedStatement call = Call({1, 1}, "ListRequests", q);
  ASSERT_OK(d_->ListRequests(call));
  EXPECT_TRUE(IsError(d_->ListRequests(call), StatusCode::kFailedPrecondition,
                      {"replayed call"}));

  v1::SignedStatement tampered = Call({1, 1}, "ListRequests", q);
  std::string sig = tampered.signature();
  sig[5] ^= 1;
  tampered.set_signature(sig);
  EXPECT_TRUE(
      IsError(d_->ListRequests(tampered), StatusCode::kUnauthenticated, {}));
  v1::SignedStatement unsigned_call = Call({1, 1}, "ListRequests", q);
  unsigned_call.clear_signature();
  EXPECT_FALSE(d_->ListRequests(unsigned_call).ok());

  // Stale: signed ten minutes ago (the window is five).
  clock_ -= 600;
  v1::SignedStatement old = Call({1, 1}, "ListRequests", q);
  clock_ += 600;
  EXPECT_TRUE(IsError(d_->ListRequests(old), StatusCode::kFailedPrecondition,
                      {"stale call"}));

  // Signed for another method.
  EXPECT_TRUE(IsError(d_->ListSubmissions(Call({1, 1}, "ListRequests", q)),
                      StatusCode::kFailedPrecondition, {"ListRequests"}));
}

TEST_F(DaemonServiceTest, NonMemberAndIdentityMismatchAreRefused) {
  StartWitnesses();
  Open();
  // A stranger's key claiming to be organisation 9.
  Ed25519PrivateKey stranger = Ed25519PrivateKey::Generate();
  v1::CallBody body;
  body.set_method("ListRequests");
  body.set_roster_fingerprint(AsString(c().roster().fingerprint));
  body.set_timestamp_unix(now());
  body.set_nonce(AsString(RandomBytes(16).span()));
  body.set_payload(v1::ListQuery().SerializeAsString());
  v1::SignedStatement call;
  call.set_signed_(body.SerializeAsString());
  const Ed25519Signature sig =
      stranger.Sign(keyceremony::DomainSeparatedMessage(
          kApiCallDst, AsBytes(call.signed_())));
  call.set_signature(AsString(sig));
  call.set_org_id(9);
  call.set_editor_index(1);
  EXPECT_TRUE(
      IsError(d_->ListRequests(call), StatusCode::kPermissionDenied, {}));

  // Editor (2,1) posting (1,1)'s request, and (1,1)'s vote.
  const Submission sub = NewSubmission("mismatch");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest req,
                       c().Request({1, 1}, sub.header, now()));
  EXPECT_TRUE(
      IsError(d_->PostRequest(Call({2, 1}, "PostRequest", req.statement)),
              StatusCode::kPermissionDenied, {"identity mismatch"}));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({1, 1}, p.verified, Seen(), now()));
  EXPECT_TRUE(IsError(d_->PostVote(Call({2, 1}, "PostVote", vote)),
                      StatusCode::kPermissionDenied, {"identity mismatch"}));
  // The withdrawal of someone else's request.
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement w,
      quorum::MakeWithdrawal(c().roster(), c().FindEditor({1, 1})->keys(),
                             p.verified, "changed my mind", now()));
  EXPECT_TRUE(IsError(d_->PostWithdrawal(Call({1, 2}, "PostWithdrawal", w)),
                      StatusCode::kPermissionDenied, {"identity mismatch"}));
}

// ---- Statements ----

TEST_F(DaemonServiceTest, ResendsAreIdempotentAndSecondVotesRefused) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("resend");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  // The same request in a fresh call.
  ASSERT_OK_AND_ASSIGN(
      v1::PostReply again,
      d_->PostRequest(Call({1, 1}, "PostRequest", p.request.statement)));
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.leaf_index(), p.reply.leaf_index());

  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, p.verified, Seen(), now()));
  ASSERT_OK_AND_ASSIGN(v1::PostReply v1r,
                       d_->PostVote(Call({3, 1}, "PostVote", vote)));
  ASSERT_OK_AND_ASSIGN(v1::PostReply v2r,
                       d_->PostVote(Call({3, 1}, "PostVote", vote)));
  EXPECT_FALSE(v1r.duplicate());
  EXPECT_TRUE(v2r.duplicate());
  EXPECT_EQ(v2r.leaf_index(), v1r.leaf_index());
  // A different second vote by the same editor.
  EXPECT_TRUE(IsError(Vote({3, 1}, p, v1::DECISION_REFUSE),
                      StatusCode::kFailedPrecondition, {"already voted"}));
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.votes_size(), 1);

  // A request for a submission the daemon does not hold.
  const Submission unknown = NewSubmission("never uploaded");
  EXPECT_TRUE(IsError(PostRequest({1, 1}, unknown), StatusCode::kNotFound,
                      {"not held"}));
}

TEST_F(DaemonServiceTest, VotesNamingAnUnservedCheckpointAreRefused) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("checkpoints");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  audit::Checkpoint seen = Seen();
  // Beyond the settled size.
  audit::Checkpoint ahead = seen;
  ahead.size += 5;
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement v1s,
                       c().Vote({3, 1}, p.verified, ahead, now()));
  EXPECT_TRUE(IsError(d_->PostVote(Call({3, 1}, "PostVote", v1s)),
                      StatusCode::kFailedPrecondition, {"settled checkpoint"}));
  // Another root at a served size: the voter saw another log.
  audit::Checkpoint forked = seen;
  forked.root_hash[0] ^= 1;
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement v2s,
                       c().Vote({4, 1}, p.verified, forked, now()));
  EXPECT_TRUE(IsError(d_->PostVote(Call({4, 1}, "PostVote", v2s)),
                      StatusCode::kFailedPrecondition, {"not this log's"}));
}

TEST_F(DaemonServiceTest, VotesAfterExpiryAreRefusedAndTheSweepExpires) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("expiring");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub, 3600));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({3, 1}, p.verified, Seen(), now()));
  const Submission sub2 = NewSubmission("expiring too");
  ASSERT_OK(d_->Submit(sub2.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p2, PostRequest({2, 1}, sub2, 3600));

  clock_ += 3600;
  EXPECT_TRUE(IsError(d_->PostVote(Call({3, 1}, "PostVote", vote)),
                      StatusCode::kFailedPrecondition, {"expired"}));
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_EXPIRED);
  EXPECT_EQ(info.votes_size(), 0);
  // Once expired, stays refused.
  EXPECT_TRUE(IsError(d_->PostVote(Call({3, 1}, "PostVote", vote)),
                      StatusCode::kFailedPrecondition, {"expired"}));

  // The other one by the sweep (the checkpointer may get there first).
  auto swept = d_->SweepExpired();
  ASSERT_TRUE(swept.ok());
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info2, Info(p2));
  EXPECT_EQ(info2.state(), v1::REQUEST_STATE_EXPIRED);
  int expiries = 0;
  for (const auto& l : Leaves()) expiries += l.has_expiry();
  EXPECT_EQ(expiries, 2);
}

TEST_F(DaemonServiceTest, ExcludedOrganisationCannotVoteOrRequest) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("not for org 5", {5});
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().HandSignedVote({5, 1}, p.request.id, Seen(), now()));
  EXPECT_TRUE(IsError(d_->PostVote(Call({5, 1}, "PostVote", vote)),
                      StatusCode::kPermissionDenied, {"excluded"}));
  // A request by the excluded organisation fails verification.
  EXPECT_TRUE(
      IsError(PostRequest({5, 1}, sub), StatusCode::kPermissionDenied, {}));
}

TEST_F(DaemonServiceTest, OneOrganisationStackingVotesIsStillOne) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("stacking");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  for (uint32_t e = 1; e <= 3; ++e) {
    ASSERT_OK_AND_ASSIGN(v1::PostReply r, Vote({1, e}, p));
    EXPECT_FALSE(Contains(r.status(), "quorum complete")) << r.status();
  }
  EXPECT_EQ(d_->quorum_events(), 0u);
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_OPEN);
  EXPECT_TRUE(Contains(info.progress(), "1 of 3")) << info.progress();
  // The evidence exists, but a releaser refuses and so does the daemon.
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence, Evidence(p));
  EXPECT_FALSE(
      c().Release({1, 1}, &p.request.statement, &evidence, now()).ok());
}

TEST_F(DaemonServiceTest, WithdrawalByTheRequesterClosesTheRequest) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("withdraw");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement not_mine,
                       c().SignBody(quorum::kWithdrawalDst,
                                    [&] {
                                      v1::WithdrawalBody b;
                                      b.set_request_id(AsString(p.request.id));
                                      b.set_epoch(c().roster().body.epoch());
                                      b.set_org_id(2);
                                      b.set_editor_index(1);
                                      b.set_reason("not mine");
                                      b.set_created_unix(now());
                                      return b;
                                    }(),
                                    {2, 1}));
  EXPECT_TRUE(
      IsError(d_->PostWithdrawal(Call({2, 1}, "PostWithdrawal", not_mine)),
              StatusCode::kPermissionDenied, {"only the requester"}));
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement w,
      quorum::MakeWithdrawal(c().roster(), c().FindEditor({1, 1})->keys(),
                             p.verified, "changed my mind", now()));
  ASSERT_OK_AND_ASSIGN(v1::PostReply r,
                       d_->PostWithdrawal(Call({1, 1}, "PostWithdrawal", w)));
  ASSERT_OK_AND_ASSIGN(v1::PostReply again,
                       d_->PostWithdrawal(Call({1, 1}, "PostWithdrawal", w)));
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.leaf_index(), r.leaf_index());
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_WITHDRAWN);
  EXPECT_TRUE(
      IsError(Vote({3, 1}, p), StatusCode::kFailedPrecondition, {"withdrawn"}));
}

// ---- Witnesses ----

TEST_F(DaemonServiceTest, TooFewWitnessesNothingSettlesAndEvidenceIsRefused) {
  StartWitnesses({1, 2, 3});  // W = 4
  DaemonOptions o = Options();
  o.settle_wait_ms = 300;
  Open(std::move(o));
  const Submission sub = NewSubmission("unsettled");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  EXPECT_TRUE(Contains(p.reply.status(), "not in a settled checkpoint"))
      << p.reply.status();
  ASSERT_OK_AND_ASSIGN(
      v1::CheckpointReply cp,
      d_->GetCheckpoint(Call({2, 1}, "GetCheckpoint", v1::CheckpointQuery())));
  EXPECT_TRUE(cp.checkpoint().empty());
  EXPECT_FALSE(cp.unsettled_reason().empty());
  auto evidence = Evidence(p);
  EXPECT_TRUE(IsError(evidence, StatusCode::kFailedPrecondition,
                      {"no settled checkpoint covers the request yet"}));
  // The reason names the missing witnesses once a round has completed.
  for (int i = 0;
       i < 100 && !Contains(d_->Checkpoints().unsettled_reason, "not settled");
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(Contains(d_->Checkpoints().unsettled_reason, "not settled"))
      << d_->Checkpoints().unsettled_reason;
  // With nothing settled no vote can name a checkpoint, so nothing is ever
  // released.
  ASSERT_OK_AND_ASSIGN(
      v1::SignedStatement vote,
      c().HandSignedVote(
          {3, 1}, p.request.id,
          audit::Checkpoint{c().log_key().origin(), d_->LogSize(), {}, {}},
          now()));
  EXPECT_TRUE(IsError(d_->PostVote(Call({3, 1}, "PostVote", vote)),
                      StatusCode::kFailedPrecondition, {"settled"}));
}

TEST_F(DaemonServiceTest, NoWitnessesConfiguredSaysSo) {
  DaemonOptions o = Options();
  o.settle_wait_ms = 0;
  Open(std::move(o));
  const Submission sub = NewSubmission("no witnesses");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  EXPECT_TRUE(Contains(p.reply.status(), "no witnesses are configured"))
      << p.reply.status();
  EXPECT_TRUE(IsError(Evidence(p), StatusCode::kFailedPrecondition,
                      {"no witnesses are configured"}));
}

// ---- Restart ----

TEST_F(DaemonServiceTest, RestartKeepsStateAndChecksRosterAndLogKey) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("durable");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  const uint64_t size = d_->LogSize();
  ASSERT_TRUE(d_->WaitSettled(size, std::chrono::seconds(10)));
  d_->Shutdown();
  EXPECT_TRUE(IsError(d_->Submit(NewSubmission("late").file, "p"),
                      StatusCode::kUnavailable, {"shutting down"}));
  d_.reset();

  // Another log key.
  DaemonOptions bad_key = Options();
  bad_key.log_key_seed = RandomBytes(32);
  EXPECT_TRUE(IsError(DaemonImpl::Create(std::move(bad_key)),
                      StatusCode::kFailedPrecondition, {"log key"}));
  // Another roster of the same consortium (re-signed by every editor with
  // a changed policy), and a later epoch: both refused.
  std::vector<keyceremony::RosterSigner> signers;
  for (const testing::ConsortiumEditor* e : c().editors()) {
    signers.push_back(
        {e->org_id(), e->editor_index(), &e->keys().signing_key()});
  }
  v1::RosterBody body = c().roster().body;
  body.mutable_policy()->set_max_request_lifetime_seconds(3600);
  ASSERT_OK_AND_ASSIGN(v1::Roster changed,
                       keyceremony::SignRoster(body, signers));
  DaemonOptions other = Options();
  other.roster = ToBytes(changed.SerializeAsString());
  EXPECT_TRUE(IsError(DaemonImpl::Create(std::move(other)),
                      StatusCode::kFailedPrecondition,
                      {"not the one this data directory holds"}));
  // A later epoch that is not a successor is not even a valid roster (its
  // change record is missing); valid successors come in through PushRoster
  // (tests/unit/daemon_roster_chain_test.cc).
  body.set_epoch(2);
  ASSERT_OK_AND_ASSIGN(v1::Roster next, keyceremony::SignRoster(body, signers));
  DaemonOptions later = Options();
  later.roster = ToBytes(next.SerializeAsString());
  EXPECT_TRUE(IsError(DaemonImpl::Create(std::move(later)),
                      StatusCode::kInvalidArgument, {"later-epoch roster"}));
  DaemonOptions bad_roster = Options();
  bad_roster.roster.back() ^= 1;
  EXPECT_FALSE(DaemonImpl::Create(std::move(bad_roster)).ok());

  Open();
  EXPECT_EQ(d_->LogSize(), size + 1);  // daemon_started
  // The saved settled checkpoint is served at once.
  EXPECT_GE(d_->Checkpoints().settled_size, size);
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_OPEN);
  EXPECT_TRUE(IsError(d_->Submit(sub.file, "p"), StatusCode::kAlreadyExists,
                      {"already received"}));
  ASSERT_OK_AND_ASSIGN(v1::RosterChain chain, d_->GetRosters());
  EXPECT_EQ(chain.rosters_size(), 1);
  std::vector<v1::LogLeaf> leaves = Leaves();
  ASSERT_GE(leaves.size(), 2u);
  EXPECT_TRUE(leaves.back().has_daemon_started());
  ASSERT_OK(d_->store().CheckIntegrity(true));
}

TEST_F(DaemonServiceTest, CheckpointConsistencyAndLeafBounds) {
  StartWitnesses();
  Open();
  ASSERT_TRUE(d_->WaitSettled(2, std::chrono::seconds(10)));
  const uint64_t first = d_->Checkpoints().settled_size;
  const Submission sub = NewSubmission("grow");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  v1::CheckpointQuery q;
  q.set_from_size(first);
  ASSERT_OK_AND_ASSIGN(v1::CheckpointReply reply,
                       d_->GetCheckpoint(Call({1, 1}, "GetCheckpoint", q)));
  ASSERT_OK_AND_ASSIGN(audit::Note note, audit::ParseNote(reply.checkpoint()));
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint newer,
                       audit::ParseCheckpoint(note.text));
  ASSERT_GT(newer.size, first);
  std::vector<audit::Hash> proof;
  for (const std::string& h : reply.consistency_proof()) {
    ASSERT_OK_AND_ASSIGN(audit::Hash hash, audit::HashFromBytes(AsBytes(h)));
    proof.push_back(hash);
  }
  SqliteLogStorage view(&d_->store());
  ASSERT_OK_AND_ASSIGN(audit::Hash old_root, audit::RootHash(view, first));
  audit::Checkpoint older{newer.origin, first, old_root, {}};
  ASSERT_OK(audit::CheckConsistent(older, newer, proof));

  q.set_from_size(newer.size + 10);
  EXPECT_TRUE(IsError(d_->GetCheckpoint(Call({1, 1}, "GetCheckpoint", q)),
                      StatusCode::kFailedPrecondition, {"fork"}));
  v1::LeavesQuery lq;
  lq.set_start(0);
  lq.set_end(d_->LogSize() + 1);
  EXPECT_TRUE(IsError(d_->GetLeaves(Call({1, 1}, "GetLeaves", lq)),
                      StatusCode::kOutOfRange, {}));
  lq.set_end(0);
  EXPECT_TRUE(IsError(d_->GetLeaves(Call({1, 1}, "GetLeaves", lq)),
                      StatusCode::kInvalidArgument, {}));
}

// ---- A failed fsync stops the daemon ----

TEST_F(DaemonServiceTest, FailedFsyncStopsEveryLaterCall) {
  FaultInjector faults;
  StoreOptions so;
  so.faults = &faults;
  DaemonOptions o = Options();
  o.settle_wait_ms = 0;
  auto d = DaemonImpl::CreateForTesting(std::move(o), so);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  d_ = std::move(d).value();
  std::atomic<int> fatal_calls{0};
  d_->SetFatalHandler([&](const Status&) { fatal_calls.fetch_add(1); });
  ASSERT_OK(d_->Submit(NewSubmission("before").file, "p"));
  ASSERT_OK(d_->Fatal());

  FaultInjector::Rule rule;
  rule.op = StorageOp::kSync;
  rule.fault = StorageFault::kIoError;
  rule.times = 0;  // every fsync from now on
  faults.Add(rule);
  const Submission sub = NewSubmission("during");
  EXPECT_TRUE(IsError(d_->Submit(sub.file, "p"), StatusCode::kUnavailable,
                      {"daemon stopped"}));
  EXPECT_FALSE(d_->Fatal().ok());
  faults.Clear();
  EXPECT_TRUE(IsError(d_->Submit(NewSubmission("after").file, "p"),
                      StatusCode::kUnavailable, {"daemon stopped"}));
  EXPECT_TRUE(
      IsError(d_->ListRequests(Call({1, 1}, "ListRequests", v1::ListQuery())),
              StatusCode::kUnavailable, {"daemon stopped"}));
  EXPECT_TRUE(
      IsError(d_->GetRosters(), StatusCode::kUnavailable, {"daemon stopped"}));
  EXPECT_EQ(fatal_calls.load(), 1);
  // Before `faults` and `fatal_calls` go away.
  d_.reset();
}

// ---- Concurrency ----

// 50 editors (5 organisations of 10, k_o = 4, t = 3) vote at once on one
// request: 12 approving votes complete the quorum, and exactly one vote
// (whichever commits as the 12th counted) reports the transition.
class DaemonConcurrencyTest : public DaemonServiceTest {
 protected:
  static void SetUpTestSuite() {
    ConsortiumOptions o;
    o.editors = "10:4";
    auto c = Consortium::Create(o);
    if (!c.ok()) return;
    big_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete big_;
    big_ = nullptr;
  }
  const Consortium& c() const override { return *big_; }
  bool Ready() const override { return big_ != nullptr; }
  static Consortium* big_;
};
Consortium* DaemonConcurrencyTest::big_ = nullptr;

TEST_F(DaemonConcurrencyTest, FiftyConcurrentVotesCrossTheThresholdOnce) {
  StartWitnesses();
  Open();
  const Submission sub = NewSubmission("fifty");
  ASSERT_OK(d_->Submit(sub.file, "p"));
  ASSERT_OK_AND_ASSIGN(Posted p, PostRequest({1, 1}, sub));
  const audit::Checkpoint seen = Seen();
  ASSERT_GT(seen.size, p.reply.leaf_index());

  std::vector<v1::SignedStatement> calls;
  for (const testing::ConsortiumEditor* e : c().editors()) {
    auto vote = c().Vote(e->ref(), p.verified, seen, now());
    ASSERT_TRUE(vote.ok()) << vote.status().ToString();
    calls.push_back(Call(e->ref(), "PostVote", *vote));
  }
  ASSERT_EQ(calls.size(), 50u);

  std::vector<StatusOr<v1::PostReply>> replies(
      calls.size(), StatusOr<v1::PostReply>(InternalError("not run")));
  std::barrier start(static_cast<std::ptrdiff_t>(calls.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      replies[i] = d_->PostVote(calls[i]);
    });
  }
  for (auto& t : threads) t.join();

  int completions = 0;
  std::set<uint64_t> leaves;
  for (const auto& r : replies) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->duplicate());
    leaves.insert(r->leaf_index());
    if (Contains(r->status(), "quorum complete with this vote")) ++completions;
  }
  EXPECT_EQ(completions, 1);
  EXPECT_EQ(d_->quorum_events(), 1u);
  EXPECT_EQ(leaves.size(), 50u);

  ASSERT_OK_AND_ASSIGN(std::vector<VoteRecord> stored,
                       d_->store().ListVotes(p.request.id));
  EXPECT_EQ(stored.size(), 50u);
  ASSERT_OK_AND_ASSIGN(v1::RequestInfo info, Info(p));
  EXPECT_EQ(info.votes_size(), 50);
  ASSERT_OK(d_->store().CheckIntegrity(true));
  int vote_leaves = 0;
  for (const auto& l : Leaves()) vote_leaves += l.has_vote();
  EXPECT_EQ(vote_leaves, 50);
}

}  // namespace
}  // namespace conclave::daemon
