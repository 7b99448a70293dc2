// The bad-input matrix (issue 10): malicious files, hostile messages and
// members, the clock, and a failing disk, each refused with a clear error
// (a StatusCode and a message a person understands) and with no state
// changed: the same log size, the same row count in every table of the
// daemon's database, the same blob files, the same files in the output
// directory (Snapshot below).
//
// In process: the quorum fixture's consortium (5 organisations, t = 3;
// organisations 1 and 2 with 3 editors of whom 2 are needed), every
// organisation's real witness behind a loopback HTTP server, and the
// daemon (daemon/service_impl.h) on a temporary directory with a clock the
// cases move, its store opened with the fault injector.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/note.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "daemon/service.h"
#include "daemon/service_impl.h"
#include "daemon/sqlite.h"
#include "daemon/storage_faults.h"
#include "keyceremony/roster.h"
#include "quorum/approval.h"
#include "quorum/canonical.h"
#include "quorum/drill.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/daemon_fixture.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"
#include "witness/witness.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using testing::Consortium;
using testing::EditorRef;
using testing::IsError;
using testing::kFixtureNow;
using testing::Submission;
using testing::TempDir;
using testing::TestWitnesses;

// Everything a refused operation must leave as it was.
struct Snapshot {
  uint64_t log_size = 0;
  std::map<std::string, int64_t> rows;  // table → row count
  std::set<std::string> blobs;          // path (relative) and size
  std::set<std::string> outputs;        // files in the output directory
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

std::string Describe(const Snapshot& s) {
  std::string out = "log " + std::to_string(s.log_size) + ";";
  for (const auto& [t, n] : s.rows) out += " " + t + "=" + std::to_string(n);
  out += "; blobs " + std::to_string(s.blobs.size()) + "; outputs";
  for (const std::string& f : s.outputs) out += " " + f;
  return out;
}

std::set<std::string> ListFiles(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    out.insert(fs::relative(e.path(), dir).string() + " " +
               std::to_string(e.file_size()));
  }
  return out;
}

