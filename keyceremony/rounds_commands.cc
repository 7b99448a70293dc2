#include "keyceremony/rounds_commands.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cxxopts.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "age/p256tag.h"
#include "base/file_util.h"
#include "keyceremony/ceremony_commands.h"
#include "keyceremony/command_util.h"
#include "keyceremony/reshare.h"
#include "keyceremony/rounds.h"
#include "keyceremony/simulate.h"
#include "quorum/drill.h"
#include "quorum/statements.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace conclave::keyceremony {

namespace {

namespace fs = std::filesystem;

std::string Hex(const Sha256Digest& d) { return HexEncode(d); }

std::string PointHex(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return HexEncode(c);
}

// "organisation 3 (Name)", and in a rekey plan whose ids are not 1..m
// also the DKG position the rounds use.
std::string OrgLabel(const v1::PlanBody& plan, uint32_t position) {
  const uint32_t id = PermanentId(plan, position);
  std::string s = "organisation " + std::to_string(id);
  if (position >= 1 &&
      position <= static_cast<uint32_t>(plan.organisations_size())) {
    s += " (" + plan.organisations(static_cast<int>(position - 1)).name() + ")";
  }
  if (id != position) s += ", DKG position " + std::to_string(position);
  return s;
}

// Reads and checks the plan; prints its fingerprint for people to compare.
StatusOr<CheckedPlan> LoadPlan(const std::string& path, bool complete) {
  CONCLAVE_ASSIGN_OR_RETURN(v1::CeremonyPlan plan, ReadPlan(path));
  CONCLAVE_ASSIGN_OR_RETURN(CheckedPlan checked, CheckPlan(plan));
  if (complete) CONCLAVE_RETURN_IF_ERROR(RequireComplete(checked));
  std::printf("plan fingerprint (SHA-256): %s\n",
              Hex(checked.fingerprint).c_str());
  return checked;
}

// The participant key: passphrase, open, check it is the plan's.
StatusOr<Scalar> OpenParticipant(const CheckedPlan& plan,
                                 const std::string& path,
                                 const cxxopts::ParseResult& r, uint32_t* org) {
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes pass,
      CommandPassphrase(r, "Passphrase of the participant key: ", false));
  CONCLAVE_ASSIGN_OR_RETURN(Scalar d,
                            OpenParticipantKey(plan, path, pass, org));
  std::printf("participant: %s, key %s\n", OrgLabel(plan.body, *org).c_str(),
              PointHex(Point::BaseMul(d)).c_str());
  return d;
}

// The rekey plan for the roster in force in `from`: every organisation's
// editors' existing cards (CARDS/org<ID>/editor<J>/editor.card) must carry
// exactly the roster's keys for that editor.
StatusOr<PlanInput> RekeyPlanInput(const fs::path& cards,
                                   const RosterDir& prev) {
  const v1::RosterBody& pb = prev.roster.body;
  PlanInput in;
  in.threshold = pb.threshold();
  in.log_vkey = pb.log_vkey();
  in.max_request_lifetime_seconds = pb.policy().max_request_lifetime_seconds();
  in.rekey = MakePlanRekey(prev.roster);
  for (const v1::RosterOrganisation& org : pb.organisations()) {
    PlanOrganisationInput po;
    po.name = org.name();
    po.witness_vkey = org.witness_vkey();
    po.editor_threshold = org.editor_threshold();
    for (const v1::RosterEditor& e : org.editors()) {
      const std::string who = "editor " + std::to_string(e.index()) + " (" +
                              e.name() + ") of organisation " +
                              std::to_string(org.id());
      const fs::path path = cards / ("org" + std::to_string(org.id())) /
                            ("editor" + std::to_string(e.index())) /
                            "editor.card";
      StatusOr<v1::PublicCard> card =
          ReadMessageFile<v1::PublicCard>(path, "an editor card");
      if (!card.ok()) return card.status().Annotate("the card of " + who);
      StatusOr<v1::PublicCardBody> body = VerifyPublicCard(*card);
      if (!body.ok()) return body.status().Annotate(path.string());
      if (body->org_id() != org.id() ||
          body->ed25519_public_key() != e.ed25519_public_key() ||
          body->p256_public_key() != e.p256_public_key()) {
        return InvalidArgumentError(
            path.string() + " is not the card of " + who +
            " in the roster of epoch " + std::to_string(pb.epoch()) +
            ": its organisation or keys differ. A rekey keeps every "
            "editor's keys; bring the editor.card made with their "
            "identity.age");
      }
      po.cards.push_back(std::move(card).value());
    }
    in.organisations.push_back(std::move(po));
  }
  return in;
}

Status RequireSuffix(const std::string& path, std::string_view suffix) {
  if (!path.ends_with(suffix)) {
    return InvalidArgumentError("the output file name must end in " +
                                std::string(suffix) +
                                " so the next round finds it");
  }
  return OkStatus();
}

}  // namespace

// ---- plan ----

