#include "keyceremony/rounds.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "audit/cosignature.h"
#include "audit/note.h"
#include "base/file_util.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "keyceremony/simulate.h"
#include "sealed/sealed_file.h"

namespace conclave::keyceremony {

namespace {

namespace fs = std::filesystem;

std::string OrgName(uint32_t o) { return "organisation " + std::to_string(o); }

std::string PointBytes(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

std::string Str(ByteSpan b) { return std::string(b.begin(), b.end()); }

void AppendU32(Bytes* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(uint8_t(v >> s));
}

Bytes Round1Statement(const Sha256Digest& fingerprint, uint32_t org,
                      ByteSpan message) {
  Bytes body(fingerprint.begin(), fingerprint.end());
  AppendU32(&body, org);
  body.insert(body.end(), message.begin(), message.end());
  return DomainSeparatedMessage(kRound1FileDst, body);
}

template <typename M>
Status WriteMessage(const fs::path& path, const M& msg) {
  std::string s;
  msg.SerializeToString(&s);
  return CreateFileAtomically(path, AsBytes(s), 0644);
}

template <typename M>
StatusOr<M> ReadMessage(const fs::path& path, std::string_view what) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes bytes,
                            ReadFileBytes(path, kMaxCeremonyFileSize));
  M msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError(path.string() + " is not a " +
                                std::string(what));
  }
  return msg;
}

