// Writes the seed corpora of the fuzz targets that need real, signed
// messages (daemon_call, sealed, files, reshare, rounds) and the fixed
// material they are checked against (tests/fuzz/data): the consortium (the
// roster and editor (1,1)'s sealed identity, passphrase
// fuzz::kFuzzPassphrase), a membership change of it (data/reshare: plan,
// every dealer's dealing, successor roster, record), a rekey of that
// successor (data/reshare: rekey roster, rekey record, re-deal plan) and a
// file-round DKG (data/rounds: complete plan, every organisation's round-1,
// round-2 and finish file). Run once by hand; its output is checked in
// (regenerating replaces the consortium, so every signed seed and data file
// changes with it):
//   build/bin/fuzz_make_seeds tests/fuzz
// Not a test: the corpora it wrote replay as fuzz_replay.* tests.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "audit/note.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "keyceremony/reshare.h"
#include "keyceremony/rounds.h"
#include "keyceremony/simulate.h"
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

// The seed itself, its first half and a copy with one bit flipped in the
// middle: malformed neighbours of a valid input.
void WriteVariants(const fs::path& dir, const std::string& name,
                   std::initializer_list<uint8_t> prefix,
                   const std::string& body) {
  WriteSeed(dir, name, prefix, body);
  WriteSeed(dir, name + "_truncated", prefix, body.substr(0, body.size() / 2));
  std::string flipped = body;
  if (!flipped.empty()) flipped[flipped.size() / 2] ^= 0x10;
  WriteSeed(dir, name + "_flipped", prefix, flipped);
}

