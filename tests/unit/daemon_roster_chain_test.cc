// conclaved's roster chain (issue 9, brief §9): PushRoster accepts only a
// verified successor, logs it with the expiry of every open request in one
// transaction, then refuses the old epoch's editors and statements; a
// checkpoint settles under the roster in force at its size; a restart
// re-verifies the chain.
//
// The successor is made in process from the fixture (tests/quorum_fixture.h,
// 5 organisations, t = 3) with keyceremony/reshare.h: organisation 5 leaves,
// t' = 3, the continuing editors keep their identities.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/note.h"
#include "audit/settled.h"
#include "daemon/call.h"
#include "daemon/service_impl.h"
#include "daemon/storage_faults.h"
#include "keyceremony/reshare.h"
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
using testing::EditorRef;
using testing::kFixtureNow;
using testing::Rekeyed;
using testing::Submission;
using testing::TempDir;
using testing::TestWitnesses;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The next epoch: `keep` organisations of the fixture, threshold t',
// dealt by the default quorum and signed by every new editor and dealer.
// `tamper` may change the body before signing (forged successors).
StatusOr<v1::Roster> Successor(
    const Consortium& c, std::set<uint32_t> keep, uint32_t threshold,
    const std::function<void(v1::RosterBody*)>& tamper = nullptr,
    bool dealer_signatures = true) {
  const keyceremony::VerifiedRoster& prev = c.roster();
  keyceremony::ResharePlanInput in;
  in.kind = v1::MEMBERSHIP_CHANGE_RESHARE;
  in.threshold = threshold;
  for (const v1::RosterOrganisation& o : prev.body.organisations()) {
    if (keep.count(o.id()) == 0) continue;
    in.organisations.push_back(keyceremony::PlanEntry(o));
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::ResharePlan plan,
                            keyceremony::MakeResharePlan(prev, in));
  CONCLAVE_ASSIGN_OR_RETURN(keyceremony::CheckedResharePlan checked,
                            keyceremony::CheckResharePlan(plan, prev));
  std::vector<v1::ReshareDealing> dealings;
  for (const v1::ReshareDealer& d : checked.body.dealers()) {
    CONCLAVE_ASSIGN_OR_RETURN(const testing::ConsortiumEditor* e,
                              c.Editor({d.org_id(), d.editor_index()}));
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::ReshareDealing dealing,
        keyceremony::MakeReshareDealing(checked, prev, e->share(),
                                        e->keys().signing_key()));
    dealings.push_back(std::move(dealing));
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      keyceremony::ReshareOutcome outcome,
      keyceremony::CombineReshareDealings(checked, prev, dealings));
  CONCLAVE_ASSIGN_OR_RETURN(
      keyceremony::SuccessorDraft draft,
      keyceremony::AssembleSuccessor(checked, prev, outcome));
  if (tamper) tamper(&draft.body);
  std::vector<keyceremony::RosterSigner> signers;
  for (const v1::RosterOrganisation& o : draft.body.organisations()) {
    for (const v1::RosterEditor& e : o.editors()) {
      CONCLAVE_ASSIGN_OR_RETURN(const testing::ConsortiumEditor* ed,
                                c.Editor({o.id(), e.index()}));
      signers.push_back({o.id(), e.index(), &ed->keys().signing_key()});
    }
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster,
                            keyceremony::SignRoster(draft.body, signers));
  if (dealer_signatures) {
    for (const v1::ReshareDealer& d : checked.body.dealers()) {
      CONCLAVE_ASSIGN_OR_RETURN(const testing::ConsortiumEditor* e,
                                c.Editor({d.org_id(), d.editor_index()}));
      *roster.add_dealer_signatures() = keyceremony::SignRosterAsDealer(
          roster, d.org_id(), d.editor_index(), e->keys().signing_key());
    }
  }
  return roster;
}