// DIR/*SUFFIX, sorted.
StatusOr<std::vector<fs::path>> ListFiles(const fs::path& dir,
                                          std::string_view suffix) {
  std::error_code ec;
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file() && name.size() > suffix.size() &&
        name.ends_with(suffix)) {
      out.push_back(it->path());
    }
  }
  if (ec) {
    return Status(
        StatusCode::kNotFound,
        "cannot read directory " + dir.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status CheckFingerprint(const CheckedPlan& plan, const std::string& fp,
                        const std::string& where) {
  if (fp != Str(plan.fingerprint)) {
    return FailedPreconditionError(
        where + " belongs to another ceremony plan (fingerprint " +
        HexEncode(AsBytes(fp)) + ", this plan " + HexEncode(plan.fingerprint) +
        ")");
  }
  return OkStatus();
}

// Finds the card of an identity: same organisation and Ed25519 key.
StatusOr<uint32_t> IdentityIndex(const CheckedPlan& plan,
                                 const v1::EditorIdentity& identity,
                                 Ed25519PrivateKey* key) {
  CONCLAVE_ASSIGN_OR_RETURN(
      *key, Ed25519PrivateKey::FromSeed(AsBytes(identity.ed25519_seed())));
  const std::string pub(key->public_key().begin(), key->public_key().end());
  StatusOr<uint32_t> o = PlanPosition(plan.body, identity.org_id());
  if (o.ok()) {
    for (const v1::PublicCardBody& c : plan.cards[*o - 1]) {
      if (c.ed25519_public_key() == pub) return c.editor_index();
    }
  }
  return NotFoundError("this identity (" + OrgName(identity.org_id()) +
                       ") is not one of the plan's editors");
}

}  // namespace

// ---- Plan ----

StatusOr<v1::CeremonyPlan> MakePlan(const PlanInput& input) {
  const uint32_t m = static_cast<uint32_t>(input.organisations.size());
  v1::PlanBody body;
  const SecretBytes sid = RandomBytes(32);
  body.set_session_id(Str(sid.span()));
  body.set_threshold(input.threshold);
  body.set_log_vkey(input.log_vkey);
  body.mutable_policy()->set_max_request_lifetime_seconds(
      input.max_request_lifetime_seconds);
  body.set_drill_files(input.drill_files);
  if (input.rekey.has_value()) *body.mutable_rekey() = *input.rekey;
  for (uint32_t o = 1; o <= m; ++o) {
    const PlanOrganisationInput& in = input.organisations[o - 1];
    v1::PlanOrganisation* org = body.add_organisations();
    org->set_id(o);
    org->set_name(in.name);
    org->set_witness_vkey(in.witness_vkey);
    org->set_editor_threshold(in.editor_threshold);
    for (const v1::PublicCard& card : in.cards) *org->add_editor_cards() = card;
  }
  v1::CeremonyPlan plan;
  body.SerializeToString(plan.mutable_signed_());
  CONCLAVE_RETURN_IF_ERROR(CheckPlan(plan).status());
  return plan;
}

bool IsRekeyPlan(const v1::PlanBody& body) { return body.has_rekey(); }

bool RekeyNeedsRedeal(const v1::PlanBody& body) {
  if (!body.has_rekey()) return false;
  for (int i = 0; i < body.rekey().organisation_ids_size(); ++i) {
    if (body.rekey().organisation_ids(i) != static_cast<uint32_t>(i + 1)) {
      return true;
    }
  }
  return false;
}

uint32_t PermanentId(const v1::PlanBody& body, uint32_t position) {
  if (!body.has_rekey() || position < 1 ||
      position > static_cast<uint32_t>(body.rekey().organisation_ids_size())) {
    return position;
  }
  return body.rekey().organisation_ids(static_cast<int>(position - 1));
}

StatusOr<uint32_t> PlanPosition(const v1::PlanBody& body, uint32_t org_id) {
  const uint32_t m = static_cast<uint32_t>(body.organisations_size());
  if (!body.has_rekey()) {
    if (org_id >= 1 && org_id <= m) return org_id;
  } else {
    for (uint32_t i = 1; i <= m; ++i) {
      if (PermanentId(body, i) == org_id) return i;
    }
  }
  std::string ids;
  for (uint32_t i = 1; i <= m; ++i) {
    ids += (ids.empty() ? "" : ", ") + std::to_string(PermanentId(body, i));
  }
  return NotFoundError(OrgName(org_id) +
                       " is not in the plan (its organisations: " + ids + ")");
}

StatusOr<CheckedPlan> CheckPlan(const v1::CeremonyPlan& plan) {
  CheckedPlan out;
  if (!out.body.ParseFromString(plan.signed_())) {
    return InvalidArgumentError("the plan body does not parse");
  }
  out.fingerprint = Sha256(AsBytes(plan.signed_()));
  const v1::PlanBody& b = out.body;
  const uint32_t m = static_cast<uint32_t>(b.organisations_size());
  if (m < 1 || m > kMaxRosterOrganisations) {
    return InvalidArgumentError("the plan needs 1 to 1000 organisations");
  }
  if (b.threshold() < 1 || b.threshold() > m) {
    return InvalidArgumentError(
        "the plan's threshold t = " + std::to_string(b.threshold()) +
        " is not between 1 and " + std::to_string(m));
  }
  if (b.session_id().size() != 32) {
    return InvalidArgumentError("the plan's session id is not 32 bytes");
  }
  if (!audit::ParseVerifierKey(b.log_vkey()).ok()) {
    return InvalidArgumentError("the plan's log vkey does not parse");
  }
  if (b.policy().max_request_lifetime_seconds() == 0) {
    return InvalidArgumentError("the plan's policy has no request lifetime");
  }
  if (b.has_rekey()) {
    // A rekey continues a roster (reshare.h CheckPlanRekey checks it against
    // that roster); here only its shape.
    const v1::PlanRekey& k = b.rekey();
    bool ascending = k.organisation_ids_size() == static_cast<int>(m);
    for (int i = 0; ascending && i < k.organisation_ids_size(); ++i) {
      ascending = k.organisation_ids(i) != 0 &&
                  (i == 0 || k.organisation_ids(i) > k.organisation_ids(i - 1));
    }
    if (k.previous_roster_fingerprint().size() != 32 || k.epoch() < 2 ||
        !ascending) {
      return InvalidArgumentError(
          "the plan's rekey section is malformed (previous roster "
          "fingerprint, epoch >= 2, and one ascending permanent id per "
          "organisation)");
    }
  }
  std::set<std::string> ed_keys;
  for (uint32_t o = 1; o <= m; ++o) {
    const v1::PlanOrganisation& org = b.organisations(o - 1);
    if (org.id() != o) {
      return InvalidArgumentError(
          "plan organisation ids must be 1..m in "
          "order; position " +
          std::to_string(o) + " has id " + std::to_string(org.id()));
    }
    if (org.name().empty()) {
      return InvalidArgumentError(OrgName(o) + " has no name");
    }
    if (!audit::CosignatureV1Verifier::FromVerifierKey(org.witness_vkey())
             .ok()) {
      return InvalidArgumentError(OrgName(o) +
                                  ": the witness vkey does not parse");
    }
    const uint32_t n = static_cast<uint32_t>(org.editor_cards_size());
    if (n < 1 || n > kMaxRosterEditors || org.editor_threshold() < 1 ||
        org.editor_threshold() > n) {
      return InvalidArgumentError(OrgName(o) +
                                  ": needs 1 <= k <= n editors (k = " +
                                  std::to_string(org.editor_threshold()) +
                                  ", n = " + std::to_string(n) + ")");
    }
    std::vector<v1::PublicCardBody> cards;
    for (uint32_t j = 1; j <= n; ++j) {
      StatusOr<v1::PublicCardBody> card =
          VerifyPublicCard(org.editor_cards(j - 1));
      if (!card.ok()) {
        return card.status().Annotate(OrgName(o) + ", editor card " +
                                      std::to_string(j));
      }
      // A rekey plan lists the editors' existing cards, made for the
      // organisation's permanent id.
      if (card->org_id() != PermanentId(b, o)) {
        return InvalidArgumentError(
            OrgName(o) + ", editor card " + std::to_string(j) +
            " was made for organisation " + std::to_string(card->org_id()));
      }
      if (!ed_keys.insert(card->ed25519_public_key()).second) {
        return InvalidArgumentError(OrgName(o) + ", editor card " +
                                    std::to_string(j) +
                                    " repeats another editor's key");
      }
      card->set_editor_index(j);  // the plan assigns indices by order
      cards.push_back(std::move(card).value());
    }
    out.cards.push_back(std::move(cards));
  }
  out.participants.assign(m, std::nullopt);
  out.endorsed_by.assign(m, {});
  std::set<std::string> seen_keys;
  for (const v1::PlanParticipant& p : plan.participants()) {
    const uint32_t o = p.org_id();
    if (o < 1 || o > m) {
      return InvalidArgumentError("a participant key names organisation " +
                                  std::to_string(o) + ", not in the plan");
    }
    if (out.participants[o - 1].has_value()) {
      return InvalidArgumentError(OrgName(o) +
                                  " has two participant keys in the plan");
    }
    StatusOr<Point> key = Point::DecodeCompressed(AsBytes(p.public_key()));
    if (!key.ok() || !seen_keys.insert(p.public_key()).second) {
      return InvalidArgumentError(OrgName(o) +
                                  ": the participant key is malformed or "
                                  "repeats another organisation's");
    }
    const Bytes statement = ParticipantKeyStatement(out.fingerprint, o, *key);
    std::set<uint32_t> endorsers;
    for (const v1::ParticipantEndorsement& e : p.endorsements()) {
      const uint32_t j = e.editor_index();
      const auto& cards = out.cards[o - 1];
      if (j < 1 || j > cards.size() || !endorsers.insert(j).second) {
        return InvalidArgumentError(OrgName(o) +
                                    ": endorsement by unknown or repeated "
                                    "editor " +
                                    std::to_string(j));
      }
      if (!Ed25519Verify(AsBytes(cards[j - 1].ed25519_public_key()), statement,
                         AsBytes(e.signature()))
               .ok()) {
        return Status(StatusCode::kUnauthenticated,
                      OrgName(o) + ": the endorsement by editor " +
                          std::to_string(j) + " (" + cards[j - 1].name() +
                          ") of the participant key does not verify");
      }
    }
    out.participants[o - 1] = std::move(key).value();
    out.endorsed_by[o - 1].assign(endorsers.begin(), endorsers.end());
  }
  return out;
}

Status RequireComplete(const CheckedPlan& plan) {
  std::string missing;
  for (size_t i = 0; i < plan.participants.size(); ++i) {
    const uint32_t o = static_cast<uint32_t>(i + 1);
    if (!plan.participants[i].has_value()) {
      missing += "\n  " + OrgName(o) + " has no participant key yet";
      continue;
    }
    for (const v1::PublicCardBody& c : plan.cards[i]) {
      const auto& e = plan.endorsed_by[i];
      if (std::find(e.begin(), e.end(), c.editor_index()) == e.end()) {
        missing += "\n  " + OrgName(o) + ": editor " +
                   std::to_string(c.editor_index()) + " (" + c.name() +
                   ") has not endorsed the participant key";
      }
    }
  }
  if (!missing.empty()) {
    return FailedPreconditionError("the plan is not complete:" + missing);
  }
  return OkStatus();
}

StatusOr<v1::CeremonyPlan> ReadPlan(const fs::path& path) {
  return ReadMessage<v1::CeremonyPlan>(path, "ceremony plan");
}

Status WritePlan(const fs::path& path, const v1::CeremonyPlan& plan,
                 bool create) {
  std::string s;
  plan.SerializeToString(&s);
  if (create) return CreateFileAtomically(path, AsBytes(s), 0644);
  return WriteFileAtomically(path, AsBytes(s), 0644);
}

Bytes ParticipantKeyStatement(const Sha256Digest& fingerprint, uint32_t org,
                              const Point& key) {
  Bytes body(fingerprint.begin(), fingerprint.end());
  AppendU32(&body, org);
  const CompressedPoint c = key.EncodeCompressed();
  body.insert(body.end(), c.begin(), c.end());
  return DomainSeparatedMessage(kParticipantKeyDst, body);
}

Status AddParticipant(v1::CeremonyPlan* plan, uint32_t org, const Point& key) {
  CONCLAVE_ASSIGN_OR_RETURN(CheckedPlan checked, CheckPlan(*plan));
  if (org < 1 || org > checked.participants.size()) {
    return InvalidArgumentError(OrgName(org) + " is not in the plan");
  }
  if (checked.participants[org - 1].has_value()) {
    return AlreadyExistsError(OrgName(org) +
                              " already has a participant key in the plan");
  }
  v1::PlanParticipant* p = plan->add_participants();
  p->set_org_id(org);
  p->set_public_key(PointBytes(key));
  return OkStatus();
}

StatusOr<uint32_t> Endorse(v1::CeremonyPlan* plan,
                           const v1::EditorIdentity& identity) {
  CONCLAVE_ASSIGN_OR_RETURN(CheckedPlan checked, CheckPlan(*plan));
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();  // replaced below
  CONCLAVE_ASSIGN_OR_RETURN(uint32_t j, IdentityIndex(checked, identity, &key));
  CONCLAVE_ASSIGN_OR_RETURN(const uint32_t o,
                            PlanPosition(checked.body, identity.org_id()));
  if (!checked.participants[o - 1].has_value()) {
    return FailedPreconditionError(
        OrgName(o) +
        " has no participant key in the plan yet: run "
        "`participant new` first");
  }
  for (v1::PlanParticipant& p : *plan->mutable_participants()) {
    if (p.org_id() != o) continue;
    for (const v1::ParticipantEndorsement& e : p.endorsements()) {
      if (e.editor_index() == j) {
        return AlreadyExistsError("editor " + std::to_string(j) + " of " +
                                  OrgName(o) + " has already endorsed");
      }
    }
    const Ed25519Signature sig = key.Sign(ParticipantKeyStatement(
        checked.fingerprint, o, *checked.participants[o - 1]));
    v1::ParticipantEndorsement* e = p.add_endorsements();
    e->set_editor_index(j);
    e->set_signature(Str(sig));
  }
  return j;
}

StatusOr<cocktail::Session> PlanSession(const CheckedPlan& plan) {
  CONCLAVE_RETURN_IF_ERROR(RequireComplete(plan));
  std::vector<Point> keys;
  for (const auto& p : plan.participants) keys.push_back(*p);
  const Bytes context =
      cocktail::RecommendedContext(AsBytes(plan.body.session_id()), keys);
  return cocktail::NewSession(plan.body.threshold(), std::move(keys), context);
}

StatusOr<Scalar> OpenParticipantKey(const CheckedPlan& plan,
                                    const fs::path& path,
                                    const SecretBytes& passphrase,
                                    uint32_t* org) {
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened,
                            ReadSealedFile(path, passphrase));
  if (!opened.message().has_participant_key()) {
    return InvalidArgumentError(path.string() +
                                " does not hold a participant key");
  }
  const v1::CocktailParticipantKey& pk = opened.message().participant_key();
  CONCLAVE_RETURN_IF_ERROR(
      CheckFingerprint(plan, pk.plan_fingerprint(), path.string()));
  CONCLAVE_ASSIGN_OR_RETURN(Scalar d,
                            Scalar::FromBytes(AsBytes(pk.private_key())));
  const uint32_t o = pk.org_id();
  if (o < 1 || o > plan.participants.size() ||
      !plan.participants[o - 1].has_value() ||
      *plan.participants[o - 1] != Point::BaseMul(d)) {
    return PermissionDeniedError("the participant key in " + path.string() +
                                 " is not the plan's participant key of " +
                                 OrgName(o) + ": refusing to use it");
  }
  *org = o;
  return d;
}