class BadInputMatrixTest
    : public testing::SharedConsortiumTest<BadInputMatrixTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(consortium_, nullptr) << *setup_error_;
    ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("bad-input"));
    work_.emplace(std::move(tmp));
    fs::create_directories(out_dir());
    testing::StartTestWitnesses(c(), work(), &witnesses_);
    ASSERT_OK_AND_ASSIGN(
        DaemonOptions o,
        testing::ConsortiumDaemonOptions(c(), work() / "data", witnesses_,
                                         [this] { return clock_.load(); }));
    StoreOptions so;
    so.faults = &faults_;
    auto d = DaemonImpl::CreateForTesting(std::move(o), so);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    d_ = std::move(d).value();
  }
  void TearDown() override {
    if (d_) d_->Shutdown();
    d_.reset();
    witnesses_.clear();
    faults_.Clear();
  }

  const fs::path& work() const { return work_->path(); }
  fs::path out_dir() const { return work() / "out"; }
  fs::path roster_path() const {
    return c().dir() / "ceremony" / "consortium.roster";
  }
  uint64_t now() const { return clock_.load(); }

  Snapshot Take() {
    Snapshot s;
    s.log_size = d_->LogSize();
    // A connection of its own (WAL: it sees what is committed), opened
    // without the fault-injecting VFS.
    Status st = [&]() -> Status {
      CONCLAVE_ASSIGN_OR_RETURN(
          std::unique_ptr<sqlite::Db> owned,
          sqlite::Db::Open(d_->store().db_path(), false, nullptr));
      sqlite::Db& db = *owned;
      std::vector<std::string> tables;
      {
        CONCLAVE_ASSIGN_OR_RETURN(
            sqlite::Stmt q,
            db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' "
                       "ORDER BY name"));
        for (;;) {
          CONCLAVE_ASSIGN_OR_RETURN(bool row, q.Step());
          if (!row) break;
          tables.push_back(q.Text(0));
        }
      }
      for (const std::string& t : tables) {
        CONCLAVE_ASSIGN_OR_RETURN(
            sqlite::Stmt q, db.Prepare("SELECT COUNT(*) FROM \"" + t + "\""));
        CONCLAVE_ASSIGN_OR_RETURN(bool row, q.Step());
        s.rows[t] = row ? q.Int(0) : -1;
      }
      return OkStatus();
    }();
    EXPECT_TRUE(st.ok()) << st.ToString();
    s.blobs = ListFiles(work() / "data" / "blobs");
    s.outputs = ListFiles(out_dir());
    return s;
  }

  // One row of the matrix: `act` must fail with `code` and every part in
  // its message, and leave the snapshot as it was.
  void Refused(const std::string& name, const std::function<Status()>& act,
               StatusCode code, std::initializer_list<std::string> parts) {
    SCOPED_TRACE(name);
    const Snapshot before = Take();
    const Status s = act();
    EXPECT_TRUE(IsError(s, code, parts)) << "case: " << name;
    const Snapshot after = Take();
    EXPECT_TRUE(before == after)
        << "case " << name << " changed state:\n  " << Describe(before)
        << "\n  " << Describe(after);
    ++cases_;
  }

  v1::SignedStatement Call(EditorRef who, std::string_view method,
                           const google::protobuf::MessageLite& payload) {
    const testing::ConsortiumEditor* e = c().FindEditor(who);
    EXPECT_NE(e, nullptr);
    return SignCall(e->keys(), c().roster(), method, payload, now());
  }

  // A CallBody signed by `who` as is (for envelopes SignCall would not
  // make).
  v1::SignedStatement SignBody(EditorRef who, const std::string& body) {
    return quorum::SignStatement(kApiCallDst, ToBytes(body),
                                 c().FindEditor(who)->keys());
  }

  Submission Submitted(std::string_view text,
                       std::vector<uint32_t> excluded = {}) {
    auto s = c().Submit(AsBytes(text), std::move(excluded));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto r = d_->Submit(s->file, "ipv4:127.0.0.1:1");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *s;
  }

  // The settled checkpoint, as a voter would be served it (read from the
  // checkpointer directly: a GetCheckpoint call would record a nonce).
  audit::Checkpoint Seen() {
    EXPECT_TRUE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(20)));
    auto note = audit::ParseNote(d_->Checkpoints().settled_note);
    EXPECT_TRUE(note.ok());
    if (!note.ok()) return {};
    auto cp = audit::ParseCheckpoint(note->text);
    return cp.ok() ? *cp : audit::Checkpoint{};
  }

  struct Posted {
    quorum::NewRequest request;
    quorum::VerifiedRequest verified;
  };
  Posted Request(EditorRef who, const Submission& s, uint64_t lifetime = 0) {
    Posted p;
    auto r = c().Request(who, s.header, now(), "for the matrix", lifetime);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    p.request = *r;
    auto v = c().VerifyRequest(p.request.statement);
    EXPECT_TRUE(v.ok());
    p.verified = *v;
    auto reply = d_->PostRequest(Call(who, "PostRequest", p.request.statement));
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return p;
  }
  v1::SignedStatement VoteStatement(EditorRef who, const Posted& p) {
    auto v = c().Vote(who, p.verified, Seen(), now());
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return *v;
  }
  void Vote(EditorRef who, const Posted& p) {
    auto r = d_->PostVote(Call(who, "PostVote", VoteStatement(who, p)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  v1::LogEvidence Evidence(const Posted& p) {
    EXPECT_TRUE(d_->WaitSettled(d_->LogSize(), std::chrono::seconds(20)));
    v1::RequestQuery q;
    q.set_request_id(AsString(p.request.id));
    auto e = d_->GetEvidence(Call({4, 1}, "GetEvidence", q));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : v1::LogEvidence();
  }

  std::optional<TempDir> work_;
  std::atomic<uint64_t> clock_{kFixtureNow};
  TestWitnesses witnesses_;
  FaultInjector faults_;
  std::unique_ptr<DaemonImpl> d_;
  int cases_ = 0;
};

// An approval whose D was made with a random scalar, not the editor's share.
StatusOr<v1::Approval> WrongPartialApproval(
    const Consortium& c, EditorRef who, const quorum::VerifiedRequest& req) {
  return testing::HandMadeApproval(c, who, req, Scalar::Random());
}

Status WriteOut(const fs::path& p, ByteSpan bytes) {
  return testing::WriteBytesToFile(p, bytes);
}

// ---- Files ----

TEST_F(BadInputMatrixTest, Files) {
  const Submission good = c().Submit(AsBytes("a file")).value();
  const SecretBytes passphrase =
      SecretBytes::CopyFrom(AsBytes(c().options().passphrase));
  const fs::path share =
      c().dir() / "ceremony" / "org1" / "editor1" / "share.age";
  ASSERT_OK_AND_ASSIGN(Bytes share_bytes, testing::ReadBytesFromFile(share));
  ASSERT_OK_AND_ASSIGN(Bytes roster_bytes,
                       testing::ReadBytesFromFile(roster_path()));
  const fs::path in = work() / "in";
  fs::create_directories(in);

  Refused("truncated submission",
          [&] {
            Bytes cut(good.file.begin(), good.file.end() - 20);
            return d_->Submit(cut, "p").status();
          },
          StatusCode::kInvalidArgument, {"payload"});

  Refused("submission with a tampered sender proof",
          [&] {
            // The line before the MAC line is the sender-proof stanza's
            // base64 body (86 characters): another valid base64 character
            // in its middle changes c or z.
            Bytes bad = good.file;
            const std::string text = AsString(good.header);
            const size_t mac = text.rfind("\n---");
            bad[mac - 10] = bad[mac - 10] == 'A' ? 'B' : 'A';
            return d_->Submit(bad, "p").status();
          },
          StatusCode::kUnauthenticated, {"sender proof does not verify"});

  Refused("header only, no payload",
          [&] { return d_->Submit(good.header, "p").status(); },
          StatusCode::kInvalidArgument, {"payload"});

  Refused("not an age file",
          [&] {
            return d_->Submit(AsBytes("PK\x03\x04 a zip file"), "p").status();
          },
          StatusCode::kInvalidArgument, {"not an age file"});

  Refused("drill file at intake",
          [&] {
            return d_->Submit(c().DrillSubmission().value().file, "p").status();
          },
          StatusCode::kPermissionDenied, {"drill"});

  Refused("wrong passphrase on a sealed share",
          [&] {
            return ReadSealedFile(share,
                                  SecretBytes::CopyFrom(AsBytes("wrong")))
                .status();
          },
          StatusCode::kUnauthenticated, {"passphrase does not open"});

  Refused("truncated sealed share",
          [&] {
            Bytes cut(share_bytes.begin(), share_bytes.end() - 7);
            CONCLAVE_RETURN_IF_ERROR(WriteOut(in / "cut.age", cut));
            return ReadSealedFile(in / "cut.age", passphrase).status();
          },
          StatusCode::kInvalidArgument, {"cut.age"});

  Refused("tampered roster",
          [&] {
            Bytes bad = roster_bytes;
            bad[bad.size() / 2] ^= 0x20;
            return keyceremony::VerifyEncodedRoster(bad).status();
          },
          StatusCode::kUnauthenticated, {});

  testing::ConsortiumOptions small;
  small.orgs = 3;
  small.threshold = 2;
  small.editors = "1:1";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Consortium> other,
                       Consortium::Create(small));
  Refused("share of another consortium's roster",
          [&] {
            return keyceremony::CheckEditorShare(
                other->FindEditor({1, 1})->share(), c().roster());
          },
          StatusCode::kFailedPrecondition, {});

  Refused("share of another editor",
          [&] {
            v1::EditorShare s = c().FindEditor({1, 2})->share();
            s.set_editor_index(1);
            Status st = keyceremony::CheckEditorShare(s, c().roster());
            CleanseMessage(&s);
            return st;
          },
          StatusCode::kInvalidArgument, {});

  Refused("garbage request bundle",
          [&] {
            v1::LogEvidence e;
            e.set_checkpoint("not a note");
            e.add_leaves("x");
            return quorum::VerifyLogEvidence(e, c().roster()).status();
          },
          StatusCode::kInvalidArgument, {});

  Refused("garbage approval file",
          [&] {
            return quorum::ParseCanonical<v1::ApprovalSet>(
                       "\xff\xff\xff garbage", "approvals.bin")
                .status();
          },
          StatusCode::kInvalidArgument, {"approvals.bin", "does not parse"});

  Refused("garbage drill request set",
          [&] {
            CONCLAVE_RETURN_IF_ERROR(WriteOut(in / "drill.requests",
                                              AsBytes("\x0a\xff\xff\xff\xff")));
            return quorum::ReadRequestSet(in / "drill.requests").status();
          },
          StatusCode::kInvalidArgument, {"drill.requests"});
}

// ---- Messages ----

TEST_F(BadInputMatrixTest, Messages) {
  const Submission sub = Submitted("messages");
  const Posted p = Request({1, 1}, sub);

  Refused("forged vote signature",
          [&] {
            v1::SignedStatement vote = VoteStatement({3, 1}, p);
            std::string sig = vote.signature();
            sig[7] ^= 0x04;
            vote.set_signature(sig);
            return d_->PostVote(Call({3, 1}, "PostVote", vote)).status();
          },
          StatusCode::kUnauthenticated, {});

  Refused("forged call signature",
          [&] {
            v1::SignedStatement call =
                Call({3, 1}, "ListRequests", v1::ListQuery());
            std::string sig = call.signature();
            sig[0] ^= 0x80;
            call.set_signature(sig);
            return d_->ListRequests(call).status();
          },
          StatusCode::kUnauthenticated, {});

  {
    const v1::SignedStatement vote = VoteStatement({3, 1}, p);
    const v1::SignedStatement call = Call({3, 1}, "PostVote", vote);
    ASSERT_OK(d_->PostVote(call));
    Refused("replayed call nonce", [&] { return d_->PostVote(call).status(); },
            StatusCode::kFailedPrecondition, {"replayed call"});
  }

  Refused("stale timestamp",
          [&] {
            clock_ -= 3600;
            v1::SignedStatement old =
                Call({4, 1}, "PostVote", VoteStatement({4, 1}, p));
            clock_ += 3600;
            return d_->PostVote(old).status();
          },
          StatusCode::kFailedPrecondition, {"stale call"});

  Refused("vote for an unknown request",
          [&] {
            quorum::RequestId unknown{};
            unknown[0] = 0x42;
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement vote,
                c().HandSignedVote({4, 1}, unknown, Seen(), now()));
            return d_->PostVote(Call({4, 1}, "PostVote", vote)).status();
          },
          StatusCode::kNotFound, {"request"});

  Refused("call signed for another method",
          [&] {
            return d_
                ->ListSubmissions(Call({2, 1}, "ListRequests", v1::ListQuery()))
                .status();
          },
          StatusCode::kFailedPrecondition, {"signed for ListRequests"});

  Refused("call under another roster",
          [&] {
            v1::CallBody body;
            body.set_method("PostVote");
            body.set_roster_fingerprint(std::string(32, '\x01'));
            body.set_timestamp_unix(now());
            body.set_nonce(AsString(RandomBytes(16).span()));
            body.set_payload(VoteStatement({4, 1}, p).SerializeAsString());
            return d_->PostVote(SignBody({4, 1}, body.SerializeAsString()))
                .status();
          },
          StatusCode::kFailedPrecondition, {"another roster"});

  Refused("oversized call",
          [&] {
            v1::CallBody body;
            body.set_method("PostVote");
            body.set_roster_fingerprint(AsString(c().roster().fingerprint));
            body.set_timestamp_unix(now());
            body.set_nonce(AsString(RandomBytes(16).span()));
            body.set_payload(std::string(kMaxCallPayloadSize + 1, 'x'));
            return d_->PostVote(SignBody({4, 1}, body.SerializeAsString()))
                .status();
          },
          StatusCode::kInvalidArgument, {"too large"});

  Refused("unknown field in a canonical call body",
          [&] {
            v1::CallBody body;
            body.set_method("PostVote");
            body.set_roster_fingerprint(AsString(c().roster().fingerprint));
            body.set_timestamp_unix(now());
            body.set_nonce(AsString(RandomBytes(16).span()));
            body.set_payload(VoteStatement({4, 1}, p).SerializeAsString());
            // Field 15, varint 1: unknown to CallBody.
            const std::string bytes = body.SerializeAsString() + "\x78\x01";
            return d_->PostVote(SignBody({4, 1}, bytes)).status();
          },
          StatusCode::kInvalidArgument, {"not canonically encoded"});

  Refused("unknown field in a signed vote body",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement vote,
                c().HandSignedVote({4, 1}, p.request.id, Seen(), now()));
            // Field 15, varint 1: unknown to VoteBody; validly signed.
            const v1::SignedStatement odd = quorum::SignStatement(
                quorum::kVoteDst, ToBytes(vote.signed_() + "\x78\x01"),
                c().FindEditor({4, 1})->keys());
            return d_->PostVote(Call({4, 1}, "PostVote", odd)).status();
          },
          StatusCode::kInvalidArgument, {"canonically"});

  // An approval whose partial is wrong: the daemon cannot open it (it is
  // sealed to the requester), the requester's combine names its editor.
  Refused(
      "approval with a bad DLEQ proof names its editor",
      [&] {
        CONCLAVE_ASSIGN_OR_RETURN(
            v1::Approval bad, WrongPartialApproval(c(), {3, 1}, p.verified));
        std::vector<v1::Approval> one = {bad};
        return c().Combine({1, 1}, p.verified, one).status();
      },
      StatusCode::kFailedPrecondition,
      {"organisation 3 editor 1", "partial decryption proof does not verify"});
}