class DaemonRosterChainTest
    : public testing::SharedConsortiumTest<DaemonRosterChainTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(consortium_, nullptr) << *setup_error_;
    ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("daemon-roster"));
    work_.emplace(std::move(dir));
    testing::StartTestWitnesses(c(), work(), &witnesses_);
  }
  void TearDown() override {
    if (d_) d_->Shutdown();
    d_.reset();
    witnesses_.clear();
  }
  const fs::path& work() const { return work_->path(); }

  DaemonOptions Options() {
    return testing::ConsortiumDaemonOptions(c(), work() / "data", witnesses_,
                                            [this] { return clock_; })
        .value();
  }
  void Open(DaemonOptions o) {
    auto d = DaemonImpl::Create(std::move(o));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    d_ = std::move(d).value();
  }

  // A call signed by `who` with `roster` (the current one by default).
  v1::SignedStatement Call(
      EditorRef who, std::string_view method,
      const google::protobuf::MessageLite& payload,
      const keyceremony::VerifiedRoster* roster = nullptr) {
    const testing::ConsortiumEditor* e = c().FindEditor(who);
    EXPECT_NE(e, nullptr);
    return SignCall(e->keys(), roster ? *roster : d_->roster(), method, payload,
                    clock_);
  }
  StatusOr<v1::RosterPushReply> Push(const v1::Roster& r, bool force = false,
                                     EditorRef who = {3, 1}) {
    v1::RosterPush p;
    p.set_roster(r.SerializeAsString());
    p.set_force(force);
    return d_->PushRoster(Call(who, "PushRoster", p));
  }

  Submission Submitted(std::string_view text, std::vector<uint32_t> ex = {}) {
    auto s = c().Submit(AsBytes(text), std::move(ex));
    EXPECT_TRUE(s.ok());
    auto r = d_->Submit(s->file, "ipv4:127.0.0.1:1");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *s;
  }
  // A request by `who` on `s`, posted; its verified form.
  quorum::VerifiedRequest Requested(const Submission& s, EditorRef who) {
    auto req = c().Request(who, s.header, clock_);
    EXPECT_TRUE(req.ok()) << req.status().ToString();
    auto posted = d_->PostRequest(Call(who, "PostRequest", req->statement));
    EXPECT_TRUE(posted.ok()) << posted.status().ToString();
    return c().VerifyRequest(req->statement).value();
  }
  audit::Checkpoint Seen() {
    EXPECT_TRUE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(20)));
    auto note = audit::ParseNote(d_->Checkpoints().settled_note);
    return audit::ParseCheckpoint(note->text).value();
  }

  std::optional<TempDir> work_;
  TestWitnesses witnesses_;
  std::unique_ptr<DaemonImpl> d_;
  uint64_t clock_ = kFixtureNow;
};

TEST_F(DaemonRosterChainTest,
       ValidSuccessorIsLoggedExpiresRequestsAndSwitches) {
  Open(Options());
  const keyceremony::VerifiedRoster old = d_->roster();
  const Submission s = Submitted("before the change");
  const quorum::VerifiedRequest req = Requested(s, {3, 1});
  const audit::Checkpoint seen = Seen();
  // A vote made at epoch 1 while the request is open (posted after the push).
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement old_vote,
                       c().Vote({4, 1}, req, seen, clock_));

  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 3));
  const uint64_t before = d_->LogSize();
  ASSERT_OK_AND_ASSIGN(v1::RosterPushReply reply, Push(next));
  EXPECT_EQ(reply.epoch(), 2u);
  EXPECT_EQ(reply.expired_requests(), 1u);
  EXPECT_EQ(reply.leaf_index(), before);
  EXPECT_EQ(d_->LogSize(), before + 2);  // the roster leaf and one expiry
  EXPECT_EQ(d_->roster().body.epoch(), 2u);

  // The leaves: the roster as signed, then the expiry.
  ASSERT_OK_AND_ASSIGN(Bytes leaf0, d_->store().LogLeaf(before));
  ASSERT_OK_AND_ASSIGN(v1::LogLeaf l0, quorum::ParseLogLeaf(leaf0));
  ASSERT_TRUE(l0.has_roster());
  EXPECT_EQ(l0.roster().roster(), next.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(Bytes leaf1, d_->store().LogLeaf(before + 1));
  ASSERT_OK_AND_ASSIGN(v1::LogLeaf l1, quorum::ParseLogLeaf(leaf1));
  ASSERT_TRUE(l1.has_expiry());
  EXPECT_EQ(l1.expiry().request_id(), AsString(req.id));
  ASSERT_OK_AND_ASSIGN(RequestRecord r, d_->store().GetRequest(req.id));
  EXPECT_EQ(r.state, RequestState::kExpired);

  // The chain holds both epochs.
  ASSERT_OK_AND_ASSIGN(v1::RosterChain chain, d_->GetRosters());
  ASSERT_EQ(chain.rosters_size(), 2);
  EXPECT_EQ(chain.rosters(1), next.SerializeAsString());

  // A call made with the old roster: refused, saying which epoch is current.
  auto stale = d_->PostVote(Call({4, 1}, "PostVote", old_vote, &old));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(stale.status().message(), "epoch 1"))
      << stale.status().message();
  EXPECT_TRUE(Contains(stale.status().message(), "epoch 2"));
  // The same old-epoch vote in a new-roster call: refused for its epoch.
  auto old_epoch = d_->PostVote(Call({4, 1}, "PostVote", old_vote));
  ASSERT_FALSE(old_epoch.ok());
  EXPECT_EQ(old_epoch.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(old_epoch.status().message(), "roster epoch 1"))
      << old_epoch.status().message();
  // The departed organisation's editor is no longer a member.
  auto gone =
      d_->ListSubmissions(Call({5, 1}, "ListSubmissions", v1::ListQuery()));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kPermissionDenied)
      << gone.status().ToString();
  // Requests at the new epoch work, for continuing editors.
  const quorum::VerifiedRequest fresh = [&] {
    // The fixture signs at its own roster (epoch 1): at epoch 2 the request
    // must name epoch 2, so it is refused by the daemon.
    auto req2 = c().Request({3, 1}, s.header, clock_);
    auto posted = d_->PostRequest(Call({3, 1}, "PostRequest", req2->statement));
    EXPECT_FALSE(posted.ok());
    EXPECT_TRUE(Contains(posted.status().message(), "roster"))
        << posted.status().message();
    return c().VerifyRequest(req2->statement).value();
  }();
  (void)fresh;
  // The daemon's checkpoints after the push settle under epoch 2.
  EXPECT_TRUE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(20)));
}