int PlanMain(int argc, char** argv) {
  const std::string cmd = "plan";
  cxxopts::Options o("conclave-ceremony plan",
                     "Write the ceremony plan from editors' cards and vkeys.");
  o.custom_help(
      "--threshold T --org K:DIR:NAME... --log-vkey FILE --out PLAN | "
      "--rekey-from DIR --cards DIR --out PLAN");
  o.add_options()("threshold", "t: organisations needed to decrypt",
                  cxxopts::value<uint32_t>(), "T")(
      "org",
      "an organisation, repeated in id order (1, 2, ...): K its editor "
      "threshold, DIR holding witness.vkey and its editors' cards "
      "(DIR/*.card, DIR/*/editor.card; editor2 before editor10), NAME its name",
      cxxopts::value<std::vector<std::string>>(), "K:DIR:NAME")(
      "log-vkey", "the daemon's log.vkey", cxxopts::value<std::string>(),
      "FILE")("drill-files", "drill files to make",
              cxxopts::value<uint32_t>()->default_value("1"),
              "N")("max-request-lifetime", "policy: seconds",
                   cxxopts::value<uint64_t>()->default_value("604800"), "S")(
      "out", "the plan file to create", cxxopts::value<std::string>(), "PLAN")(
      "rekey-from",
      "rekey: the directory of the roster in force (consortium.roster and "
      "chain/); the plan takes t, the organisations, k_o, witness and log "
      "keys and the policy from it",
      cxxopts::value<std::string>(),
      "DIR")("cards",
             "rekey: the editors' existing cards, as DIR/org<ID>/editor<J>/"
             "editor.card",
             cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, false);
  static constexpr char kFooter[] = R"(
Organisation ids are given by order: the first --org is organisation 1. Each
editor card must have been made with `identity new --org ID`. The plan has a
fresh session id; its fingerprint is printed: write it on the board.

Rekey (a NEW consortium key for the same committee, docs/ceremony.md "Rekey
on separate machines"): --rekey-from DIR --cards DIR --out PLAN. The roster
in DIR is checked along its chain; every editor brings the editor.card of
their existing identity (its keys must be the roster's). The DKG rounds then
run as at the first ceremony; editors keep their organisation ids.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter, {"out"}, &r)) {
    return *rc;
  }
  if (r.count("rekey-from")) {
    if (r.count("threshold") || r.count("org") || r.count("log-vkey") ||
        r.count("max-request-lifetime")) {
      return Usage(cmd,
                   "a rekey takes t, the organisations, the log key and the "
                   "policy from the roster: no --threshold, --org, --log-vkey "
                   "or --max-request-lifetime");
    }
    if (!r.count("cards")) return Usage(cmd, "a rekey needs --cards DIR");
    StatusOr<RosterDir> prev = ReadRosterDir(r["rekey-from"].as<std::string>());
    if (!prev.ok()) return Fail(cmd, prev.status());
    std::printf("roster in force: epoch %llu, fingerprint (SHA-256) %s\n",
                static_cast<unsigned long long>(prev->roster.body.epoch()),
                Hex(prev->roster.fingerprint).c_str());
    StatusOr<PlanInput> in =
        RekeyPlanInput(r["cards"].as<std::string>(), *prev);
    if (!in.ok()) return Fail(cmd, in.status());
    in->drill_files = r["drill-files"].as<uint32_t>();
    StatusOr<v1::CeremonyPlan> plan = MakePlan(*in);
    if (!plan.ok()) return Fail(cmd, plan.status());
    StatusOr<CheckedPlan> checked = CheckPlan(*plan);
    if (!checked.ok()) return Fail(cmd, checked.status());
    Status s = WritePlan(r["out"].as<std::string>(), *plan, true);
    if (!s.ok()) return Fail(cmd, s);
    const v1::PlanBody& b = checked->body;
    std::printf(
        "REKEY plan written: a new key for epoch %llu, t = %u of %d "
        "organisations\n",
        static_cast<unsigned long long>(b.rekey().epoch()), b.threshold(),
        b.organisations_size());
    for (int i = 0; i < b.organisations_size(); ++i) {
      const uint32_t position = static_cast<uint32_t>(i + 1);
      std::printf(
          "  %s: k = %u of %zu editors\n", OrgLabel(b, position).c_str(),
          b.organisations(i).editor_threshold(), checked->cards[i].size());
    }
    if (RekeyNeedsRedeal(b)) {
      std::printf(
          "The organisation ids are not 1..%d: the DKG runs at positions "
          "1..%d and its shares are INTERMEDIATE, re-dealt afterwards to the "
          "ids (`reshare plan --redeal`).\n",
          b.organisations_size(), b.organisations_size());
    }
    std::printf("plan fingerprint (SHA-256): %s\n",
                Hex(checked->fingerprint).c_str());
    return kCeremonyExitOk;
  }
  for (const char* need : {"threshold", "org", "log-vkey"}) {
    if (!r.count(need)) {
      return Usage(cmd, std::string("required: --") + need +
                            " (or --rekey-from for a rekey)");
    }
  }
  if (r.count("cards")) return Usage(cmd, "--cards is for --rekey-from");
  PlanInput in;
  in.threshold = r["threshold"].as<uint32_t>();
  in.drill_files = r["drill-files"].as<uint32_t>();
  in.max_request_lifetime_seconds = r["max-request-lifetime"].as<uint64_t>();
  StatusOr<Bytes> log = ReadFileBytes(r["log-vkey"].as<std::string>(), 4096);
  if (!log.ok()) return Fail(cmd, log.status());
  in.log_vkey.assign(log->begin(), log->end());
  while (!in.log_vkey.empty() && in.log_vkey.back() == '\n') {
    in.log_vkey.pop_back();
  }
  for (const std::string& spec : r["org"].as<std::vector<std::string>>()) {
    const size_t a = spec.find(':');
    const size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
    if (b == std::string::npos) {
      return Usage(cmd, "--org '" + spec + "' is not K:DIR:NAME");
    }
    PlanOrganisationInput org;
    try {
      org.editor_threshold =
          static_cast<uint32_t>(std::stoul(spec.substr(0, a)));
    } catch (...) {
      return Usage(cmd, "--org '" + spec + "': K is not a number");
    }
    const fs::path dir = spec.substr(a + 1, b - a - 1);
    org.name = spec.substr(b + 1);
    StatusOr<Bytes> w = ReadFileBytes(dir / "witness.vkey", 4096);
    if (!w.ok()) return Fail(cmd, w.status());
    org.witness_vkey.assign(w->begin(), w->end());
    while (!org.witness_vkey.empty() && org.witness_vkey.back() == '\n') {
      org.witness_vkey.pop_back();
    }
    std::vector<fs::path> cards;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".card") {
        cards.push_back(e.path());
      } else if (e.is_directory() && fs::exists(e.path() / "editor.card")) {
        cards.push_back(e.path() / "editor.card");
      }
    }
    // Shorter names first, so editor2 comes before editor10.
    std::sort(cards.begin(), cards.end(),
              [](const fs::path& a, const fs::path& b) {
                const std::string x = a.string(), y = b.string();
                return x.size() != y.size() ? x.size() < y.size() : x < y;
              });
    for (const fs::path& c : cards) {
      StatusOr<Bytes> bytes = ReadFileBytes(c, 1 << 16);
      if (!bytes.ok()) return Fail(cmd, bytes.status());
      v1::PublicCard card;
      if (!card.ParseFromArray(bytes->data(),
                               static_cast<int>(bytes->size()))) {
        return Fail(cmd, InvalidArgumentError(c.string() + " is not a card"));
      }
      org.cards.push_back(card);
    }
    in.organisations.push_back(std::move(org));
  }
  StatusOr<v1::CeremonyPlan> plan = MakePlan(in);
  if (!plan.ok()) return Fail(cmd, plan.status());
  Status s = WritePlan(r["out"].as<std::string>(), *plan, true);
  if (!s.ok()) return Fail(cmd, s);
  StatusOr<CheckedPlan> checked = CheckPlan(*plan);
  if (!checked.ok()) return Fail(cmd, checked.status());
  std::printf("plan written: t = %u of %zu organisations\n", in.threshold,
              in.organisations.size());
  for (size_t i = 0; i < checked->cards.size(); ++i) {
    std::printf("  organisation %zu (%s): k = %u of %zu editors\n", i + 1,
                checked->body.organisations(i).name().c_str(),
                checked->body.organisations(i).editor_threshold(),
                checked->cards[i].size());
    for (const v1::PublicCardBody& c : checked->cards[i]) {
      std::printf("    editor %u: %s, key %s\n", c.editor_index(),
                  c.name().c_str(),
                  HexEncode(AsBytes(c.ed25519_public_key())).c_str());
    }
  }
  std::printf("plan fingerprint (SHA-256): %s\n",
              Hex(checked->fingerprint).c_str());
  return kCeremonyExitOk;
}

// ---- participant new ----

