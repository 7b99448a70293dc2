// Writes the seed corpora of the fuzz targets that need real, signed
// messages (daemon_call, sealed, files) and the fixed consortium they are
// signed under (tests/fuzz/data: the roster and editor (1,1)'s sealed
// identity, passphrase fuzz::kFuzzPassphrase). Run once by hand; its output
// is checked in (regenerating replaces the consortium, so every signed seed
// changes with it):
//   build/bin/fuzz_make_seeds tests/fuzz
// Not a test: the corpora it wrote replay as fuzz_replay.* tests.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "keyceremony/rounds.h"
#include "quorum/drill.h"
#include "quorum/statements.h"
#include "tests/quorum_fixture.h"

using namespace conclave;
namespace fs = std::filesystem;

namespace {

void Die(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "fuzz_make_seeds: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(StatusOr<T> v, const char* what) {
  Die(v.status(), what);
  return std::move(v).value();
}

void WriteSeed(const fs::path& dir, const std::string& name,
               std::initializer_list<uint8_t> prefix, ByteSpan body) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  for (uint8_t b : prefix) out.put(static_cast<char>(b));
  out.write(reinterpret_cast<const char*>(body.data()),
            static_cast<std::streamsize>(body.size()));
  if (!out.good()) Die(InternalError("write failed"), name.c_str());
}

void WriteSeed(const fs::path& dir, const std::string& name,
               std::initializer_list<uint8_t> prefix, const std::string& s) {
  WriteSeed(dir, name, prefix, AsBytes(s));
}