TEST_F(DaemonRosterChainTest, OldEpochApprovalIsRefused) {
  Open(Options());
  const Submission s = Submitted("approve me");
  const quorum::VerifiedRequest req = Requested(s, {3, 1});
  const audit::Checkpoint seen = Seen();
  for (EditorRef v : c().QuorumOf(std::vector<uint32_t>{3, 4, 5})) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(v, req, seen, clock_));
    ASSERT_OK(d_->PostVote(Call(v, "PostVote", vote)).status());
  }
  Seen();
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence ev,
                       d_->GetEvidence(Call({3, 1}, "GetEvidence", [&] {
                         v1::RequestQuery q;
                         q.set_request_id(AsString(req.id));
                         return q;
                       }())));
  ASSERT_OK_AND_ASSIGN(RequestRecord record, d_->store().GetRequest(req.id));
  v1::SignedStatement statement;
  ASSERT_TRUE(statement.ParseFromString(AsString(record.statement)));
  ASSERT_OK_AND_ASSIGN(quorum::Release rel,
                       c().Release({4, 1}, &statement, &ev, clock_));

  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 3));
  ASSERT_OK(Push(next).status());
  auto refused = d_->PostApproval(Call({4, 1}, "PostApproval", rel.approval));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(refused.status().message(), "roster epoch 1"))
      << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "earlier epoch"));
}

TEST_F(DaemonRosterChainTest, ForgedSuccessorsAreRefusedAndTheStoreUnchanged) {
  Open(Options());
  Submitted("x");
  struct Case {
    std::string name;
    std::function<void(v1::RosterBody*)> tamper;
    bool dealers = true;
  };
  const Point other = Point::BaseMul(Scalar::FromUint64(7));
  std::vector<Case> cases = {
      {"wrong previous fingerprint",
       [](v1::RosterBody* b) {
         b->set_previous_roster_fingerprint(std::string(32, 'x'));
       }},
      {"epoch skip", [](v1::RosterBody* b) { b->set_epoch(3); }},
      {"missing dealer signatures", nullptr, false},
      {"changed Y (a RESHARE with another key)",
       [&](v1::RosterBody* b) {
         const CompressedPoint y = other.EncodeCompressed();
         b->set_consortium_key(std::string(y.begin(), y.end()));
       }},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const uint64_t size = d_->LogSize();
    auto forged = Successor(c(), {1, 2, 3, 4}, 3, k.tamper, k.dealers);
    ASSERT_TRUE(forged.ok()) << forged.status().ToString();
    auto r = Push(*forged);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Contains(r.status().message(), "not a valid successor"))
        << r.status().ToString();
    EXPECT_EQ(d_->LogSize(), size);
    EXPECT_EQ(d_->roster().body.epoch(), 1u);
    EXPECT_EQ(d_->store().LatestRoster().value().epoch, 1u);
  }
  // Garbage is not a roster.
  v1::RosterPush p;
  p.set_roster("not a roster");
  EXPECT_FALSE(d_->PushRoster(Call({3, 1}, "PushRoster", p)).ok());
}