// ---- Rounds ----

StatusOr<v1::Round1File> MakeRound1File(const CheckedPlan& plan,
                                        const cocktail::Session& session,
                                        uint32_t org, const Scalar& key) {
  CONCLAVE_ASSIGN_OR_RETURN(cocktail::Round1Output r1,
                            cocktail::Round1(session, org, key));
  const Bytes msg = cocktail::EncodeRound1Message(r1.message);
  // r1.secrets (the polynomial and e_o) are not needed again: round 2
  // needs only d_o and the messages. They are wiped on return.
  CONCLAVE_ASSIGN_OR_RETURN(
      Bytes sig,
      cocktail::SchnorrSign(key, Round1Statement(plan.fingerprint, org, msg)));
  v1::Round1File file;
  file.set_plan_fingerprint(Str(plan.fingerprint));
  file.set_org_id(org);
  file.set_message(Str(msg));
  file.set_signature(Str(sig));
  return file;
}

StatusOr<std::vector<cocktail::Round1Message>> LoadRound1Dir(
    const CheckedPlan& plan, const cocktail::Session& session,
    const fs::path& dir) {
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<fs::path> files,
                            ListFiles(dir, kRound1Suffix));
  const uint32_t m = session.n;
  std::vector<std::optional<cocktail::Round1Message>> got(m);
  for (const fs::path& path : files) {
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::Round1File file, ReadMessage<v1::Round1File>(path, "round-1 file"));
    CONCLAVE_RETURN_IF_ERROR(
        CheckFingerprint(plan, file.plan_fingerprint(), path.string()));
    const uint32_t o = file.org_id();
    if (o < 1 || o > m) {
      return InvalidArgumentError(path.string() + " names organisation " +
                                  std::to_string(o) + ", not in the plan");
    }
    if (got[o - 1].has_value()) {
      return InvalidArgumentError("two round-1 files for " + OrgName(o) + " (" +
                                  path.string() + ")");
    }
    if (!cocktail::SchnorrVerify(
             session.static_public_keys[o - 1], AsBytes(file.signature()),
             Round1Statement(plan.fingerprint, o, AsBytes(file.message())))
             .ok()) {
      return Status(StatusCode::kUnauthenticated,
                    "FAULT: " + OrgName(o) + ": the round-1 file " +
                        path.string() +
                        " is not signed by its participant key (tampered "
                        "or forged)");
    }
    StatusOr<cocktail::Round1Message> msg =
        cocktail::DecodeRound1Message(AsBytes(file.message()), m, session.t);
    if (!msg.ok()) {
      return msg.status().Annotate("FAULT: " + OrgName(o) +
                                   " sent a malformed round-1 message");
    }
    got[o - 1] = std::move(msg).value();
  }
  std::vector<cocktail::Round1Message> out;
  std::string missing;
  for (uint32_t o = 1; o <= m; ++o) {
    if (!got[o - 1].has_value()) {
      missing += " " + std::to_string(o);
      continue;
    }
    out.push_back(std::move(*got[o - 1]));
  }
  if (!missing.empty()) {
    return NotFoundError("no round-1 file in " + dir.string() +
                         " from organisation(s)" + missing);
  }
  return out;
}