// ---- Members ----

TEST_F(BadInputMatrixTest, Members) {
  const Submission excl = Submitted("excluding 2", {2});
  const Posted p = Request({1, 1}, excl);

  Refused("excluded organisation requesting",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::RequestBody body,
                c().DraftRequestBody({2, 1}, excl.header, now()));
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement req,
                c().SignBody(quorum::kRequestDst, body, {2, 1}));
            return d_->PostRequest(Call({2, 1}, "PostRequest", req)).status();
          },
          StatusCode::kPermissionDenied, {"exclude"});

  Refused("excluded organisation voting",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement vote,
                c().HandSignedVote({2, 1}, p.request.id, Seen(), now()));
            return d_->PostVote(Call({2, 1}, "PostVote", vote)).status();
          },
          StatusCode::kPermissionDenied, {"organisation 2 is excluded"});

  const Submission own = Submitted("excluding 1", {1});
  Refused("requester's own organisation excluded",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::RequestBody body,
                c().DraftRequestBody({1, 1}, own.header, now()));
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement req,
                c().SignBody(quorum::kRequestDst, body, {1, 1}));
            return d_->PostRequest(Call({1, 1}, "PostRequest", req)).status();
          },
          StatusCode::kPermissionDenied, {"exclude"});

  Refused("non-member signer",
          [&] {
            Ed25519PrivateKey stranger = Ed25519PrivateKey::Generate();
            v1::CallBody body;
            body.set_method("ListRequests");
            body.set_roster_fingerprint(AsString(c().roster().fingerprint));
            body.set_timestamp_unix(now());
            body.set_nonce(AsString(RandomBytes(16).span()));
            body.set_payload(v1::ListQuery().SerializeAsString());
            v1::SignedStatement call;
            call.set_signed_(body.SerializeAsString());
            call.set_signature(
                AsString(stranger.Sign(keyceremony::DomainSeparatedMessage(
                    kApiCallDst, AsBytes(call.signed_())))));
            call.set_org_id(9);
            call.set_editor_index(1);
            return d_->ListRequests(call).status();
          },
          StatusCode::kPermissionDenied, {});

  Refused("an organisation stacking the quorum with an extra editor",
          [&] {
            // Organisation 1 has editors 1..3; its editor 1 signs as "editor
            // 4".
            v1::SignedStatement call =
                Call({1, 1}, "PostVote", v1::SignedStatement());
            call.set_editor_index(4);
            return d_->PostVote(call).status();
          },
          StatusCode::kPermissionDenied, {});

  Refused("one editor's vote posted under another's identity",
          [&] {
            return d_
                ->PostVote(Call({3, 1}, "PostVote", VoteStatement({4, 1}, p)))
                .status();
          },
          StatusCode::kPermissionDenied, {"identity mismatch"});

  Vote({3, 1}, p);
  Refused("one editor voting twice (counted once)",
          [&] {
            clock_ += 1;  // another vote body: another created time
            v1::SignedStatement again = VoteStatement({3, 1}, p);
            return d_->PostVote(Call({3, 1}, "PostVote", again)).status();
          },
          StatusCode::kFailedPrecondition, {"already voted"});

  Refused("approval without a complete quorum",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::Approval bad,
                WrongPartialApproval(c(), {3, 1}, p.verified));
            return d_->PostApproval(Call({3, 1}, "PostApproval", bad)).status();
          },
          StatusCode::kFailedPrecondition, {"not complete"});
}