int ParticipantNewMain(int argc, char** argv) {
  const std::string cmd = "participant new";
  cxxopts::Options o("conclave-ceremony participant new",
                     "Make the organisation's fresh COCKTAIL participant key "
                     "and record its public half in the plan.");
  o.custom_help("--plan PLAN --org ORG --out DIR");
  o.add_options()("plan", "the plan (updated in place)",
                  cxxopts::value<std::string>(), "PLAN")(
      "org", "your organisation id", cxxopts::value<uint32_t>(), "ORG")(
      "out", "directory for participant.age", cxxopts::value<std::string>(),
      "DIR")("work-factor", "scrypt log2 N (10..22)",
             cxxopts::value<int>()->default_value("18"), "LOGN");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
The key lives only for this ceremony: `finish` erases it. Every editor of the
organisation then runs `endorse` and checks the key printed here.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter,
                             {"plan", "org", "out"}, &r)) {
    return *rc;
  }
  const int wf = r["work-factor"].as<int>();
  if (wf < 10 || wf > 22) return Usage(cmd, "--work-factor must be 10..22");
  const std::string plan_path = r["plan"].as<std::string>();
  const uint32_t org_id = r["org"].as<uint32_t>();
  StatusOr<v1::CeremonyPlan> plan = ReadPlan(plan_path);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<CheckedPlan> checked = CheckPlan(*plan);
  if (!checked.ok()) return Fail(cmd, checked.status());
  // In a rekey plan --org is the organisation's (permanent) id, as on the
  // editors' cards; the DKG uses its position.
  StatusOr<uint32_t> position = PlanPosition(checked->body, org_id);
  if (!position.ok()) return Fail(cmd, position.status());
  const uint32_t org = *position;
  const Scalar d = Scalar::Random();
  const Point p = Point::BaseMul(d);
  Status s = AddParticipant(&*plan, org, p);
  if (!s.ok()) return Fail(cmd, s);
  StatusOr<SecretBytes> pass =
      CommandPassphrase(r, "Passphrase for the participant key: ", true);
  if (!pass.ok()) return Fail(cmd, pass.status());
  const fs::path dir = r["out"].as<std::string>();
  std::error_code ec;
  fs::create_directories(dir, ec);
  v1::SealedSecret sealed;
  v1::CocktailParticipantKey* pk = sealed.mutable_participant_key();
  pk->set_plan_fingerprint(
      std::string(checked->fingerprint.begin(), checked->fingerprint.end()));
  pk->set_org_id(org);
  const SecretBytes db = d.ToBytes();
  // Straight into the field: a temporary std::string would be freed unwiped.
  pk->mutable_private_key()->assign(
      reinterpret_cast<const char*>(db.span().data()), db.span().size());
  s = WriteSealedFile(dir / "participant.age", sealed, *pass, wf);
  CleanseMessage(&sealed);
  if (!s.ok()) return Fail(cmd, s);
  s = WritePlan(plan_path, *plan, false);
  if (!s.ok()) return Fail(cmd, s);
  std::printf(
      "plan fingerprint (SHA-256): %s\n"
      "participant key of %s: %s\n"
      "sealed in %s; every editor of organisation %u now runs `endorse`.\n",
      Hex(checked->fingerprint).c_str(), OrgLabel(checked->body, org).c_str(),
      PointHex(p).c_str(), (dir / "participant.age").c_str(), org_id);
  return kCeremonyExitOk;
}

// ---- endorse ----

int EndorseMain(int argc, char** argv) {
  const std::string cmd = "endorse";
  cxxopts::Options o("conclave-ceremony endorse",
                     "Sign your organisation's participant key in the plan.");
  o.custom_help("--plan PLAN --identity identity.age");
  o.add_options()("plan", "the plan (updated in place)",
                  cxxopts::value<std::string>(), "PLAN")(
      "identity", "your identity.age", cxxopts::value<std::string>(), "FILE");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Before endorsing, compare the plan fingerprint and the participant key printed
here with what the participant laptop showed. If they differ, do not endorse.
)";
  cxxopts::ParseResult r;
  if (auto rc =
          ParseCommand(cmd, o, argc, argv, kFooter, {"plan", "identity"}, &r)) {
    return *rc;
  }
  const std::string plan_path = r["plan"].as<std::string>();
  StatusOr<v1::CeremonyPlan> plan = ReadPlan(plan_path);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<CheckedPlan> checked = CheckPlan(*plan);
  if (!checked.ok()) return Fail(cmd, checked.status());
  StatusOr<v1::EditorIdentity> id =
      OpenEditorIdentity(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  StatusOr<uint32_t> j = Endorse(&*plan, *id);
  StatusOr<uint32_t> position = PlanPosition(checked->body, id->org_id());
  CleanseMessage(&*id);
  if (!j.ok()) return Fail(cmd, j.status());
  if (!position.ok()) return Fail(cmd, position.status());
  const uint32_t org = *position;
  Status s = WritePlan(plan_path, *plan, false);
  if (!s.ok()) return Fail(cmd, s);
  std::printf(
      "plan fingerprint (SHA-256): %s\n"
      "endorsed by editor %u of %s: participant key %s\n",
      Hex(checked->fingerprint).c_str(), *j,
      OrgLabel(checked->body, org).c_str(),
      PointHex(*checked->participants[org - 1]).c_str());
  return kCeremonyExitOk;
}

// ---- round1 ----

int Round1Main(int argc, char** argv) {
  const std::string cmd = "round1";
  cxxopts::Options o("conclave-ceremony round1",
                     "COCKTAIL round 1: commitments, proof of possession and "
                     "encrypted shares for every organisation.");
  o.custom_help("--plan PLAN --participant KEY.age --out FILE.round1");
  o.add_options()("plan", "the complete plan", cxxopts::value<std::string>(),
                  "PLAN")("participant", "your participant.age",
                          cxxopts::value<std::string>(), "FILE")(
      "out", "the round-1 file (name ends in .round1)",
      cxxopts::value<std::string>(), "FILE");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Refuses a plan in which any organisation lacks a participant key or any
editor has not endorsed it. The file holds share ciphertexts: it is destroyed
after finish.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter,
                             {"plan", "participant", "out"}, &r)) {
    return *rc;
  }
  const std::string out = r["out"].as<std::string>();
  if (Status s = RequireSuffix(out, kRound1Suffix); !s.ok()) {
    return Usage(cmd, s.message());
  }
  StatusOr<CheckedPlan> plan = LoadPlan(r["plan"].as<std::string>(), true);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<cocktail::Session> session = PlanSession(*plan);
  if (!session.ok()) return Fail(cmd, session.status());
  uint32_t org = 0;
  StatusOr<Scalar> d =
      OpenParticipant(*plan, r["participant"].as<std::string>(), r, &org);
  if (!d.ok()) return Fail(cmd, d.status());
  StatusOr<v1::Round1File> file = MakeRound1File(*plan, *session, org, *d);
  if (!file.ok()) return Fail(cmd, file.status());
  Status s = WriteNewMessage(out, *file);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("round-1 file of organisation %u written: %s\n", org,
              out.c_str());
  std::printf("round-1 message SHA-256: %s\n",
              Hex(Sha256(AsBytes(file->message()))).c_str());
  return kCeremonyExitOk;
}

// ---- round2 ----