StatusOr<v1::Round2File> MakeRound2File(
    const CheckedPlan& plan, const cocktail::Session& session, uint32_t org,
    const Scalar& key, std::span<const cocktail::Round1Message> messages,
    cocktail::Blame* blame) {
  {
    StatusOr<cocktail::Round2Output> r2 =
        cocktail::Round2(session, org, key, messages, blame);
    if (!r2.ok()) return r2.status();
  }  // x_o is wiped here; finish recomputes it
  CONCLAVE_ASSIGN_OR_RETURN(Bytes t, cocktail::Transcript(session, messages));
  CONCLAVE_ASSIGN_OR_RETURN(Bytes sig, cocktail::CertEqSign(key, t));
  v1::Round2File file;
  file.set_plan_fingerprint(Str(plan.fingerprint));
  file.set_org_id(org);
  const Sha256Digest th = Sha256(t);
  file.set_transcript_hash(Str(th));
  file.set_certeq_signature(Str(sig));
  return file;
}

std::string BlameReport(const cocktail::Blame& blame, ByteSpan transcript) {
  std::string r = "COCKTAIL-DKG blame report\n";
  r += "culprit: organisation " + std::to_string(blame.culprit) + "\n";
  r += "reporter: organisation " + std::to_string(blame.reporter) + "\n";
  r += "fault: " + std::string(cocktail::FaultName(blame.fault)) + "\n";
  r += "reason: " + blame.reason + "\n";
  r += std::string("publicly verifiable: ") +
       (blame.publicly_verifiable ? "yes" : "no (needs the reporter's key)") +
       "\n";
  if (blame.disclosed_share.has_value()) {
    // The share the culprit sent (public once disputed, spec
    // "Blame-Finding and Reporting"); not the reporter's own secret.
    r += "disclosed share: " +
         HexEncode(blame.disclosed_share->ToBytes().span()) + "\n";
  }
  if (!blame.signature.empty()) {
    r += "rejected signature: " + HexEncode(blame.signature) + "\n";
  }
  if (!transcript.empty()) {
    r += "transcript SHA-256: " + HexEncode(Sha256(transcript)) + "\n";
  }
  return r;
}