// ---- Time ----

TEST_F(BadInputMatrixTest, Time) {
  const Submission sub = Submitted("time");
  const uint64_t max =
      c().roster().body.policy().max_request_lifetime_seconds();

  Refused("expiry beyond the roster's maximum",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::RequestBody body,
                c().DraftRequestBody({1, 1}, sub.header, now()));
            body.set_expires_unix(now() + max + 3600);
            CONCLAVE_ASSIGN_OR_RETURN(
                v1::SignedStatement req,
                c().SignBody(quorum::kRequestDst, body, {1, 1}));
            return d_->PostRequest(Call({1, 1}, "PostRequest", req)).status();
          },
          StatusCode::kInvalidArgument, {"maximum"});

  // Withdrawn, then a vote.
  const Posted w = Request({1, 1}, sub);
  {
    ASSERT_OK_AND_ASSIGN(
        v1::SignedStatement wd,
        quorum::MakeWithdrawal(c().roster(), c().FindEditor({1, 1})->keys(),
                               w.verified, "changed my mind", now()));
    ASSERT_OK(d_->PostWithdrawal(Call({1, 1}, "PostWithdrawal", wd)));
  }
  Refused("vote after withdrawal",
          [&] {
            return d_
                ->PostVote(Call({3, 1}, "PostVote", VoteStatement({3, 1}, w)))
                .status();
          },
          StatusCode::kFailedPrecondition, {"withdrawn"});

  const Posted q = Request({1, 1}, sub);
  Refused(
      "withdrawal by someone else than the requester",
      [&] {
        v1::WithdrawalBody body;
        body.set_request_id(AsString(q.request.id));
        body.set_epoch(c().roster().body.epoch());
        body.set_org_id(3);
        body.set_editor_index(1);
        body.set_reason("not mine to withdraw");
        body.set_created_unix(now());
        CONCLAVE_ASSIGN_OR_RETURN(
            v1::SignedStatement wd,
            c().SignBody(quorum::kWithdrawalDst, body, {3, 1}));
        return d_->PostWithdrawal(Call({3, 1}, "PostWithdrawal", wd)).status();
      },
      StatusCode::kPermissionDenied, {});

  // Expired (a short lifetime, then the clock moves past it and the sweep
  // marks it).
  const Posted e = Request({1, 1}, sub, 600);
  const v1::SignedStatement early_vote = VoteStatement({3, 1}, e);
  for (EditorRef v : c().QuorumOf(std::vector<uint32_t>{1, 2, 4})) Vote(v, e);
  const v1::LogEvidence evidence = Evidence(e);
  clock_ += 700;
  ASSERT_OK(d_->SweepExpired());
  Refused("vote after expiry",
          [&] {
            return d_->PostVote(Call({3, 1}, "PostVote", early_vote)).status();
          },
          StatusCode::kFailedPrecondition, {"expired"});
  Refused("approval after expiry",
          [&] {
            CONCLAVE_ASSIGN_OR_RETURN(quorum::Release r,
                                      c().Release({4, 1}, &e.request.statement,
                                                  &evidence, now() - 700));
            return d_->PostApproval(Call({4, 1}, "PostApproval", r.approval))
                .status();
          },
          StatusCode::kFailedPrecondition, {"expired"});
  Refused("release of an expired request (editor's machine)",
          [&] {
            return c()
                .Release({4, 1}, &e.request.statement, &evidence, now())
                .status();
          },
          StatusCode::kFailedPrecondition, {"expired"});
}