TEST_F(DaemonRosterChainTest, StrandingIsRefusedUnlessForced) {
  Open(Options());
  // Excludes 1 and 2: with organisation 5 gone, only 3 and 4 remain < t'=3.
  const Submission stranded = Submitted("stranded", {1, 2});
  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 3));
  const uint64_t size = d_->LogSize();
  auto refused = Push(next);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(refused.status().message(), stranded.id))
      << refused.status().message();
  EXPECT_EQ(d_->LogSize(), size);
  EXPECT_EQ(d_->roster().body.epoch(), 1u);

  ASSERT_OK_AND_ASSIGN(v1::RosterPushReply forced, Push(next, true));
  EXPECT_EQ(forced.epoch(), 2u);
  ASSERT_EQ(forced.stranded_submissions_size(), 1);
  EXPECT_EQ(forced.stranded_submissions(0), stranded.id);
}

// Runs `hook` once, when the blob store publishes its next blob: a roster
// push then lands between a submission's validation and its commit.
class PushDuringUpload final : public daemon::StorageFaults {
 public:
  void Arm(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    hook_ = std::move(hook);
  }
  daemon::StorageFault Before(daemon::StorageOp op, std::string_view) override {
    std::function<void()> hook;
    if (op == daemon::StorageOp::kRename) {
      std::lock_guard<std::mutex> lock(mu_);
      hook.swap(hook_);
    }
    if (hook) hook();
    return daemon::StorageFault::kNone;
  }

 private:
  std::mutex mu_;
  std::function<void()> hook_;
};

TEST_F(DaemonRosterChainTest, ASubmissionRacingAReshareIsRefusedNotStranded) {
  PushDuringUpload faults;
  daemon::StoreOptions so;
  so.faults = &faults;
  auto d = DaemonImpl::CreateForTesting(Options(), so);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  d_ = std::move(d).value();
  // Excluding 1 and 2 is fine under 5/3, but with organisation 5 gone only
  // 3 and 4 would remain (< t' = 3).
  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 3));
  auto raced = c().Submit(AsBytes(std::string_view("raced")), {1, 2});
  ASSERT_TRUE(raced.ok());
  const uint64_t size = d_->LogSize();
  std::optional<StatusOr<v1::RosterPushReply>> pushed;
  faults.Arm([&] { pushed.emplace(Push(next)); });
  auto r = d_->Submit(raced->file, "ipv4:127.0.0.1:1");
  ASSERT_TRUE(pushed.has_value());
  ASSERT_TRUE(pushed->ok()) << pushed->status().ToString();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(r.status().message(), "during this upload"))
      << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "fewer than 3"))
      << r.status().message();
  EXPECT_EQ(d_->LogSize(), size + 1);  // the roster leaf only
  // Without the race the new epoch refuses it the ordinary way, and a
  // submission it can open is accepted.
  EXPECT_FALSE(d_->Submit(raced->file, "ipv4:127.0.0.1:1").ok());
  auto fine = c().Submit(AsBytes(std::string_view("fine")), {1});
  ASSERT_TRUE(fine.ok());
  EXPECT_TRUE(d_->Submit(fine->file, "ipv4:127.0.0.1:1").ok());
  d_->Shutdown();
  d_.reset();  // before `faults` goes away
}