int Round2Main(int argc, char** argv) {
  const std::string cmd = "round2";
  cxxopts::Options o("conclave-ceremony round2",
                     "COCKTAIL round 2: check every round-1 file, then "
                     "certify the transcript.");
  o.custom_help(
      "--plan PLAN --participant KEY.age --round1 DIR --out FILE.round2");
  o.add_options()("plan", "the complete plan", cxxopts::value<std::string>(),
                  "PLAN")("participant", "your participant.age",
                          cxxopts::value<std::string>(), "FILE")(
      "round1", "directory with every organisation's .round1 file",
      cxxopts::value<std::string>(),
      "DIR")("out", "the round-2 file (name ends in .round2)",
             cxxopts::value<std::string>(), "FILE");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
On any failed check nothing is certified: the evidence naming the
organisation at fault is written to FILE.evidence.txt, and the ceremony
stops (see the runbook).
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter,
                             {"plan", "participant", "round1", "out"}, &r)) {
    return *rc;
  }
  const std::string out = r["out"].as<std::string>();
  if (Status s = RequireSuffix(out, kRound2Suffix); !s.ok()) {
    return Usage(cmd, s.message());
  }
  StatusOr<CheckedPlan> plan = LoadPlan(r["plan"].as<std::string>(), true);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<cocktail::Session> session = PlanSession(*plan);
  if (!session.ok()) return Fail(cmd, session.status());
  uint32_t org = 0;
  StatusOr<Scalar> d =
      OpenParticipant(*plan, r["participant"].as<std::string>(), r, &org);
  if (!d.ok()) return Fail(cmd, d.status());
  const std::string evidence = out + ".evidence.txt";
  StatusOr<std::vector<cocktail::Round1Message>> msgs =
      LoadRound1Dir(*plan, *session, r["round1"].as<std::string>());
  if (!msgs.ok()) {
    const std::string text = "round 2 at organisation " + std::to_string(org) +
                             " aborted:\n" + msgs.status().message() + "\n";
    (void)CreateFileAtomically(evidence, AsBytes(text), 0644);
    std::fprintf(stderr, "evidence written to %s\n", evidence.c_str());
    return Fail(cmd, msgs.status());
  }
  cocktail::Blame blame;
  blame.reporter = org;
  StatusOr<v1::Round2File> file =
      MakeRound2File(*plan, *session, org, *d, *msgs, &blame);
  if (!file.ok()) {
    StatusOr<Bytes> t = cocktail::Transcript(*session, *msgs);
    const std::string text =
        BlameReport(blame, t.ok() ? ByteSpan(*t) : ByteSpan());
    (void)CreateFileAtomically(evidence, AsBytes(text), 0644);
    std::fprintf(
        stderr, "FAULT: organisation %u (%s); evidence written to %s\n",
        blame.culprit, std::string(cocktail::FaultName(blame.fault)).c_str(),
        evidence.c_str());
    return Fail(cmd, file.status());
  }
  Status s = WriteNewMessage(out, *file);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("all %u round-1 files verified\n", session->n);
  std::printf(
      "transcript SHA-256: %s  (must be the same at every "
      "organisation)\n",
      HexEncode(AsBytes(file->transcript_hash())).c_str());
  std::printf("round-2 file of organisation %u written: %s\n", org,
              out.c_str());
  return kCeremonyExitOk;
}

// ---- finish ----

int FinishMain(int argc, char** argv) {
  const std::string cmd = "finish";
  cxxopts::Options o("conclave-ceremony finish",
                     "Check the certificate, split your organisation's "
                     "share among its editors, erase the participant key.");
  o.custom_help(
      "--plan PLAN --participant KEY.age --round1 DIR --round2 DIR --out DIR "
      "[--shred]");
  o.add_options()("plan", "the complete plan", cxxopts::value<std::string>(),
                  "PLAN")("participant", "your participant.age",
                          cxxopts::value<std::string>(),
                          "FILE")("round1", "directory with every .round1 file",
                                  cxxopts::value<std::string>(), "DIR")(
      "round2", "directory with every .round2 file",
      cxxopts::value<std::string>(),
      "DIR")("out", "directory for ORG.finish and editorJ/share.age",
             cxxopts::value<std::string>(), "DIR")(
      "shred", "also overwrite and delete the .round1 files in --round1")(
      "work-factor", "scrypt log2 N of the share files (10..22)",
      cxxopts::value<int>()->default_value("18"), "LOGN");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Each editor types a passphrase for their own share.age (with
--passphrase-file every share uses the same one: tests only). The
participant key file is overwritten and deleted. The .round1 files hold share
ciphertexts that the participant keys open: destroy them (--shred here, and
every other copy by hand).
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter,
                             {"plan", "participant", "round1", "round2", "out"},
                             &r)) {
    return *rc;
  }
  const int wf = r["work-factor"].as<int>();
  if (wf < 10 || wf > 22) return Usage(cmd, "--work-factor must be 10..22");
  StatusOr<CheckedPlan> plan = LoadPlan(r["plan"].as<std::string>(), true);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<cocktail::Session> session = PlanSession(*plan);
  if (!session.ok()) return Fail(cmd, session.status());
  const std::string participant_path = r["participant"].as<std::string>();
  uint32_t org = 0;
  StatusOr<Scalar> d = OpenParticipant(*plan, participant_path, r, &org);
  if (!d.ok()) return Fail(cmd, d.status());
  const fs::path round1_dir = r["round1"].as<std::string>();
  StatusOr<std::vector<cocktail::Round1Message>> msgs =
      LoadRound1Dir(*plan, *session, round1_dir);
  if (!msgs.ok()) return Fail(cmd, msgs.status());
  StatusOr<Bytes> t = cocktail::Transcript(*session, *msgs);
  if (!t.ok()) return Fail(cmd, t.status());
  StatusOr<std::vector<Bytes>> sigs =
      LoadRound2Dir(*plan, *session, *t, r["round2"].as<std::string>());
  if (!sigs.ok()) return Fail(cmd, sigs.status());
  StatusOr<FinishOutput> fin = Finish(*plan, *session, org, *d, *msgs, *sigs);
  if (!fin.ok()) return Fail(cmd, fin.status());
  d = InternalError("erased");  // d_o is wiped here

  const fs::path out = r["out"].as<std::string>();
  std::error_code ec;
  fs::create_directories(out, ec);
  Status s = WriteNewMessage(
      out / ("org" + std::to_string(org) + std::string(kFinishSuffix)),
      fin->file);
  if (!s.ok()) return Fail(cmd, s);
  const auto& cards = plan->cards[org - 1];
  // A rekey's shares belong to its epoch (organisation = DKG position).
  const uint64_t epoch =
      IsRekeyPlan(plan->body) ? plan->body.rekey().epoch() : 1;
  const bool intermediate = RekeyNeedsRedeal(plan->body);
  for (size_t j = 0; j < fin->shares.size(); ++j) {
    const v1::PublicCardBody& card = cards[j];
    StatusOr<SecretBytes> pass = CommandPassphrase(
        r,
        "Editor " + std::to_string(card.editor_index()) + " (" + card.name() +
            "), passphrase for your share: ",
        true);
    if (!pass.ok()) return Fail(cmd, pass.status());
    StatusOr<Point> y_oj = Point::DecodeCompressed(
        AsBytes(fin->file.editor_verification_shares(static_cast<int>(j))));
    if (!y_oj.ok()) return Fail(cmd, y_oj.status());
    const fs::path dir = out / ("editor" + std::to_string(card.editor_index()));
    fs::create_directories(dir, ec);
    s = SealEditorShare(dir / "share.age", fin->consortium_key, org,
                        fin->shares[j], *y_oj, *pass, wf, epoch);
    if (!s.ok()) return Fail(cmd, s);
    std::printf(
        "editor %u (%s): %s, verification share %s\n", card.editor_index(),
        card.name().c_str(), (dir / "share.age").c_str(),
        HexEncode(
            AsBytes(fin->file.editor_verification_shares(static_cast<int>(j))))
            .c_str());
  }
  fin->shares.clear();
  s = ShredFile(participant_path);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("participant key %s overwritten and deleted\n",
              participant_path.c_str());
  std::printf("consortium key: %s\n",
              age::EncodeP256TagRecipient(fin->consortium_key).c_str());
  std::printf("%s verification share X_o: %s\n",
              OrgLabel(plan->body, org).c_str(),
              HexEncode(AsBytes(fin->file.verification_share())).c_str());
  if (intermediate) {
    std::printf(
        "\nTHESE SHARES ARE INTERMEDIATE (epoch %llu, DKG position %u): they "
        "serve only the re-deal to the organisation ids (`reshare deal "
        "--dkg`).\nDo not use them for anything else; DESTROY them and every "
        "copy once the re-dealt roster is final.\n\n",
        static_cast<unsigned long long>(epoch), org);
  } else if (IsRekeyPlan(plan->body)) {
    std::printf("these are the NEW shares of epoch %llu (the rekey's key)\n",
                static_cast<unsigned long long>(epoch));
  }
  if (r.count("shred")) {
    for (const auto& e : fs::directory_iterator(round1_dir, ec)) {
      if (e.path().string().ends_with(kRound1Suffix)) {
        s = ShredFile(e.path());
        if (!s.ok()) return Fail(cmd, s);
        std::printf("shredded %s\n", e.path().c_str());
      }
    }
  } else {
    std::printf(
        "NOW DESTROY the .round1 files in %s and every copy of them: they "
        "hold share ciphertexts (rerun with --shred, or delete them and "
        "destroy the stick).\n",
        round1_dir.c_str());
  }
  return kCeremonyExitOk;
}