// ---- Faults ----

TEST_F(BadInputMatrixTest, Faults) {
  const Submission sub = Submitted("faults");
  const Posted p = Request({1, 1}, sub);

  Refused("disk full while storing a submission's blob",
          [&] {
            FaultInjector::Rule r;
            r.op = StorageOp::kWrite;
            r.fault = StorageFault::kDiskFull;
            r.path_contains = "blobs";
            r.times = 0;
            faults_.Add(r);
            Status s =
                d_->Submit(c().Submit(AsBytes("no room")).value().file, "p")
                    .status();
            faults_.Clear();
            return s;
          },
          StatusCode::kResourceExhausted, {});
  ASSERT_OK(d_->Fatal());

  Refused("disk full while committing a vote (SQLite WAL)",
          [&] {
            const v1::SignedStatement call =
                Call({3, 1}, "PostVote", VoteStatement({3, 1}, p));
            FaultInjector::Rule r;
            r.op = StorageOp::kWrite;
            r.fault = StorageFault::kDiskFull;
            r.path_contains = "-wal";
            r.times = 0;
            faults_.Add(r);
            Status s = d_->PostVote(call).status();
            faults_.Clear();
            return s;
          },
          StatusCode::kResourceExhausted, {});
  ASSERT_OK(d_->Fatal());
  // The daemon still works, and the refused vote can be sent again.
  Vote({3, 1}, p);

  Refused("fsync failure stops the daemon",
          [&] {
            const v1::SignedStatement call =
                Call({4, 1}, "PostVote", VoteStatement({4, 1}, p));
            FaultInjector::Rule r;
            r.op = StorageOp::kSync;
            r.fault = StorageFault::kIoError;
            r.times = 0;
            faults_.Add(r);
            return d_->PostVote(call).status();
          },
          StatusCode::kUnavailable, {"daemon stopped"});
  EXPECT_FALSE(d_->Fatal().ok());
  Refused("every call after a failed fsync",
          [&] {
            faults_.Clear();
            return d_
                ->ListRequests(Call({2, 1}, "ListRequests", v1::ListQuery()))
                .status();
          },
          StatusCode::kUnavailable, {"daemon stopped"});
}

}  // namespace
}  // namespace conclave::daemon