std::string PointString(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

// An editor of the successor committee with both private keys (the rekey
// needs them all).
struct NewEditor {
  uint32_t org, index;
  std::shared_ptr<Ed25519PrivateKey> signing;
  std::shared_ptr<Scalar> receiving;  // P-256
};

void WriteRekey(const keyceremony::VerifiedRoster& successor,
                const std::vector<NewEditor>& committee, const fs::path& root);

// A fixed membership change of the consortium, 5/3 -> 4/3: organisations 2
// and 5 leave, 1, 3 and 4 continue with their editors and keys, 6 joins
// with two editors (2 needed). The dealers are the default quorum avoiding
// organisation 2: (1,1), (1,2), (3,1), (4,1). Writes data/reshare/ and the
// reshare corpus, then rekeys the successor (WriteRekey).
void WriteReshare(const testing::Consortium& c, const fs::path& root) {
  const keyceremony::VerifiedRoster& previous = c.roster();
  std::vector<NewEditor> committee;
  keyceremony::ResharePlanInput in;
  in.kind = v1::MEMBERSHIP_CHANGE_RESHARE;
  in.threshold = 3;
  for (const v1::RosterOrganisation& o : previous.body.organisations()) {
    if (o.id() == 2 || o.id() == 5) continue;
    for (const v1::RosterEditor& e : o.editors()) {
      const testing::ConsortiumEditor* ce = c.FindEditor({o.id(), e.index()});
      committee.push_back(
          {o.id(), e.index(),
           std::make_shared<Ed25519PrivateKey>(
               Must(Ed25519PrivateKey::FromSeed(
                        AsBytes(ce->identity().ed25519_seed())),
                    "identity key")),
           std::make_shared<Scalar>(Must(
               Scalar::FromBytes(AsBytes(ce->identity().p256_private_key())),
               "p256 key"))});
    }
    in.organisations.push_back(keyceremony::PlanEntry(o));
  }
  {
    const uint32_t id = keyceremony::NextOrganisationId(previous.body);
    v1::RosterOrganisation n;
    n.set_id(id);
    n.set_name("Organisation " + std::to_string(id));
    n.set_witness_vkey(audit::EncodeVerifierKey(
        keyceremony::DefaultWitnessName(id), audit::kSigTypeCosignatureV1,
        Ed25519PrivateKey::Generate().public_key()));
    n.set_editor_threshold(2);
    n.set_editor_count(2);
    for (uint32_t j = 1; j <= 2; ++j) {
      auto signing =
          std::make_shared<Ed25519PrivateKey>(Ed25519PrivateKey::Generate());
      v1::RosterEditor* e = n.add_editors();
      e->set_index(j);
      e->set_name("New editor " + std::to_string(id) + "." + std::to_string(j));
      e->set_ed25519_public_key(std::string(signing->public_key().begin(),
                                            signing->public_key().end()));
      // Kept for the rekey, which deals to this editor.
      auto receiving = std::make_shared<Scalar>(Scalar::Random());
      e->set_p256_public_key(PointString(Point::BaseMul(*receiving)));
      committee.push_back({id, j, signing, receiving});
    }
    in.organisations.push_back(n);
  }
  in.dealers =
      keyceremony::DefaultDealers(previous.body, std::vector<uint32_t>{2});
  v1::ResharePlan plan_msg =
      Must(keyceremony::MakeResharePlan(previous, in), "reshare plan");
  keyceremony::CheckedResharePlan plan = Must(
      keyceremony::CheckResharePlan(plan_msg, previous), "check reshare plan");

  std::vector<v1::ReshareDealing> dealings;
  std::map<std::pair<uint32_t, uint32_t>, Ed25519PrivateKey> dealer_keys;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    const testing::ConsortiumEditor* e =
        c.FindEditor({d.org_id(), d.editor_index()});
    auto key =
        Must(Ed25519PrivateKey::FromSeed(AsBytes(e->identity().ed25519_seed())),
             "dealer key");
    dealings.push_back(
        Must(keyceremony::MakeReshareDealing(plan, previous, e->share(), key),
             "dealing"));
    dealer_keys.emplace(std::make_pair(d.org_id(), d.editor_index()),
                        std::move(key));
  }
  keyceremony::ReshareOutcome outcome =
      Must(keyceremony::CombineReshareDealings(plan, previous, dealings),
           "combine dealings");
  keyceremony::SuccessorDraft draft = Must(
      keyceremony::AssembleSuccessor(plan, previous, outcome), "successor");
  std::vector<keyceremony::RosterSigner> signers;
  for (const NewEditor& e : committee) {
    signers.push_back({e.org, e.index, e.signing.get()});
  }
  v1::Roster next =
      Must(keyceremony::SignRoster(draft.body, signers), "sign successor");
  v1::ReshareRecord record = draft.record;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    const Ed25519PrivateKey& k = dealer_keys.at({d.org_id(), d.editor_index()});
    *next.add_dealer_signatures() =
        keyceremony::SignRosterAsDealer(next, d.org_id(), d.editor_index(), k);
    keyceremony::SignReshareRecord(&record, true, d.org_id(), d.editor_index(),
                                   k);
  }
  for (const NewEditor& e : committee) {
    keyceremony::SignReshareRecord(&record, false, e.org, e.index, *e.signing);
  }
  keyceremony::VerifiedRoster verified_next = Must(
      keyceremony::VerifyRosterSuccessor(previous, next), "verify successor");
  Die(keyceremony::CheckReshareRecord(record, previous, verified_next),
      "check record");
  // The fuzzer's receiver, editor (1,1), gets a share that checks.
  {
    const testing::ConsortiumEditor* e11 = c.FindEditor({1, 1});
    const Scalar d =
        Must(Scalar::FromBytes(AsBytes(e11->identity().p256_private_key())),
             "p256 key");
    keyceremony::ReceivedShare got =
        Must(keyceremony::ReceiveReshare(plan, previous, dealings, 1, 1, d),
             "receive (1,1)");
    if (Point::BaseMul(got.share.value) != got.verification_share) {
      Die(InternalError("(1,1)'s new share does not match"), "receive");
    }
  }

  const fs::path data = root / "data" / "reshare";
  fs::remove_all(data);
  WriteSeed(data, "plan", {}, plan_msg.SerializeAsString());
  WriteSeed(data, "successor.roster", {}, next.SerializeAsString());
  WriteSeed(data, "record", {}, record.SerializeAsString());
  for (size_t i = 0; i < dealings.size(); ++i) {
    const v1::ReshareDealer& d = plan.body.dealers(static_cast<int>(i));
    WriteSeed(data,
              "dealing_" + std::to_string(d.org_id()) + "_" +
                  std::to_string(d.editor_index()),
              {}, dealings[i].SerializeAsString());
  }

  // ---- reshare corpus: [selector, ...] (see reshare_fuzzer.cc) ----
  const fs::path rc = root / "corpus" / "reshare";
  WriteSeed(rc, "epoch1_roster_as_successor", {1},
            ReadAll(c.dir() / "ceremony" / "consortium.roster"));
  WriteVariants(rc, "plan", {0}, plan_msg.SerializeAsString());
  WriteVariants(rc, "successor", {1}, next.SerializeAsString());
  WriteVariants(rc, "record", {2}, record.SerializeAsString());
  const uint8_t n = static_cast<uint8_t>(dealings.size());
  for (uint8_t i = 0; i < n; ++i) {
    const std::string enc = dealings[i].SerializeAsString();
    WriteVariants(rc, "dealing_" + std::to_string(i), {3, i}, enc);
    // In another dealer's place: a duplicate and a missing dealer.
    WriteSeed(rc, "dealing_" + std::to_string(i) + "_misplaced",
              {3, static_cast<uint8_t>((i + 1) % n)}, enc);
  }
  WriteSeed(rc, "dealing_extra", {3, n}, dealings[0].SerializeAsString());
  // Dealer (1,1)'s body, which the fuzzer signs with (1,1)'s key.
  WriteVariants(rc, "dealing_body_1_1", {4}, dealings[0].signed_());
  // The transcript, checked against a successor with its hash.
  WriteVariants(rc, "transcript", {5}, record.transcript());

  WriteRekey(verified_next, committee, root);
}