TEST_F(DaemonRosterChainTest, CheckpointsSettleUnderTheRosterInForce) {
  // Only the witnesses of 1..4 answer: W = 4 of 5 at epoch 1, and at epoch 2
  // (4 organisations, t' = 4) W = 4 of 4.
  witnesses_.pop_back();
  Open(Options());
  Submitted("one");
  Seen();
  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 4));
  ASSERT_OK_AND_ASSIGN(v1::RosterPushReply reply, Push(next));
  const uint64_t roster_leaf = reply.leaf_index();
  ASSERT_TRUE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(20)));
  const std::string note = d_->Checkpoints().settled_note;
  // The straddling checkpoint (it contains the roster leaf) is settled under
  // epoch 2's witnesses, not under epoch 1's rule.
  auto epoch2 = keyceremony::VerifyRosterSuccessor(c().roster(), next);
  ASSERT_TRUE(epoch2.ok()) << epoch2.status().ToString();
  ASSERT_OK_AND_ASSIGN(quorum::RosterLogKeys k2,
                       quorum::LogKeysFromRoster(*epoch2));
  ASSERT_OK_AND_ASSIGN(audit::CosignedCheckpoint cp,
                       audit::VerifyCosignedCheckpoint(
                           note, k2.origin, *k2.log_key, k2.witnesses));
  EXPECT_GT(cp.checkpoint.size, roster_leaf);
  EXPECT_TRUE(audit::Settle(cp, {}, k2.witnesses).ok());
  EXPECT_EQ(d_->InForceAt(roster_leaf)->roster.body.epoch(), 1u);
  EXPECT_EQ(d_->InForceAt(roster_leaf + 1)->roster.body.epoch(), 2u);

  // With only three of epoch 2's four witnesses nothing new settles (W = 4).
  d_->Shutdown();
  d_.reset();
  witnesses_.pop_back();  // organisation 4's witness
  Open(Options());
  Submitted("two");
  EXPECT_FALSE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(3)));
}