StatusOr<std::vector<Bytes>> LoadRound2Dir(const CheckedPlan& plan,
                                           const cocktail::Session& session,
                                           ByteSpan transcript,
                                           const fs::path& dir) {
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<fs::path> files,
                            ListFiles(dir, kRound2Suffix));
  const uint32_t m = session.n;
  const std::string th = Str(Sha256(transcript));
  std::vector<std::optional<Bytes>> got(m);
  for (const fs::path& path : files) {
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::Round2File file, ReadMessage<v1::Round2File>(path, "round-2 file"));
    CONCLAVE_RETURN_IF_ERROR(
        CheckFingerprint(plan, file.plan_fingerprint(), path.string()));
    const uint32_t o = file.org_id();
    if (o < 1 || o > m || got[o - 1].has_value()) {
      return InvalidArgumentError(path.string() +
                                  ": unknown or repeated organisation " +
                                  std::to_string(o));
    }
    if (file.transcript_hash() != th) {
      return InvalidArgumentError(
          "FAULT: " + OrgName(o) +
          " certified a different transcript (it saw other round-1 "
          "files): its SHA-256 " +
          HexEncode(AsBytes(file.transcript_hash())) + ", ours " +
          HexEncode(AsBytes(th)));
    }
    got[o - 1] = ToBytes(AsBytes(file.certeq_signature()));
  }
  std::vector<Bytes> sigs;
  std::string missing;
  for (uint32_t o = 1; o <= m; ++o) {
    if (!got[o - 1].has_value()) {
      missing += " " + std::to_string(o);
    } else {
      sigs.push_back(std::move(*got[o - 1]));
    }
  }
  if (!missing.empty()) {
    return NotFoundError("no round-2 file in " + dir.string() +
                         " from organisation(s)" + missing);
  }
  cocktail::Blame blame;
  Status s = cocktail::VerifyCertificate(session, transcript, sigs, &blame);
  if (!s.ok()) {
    return s.Annotate("FAULT: " + OrgName(blame.culprit) +
                      ": its CertEq signature does not verify");
  }
  return sigs;
}