// ---- roster assemble | sign | finalize ----

namespace {

// `roster finalize` of a rekey: the new roster (ids 1..m) or the DKG roster
// to be re-dealt (reshare.h "Rekey").
int FinalizeRekey(const std::string& cmd, const fs::path& dir,
                  const fs::path& previous, const v1::Roster& roster,
                  const v1::RosterBody& body,
                  const v1::CocktailRecord& record) {
  StatusOr<RosterDir> prev = ReadRosterDir(previous);
  if (!prev.ok()) return Fail(cmd, prev.status());
  const VerifiedRoster& pr = prev->roster;
  std::printf("roster in force: epoch %llu, fingerprint (SHA-256) %s\n",
              static_cast<unsigned long long>(pr.body.epoch()),
              Hex(pr.fingerprint).c_str());
  if (body.previous_roster_fingerprint() !=
      std::string(pr.fingerprint.begin(), pr.fingerprint.end())) {
    return Fail(cmd,
                FailedPreconditionError(
                    "this rekey roster continues another roster (fingerprint " +
                    HexEncode(AsBytes(body.previous_roster_fingerprint())) +
                    "), not the one in " + previous.string() +
                    ": its plan was made from another roster. Nothing "
                    "written"));
  }
  if (IdsArePositions(pr.body)) {
    StatusOr<VerifiedRoster> next = VerifyRosterSuccessor(pr, roster);
    if (!next.ok()) return Fail(cmd, next.status());
    v1::RekeyRecord rekey;
    *rekey.mutable_cocktail() = record;
    Status s = CheckRekeyRecord(rekey, pr, *next);
    if (s.ok()) s = WriteRekeyOutputs(dir, *prev, roster, *next, rekey);
    if (!s.ok()) return Fail(cmd, s);
    const std::string recipient =
        age::EncodeP256TagRecipient(next->consortium_key);
    std::printf(
        "rekey roster of epoch %llu verified: signed by all %d editors, the "
        "same committee with a NEW key\nnew consortium key: %s\nroster "
        "fingerprint (SHA-256): %s\nwritten: %s, %s, %s, %s\n",
        static_cast<unsigned long long>(next->body.epoch()),
        roster.signatures_size(), recipient.c_str(),
        Hex(next->fingerprint).c_str(), (dir / "consortium.roster").c_str(),
        (dir / "consortium.pub").c_str(), (dir / "rekey.record").c_str(),
        (dir / "chain").c_str());
    std::printf(
        "next: the drill on the new roster, then `conclave --server "
        "ADDR roster push`\n");
    std::fputs(kRekeyDestroyBox, stdout);
    return kCeremonyExitOk;
  }
  StatusOr<VerifiedRoster> dkg = VerifyRoster(roster);
  if (!dkg.ok()) return Fail(cmd, dkg.status());
  Status s = CheckRekeyDkgRoster(*dkg, pr);
  if (s.ok()) s = CheckCocktailRecord(record, *dkg);
  if (s.ok()) s = WriteNewMessage(dir / "dkg.roster", roster);
  if (!s.ok()) return Fail(cmd, s);
  std::printf(
      "DKG roster of the rekey verified: signed by all %d editors\n"
      "new consortium key: %s\nDKG roster fingerprint (SHA-256): %s\n"
      "written: %s (NOT a consortium roster: never push it)\n",
      roster.signatures_size(),
      age::EncodeP256TagRecipient(dkg->consortium_key).c_str(),
      Hex(dkg->fingerprint).c_str(), (dir / "dkg.roster").c_str());
  std::printf(
      "The organisation ids are not the DKG positions, so the shares just "
      "made are INTERMEDIATE.\nNext: the re-deal to the ids,\n"
      "  conclave-ceremony reshare plan --redeal --dkg %s --previous %s "
      "--out redeal.plan\nthen reshare deal/receive/finish/sign/finalize with "
      "--dkg (docs/ceremony.md, \"Rekey on separate machines\").\n",
      (dir / "dkg.roster").c_str(), previous.c_str());
  return kCeremonyExitOk;
}

}  // namespace