TEST_F(DaemonRosterChainTest, RestartAfterAPushServesTheLatestEpoch) {
  Open(Options());
  Submitted("kept");
  ASSERT_OK_AND_ASSIGN(v1::Roster next, Successor(c(), {1, 2, 3, 4}, 3));
  ASSERT_OK(Push(next).status());
  d_->Shutdown();
  d_.reset();
  // Given the first roster (the configuration unchanged): the chain is
  // re-verified and epoch 2 served.
  Open(Options());
  EXPECT_EQ(d_->roster().body.epoch(), 2u);
  ASSERT_OK_AND_ASSIGN(v1::RosterChain chain, d_->GetRosters());
  EXPECT_EQ(chain.rosters_size(), 2);
  EXPECT_TRUE(
      d_->ListSubmissions(Call({1, 1}, "ListSubmissions", v1::ListQuery()))
          .ok());
  d_->Shutdown();
  d_.reset();
  // Given the latest roster: the same.
  DaemonOptions o = Options();
  o.roster = ToBytes(next.SerializeAsString());
  Open(std::move(o));
  EXPECT_EQ(d_->roster().body.epoch(), 2u);
  d_->Shutdown();
  d_.reset();
  // A roster that is not in the chain is refused.
  DaemonOptions bad = Options();
  ASSERT_OK_AND_ASSIGN(v1::Roster other, Successor(c(), {1, 2, 3}, 2));
  bad.roster = ToBytes(other.SerializeAsString());
  auto refused = DaemonImpl::Create(std::move(bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
}

// Rekey (docs/protocol.md "Rekey"): the daemon keeps both keys. New
// submissions must be to the new key; a submission made before stays
// requestable, votable and releasable under the old key's last roster
// (epoch 1 here), whose requests are not closed by later rosters of the new
// key; the rekey itself expires the open requests as any epoch change.
TEST_F(DaemonRosterChainTest, RekeyKeepsOldSubmissionsUnderTheOldRoster) {
  Open(Options());
  const keyceremony::VerifiedRoster old = d_->roster();
  const Submission a = Submitted("before the rekey");
  const quorum::VerifiedRequest open_req = Requested(a, {3, 1});
  (void)Seen();

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Consortium> fresh, Consortium::Create());
  ASSERT_OK_AND_ASSIGN(v1::Roster rekey, Rekeyed(c(), *fresh));
  ASSERT_OK_AND_ASSIGN(keyceremony::VerifiedRoster next,
                       keyceremony::VerifyRosterSuccessor(old, rekey));
  ASSERT_FALSE(next.consortium_key == old.consortium_key);

  ASSERT_OK_AND_ASSIGN(v1::RosterPushReply pushed, Push(rekey));
  EXPECT_EQ(pushed.epoch(), 2u);
  EXPECT_EQ(pushed.expired_requests(), 1u);  // as at any epoch change
  ASSERT_OK_AND_ASSIGN(RequestRecord closed,
                       d_->store().GetRequest(open_req.id));
  EXPECT_EQ(closed.state, RequestState::kExpired);

  // New submissions: to the old key refused, saying why; to the new key
  // accepted.
  ASSERT_OK_AND_ASSIGN(Submission late, c().Submit(AsBytes("too late")));
  auto refused = d_->Submit(late.file, "ipv4:127.0.0.1:1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(refused.status().message(), "retired-key"))
      << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "epoch 1"));
  ASSERT_OK_AND_ASSIGN(Submission b,
                       testing::MakeSubmission(next.consortium_key,
                                               AsBytes("after the rekey"), {}));
  ASSERT_OK(d_->Submit(b.file, "ipv4:127.0.0.1:1").status());

  // An epoch-1 (old-share) request for the new-key submission: refused.
  {
    ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                         c().DraftRequestBody({3, 1}, b.header, clock_));
    ASSERT_OK_AND_ASSIGN(
        v1::SignedStatement forged,
        c().SignBody(quorum::kRequestDst, body, EditorRef{3, 1}));
    auto r = d_->PostRequest(Call({3, 1}, "PostRequest", forged, &old));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(r.status().message(), "addressed to another key"))
        << r.status().message();
  }
  // A request for the old submission under the new roster: refused, naming
  // the roster to use.
  {
    const testing::ConsortiumEditor* e = c().FindEditor({3, 1});
    quorum::RequestOptions ro;
    ro.now_unix = clock_;
    ASSERT_OK_AND_ASSIGN(v1::RequestBody body,
                         c().DraftRequestBody({3, 1}, a.header, clock_));
    body.set_epoch(2);
    body.set_roster_fingerprint(AsString(next.fingerprint));
    ASSERT_OK_AND_ASSIGN(
        v1::SignedStatement wrong,
        c().SignBody(quorum::kRequestDst, body, EditorRef{3, 1}));
    auto r = d_->PostRequest(Call({3, 1}, "PostRequest", wrong));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(r.status().message(), "addressed to another key"))
        << r.status().message();
    (void)e;
    (void)ro;
  }

  // The old submission: a new request under epoch 1 (call signed with the
  // old key's last roster), votes and approvals with the old shares.
  ASSERT_OK_AND_ASSIGN(quorum::NewRequest req,
                       c().Request({3, 1}, a.header, clock_));
  ASSERT_OK_AND_ASSIGN(
      v1::PostReply posted,
      d_->PostRequest(Call({3, 1}, "PostRequest", req.statement, &old)));
  ASSERT_OK_AND_ASSIGN(quorum::VerifiedRequest vreq,
                       c().VerifyRequest(req.statement));
  const audit::Checkpoint seen = Seen();
  const uint32_t orgs[] = {1, 2, 3};
  const std::vector<EditorRef> quorum_refs = c().QuorumOf(orgs);
  for (const EditorRef& who : quorum_refs) {
    ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                         c().Vote(who, vreq, seen, clock_));
    // Under the new roster the old-epoch vote is refused ...
    if (who == quorum_refs.front()) {
      auto stale = d_->PostVote(Call(who, "PostVote", vote));
      ASSERT_FALSE(stale.ok());
      EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_TRUE(Contains(stale.status().message(), "roster epoch 1"))
          << stale.status().message();
    }
    // ... under the old key's last roster it counts.
    ASSERT_OK(d_->PostVote(Call(who, "PostVote", vote, &old)).status());
  }
  (void)Seen();
  v1::RequestQuery q;
  q.set_request_id(AsString(vreq.id));
  ASSERT_OK_AND_ASSIGN(v1::LogEvidence evidence,
                       d_->GetEvidence(Call({3, 1}, "GetEvidence", q, &old)));
  std::vector<v1::Approval> approvals;
  for (const EditorRef& who : quorum_refs) {
    ASSERT_OK_AND_ASSIGN(quorum::Release rel,
                         c().Release(who, &req.statement, &evidence, clock_));
    ASSERT_OK(d_->PostApproval(Call(who, "PostApproval", rel.approval, &old))
                  .status());
    approvals.push_back(rel.approval);
  }
  ASSERT_OK_AND_ASSIGN(RequestRecord released, d_->store().GetRequest(vreq.id));
  EXPECT_EQ(released.state, RequestState::kReleased);
  ASSERT_OK(c().Combine({3, 1}, vreq, approvals).status());

  // A roster push must be signed with the current roster, not the retired
  // one.
  v1::RosterPush p;
  p.set_roster(rekey.SerializeAsString());
  EXPECT_FALSE(d_->PushRoster(Call({3, 1}, "PushRoster", p, &old)).ok());
  (void)posted;
}

}  // namespace
}  // namespace conclave::daemon