// ---- Finish ----

StatusOr<FinishOutput> Finish(const CheckedPlan& plan,
                              const cocktail::Session& session, uint32_t org,
                              const Scalar& key,
                              std::span<const cocktail::Round1Message> messages,
                              std::span<const Bytes> certeq_signatures) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes t, cocktail::Transcript(session, messages));
  CONCLAVE_RETURN_IF_ERROR(
      cocktail::VerifyCertificate(session, t, certeq_signatures));
  cocktail::Blame blame;
  StatusOr<cocktail::Round2Output> r2 =
      cocktail::Round2(session, org, key, messages, &blame);
  if (!r2.ok()) return r2.status();
  const v1::PlanOrganisation& po = plan.body.organisations(org - 1);
  v1::RosterOrganisation ro;
  ro.set_id(org);
  for (size_t j = 0; j < plan.cards[org - 1].size(); ++j) ro.add_editors();
  FinishOutput out;
  out.consortium_key = r2->group_public_key;
  {
    const Scalar x_o = std::move(r2->secret_share);
    r2 = InternalError("consumed");  // nothing else holds x_o
    CONCLAVE_ASSIGN_OR_RETURN(
        out.shares, SplitOrganisationSecret(x_o, po.editor_threshold(), &ro));
  }  // x_o is wiped here
  out.file.set_plan_fingerprint(Str(plan.fingerprint));
  out.file.set_org_id(org);
  out.file.set_verification_share(ro.verification_share());
  for (const std::string& c : ro.editor_commitments()) {
    out.file.add_editor_commitments(c);
  }
  for (const v1::RosterEditor& e : ro.editors()) {
    out.file.add_editor_verification_shares(e.verification_share());
  }
  return out;
}