int RosterMain(int argc, char** argv) {
  const std::string sub = argc >= 1 ? argv[0] : "";
  const std::string cmd =
      sub.empty() || sub[0] == '-' ? std::string("roster") : "roster " + sub;
  cxxopts::Options o("conclave-ceremony " + cmd, "The epoch-1 roster.");
  o.custom_help(
      "assemble --plan PLAN --round1 DIR --round2 DIR --finish DIR... --out "
      "DIR | sign --dir DIR --identity identity.age | finalize --dir DIR "
      "[--previous DIR]");
  o.add_options()("plan", "the plan", cxxopts::value<std::string>(), "PLAN")(
      "round1", "directory with the .round1 files",
      cxxopts::value<std::string>(),
      "DIR")("round2", "directory with the .round2 files",
             cxxopts::value<std::string>(),
             "DIR")("finish", "directories with the .finish files",
                    cxxopts::value<std::vector<std::string>>(), "DIR")(
      "out", "assemble: the roster directory", cxxopts::value<std::string>(),
      "DIR")("dir", "sign/finalize: the roster directory",
             cxxopts::value<std::string>(),
             "DIR")("identity", "sign: your identity.age",
                    cxxopts::value<std::string>(), "FILE")(
      "previous",
      "finalize of a rekey: the directory of the roster in force before it "
      "(consortium.roster and chain/)",
      cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
assemble writes DIR/roster.unsigned, DIR/cocktail.record and DIR/drill/.
sign adds your signature after you compared the fingerprint and your own
keys on screen. finalize checks every editor signed and writes
DIR/consortium.roster and DIR/consortium.pub.

Rekey plan: assemble makes the rekey epoch's roster. finalize needs
--previous DIR (the roster in force, with its chain/) and checks the roster
continues it. When the organisation ids are 1..m it is the new roster:
finalize writes DIR/consortium.roster, DIR/chain/ and DIR/rekey.record
(`verify-chain --dir DIR`). Otherwise it is the DKG roster (ids = DKG
positions): finalize writes DIR/dkg.roster only, and the next step is the
re-deal to the ids (`reshare plan --redeal`).
)";
  std::vector<std::string> required;
  if (sub == "assemble") {
    required = {"plan", "round1", "round2", "finish", "out"};
  } else if (sub == "sign") {
    required = {"dir", "identity"};
  } else if (sub == "finalize") {
    required = {"dir"};
  } else if (sub == "--help" || sub == "-h" || sub == "help") {
    std::printf("%s%s\n%s", o.help({""}).c_str(), kFooter,
                CeremonyExitCodeHelp());
    return kCeremonyExitOk;
  } else {
    return Usage("roster", "needs assemble, sign or finalize");
  }
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter, required, &r))
    return *rc;

  if (sub == "assemble") {
    StatusOr<CheckedPlan> plan = LoadPlan(r["plan"].as<std::string>(), true);
    if (!plan.ok()) return Fail(cmd, plan.status());
    StatusOr<cocktail::Session> session = PlanSession(*plan);
    if (!session.ok()) return Fail(cmd, session.status());
    StatusOr<std::vector<cocktail::Round1Message>> msgs =
        LoadRound1Dir(*plan, *session, r["round1"].as<std::string>());
    if (!msgs.ok()) return Fail(cmd, msgs.status());
    StatusOr<Bytes> t = cocktail::Transcript(*session, *msgs);
    if (!t.ok()) return Fail(cmd, t.status());
    StatusOr<std::vector<Bytes>> sigs =
        LoadRound2Dir(*plan, *session, *t, r["round2"].as<std::string>());
    if (!sigs.ok()) return Fail(cmd, sigs.status());
    const fs::path out = r["out"].as<std::string>();
    std::error_code ec;
    if (fs::exists(out / "roster.unsigned", ec)) {
      return Fail(cmd, AlreadyExistsError((out / "roster.unsigned").string() +
                                          " exists"));
    }
    fs::create_directories(out, ec);
    std::vector<fs::path> finish;
    for (const std::string& f : r["finish"].as<std::vector<std::string>>()) {
      finish.push_back(f);
    }
    StatusOr<AssembledRoster> a =
        AssembleRoster(*plan, *session, *msgs, *sigs, finish, out / "drill");
    if (!a.ok()) return Fail(cmd, a.status());
    Status s = WriteNewMessage(out / "cocktail.record", a->record);
    if (s.ok()) s = WriteNewMessage(out / "roster.unsigned", a->roster);
    if (!s.ok()) return Fail(cmd, s);
    std::printf("roster assembled: %s\nroster fingerprint (SHA-256): %s\n",
                (out / "roster.unsigned").c_str(), Hex(a->fingerprint).c_str());
    if (RekeyNeedsRedeal(plan->body)) {
      std::printf(
          "this is the rekey's DKG roster (organisations numbered by DKG "
          "position): every editor signs it, then `roster finalize --previous "
          "DIR` and the re-deal to the ids\n");
    } else if (IsRekeyPlan(plan->body)) {
      std::printf(
          "this is the rekey's new roster of epoch %llu: every editor signs "
          "it, then `roster finalize --previous DIR`\n",
          static_cast<unsigned long long>(plan->body.rekey().epoch()));
    }
    return kCeremonyExitOk;
  }

  const fs::path dir = r["dir"].as<std::string>();
  StatusOr<Bytes> bytes =
      ReadFileBytes(dir / "roster.unsigned", kMaxRosterSize);
  if (!bytes.ok()) return Fail(cmd, bytes.status());
  v1::Roster roster;
  v1::RosterBody body;
  if (!roster.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())) ||
      !body.ParseFromString(roster.signed_())) {
    return Fail(cmd, InvalidArgumentError("roster.unsigned does not parse"));
  }
  const Sha256Digest fp = Sha256(AsBytes(roster.signed_()));
  std::printf("roster fingerprint (SHA-256): %s\n", Hex(fp).c_str());

  if (sub == "sign") {
    StatusOr<v1::EditorIdentity> id =
        OpenEditorIdentity(r["identity"].as<std::string>(), r);
    if (!id.ok()) return Fail(cmd, id.status());
    StatusOr<v1::RosterSignature> sig = SignAssembledRoster(&roster, *id);
    CleanseMessage(&*id);
    if (!sig.ok()) return Fail(cmd, sig.status());
    std::string enc;
    roster.SerializeToString(&enc);
    Status s = WriteFileAtomically(dir / "roster.unsigned", AsBytes(enc), 0644);
    if (!s.ok()) return Fail(cmd, s);
    const v1::RosterOrganisation* org = FindOrganisation(body, sig->org_id());
    StatusOr<Point> y = Point::DecodeCompressed(AsBytes(body.consortium_key()));
    if (!y.ok()) return Fail(cmd, y.status());
    std::printf("consortium key: %s\n",
                age::EncodeP256TagRecipient(*y).c_str());
    if (body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY) {
      std::printf("signed by editor %u of %s (numbered %u in this roster)\n",
                  sig->editor_index(), org->name().c_str(), sig->org_id());
    } else {
      std::printf("signed by editor %u of organisation %u (%s)\n",
                  sig->editor_index(), sig->org_id(), org->name().c_str());
    }
    std::printf(
        "your verification share in it: %s (compare with finish)\n",
        HexEncode(
            AsBytes(org->editors(static_cast<int>(sig->editor_index() - 1))
                        .verification_share()))
            .c_str());
    std::printf("%d of the roster's signatures present\n",
                roster.signatures_size());
    return kCeremonyExitOk;
  }

  // finalize
  const bool rekey = body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY;
  if (rekey && !r.count("previous")) {
    return Usage(cmd,
                 "this roster is a rekey: give --previous DIR, the directory "
                 "of the roster in force before it");
  }
  if (!rekey && r.count("previous")) {
    return Usage(cmd, "--previous is only for a rekey roster");
  }
  StatusOr<Bytes> rec = ReadFileBytes(dir / "cocktail.record", kMaxRosterSize);
  if (!rec.ok()) return Fail(cmd, rec.status());
  v1::CocktailRecord record;
  if (!record.ParseFromArray(rec->data(), static_cast<int>(rec->size()))) {
    return Fail(cmd, InvalidArgumentError("cocktail.record does not parse"));
  }
  if (rekey)
    return FinalizeRekey(cmd, dir, r["previous"].as<std::string>(), roster,
                         body, record);
  StatusOr<VerifiedRoster> verified = VerifyRoster(roster);
  if (!verified.ok()) return Fail(cmd, verified.status());
  Status s = CheckCocktailRecord(record, *verified);
  if (!s.ok()) return Fail(cmd, s);
  std::string enc;
  roster.SerializeToString(&enc);
  s = CreateFileAtomically(dir / "consortium.roster", AsBytes(enc), 0644);
  const std::string recipient =
      age::EncodeP256TagRecipient(verified->consortium_key);
  if (s.ok()) {
    s = CreateFileAtomically(
        dir / "consortium.pub",
        AsBytes(recipient + "\n# roster fingerprint (SHA-256): " + Hex(fp) +
                "\n"),
        0644);
  }
  if (!s.ok()) return Fail(cmd, s);
  std::printf("roster verified and signed by all %d editors\n",
              roster.signatures_size());
  std::printf("consortium key: %s\nwritten: %s, %s\n", recipient.c_str(),
              (dir / "consortium.roster").c_str(),
              (dir / "consortium.pub").c_str());
  return kCeremonyExitOk;
}

