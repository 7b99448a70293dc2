#include "keyceremony/roster.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "audit/cosignature.h"
#include "audit/note.h"
#include "base/byte_io.h"
#include "base/file_util.h"
#include "keyceremony/cocktail.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {

namespace {

std::string OrgName(uint32_t id) {
  return "organisation " + std::to_string(id);
}

std::string EditorName(uint32_t org, uint32_t index) {
  return "organisation " + std::to_string(org) + " editor " +
         std::to_string(index);
}

std::optional<Point> DecodePoint(const std::string& bytes) {
  StatusOr<Point> p = Point::DecodeCompressed(AsBytes(bytes));
  if (!p.ok()) return std::nullopt;
  return *p;
}

std::string PointBytes(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

bool IsLowerHexId(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status DefectsStatus(StatusCode code, std::string_view what,
                     const std::vector<std::string>& defects) {
  std::string msg = "roster " + std::string(what) + ": " +
                    std::to_string(defects.size()) + " defect" +
                    (defects.size() == 1 ? "" : "s") + ": ";
  for (size_t i = 0; i < defects.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += defects[i];
  }
  return Status(code, std::move(msg));
}

// Phase 1: what signature verification needs.
void CheckSignerStructure(const v1::RosterBody& body,
                          std::vector<std::string>& defects) {
  if (body.organisations().empty()) {
    defects.push_back("the roster lists no organisation");
  }
  // Bounds keep the verifier's work on a hostile roster reasonable.
  if (body.organisations_size() > static_cast<int>(kMaxRosterOrganisations)) {
    defects.push_back(
        "the roster lists " + std::to_string(body.organisations_size()) +
        " organisations, more than " + std::to_string(kMaxRosterOrganisations));
    return;
  }
  std::set<uint32_t> seen;
  uint32_t previous = 0;
  for (const v1::RosterOrganisation& org : body.organisations()) {
    if (org.id() == 0) {
      defects.push_back("an organisation has id 0 (ids start at 1)");
      continue;
    }
    if (!seen.insert(org.id()).second) {
      defects.push_back("duplicate organisation id " +
                        std::to_string(org.id()) +
                        " (organisation ids are permanent and unique)");
    } else if (org.id() < previous) {
      defects.push_back(OrgName(org.id()) +
                        " is out of order (ids must be strictly ascending)");
    }
    previous = std::max(previous, org.id());
    if (org.editors().empty()) {
      defects.push_back(OrgName(org.id()) + " has no editors");
    }
    if (org.editors_size() > static_cast<int>(kMaxRosterEditors)) {
      defects.push_back(OrgName(org.id()) + " lists more than " +
                        std::to_string(kMaxRosterEditors) + " editors");
      continue;
    }
    for (int j = 0; j < org.editors_size(); ++j) {
      const v1::RosterEditor& e = org.editors(j);
      if (e.index() != static_cast<uint32_t>(j + 1)) {
        defects.push_back(OrgName(org.id()) + ": editor at position " +
                          std::to_string(j + 1) + " has index " +
                          std::to_string(e.index()) +
                          " (indices are 1..n_o in plan order)");
      }
      if (e.ed25519_public_key().size() != kEd25519PublicKeySize) {
        defects.push_back(EditorName(org.id(), j + 1) +
                          ": Ed25519 public key is not 32 bytes");
      }
    }
  }
}

// Phase 2: every editor signed exactly once, nobody else did.
void CheckSignatures(const v1::Roster& roster, const v1::RosterBody& body,
                     std::vector<std::string>& defects) {
  std::map<std::pair<uint32_t, uint32_t>, const v1::RosterEditor*> editors;
  for (const v1::RosterOrganisation& org : body.organisations()) {
    for (const v1::RosterEditor& e : org.editors()) {
      editors[{org.id(), e.index()}] = &e;
    }
  }
  // A few foreign or repeated signatures are reported one by one; a flood
  // is refused before any verification.
  if (static_cast<size_t>(roster.signatures_size()) > editors.size() + 16) {
    defects.push_back(std::to_string(roster.signatures_size()) +
                      " signatures for " + std::to_string(editors.size()) +
                      " editors");
    return;
  }
  const Bytes message =
      DomainSeparatedMessage(kRosterDst, AsBytes(roster.signed_()));
  std::set<std::pair<uint32_t, uint32_t>> signed_by;
  for (const v1::RosterSignature& sig : roster.signatures()) {
    const std::pair<uint32_t, uint32_t> who{sig.org_id(), sig.editor_index()};
    auto it = editors.find(who);
    if (it == editors.end()) {
      defects.push_back("a signature claims to be by " +
                        EditorName(who.first, who.second) +
                        ", who is not an editor in this roster");
      continue;
    }
    if (!signed_by.insert(who).second) {
      defects.push_back(EditorName(who.first, who.second) +
                        " signed more than once");
      continue;
    }
    if (!Ed25519Verify(AsBytes(it->second->ed25519_public_key()), message,
                       AsBytes(sig.signature()))
             .ok()) {
      defects.push_back("the signature of " +
                        EditorName(who.first, who.second) + " (" +
                        it->second->name() + ") does not verify");
    }
  }
  for (const auto& [who, editor] : editors) {
    if (!signed_by.contains(who)) {
      defects.push_back(EditorName(who.first, who.second) + " (" +
                        editor->name() + ") has not signed");
    }
  }
}

// Phase 3: every other field and relation.
void CheckContents(const v1::RosterBody& body, std::optional<Point>& y,
                   std::vector<std::string>& defects) {
  const uint32_t m = static_cast<uint32_t>(body.organisations_size());
  const uint32_t t = body.threshold();
  if (body.epoch() == 0) defects.push_back("epoch is 0 (epochs start at 1)");
  // Membership change (brief §9): epoch 1 has no predecessor; a later epoch
  // names its predecessor and the kind of change (VerifyRosterSuccessor in
  // reshare.h checks it against that roster).
  uint32_t max_id = 0;
  for (const v1::RosterOrganisation& org : body.organisations()) {
    max_id = std::max(max_id, org.id());
  }
  if (body.next_organisation_id() != 0 &&
      body.next_organisation_id() <= max_id) {
    defects.push_back("next_organisation_id " +
                      std::to_string(body.next_organisation_id()) +
                      " is not above every organisation id");
  }
  if (body.epoch() == 1) {
    if (!body.previous_roster_fingerprint().empty() || body.has_change()) {
      defects.push_back(
          "an epoch-1 roster names a previous roster or a membership change");
    }
  } else if (body.epoch() > 1) {
    if (body.previous_roster_fingerprint().size() != 32) {
      defects.push_back(
          "a later-epoch roster needs the previous roster's fingerprint "
          "(32 bytes)");
    }
    if (body.change().kind() == v1::MEMBERSHIP_CHANGE_UNSPECIFIED) {
      defects.push_back("a later-epoch roster does not record its change");
    } else if (body.change().kind() != v1::MEMBERSHIP_CHANGE_REKEY &&
               body.change().dealers().empty()) {
      defects.push_back("a reshare or refresh roster names no dealers");
    }
    if (body.next_organisation_id() == 0) {
      defects.push_back("a later-epoch roster needs next_organisation_id");
    }
  }
  if (t == 0 || t > m) {
    defects.push_back("threshold t = " + std::to_string(t) +
                      " is not between 1 and the " + std::to_string(m) +
                      " organisations");
  }
  y = DecodePoint(body.consortium_key());
  if (!y) defects.push_back("consortium key Y is not a valid point");

  // Consortium commitments: t points, C_0 = Y.
  std::vector<Point> commitments;
  bool commitments_ok = true;
  if (static_cast<uint32_t>(body.consortium_commitments_size()) != t) {
    defects.push_back("consortium commitments: " +
                      std::to_string(body.consortium_commitments_size()) +
                      " points, expected t = " + std::to_string(t));
    commitments_ok = false;
  }
  for (int k = 0; k < body.consortium_commitments_size(); ++k) {
    std::optional<Point> c = DecodePoint(body.consortium_commitments(k));
    if (!c) {
      defects.push_back("consortium commitment " + std::to_string(k) +
                        " is not a valid point");
      commitments_ok = false;
      continue;
    }
    commitments.push_back(*c);
  }
  if (commitments_ok && y && !commitments.empty() && commitments[0] != *y) {
    defects.push_back("consortium commitment C_0 is not the consortium key Y");
  }

  // Key generation record.
  switch (body.key_generation()) {
    case v1::KEY_GENERATION_COCKTAIL_DKG:
      if (body.transcript_hash().size() != 32) {
        defects.push_back(
            "transcript hash is not 32 bytes (SHA-256 of the COCKTAIL "
            "transcript)");
      }
      if (body.session_id().empty()) {
        defects.push_back("the DKG session id is empty");
      }
      break;
    case v1::KEY_GENERATION_TRUSTED_DEALER:
      // After a reshare or refresh the transcript hash is that of the
      // reshare record (reshare.h).
      if (!body.transcript_hash().empty() &&
          (body.change().kind() == v1::MEMBERSHIP_CHANGE_UNSPECIFIED ||
           body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY)) {
        defects.push_back("a trusted-dealer roster has a transcript hash");
      }
      break;
    default:
      defects.push_back("key generation method is not recorded");
  }

  std::set<std::string> witness_keys, editor_keys, p256_keys;
  std::set<uint32_t> positions;
  std::vector<IndexedPoint> xs;  // finite X_o, in roster order
  for (const v1::RosterOrganisation& org : body.organisations()) {
    const std::string on = OrgName(org.id());
    if (org.name().empty()) defects.push_back(on + " has no name");
    // COCKTAIL position: the DKG evaluates at positions, the roster at ids,
    // so at the ceremony (epoch 1) they must coincide.
    if (body.key_generation() == v1::KEY_GENERATION_COCKTAIL_DKG &&
        body.epoch() == 1) {
      if (org.cocktail_position() != org.id()) {
        defects.push_back(on + ": COCKTAIL position " +
                          std::to_string(org.cocktail_position()) +
                          " differs from its id at epoch 1");
      }
    }
    if (org.cocktail_position() != 0 &&
        !positions.insert(org.cocktail_position()).second) {
      defects.push_back(on + ": COCKTAIL position " +
                        std::to_string(org.cocktail_position()) +
                        " is used twice");
    }
    if (!audit::CosignatureV1Verifier::FromVerifierKey(org.witness_vkey())
             .ok()) {
      defects.push_back(on +
                        ": witness vkey does not parse (expected a "
                        "tlog-cosignature/v1 vkey, type 0x04)");
    } else if (!witness_keys.insert(org.witness_vkey()).second) {
      defects.push_back(on + ": witness vkey is also another organisation's");
    }
    const uint32_t n_o = static_cast<uint32_t>(org.editors_size());
    const uint32_t k_o = org.editor_threshold();
    if (org.editor_count() != n_o) {
      defects.push_back(on + ": n_o = " + std::to_string(org.editor_count()) +
                        " but " + std::to_string(n_o) + " editors are listed");
    }
    const bool k_ok = k_o >= 1 && k_o <= n_o;
    if (!k_ok) {
      defects.push_back(on + ": editor threshold k_o = " + std::to_string(k_o) +
                        " is not between 1 and n_o = " + std::to_string(n_o));
    }

    // X_o.
    std::optional<Point> x_o = DecodePoint(org.verification_share());
    if (!x_o) {
      defects.push_back(on + ": verification share X_o is not a valid point");
    } else {
      xs.push_back({org.id(), *x_o});
      if (commitments_ok && !commitments.empty()) {
        StatusOr<Point> expected = EvaluateCommitments(commitments, org.id());
        if (!expected.ok() || *expected != *x_o) {
          defects.push_back(on +
                            ": verification share X_o does not match the "
                            "consortium commitments");
        }
      }
    }

    // Editor split: k_o commitments, C^o_0 = X_o, Y_oj on them.
    std::vector<Point> editor_commitments;
    bool ec_ok = k_ok;
    if (k_ok && static_cast<uint32_t>(org.editor_commitments_size()) != k_o) {
      defects.push_back(
          on + ": " + std::to_string(org.editor_commitments_size()) +
          " editor commitments, expected k_o = " + std::to_string(k_o));
      ec_ok = false;
    }
    for (int k = 0; k < org.editor_commitments_size(); ++k) {
      std::optional<Point> c = DecodePoint(org.editor_commitments(k));
      if (!c) {
        defects.push_back(on + ": editor commitment " + std::to_string(k) +
                          " is not a valid point");
        ec_ok = false;
        continue;
      }
      editor_commitments.push_back(*c);
    }
    if (ec_ok && x_o && editor_commitments[0] != *x_o) {
      defects.push_back(on +
                        ": editor commitment C^o_0 is not the organisation's "
                        "verification share X_o");
    }
    for (const v1::RosterEditor& e : org.editors()) {
      const std::string en = EditorName(org.id(), e.index());
      if (e.name().empty()) defects.push_back(en + " has no name");
      if (!editor_keys.insert(e.ed25519_public_key()).second) {
        defects.push_back(en + ": Ed25519 key is also another editor's");
      }
      if (!DecodePoint(e.p256_public_key())) {
        defects.push_back(en + ": P-256 public key is not a valid point");
      } else if (!p256_keys.insert(e.p256_public_key()).second) {
        defects.push_back(en + ": P-256 key is also another editor's");
      }
      std::optional<Point> y_oj = DecodePoint(e.verification_share());
      if (!y_oj) {
        defects.push_back(en +
                          ": verification share Y_oj is not a valid point");
        continue;
      }
      if (ec_ok) {
        StatusOr<Point> expected =
            EvaluateCommitments(editor_commitments, e.index());
        if (!expected.ok() || *expected != *y_oj) {
          defects.push_back(en +
                            ": verification share Y_oj does not match the "
                            "organisation's editor commitments");
        }
      }
    }
  }

  // The X_o interpolate to Y for any t organisations: the first t do, and
  // each further X_o lies on their degree t-1 polynomial (equivalently, the
  // first t-1 with it interpolate to Y too).
  if (y && t >= 1 && xs.size() == m && t <= m) {
    std::vector<IndexedPoint> base(xs.begin(), xs.begin() + t);
    StatusOr<Point> at_zero = InterpolatePointsAtZero(base);
    if (!at_zero.ok() || *at_zero != *y) {
      std::string ids;
      for (const IndexedPoint& p : base) {
        ids += (ids.empty() ? "" : ",") + std::to_string(p.index);
      }
      defects.push_back("the verification shares of organisations " + ids +
                        " do not interpolate to the consortium key Y");
    } else {
      for (size_t i = t; i < xs.size(); ++i) {
        std::vector<IndexedPoint> set(xs.begin(), xs.begin() + (t - 1));
        set.push_back(xs[i]);
        StatusOr<Point> p = InterpolatePointsAtZero(set);
        if (!p.ok() || *p != *y) {
          defects.push_back(OrgName(xs[i].index) +
                            ": verification share X_o does not lie on the "
                            "polynomial of the other organisations' shares "
                            "(it does not interpolate to Y)");
        }
      }
    }
  }

  if (!audit::Ed25519NoteVerifier::FromVerifierKey(body.log_vkey()).ok()) {
    defects.push_back(
        "the log vkey does not parse (expected a signed-note Ed25519 vkey, "
        "type 0x01)");
  }
  std::set<std::string> drills;
  for (const std::string& id : body.drill_submission_ids()) {
    if (!IsLowerHexId(id)) {
      defects.push_back("drill submission id '" + id.substr(0, 80) +
                        "' is not 64 lowercase hex digits");
    } else if (!drills.insert(id).second) {
      defects.push_back("drill submission id " + id + " is listed twice");
    }
  }
  if (body.policy().max_request_lifetime_seconds() == 0) {
    defects.push_back("policy: maximum request lifetime is not set");
  }
}

}  // namespace

Bytes DomainSeparatedMessage(std::string_view dst, ByteSpan body) {
  Bytes out;
  out.reserve(4 + dst.size() + body.size());
  const uint32_t n = static_cast<uint32_t>(dst.size());
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), dst.begin(), dst.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

StatusOr<v1::PublicCard> MakePublicCard(const v1::PublicCardBody& body,
                                        const Ed25519PrivateKey& key) {
  if (body.ed25519_public_key() !=
      std::string(key.public_key().begin(), key.public_key().end())) {
    return InvalidArgumentError(
        "a public card must be signed by its own Ed25519 key");
  }
  v1::PublicCard card;
  if (!body.SerializeToString(card.mutable_signed_())) {
    return InternalError("cannot serialize the public card");
  }
  const Ed25519Signature sig =
      key.Sign(DomainSeparatedMessage(kEditorCardDst, AsBytes(card.signed_())));
  card.set_signature(std::string(sig.begin(), sig.end()));
  return card;
}

StatusOr<v1::PublicCardBody> VerifyPublicCard(const v1::PublicCard& card) {
  // The key is inside the signed bytes: take it out without trusting
  // anything else, verify, then parse for real.
  v1::PublicCardBody body;
  if (!body.ParseFromString(card.signed_())) {
    return InvalidArgumentError("public card: the body does not parse");
  }
  if (body.ed25519_public_key().size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("public card: Ed25519 key is not 32 bytes");
  }
  if (!Ed25519Verify(
           AsBytes(body.ed25519_public_key()),
           DomainSeparatedMessage(kEditorCardDst, AsBytes(card.signed_())),
           AsBytes(card.signature()))
           .ok()) {
    return UnauthenticatedError(
        "public card: the self-signature does not verify");
  }
  if (body.org_id() == 0) {
    return InvalidArgumentError("public card: organisation id is 0");
  }
  if (!DecodePoint(body.p256_public_key())) {
    return InvalidArgumentError(
        "public card: P-256 key is not a valid compressed point");
  }
  if (body.name().empty()) {
    return InvalidArgumentError("public card: the name is empty");
  }
  return body;
}

v1::RosterSignature SignRosterBody(ByteSpan signed_body, uint32_t org_id,
                                   uint32_t editor_index,
                                   const Ed25519PrivateKey& key) {
  v1::RosterSignature sig;
  sig.set_org_id(org_id);
  sig.set_editor_index(editor_index);
  const Ed25519Signature s =
      key.Sign(DomainSeparatedMessage(kRosterDst, signed_body));
  sig.set_signature(std::string(s.begin(), s.end()));
  return sig;
}

StatusOr<v1::Roster> SignRoster(const v1::RosterBody& body,
                                std::span<const RosterSigner> signers) {
  v1::Roster roster;
  if (!body.SerializeToString(roster.mutable_signed_())) {
    return InternalError("cannot serialize the roster body");
  }
  for (const RosterSigner& s : signers) {
    if (s.key == nullptr) return InvalidArgumentError("a signer has no key");
    *roster.add_signatures() = SignRosterBody(AsBytes(roster.signed_()),
                                              s.org_id, s.editor_index, *s.key);
  }
  return roster;
}

StatusOr<VerifiedRoster> VerifyRoster(const v1::Roster& roster) {
  VerifiedRoster out;
  if (!out.body.ParseFromString(roster.signed_())) {
    return InvalidArgumentError("roster: the signed body does not parse");
  }
  std::vector<std::string> defects;
  CheckSignerStructure(out.body, defects);
  if (!defects.empty()) {
    return DefectsStatus(StatusCode::kInvalidArgument, "structure", defects);
  }
  CheckSignatures(roster, out.body, defects);
  // Dealers' signatures are checked against the previous roster
  // (VerifyRosterSuccessor); an epoch-1 roster has none.
  if (out.body.epoch() <= 1 && roster.dealer_signatures_size() != 0) {
    defects.push_back("an epoch-1 roster carries dealer signatures");
  } else if (roster.dealer_signatures_size() >
             static_cast<int>(kMaxRosterEditors)) {
    defects.push_back("too many dealer signatures");
  }
  if (!defects.empty()) {
    return DefectsStatus(StatusCode::kUnauthenticated, "signatures", defects);
  }
  std::optional<Point> y;
  CheckContents(out.body, y, defects);
  if (!defects.empty()) {
    return DefectsStatus(StatusCode::kInvalidArgument, "contents", defects);
  }
  out.fingerprint = Sha256(AsBytes(roster.signed_()));
  out.consortium_key = *y;
  return out;
}

StatusOr<VerifiedRoster> VerifyEncodedRoster(ByteSpan encoded) {
  v1::Roster roster;
  if (!roster.ParseFromArray(encoded.data(),
                             static_cast<int>(encoded.size()))) {
    return InvalidArgumentError("not a roster (the file does not parse)");
  }
  return VerifyRoster(roster);
}

StatusOr<VerifiedRoster> ReadRosterFile(const std::filesystem::path& path) {
  StatusOr<Bytes> data = ReadFileBytes(path, kMaxRosterSize);
  if (!data.ok()) return data.status().Annotate(path.string());
  StatusOr<VerifiedRoster> r = VerifyEncodedRoster(*data);
  if (!r.ok()) return r.status().Annotate(path.string());
  return r;
}

const v1::RosterOrganisation* FindOrganisation(const v1::RosterBody& body,
                                               uint32_t id) {
  for (const v1::RosterOrganisation& org : body.organisations()) {
    if (org.id() == id) return &org;
  }
  return nullptr;
}

Status CheckEditorShare(const v1::EditorShare& share,
                        const VerifiedRoster& roster) {
  const std::string en = EditorName(share.org_id(), share.editor_index());
  if (share.consortium_key() != PointBytes(roster.consortium_key)) {
    return FailedPreconditionError("the share of " + en +
                                   " is for another consortium key");
  }
  if (share.epoch() != roster.body.epoch()) {
    return FailedPreconditionError("the share of " + en + " is for epoch " +
                                   std::to_string(share.epoch()) +
                                   ", the roster is at epoch " +
                                   std::to_string(roster.body.epoch()));
  }
  const v1::RosterOrganisation* org =
      FindOrganisation(roster.body, share.org_id());
  if (org == nullptr) {
    return FailedPreconditionError("the share names " +
                                   OrgName(share.org_id()) +
                                   ", which is not in the roster");
  }
  const v1::RosterEditor* editor = nullptr;
  for (const v1::RosterEditor& e : org->editors()) {
    if (e.index() == share.editor_index()) editor = &e;
  }
  if (editor == nullptr) {
    return FailedPreconditionError("the share names " + en +
                                   ", who is not in the roster");
  }
  if (share.verification_share() != editor->verification_share()) {
    return InvalidArgumentError("the share of " + en +
                                " records a verification share that is not "
                                "the roster's Y_oj");
  }
  StatusOr<Scalar> y = Scalar::FromBytes(AsBytes(share.share()));
  if (!y.ok() || y->IsZero()) {
    return InvalidArgumentError("the share of " + en + " is malformed");
  }
  std::optional<Point> y_oj = DecodePoint(editor->verification_share());
  if (!y_oj || Point::BaseMul(*y) != *y_oj) {
    return InvalidArgumentError("the share of " + en +
                                " does not match its verification share "
                                "Y_oj (y_oj·G ≠ Y_oj)");
  }
  return OkStatus();
}

Status CheckCocktailRecord(const v1::CocktailRecord& record,
                           const VerifiedRoster& roster) {
  const v1::RosterBody& body = roster.body;
  if (body.key_generation() != v1::KEY_GENERATION_COCKTAIL_DKG) {
    return InvalidArgumentError(
        "the roster's key was not made by COCKTAIL-DKG; a COCKTAIL record "
        "does not belong to it");
  }
  const Sha256Digest hash = Sha256(AsBytes(record.transcript()));
  if (std::string(hash.begin(), hash.end()) != body.transcript_hash()) {
    return InvalidArgumentError(
        "COCKTAIL record: SHA-256 of the transcript is not the roster's "
        "transcript hash (a record of another ceremony, or altered)");
  }
  StatusOr<cocktail::ParsedTranscript> parsed =
      cocktail::ParseTranscript(AsBytes(record.transcript()));
  if (!parsed.ok()) {
    return parsed.status().Annotate("COCKTAIL record: transcript");
  }
  const cocktail::Session& session = parsed->session;
  if (session.n != static_cast<uint32_t>(body.organisations_size()) ||
      session.t != body.threshold()) {
    return InvalidArgumentError(
        "COCKTAIL record: the transcript has n = " + std::to_string(session.n) +
        ", t = " + std::to_string(session.t) + "; the roster differs");
  }
  if (session.context !=
      cocktail::RecommendedContext(AsBytes(body.session_id()),
                                   session.static_public_keys)) {
    return InvalidArgumentError(
        "COCKTAIL record: the transcript's context is not the recommended "
        "context of the roster's session id");
  }
  std::vector<Bytes> signatures;
  for (const std::string& sig : record.certeq_signatures()) {
    signatures.push_back(ToBytes(AsBytes(sig)));
  }
  if (signatures.size() != session.n) {
    return InvalidArgumentError(
        "COCKTAIL record: " + std::to_string(signatures.size()) +
        " CertEq signatures, expected " + std::to_string(session.n));
  }
  cocktail::Blame blame;
  Status certified = cocktail::VerifyCertificate(
      session, AsBytes(record.transcript()), signatures, &blame);
  if (!certified.ok()) {
    return certified.Annotate("COCKTAIL record: CertEq signature of position " +
                              std::to_string(blame.culprit));
  }
  for (uint32_t k = 0; k < session.t; ++k) {
    Point sum = Point::Infinity();
    for (const std::vector<Point>& c : parsed->commitments) sum = sum + c[k];
    if (sum.IsInfinity() ||
        static_cast<int>(k) >= body.consortium_commitments_size() ||
        PointBytes(sum) != body.consortium_commitments(static_cast<int>(k))) {
      return InvalidArgumentError(
          "COCKTAIL record: aggregate commitment " + std::to_string(k) +
          " of the transcript is not the roster's consortium commitment");
    }
  }
  return OkStatus();
}

}  // namespace conclave::keyceremony