// ---- Roster ----

StatusOr<AssembledRoster> AssembleRoster(
    const CheckedPlan& plan, const cocktail::Session& session,
    std::span<const cocktail::Round1Message> messages,
    std::span<const Bytes> certeq_signatures,
    std::span<const fs::path> finish_dirs, const fs::path& drill_dir) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes t, cocktail::Transcript(session, messages));
  CONCLAVE_RETURN_IF_ERROR(
      cocktail::VerifyCertificate(session, t, certeq_signatures));
  CONCLAVE_ASSIGN_OR_RETURN(Point y,
                            cocktail::GroupPublicKey(session, messages));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Point> xs,
                            cocktail::VerificationShares(session, messages));
  const uint32_t m = session.n;

  v1::RosterBody body;
  body.set_epoch(1);
  body.set_threshold(plan.body.threshold());
  body.set_consortium_key(PointBytes(y));
  for (uint32_t k = 0; k < session.t; ++k) {
    Point c = Point::Infinity();
    for (const cocktail::Round1Message& msg : messages)
      c = c + msg.commitment[k];
    body.add_consortium_commitments(PointBytes(c));
  }
  body.set_key_generation(v1::KEY_GENERATION_COCKTAIL_DKG);
  const Sha256Digest th = Sha256(t);
  body.set_transcript_hash(Str(th));
  body.set_log_vkey(plan.body.log_vkey());
  *body.mutable_policy() = plan.body.policy();
  body.set_session_id(plan.body.session_id());
  if (plan.body.has_rekey()) {
    // The rekey epoch (reshare.h "Rekey"): ids are positions; a re-deal
    // takes them to the permanent ids when those differ.
    const v1::PlanRekey& k = plan.body.rekey();
    body.set_epoch(k.epoch());
    body.set_previous_roster_fingerprint(k.previous_roster_fingerprint());
    body.set_next_organisation_id(k.next_organisation_id());
    body.mutable_change()->set_kind(v1::MEMBERSHIP_CHANGE_REKEY);
  }

  std::vector<fs::path> files;
  for (const fs::path& d : finish_dirs) {
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<fs::path> more,
                              ListFiles(d, kFinishSuffix));
    files.insert(files.end(), more.begin(), more.end());
  }
  std::vector<std::optional<v1::FinishFile>> finish(m);
  for (const fs::path& path : files) {
    CONCLAVE_ASSIGN_OR_RETURN(v1::FinishFile f,
                              ReadMessage<v1::FinishFile>(path, "finish file"));
    CONCLAVE_RETURN_IF_ERROR(
        CheckFingerprint(plan, f.plan_fingerprint(), path.string()));
    if (f.org_id() < 1 || f.org_id() > m || finish[f.org_id() - 1]) {
      return InvalidArgumentError(path.string() +
                                  ": unknown or repeated organisation " +
                                  std::to_string(f.org_id()));
    }
    finish[f.org_id() - 1] = std::move(f);
  }
  for (uint32_t o = 1; o <= m; ++o) {
    if (!finish[o - 1]) {
      return NotFoundError("no finish file from " + OrgName(o) +
                           " in the --finish directories");
    }
    const v1::FinishFile& f = *finish[o - 1];
    const v1::PlanOrganisation& po = plan.body.organisations(o - 1);
    if (f.verification_share() != PointBytes(xs[o - 1])) {
      return InvalidArgumentError(
          "FAULT: " + OrgName(o) +
          ": the finish file's X_o is not the one the DKG gives");
    }
    if (f.editor_verification_shares_size() != po.editor_cards_size()) {
      return InvalidArgumentError("FAULT: " + OrgName(o) +
                                  ": the finish file has the wrong number "
                                  "of editor verification shares");
    }
    // The editor split must be a Feldman dealing of X_o: C^o_0 = X_o and
    // Y_oj = Σ C^o_k·j^k (checked here so nobody signs a wrong roster).
    std::vector<Bytes> enc;
    for (const std::string& c : f.editor_commitments())
      enc.push_back(ToBytes(c));
    StatusOr<std::vector<Point>> cs =
        DecodeCommitments(enc, po.editor_threshold());
    if (!cs.ok() || (*cs)[0] != xs[o - 1]) {
      return InvalidArgumentError("FAULT: " + OrgName(o) +
                                  ": the editor commitments are malformed or "
                                  "do not commit to X_o");
    }
    for (int j = 0; j < f.editor_verification_shares_size(); ++j) {
      StatusOr<Point> want = EvaluateCommitments(*cs, j + 1);
      if (!want.ok() || want->IsInfinity() ||
          f.editor_verification_shares(j) != PointBytes(*want)) {
        return InvalidArgumentError(
            "FAULT: " + OrgName(o) + ": editor " + std::to_string(j + 1) +
            "'s verification share does not match the commitments");
      }
    }
    v1::RosterOrganisation* ro = body.add_organisations();
    ro->set_id(o);
    ro->set_cocktail_position(o);
    ro->set_name(po.name());
    ro->set_witness_vkey(po.witness_vkey());
    ro->set_editor_threshold(po.editor_threshold());
    ro->set_editor_count(po.editor_cards_size());
    for (const std::string& c : f.editor_commitments()) {
      ro->add_editor_commitments(c);
    }
    ro->set_verification_share(f.verification_share());
    for (size_t j = 0; j < plan.cards[o - 1].size(); ++j) {
      const v1::PublicCardBody& card = plan.cards[o - 1][j];
      v1::RosterEditor* e = ro->add_editors();
      e->set_index(card.editor_index());
      e->set_name(card.name());
      e->set_ed25519_public_key(card.ed25519_public_key());
      e->set_p256_public_key(card.p256_public_key());
      e->set_verification_share(
          f.editor_verification_shares(static_cast<int>(j)));
    }
  }
  CONCLAVE_RETURN_IF_ERROR(
      MakeDrillFiles(y, plan.body.drill_files(), drill_dir, &body).status());

  AssembledRoster out;
  body.SerializeToString(out.roster.mutable_signed_());
  out.fingerprint = Sha256(AsBytes(out.roster.signed_()));
  out.record.set_transcript(Str(t));
  for (const Bytes& sig : certeq_signatures) {
    out.record.add_certeq_signatures(Str(sig));
  }
  return out;
}