// ---- drill ----
//
// The drill runs through quorum decryption (quorum/drill.h): request →
// release → combine, without the log (only drill files may skip it).

namespace {

uint64_t NowUnix() { return static_cast<uint64_t>(std::time(nullptr)); }

std::string UtcTime(uint64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
}

// "request 1: 3f2a… for drill file 9c1e…" — the lines the requester and
// every holder compare.
void PrintRequests(const VerifiedRoster& roster,
                   const std::vector<quorum::VerifiedRequest>& requests) {
  if (requests.empty()) return;
  const v1::RequestBody& first = requests.front().body;
  std::printf(
      "requested by: %s\nvalid until: %s\n",
      quorum::EditorLabel(roster.body, first.org_id(), first.editor_index())
          .c_str(),
      UtcTime(first.expires_unix()).c_str());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::printf("request %zu: %s for drill file %s\n", i + 1,
                quorum::RequestIdHex(requests[i].id).c_str(),
                requests[i].submission.id.c_str());
  }
}

void PrintReport(const quorum::DrillReport& rep, const char* checked) {
  if (!rep.requester.empty()) {
    std::printf("requester: %s\n", rep.requester.c_str());
  }
  std::printf("%s: %zu; quorum openings: %zu\n", checked, rep.shares_checked,
              rep.quorums_opened);
  for (const std::string& p : rep.proven) {
    std::printf("proven: %s\n", p.c_str());
  }
  for (const std::string& f : rep.failures) {
    std::fprintf(stderr, "FAILED: %s\n", f.c_str());
  }
}

// drill request: on the requester's machine.
int DrillRequestMain(int argc, char** argv) {
  const std::string cmd = "drill request";
  cxxopts::Options o("conclave-ceremony drill request",
                     "Request the decryption of every drill file (step 1 of "
                     "the drill, on the requester's machine).");
  o.custom_help(
      "--roster ROSTER --identity identity.age --drill DIR_OR_FILE --out "
      "drill.requests");
  o.add_options()("roster", "consortium.roster", cxxopts::value<std::string>(),
                  "ROSTER")("identity", "your identity.age (you request)",
                            cxxopts::value<std::string>(), "FILE")(
      "drill", "the drill directory (or one drill file)",
      cxxopts::value<std::string>(),
      "DIR_OR_FILE")("out", "the request file to create",
                     cxxopts::value<std::string>(), "FILE");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Any one editor of the roster is the requester. For every drill file listed in
the roster this writes a request signed with your identity (reason "ceremony
drill"), as for a real submission, with a fresh reply key derived from your
identity: only you can open the holders' answers, so you also run
`drill combine`. The file holds nothing secret; copy it to the stick every
holder uses for `drill partial`. Drill files are the only submissions
released without the audit log.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv,
                             std::string(kFooter) + kPassphraseHelp,
                             {"roster", "identity", "drill", "out"}, &r)) {
    return *rc;
  }
  StatusOr<VerifiedRoster> roster =
      ReadRosterFile(r["roster"].as<std::string>());
  if (!roster.ok()) return Fail(cmd, roster.status());
  StatusOr<std::vector<quorum::DrillFile>> drills =
      quorum::ReadDrillFiles(*roster, r["drill"].as<std::string>());
  if (!drills.ok()) return Fail(cmd, drills.status());
  StatusOr<v1::EditorIdentity> id =
      OpenEditorIdentity(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  StatusOr<quorum::EditorKeys> keys =
      quorum::EditorKeys::FromIdentity(*id, *roster);
  CleanseMessage(&*id);
  if (!keys.ok()) return Fail(cmd, keys.status());
  const uint64_t now = NowUnix();
  StatusOr<v1::RequestSet> set =
      quorum::MakeDrillRequests(*roster, *keys, *drills, now);
  if (!set.ok()) return Fail(cmd, set.status());
  // Check the set as every holder will before writing it.
  StatusOr<std::vector<quorum::VerifiedRequest>> verified =
      quorum::VerifyDrillRequests(*roster, *set, now);
  if (!verified.ok()) return Fail(cmd, verified.status());
  const std::string out = r["out"].as<std::string>();
  Status s = quorum::WriteDrillMessage(out, *set);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("roster fingerprint: %s\n", Hex(roster->fingerprint).c_str());
  PrintRequests(*roster, *verified);
  std::printf("written: %s\n", out.c_str());
  return kCeremonyExitOk;
}