// A fixed rekey of the successor (ids 1, 3, 4, 6: not 1..m, so the DKG at
// positions 1..4 is re-dealt to the ids) by every editor of `committee`.
// Writes data/reshare/rekey.roster, rekey.record (v1::RekeyRecord) and
// redeal.plan (the re-deal's plan, from the record's transcript) and the
// reshare corpus's seeds of modes 6, 7 and 8.
void WriteRekey(const keyceremony::VerifiedRoster& successor,
                const std::vector<NewEditor>& committee, const fs::path& root) {
  if (keyceremony::IdsArePositions(successor.body)) {
    Die(InternalError("the successor's ids are 1..m: no re-deal"), "rekey");
  }
  std::vector<keyceremony::RekeyEditor> editors;
  std::vector<keyceremony::RosterSigner> signers;
  for (const NewEditor& e : committee) {
    editors.push_back({e.org, e.index, e.signing.get(), e.receiving.get()});
    signers.push_back({e.org, e.index, e.signing.get()});
  }
  keyceremony::RekeyOutput out =
      Must(keyceremony::RunRekeyInProcess(successor, editors), "rekey");
  out.shares.clear();  // secret, not needed here
  v1::Roster rekey_roster =
      Must(keyceremony::SignRoster(out.body, signers), "sign rekey roster");
  keyceremony::VerifiedRoster rekey =
      Must(keyceremony::VerifyRosterSuccessor(successor, rekey_roster),
           "verify rekey roster");
  Die(keyceremony::CheckRekeyRecord(out.record, successor, rekey),
      "check rekey record");
  if (!out.record.has_dkg_roster() || !out.record.has_redeal()) {
    Die(InternalError("the record has no DKG roster or re-deal"), "rekey");
  }
  keyceremony::VerifiedRoster dkg = Must(
      keyceremony::VerifyRoster(out.record.dkg_roster()), "verify DKG roster");
  Die(keyceremony::CheckRekeyDkgRoster(dkg, successor), "check DKG roster");
  // The re-deal plan exactly as the record's transcript holds it.
  v1::ReshareTranscript transcript;
  if (!transcript.ParseFromString(out.record.redeal().transcript())) {
    Die(InternalError("the re-deal transcript does not parse"), "rekey");
  }
  v1::ResharePlan redeal_plan;
  redeal_plan.set_body(transcript.plan());
  keyceremony::CheckedResharePlan redeal = Must(
      keyceremony::CheckResharePlan(redeal_plan, dkg), "check re-deal plan");
  if (!redeal.redeal) Die(InternalError("not a re-deal plan"), "rekey");

  const fs::path data = root / "data" / "reshare";
  WriteSeed(data, "rekey.roster", {}, rekey_roster.SerializeAsString());
  WriteSeed(data, "rekey.record", {}, out.record.SerializeAsString());
  WriteSeed(data, "redeal.plan", {}, redeal_plan.SerializeAsString());

  // ---- reshare corpus, modes 6 (record), 7 (re-deal plan), 8 (DKG roster)
  const fs::path rc = root / "corpus" / "reshare";
  WriteVariants(rc, "rekey_record", {6}, out.record.SerializeAsString());
  {
    // Without its re-deal: ids not 1..m need one.
    v1::RekeyRecord r = out.record;
    r.clear_redeal();
    WriteSeed(rc, "rekey_record_no_redeal", {6}, r.SerializeAsString());
  }
  WriteVariants(rc, "redeal_plan", {7}, redeal_plan.SerializeAsString());
  WriteVariants(rc, "dkg_roster", {8},
                out.record.dkg_roster().SerializeAsString());
  // The rekey roster offered as the DKG roster: it keeps the ids.
  WriteSeed(rc, "rekey_roster_as_dkg", {8}, rekey_roster.SerializeAsString());
}