StatusOr<v1::RosterSignature> SignAssembledRoster(
    v1::Roster* roster, const v1::EditorIdentity& identity) {
  v1::RosterBody body;
  if (!body.ParseFromString(roster->signed_())) {
    return InvalidArgumentError("the roster body does not parse");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey key,
      Ed25519PrivateKey::FromSeed(AsBytes(identity.ed25519_seed())));
  const std::string pub(key.public_key().begin(), key.public_key().end());
  const v1::RosterOrganisation* org = FindOrganisation(body, identity.org_id());
  if (body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY) {
    // A rekey's DKG roster numbers organisations by position, not by the
    // identity's permanent id: find the editor by key (keys are unique).
    for (const v1::RosterOrganisation& o : body.organisations()) {
      for (const v1::RosterEditor& e : o.editors()) {
        if (e.ed25519_public_key() == pub) org = &o;
      }
    }
  }
  if (org == nullptr) {
    return NotFoundError("organisation " + std::to_string(identity.org_id()) +
                         " is not in this roster");
  }
  for (const v1::RosterEditor& e : org->editors()) {
    if (e.ed25519_public_key() != pub) continue;
    for (const v1::RosterSignature& s : roster->signatures()) {
      if (s.org_id() == org->id() && s.editor_index() == e.index()) {
        return AlreadyExistsError("you have already signed this roster");
      }
    }
    v1::RosterSignature sig =
        SignRosterBody(AsBytes(roster->signed_()), org->id(), e.index(), key);
    *roster->add_signatures() = sig;
    return sig;
  }
  return NotFoundError("this identity is not an editor of organisation " +
                       std::to_string(org->id()) + " in this roster");
}

Status ShredFile(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    return NotFoundError("cannot shred " + path.string() + ": " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0)
    return Status(StatusCode::kUnavailable, "cannot open " + path.string());
  const Bytes zeros(4096, 0);
  for (uintmax_t done = 0; done < size;) {
    const size_t n =
        static_cast<size_t>(std::min<uintmax_t>(4096, size - done));
    if (::write(fd, zeros.data(), n) != static_cast<ssize_t>(n)) {
      ::close(fd);
      return Status(StatusCode::kUnavailable,
                    "cannot overwrite " + path.string());
    }
    done += n;
  }
  ::fsync(fd);
  ::close(fd);
  fs::remove(path, ec);
  if (ec)
    return Status(StatusCode::kUnavailable, "cannot remove " + path.string());
  return OkStatus();
}

}  // namespace conclave::keyceremony