// drill partial: on each holder's own machine.
int DrillPartialMain(int argc, char** argv) {
  const std::string cmd = "drill partial";
  cxxopts::Options o("conclave-ceremony drill partial",
                     "Release your partial decryption of every drill file "
                     "(step 2 of the drill, on your own machine).");
  o.custom_help(
      "--roster ROSTER --identity identity.age --share share.age --requests "
      "drill.requests --out NAME.partial");
  o.add_options()("roster", "consortium.roster", cxxopts::value<std::string>(),
                  "ROSTER")("identity", "your identity.age",
                            cxxopts::value<std::string>(), "FILE")(
      "share", "your sealed share.age", cxxopts::value<std::string>(), "FILE")(
      "requests", "the requester's drill.requests",
      cxxopts::value<std::string>(),
      "FILE")("out", "the file to create (name ends in .partial)",
              cxxopts::value<std::string>(), "FILE");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Every request is checked first: signed by an editor of this roster, for this
roster and epoch, not expired, and for a drill file listed in the roster. A
request for any other submission is refused (those are released only against
the audit log). Then your identity and share are opened (your identity's
passphrase first, then your share's), the share is checked against the roster
and your identity, and for each request your partial decryption D = y·R with
a DLEQ proof is sealed to the requester and signed with your identity. The
file opens only for the requester; carry it to them for `drill combine`.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(
          cmd, o, argc, argv, std::string(kFooter) + kPassphraseHelp,
          {"roster", "identity", "share", "requests", "out"}, &r)) {
    return *rc;
  }
  const std::string out = r["out"].as<std::string>();
  Status s = RequireSuffix(out, quorum::kDrillPartialSuffix);
  if (!s.ok()) return Usage(cmd, s.message());
  StatusOr<VerifiedRoster> roster =
      ReadRosterFile(r["roster"].as<std::string>());
  if (!roster.ok()) return Fail(cmd, roster.status());
  StatusOr<v1::RequestSet> set =
      quorum::ReadRequestSet(r["requests"].as<std::string>());
  if (!set.ok()) return Fail(cmd, set.status());
  const uint64_t now = NowUnix();
  // Refuse anything but drill requests before a passphrase is typed.
  StatusOr<std::vector<quorum::VerifiedRequest>> verified =
      quorum::VerifyDrillRequests(*roster, *set, now);
  if (!verified.ok()) return Fail(cmd, verified.status());
  StatusOr<v1::EditorIdentity> id =
      OpenEditorIdentity(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  StatusOr<quorum::EditorKeys> keys =
      quorum::EditorKeys::FromIdentity(*id, *roster);
  CleanseMessage(&*id);
  if (!keys.ok()) return Fail(cmd, keys.status());
  const std::string share_path = r["share"].as<std::string>();
  StatusOr<OpenedSecret> opened = OpenShareFile(share_path, r);
  if (!opened.ok()) return Fail(cmd, opened.status());
  StatusOr<v1::ApprovalSet> approvals = quorum::MakeDrillApprovals(
      *roster, *keys, opened->message().editor_share(), *set, now);
  if (!approvals.ok()) return Fail(cmd, approvals.status());
  // The partials directory on the exchange stick may not exist yet.
  std::error_code ec;
  if (fs::path(out).has_parent_path()) {
    fs::create_directories(fs::path(out).parent_path(), ec);
  }
  s = quorum::WriteDrillMessage(out, *approvals);
  if (!s.ok()) return Fail(cmd, s);
  std::printf(
      "holder: %s\nroster fingerprint: %s\n",
      quorum::EditorLabel(roster->body, keys->org_id(), keys->editor_index())
          .c_str(),
      Hex(roster->fingerprint).c_str());
  PrintRequests(*roster, *verified);
  std::printf("partial decryptions released: %d\nwritten: %s\n",
              approvals->approvals_size(), out.c_str());
  return kCeremonyExitOk;
}

// drill combine: on the requester's machine, with every holder's file.
int DrillCombineMain(int argc, char** argv) {
  const std::string cmd = "drill combine";
  cxxopts::Options o("conclave-ceremony drill combine",
                     "Check every holder's partial decryptions and open the "
                     "drill files with every quorum (step 3 of the drill, on "
                     "the requester's machine).");
  o.custom_help(
      "--roster ROSTER --identity identity.age --requests drill.requests "
      "--drill DIR_OR_FILE --partials DIR");
  o.add_options()("roster", "consortium.roster", cxxopts::value<std::string>(),
                  "ROSTER")("identity",
                            "the requester's identity.age (the one that ran "
                            "`drill request`)",
                            cxxopts::value<std::string>(), "FILE")(
      "requests", "drill.requests, as given to the holders",
      cxxopts::value<std::string>(),
      "FILE")("drill", "the drill directory (or one drill file), as requested",
              cxxopts::value<std::string>(), "DIR_OR_FILE")(
      "partials", "directory of the holders' *.partial files",
      cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Every approval is checked as for a real submission: signed by its holder
under this roster, for one of these requests, sealed to your reply key, and
its partial decryption proven (DLEQ) against the holder's verification share
in the roster; a bad one is named by organisation and editor. Then several t
organisations with k_o verified editors each, and one more quorum for every
holder not yet covered, combine (nested Lagrange) and must open every drill
file: key, header MAC and payload. Prints `drill passed: every holder
proven`, or exits non-zero naming every holder whose partial is bad or
missing.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(
          cmd, o, argc, argv, std::string(kFooter) + kPassphraseHelp,
          {"roster", "identity", "requests", "drill", "partials"}, &r)) {
    return *rc;
  }
  StatusOr<v1::EditorIdentity> id =
      OpenEditorIdentity(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  StatusOr<quorum::DrillReport> rep =
      quorum::RunDrillCombine({.roster = r["roster"].as<std::string>(),
                               .requests = r["requests"].as<std::string>(),
                               .drill = r["drill"].as<std::string>(),
                               .partials = r["partials"].as<std::string>()},
                              *id, NowUnix());
  CleanseMessage(&*id);
  if (!rep.ok()) return Fail(cmd, rep.status());
  PrintReport(*rep, "partials checked");
  if (!rep->failures.empty()) return kCeremonyExitDefect;
  std::printf("drill passed: every holder proven\n");
  return kCeremonyExitOk;
}

}  // namespace

int DrillMain(int argc, char** argv) {
  const std::string_view sub = argc >= 2 ? argv[1] : "";
  if (sub == "request") return DrillRequestMain(argc - 1, argv + 1);
  if (sub == "partial") return DrillPartialMain(argc - 1, argv + 1);
  if (sub == "combine") return DrillCombineMain(argc - 1, argv + 1);
  const std::string cmd = "drill";
  cxxopts::Options o("conclave-ceremony drill",
                     "Prove every holder's share works on the drill files.");
  o.custom_help(
      "--dir DIR | request --roster ROSTER --identity identity.age --drill "
      "DIR --out drill.requests | partial --roster ROSTER --identity "
      "identity.age --share share.age --requests drill.requests --out "
      "NAME.partial | combine --roster ROSTER --identity identity.age "
      "--requests drill.requests --drill DIR --partials DIR");
  o.add_options()("dir",
                  "ceremony directory: consortium.roster, drill/, "
                  "orgI/editorJ/identity.age and share.age",
                  cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
The drill decrypts every drill file through the same threshold path as a
real submission, without the audit log (drill files are the only submissions
allowed that): one editor requests, every holder releases a partial
decryption with their identity and share, and the requester combines several
quorums, each of which must open every drill file. Anyone whose share or
identity fails is named.

Multi-machine ceremony (docs/ceremony.md §11a), three steps:
  drill request   on the requester's machine: writes drill.requests
  drill partial   on each holder's machine: writes NAME.partial
  drill combine   on the requester's machine: names anyone who fails

With --dir DIR everything runs on one laptop (§11b): the first editor of the
first organisation requests, then each editor in turn types the passphrases
of their identity.age and share.age when named (with --passphrase-file one
passphrase is used for every file: tests only).
)";
  cxxopts::ParseResult r;
  if (auto rc =
          ParseCommand(cmd, o, argc, argv,
                       std::string(kFooter) + kPassphraseHelp, {"dir"}, &r)) {
    return *rc;
  }
  const std::optional<std::string> file = OptionalString(r, "passphrase-file");
  StatusOr<quorum::DrillReport> rep = quorum::RunDrill(
      r["dir"].as<std::string>(),
      [&](uint32_t org, uint32_t editor, const std::string& name,
          const std::string& what) {
        return GetPassphrase(file,
                             "Editor " + std::to_string(editor) + " (" + name +
                                 ") of organisation " + std::to_string(org) +
                                 ", passphrase of your " + what + ": ",
                             false);
      },
      NowUnix());
  if (!rep.ok()) return Fail(cmd, rep.status());
  PrintReport(*rep, "shares checked");
  if (!rep->failures.empty()) return kCeremonyExitDefect;
  std::printf("drill passed: every share works\n");
  return kCeremonyExitOk;
}

}  // namespace conclave::keyceremony