// Organisation `org`'s plan entry with its editors' cards (signed with
// their identity keys, as `identity new` makes them).
keyceremony::PlanOrganisationInput PlanOrganisationOf(
    const testing::Consortium& c, const v1::RosterOrganisation& org) {
  keyceremony::PlanOrganisationInput o;
  o.name = org.name();
  o.witness_vkey = org.witness_vkey();
  o.editor_threshold = org.editor_threshold();
  for (const v1::RosterEditor& re : org.editors()) {
    const testing::ConsortiumEditor* e = c.FindEditor({org.id(), re.index()});
    v1::PublicCardBody body;
    body.set_org_id(org.id());
    body.set_name(re.name());
    body.set_ed25519_public_key(re.ed25519_public_key());
    body.set_p256_public_key(re.p256_public_key());
    auto key =
        Must(Ed25519PrivateKey::FromSeed(AsBytes(e->identity().ed25519_seed())),
             "identity key");
    o.cards.push_back(
        Must(keyceremony::MakePublicCard(body, key), "public card"));
  }
  return o;
}

// A fixed file-round DKG (keyceremony/rounds.h) of the consortium's first
// three organisations (editors 3:2, 3:2, 1:1; t = 2) with fresh participant
// keys. Writes data/rounds/ (the complete plan and every organisation's
// round files, as the exchange directories hold them) and the rounds corpus.
void WriteRounds(const testing::Consortium& c, const fs::path& root) {
  const keyceremony::VerifiedRoster& roster = c.roster();
  constexpr uint32_t kOrgs = 3;
  keyceremony::PlanInput in;
  in.threshold = 2;
  in.log_vkey = roster.body.log_vkey();
  std::vector<const v1::EditorIdentity*> identities;
  for (const v1::RosterOrganisation& org : roster.body.organisations()) {
    if (org.id() > kOrgs) break;
    for (const v1::RosterEditor& re : org.editors()) {
      identities.push_back(&c.FindEditor({org.id(), re.index()})->identity());
    }
    in.organisations.push_back(PlanOrganisationOf(c, org));
  }
  v1::CeremonyPlan plan_msg = Must(keyceremony::MakePlan(in), "rounds plan");
  std::vector<Scalar> d;
  for (uint32_t o = 1; o <= kOrgs; ++o) {
    d.push_back(Scalar::Random());
    Die(keyceremony::AddParticipant(&plan_msg, o, Point::BaseMul(d.back())),
        "participant");
  }
  for (const v1::EditorIdentity* id : identities) {
    Must(keyceremony::Endorse(&plan_msg, *id), "endorse");
  }
  keyceremony::CheckedPlan plan =
      Must(keyceremony::CheckPlan(plan_msg), "check rounds plan");
  cocktail::Session session =
      Must(keyceremony::PlanSession(plan), "rounds session");

  const fs::path data = root / "data" / "rounds";
  fs::remove_all(data);
  WriteSeed(data, "plan", {}, plan_msg.SerializeAsString());
  std::vector<std::string> r1, r2, fin;
  for (uint32_t o = 1; o <= kOrgs; ++o) {
    v1::Round1File f =
        Must(keyceremony::MakeRound1File(plan, session, o, d[o - 1]), "r1");
    r1.push_back(f.SerializeAsString());
    WriteSeed(data, "org" + std::to_string(o) + ".round1", {}, r1.back());
  }
  std::vector<cocktail::Round1Message> messages =
      Must(keyceremony::LoadRound1Dir(plan, session, data), "load round 1");
  for (uint32_t o = 1; o <= kOrgs; ++o) {
    cocktail::Blame blame;
    v1::Round2File f = Must(keyceremony::MakeRound2File(
                                plan, session, o, d[o - 1], messages, &blame),
                            "r2");
    r2.push_back(f.SerializeAsString());
    WriteSeed(data, "org" + std::to_string(o) + ".round2", {}, r2.back());
  }
  const Bytes transcript =
      Must(cocktail::Transcript(session, messages), "transcript");
  std::vector<Bytes> sigs = Must(
      keyceremony::LoadRound2Dir(plan, session, transcript, data), "load r2");
  for (uint32_t o = 1; o <= kOrgs; ++o) {
    keyceremony::FinishOutput out =
        Must(keyceremony::Finish(plan, session, o, d[o - 1], messages, sigs),
             "finish");
    fin.push_back(out.file.SerializeAsString());
    WriteSeed(data, "org" + std::to_string(o) + ".finish", {}, fin.back());
  }
  {
    auto drills = Must(testing::TempDir::Create("fuzz-drills"), "temp dir");
    const std::vector<fs::path> dirs = {data};
    Must(keyceremony::AssembleRoster(plan, session, messages, sigs, dirs,
                                     drills.path()),
         "assemble roster");
  }

  // ---- rounds corpus: [kind, slot, file] (see rounds_fuzzer.cc) ----
  const fs::path rc = root / "corpus" / "rounds";
  const std::vector<std::string>* files[] = {&r1, &r2, &fin};
  const char* kinds[] = {"round1", "round2", "finish"};
  for (uint8_t k = 0; k < 3; ++k) {
    for (uint8_t o = 0; o < kOrgs; ++o) {
      const std::string name =
          std::string(kinds[k]) + "_org" + std::to_string(o + 1);
      WriteVariants(rc, name, {k, o}, (*files[k])[o]);
      WriteSeed(rc, name + "_misplaced",
                {k, static_cast<uint8_t>((o + 1) % kOrgs)}, (*files[k])[o]);
    }
    WriteSeed(rc, std::string(kinds[k]) + "_extra", {k, kOrgs}, (*files[k])[0]);
  }
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
      in.organisations.push_back(PlanOrganisationOf(*c, org));
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
  WriteReshare(*c, root);
  WriteRounds(*c, root);
  std::printf(
      "fuzz_make_seeds: wrote %s/data and the daemon_call, sealed, files, "
      "reshare and rounds corpora\n",
      root.c_str());
  return 0;
}