Bytes ReadAll(const fs::path& p) {
  return Must(testing::ReadBytesFromFile(p), p.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds tests/fuzz\n");
    return 1;
  }
  const fs::path root = argv[1];
  auto c = Must(testing::Consortium::Create(), "ceremony");
  const fs::path ceremony = c->dir() / "ceremony";
  const uint64_t now = testing::kFixtureNow;
  const keyceremony::VerifiedRoster& roster = c->roster();

  // ---- The fixed consortium ----
  fs::create_directories(root / "data");
  const fs::path editor11 = ceremony / "org1" / "editor1";
  fs::copy_file(ceremony / "consortium.roster",
                root / "data" / "consortium.roster",
                fs::copy_options::overwrite_existing);
  fs::copy_file(editor11 / "identity.age", root / "data" / "identity.age",
                fs::copy_options::overwrite_existing);

  // ---- A whole story, for real statements ----
  const testing::Submission sub =
      Must(c->Submit(AsBytes("fuzz seed"), {5}), "submission");
  auto op = Must(testing::Operator::Create(*c), "operator");
  Must(op->AppendSubmission(sub), "append submission");
  const std::vector<testing::EditorRef> voters =
      c->QuorumOf(std::vector<uint32_t>{1, 2, 3});
  testing::QuorumRun run =
      Must(testing::RequestAndVote(*c, *op, {1, 1}, sub, voters), "votes");
  std::vector<v1::Approval> approvals =
      Must(testing::ReleaseAll(*c, run, voters), "releases");
  const quorum::EditorKeys& keys11 = c->FindEditor({1, 1})->keys();
  v1::SignedStatement withdrawal = Must(
      quorum::MakeWithdrawal(roster, keys11, run.verified, "no longer", now),
      "withdrawal");

  // ---- daemon_call: [selector, method index] ----
  struct Payload {
    uint8_t method;
    const char* name;
    std::string bytes;
  };
  std::vector<Payload> payloads;
  v1::ListQuery lq;
  lq.set_start(1);
  lq.set_limit(10);
  v1::SubmissionQuery sq;
  sq.set_submission_id(sub.id);
  v1::RequestQuery rq;
  rq.set_request_id(AsString(run.request.id));
  v1::CheckpointQuery cq;
  cq.set_from_size(3);
  v1::LeavesQuery leq;
  leq.set_start(0);
  leq.set_end(4);
  payloads.push_back(
      {0, "PostRequest", run.request.statement.SerializeAsString()});
  payloads.push_back({1, "PostVote", run.votes[0].SerializeAsString()});
  payloads.push_back({2, "PostApproval", approvals[0].SerializeAsString()});
  payloads.push_back({3, "PostWithdrawal", withdrawal.SerializeAsString()});
  payloads.push_back({4, "ListSubmissions", lq.SerializeAsString()});
  payloads.push_back({5, "GetSubmissionFile", sq.SerializeAsString()});
  payloads.push_back({6, "ListRequests", v1::ListQuery().SerializeAsString()});
  payloads.push_back({7, "GetRequest", rq.SerializeAsString()});
  payloads.push_back({8, "GetEvidence", rq.SerializeAsString()});
  payloads.push_back({9, "GetCheckpoint", cq.SerializeAsString()});
  payloads.push_back({10, "GetLeaves", leq.SerializeAsString()});
  const fs::path dc = root / "corpus" / "daemon_call";
  for (const Payload& p : payloads) {
    WriteSeed(dc, std::string("payload_") + p.name, {2, p.method}, p.bytes);
    v1::CallBody body;
    body.set_method(p.name);
    body.set_roster_fingerprint(AsString(roster.fingerprint));
    body.set_timestamp_unix(now);
    body.set_nonce(AsString(RandomBytes(daemon::kCallNonceSize).span()));
    body.set_payload(p.bytes);
    WriteSeed(dc, std::string("body_") + p.name, {1, p.method},
              body.SerializeAsString());
    v1::SignedStatement call = quorum::SignStatement(
        daemon::kApiCallDst, ToBytes(body.SerializeAsString()), keys11);
    WriteSeed(dc, std::string("call_") + p.name, {0, p.method},
              call.SerializeAsString());
  }
  // A call signed for another method, and a stale one.
  {
    v1::CallBody body;
    body.set_method("GetLeaves");
    body.set_roster_fingerprint(AsString(roster.fingerprint));
    body.set_timestamp_unix(now - 3600);
    body.set_nonce(std::string(16, 'n'));
    body.set_payload(leq.SerializeAsString());
    WriteSeed(dc, "body_stale", {1, 10}, body.SerializeAsString());
    WriteSeed(dc, "body_other_method", {1, 9}, body.SerializeAsString());
  }

  // ---- sealed: 0 a sealed file, 1 a plaintext ----
  const fs::path sd = root / "corpus" / "sealed";
  WriteSeed(sd, "identity", {0}, ReadAll(editor11 / "identity.age"));
  WriteSeed(sd, "share", {0}, ReadAll(editor11 / "share.age"));
  WriteSeed(sd, "witness", {0}, ReadAll(ceremony / "org1" / "witness.age"));
  WriteSeed(sd, "log_key", {0}, ReadAll(ceremony / "log.age"));
  {
    const testing::ConsortiumEditor* e = c->FindEditor({1, 1});
    v1::SealedSecret s;
    *s.mutable_editor_identity() = e->identity();
    WriteSeed(sd, "plain_identity", {1}, s.SerializeAsString());
    s.Clear();
    *s.mutable_editor_share() = e->share();
    WriteSeed(sd, "plain_share", {1}, s.SerializeAsString());
    // Editor (2,1)'s share: another editor's, still this roster's.
    *s.mutable_editor_share() = c->FindEditor({2, 1})->share();
    WriteSeed(sd, "plain_share_2_1", {1}, s.SerializeAsString());
    s.Clear();
    *s.mutable_log_key() = c->log_key();
    WriteSeed(sd, "plain_log_key", {1}, s.SerializeAsString());
    WriteSeed(sd, "plain_empty", {1}, std::string());
  }

  // ---- files: 0 plan, 1 drill requests, 2 approvals, 3 bundle ----
  const fs::path fd = root / "corpus" / "files";
  {
    keyceremony::PlanInput in;
    in.threshold = roster.body.threshold();
    in.log_vkey = roster.body.log_vkey();
    for (const v1::RosterOrganisation& org : roster.body.organisations()) {
      keyceremony::PlanOrganisationInput o;
      o.name = org.name();
      o.witness_vkey = org.witness_vkey();
      o.editor_threshold = org.editor_threshold();
      for (const v1::RosterEditor& re : org.editors()) {
        const testing::ConsortiumEditor* e =
            c->FindEditor({org.id(), re.index()});
        v1::PublicCardBody body;
        body.set_org_id(org.id());
        body.set_name(re.name());
        body.set_ed25519_public_key(re.ed25519_public_key());
        body.set_p256_public_key(re.p256_public_key());
        auto key = Must(
            Ed25519PrivateKey::FromSeed(AsBytes(e->identity().ed25519_seed())),
            "identity key");
        o.cards.push_back(
            Must(keyceremony::MakePublicCard(body, key), "public card"));
      }
      in.organisations.push_back(std::move(o));
    }
    v1::CeremonyPlan plan = Must(keyceremony::MakePlan(in), "plan");
    WriteSeed(fd, "plan", {0}, plan.SerializeAsString());
  }
  {
    auto drills =
        Must(quorum::ReadDrillFiles(roster, c->drill_path()), "drill files");
    v1::RequestSet set =
        Must(quorum::MakeDrillRequests(roster, keys11, drills, now),
             "drill requests");
    WriteSeed(fd, "drill_requests", {1}, set.SerializeAsString());
    const testing::ConsortiumEditor* h = c->FindEditor({3, 1});
    v1::ApprovalSet partials = Must(
        quorum::MakeDrillApprovals(roster, h->keys(), h->share(), set, now),
        "drill approvals");
    WriteSeed(fd, "drill_partials", {2}, partials.SerializeAsString());
  }
  {
    v1::ApprovalSet set;
    for (const v1::Approval& a : approvals) *set.add_approvals() = a;
    WriteSeed(fd, "approval_upload", {2}, set.SerializeAsString());
    WriteSeed(fd, "bundle", {3}, run.evidence.SerializeAsString());
  }
  std::printf(
      "fuzz_make_seeds: wrote %s/data and the daemon_call, sealed and "
      "files corpora\n",
      root.c_str());
  return 0;
}
