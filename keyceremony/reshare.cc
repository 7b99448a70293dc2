#include "keyceremony/reshare.h"

#include <algorithm>
#include <optional>
#include <set>

#include "crypto/hpke.h"
#include "crypto/random.h"

namespace conclave::keyceremony {

namespace {

using EditorKey = std::pair<uint32_t, uint32_t>;

std::string OrgName(uint32_t id) {
  return "organisation " + std::to_string(id);
}

std::string EditorName(uint32_t org, uint32_t index) {
  return "organisation " + std::to_string(org) + " editor " +
         std::to_string(index);
}

std::string DealerName(uint32_t org, uint32_t index) {
  return "dealer " + EditorName(org, index);
}

// Points in our messages are compressed; the point at infinity (a refresh's
// constant term) is the empty string.
std::string EncodePointOrEmpty(const Point& p) {
  if (p.IsInfinity()) return "";
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

std::string PointBytes(const Point& p) { return EncodePointOrEmpty(p); }

StatusOr<Point> DecodePointOrEmpty(const std::string& bytes) {
  if (bytes.empty()) return Point::Infinity();
  return Point::DecodeCompressed(AsBytes(bytes));
}

std::optional<Point> DecodeFinite(const std::string& bytes) {
  StatusOr<Point> p = Point::DecodeCompressed(AsBytes(bytes));
  if (!p.ok()) return std::nullopt;
  return *p;
}

void PutU32(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// HPKE info of g_{oj,p}(q): u32be(|DST|) ‖ DST ‖ plan fingerprint ‖ u32be(o)
// ‖ u32be(j) ‖ u32be(p) ‖ u32be(q).
Bytes ShareInfo(const Sha256Digest& plan, uint32_t o, uint32_t j, uint32_t p,
                uint32_t q) {
  Bytes info = DomainSeparatedMessage(kReshareShareDst, plan);
  PutU32(info, o);
  PutU32(info, j);
  PutU32(info, p);
  PutU32(info, q);
  return info;
}

const v1::RosterEditor* FindEditor(const v1::RosterOrganisation& org,
                                   uint32_t index) {
  for (const v1::RosterEditor& e : org.editors()) {
    if (e.index() == index) return &e;
  }
  return nullptr;
}

const v1::RosterEditor* FindEditor(const v1::RosterBody& body, uint32_t org,
                                   uint32_t index) {
  const v1::RosterOrganisation* o = FindOrganisation(body, org);
  return o == nullptr ? nullptr : FindEditor(*o, index);
}

Status Defects(StatusCode code, const std::string& what,
               const std::vector<std::string>& defects) {
  std::string msg = what + ": ";
  for (size_t i = 0; i < defects.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += defects[i];
  }
  return Status(code, std::move(msg));
}

// The weight of each dealer's contribution, in plan order: λ_o·μ_oj for a
// reshare, 1 for a refresh (zero-constant polynomials simply add up).
StatusOr<std::vector<Scalar>> DealerWeights(const CheckedResharePlan& plan) {
  std::vector<Scalar> weights;
  if (plan.refresh) {
    weights.assign(plan.body.dealers_size(), Scalar::FromUint64(1));
    return weights;
  }
  NestedSelection selection;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    selection[d.org_id()].push_back(d.editor_index());
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<NestedCoefficient> coefficients,
                            NestedLagrangeCoefficientsAtZero(selection));
  std::map<EditorKey, Scalar> by_dealer;
  for (NestedCoefficient& c : coefficients) {
    by_dealer[{c.org_id, c.editor_index}] = std::move(c.coefficient);
  }
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    weights.push_back(by_dealer.at({d.org_id(), d.editor_index()}));
  }
  return weights;
}

// Parses a dealing's body after checking its signature by the claimed
// dealer's key in `previous` (the signer is named inside the body, so it is
// read only for that before the signature verifies).
StatusOr<v1::ReshareDealingBody> OpenDealing(const v1::ReshareDealing& dealing,
                                             const VerifiedRoster& previous) {
  v1::ReshareDealingBody body;
  if (!body.ParseFromString(dealing.signed_())) {
    return InvalidArgumentError("a dealing does not parse");
  }
  const uint32_t o = body.commitments().org_id();
  const uint32_t j = body.commitments().editor_index();
  const v1::RosterEditor* editor = FindEditor(previous.body, o, j);
  if (editor == nullptr) {
    return InvalidArgumentError(
        "a dealing claims to be by " + DealerName(o, j) +
        ", who is not an editor of the previous roster");
  }
  if (!Ed25519Verify(AsBytes(editor->ed25519_public_key()),
                     DomainSeparatedMessage(kReshareDealingDst,
                                            AsBytes(dealing.signed_())),
                     AsBytes(dealing.signature()))
           .ok()) {
    return UnauthenticatedError("the dealing of " + DealerName(o, j) +
                                " is not signed by their key in the previous "
                                "roster");
  }
  return body;
}

bool SameEditorKeys(const v1::RosterOrganisation& a,
                    const v1::RosterOrganisation& b) {
  if (a.editors_size() != b.editors_size()) return false;
  for (int i = 0; i < a.editors_size(); ++i) {
    if (a.editors(i).index() != b.editors(i).index() ||
        a.editors(i).ed25519_public_key() !=
            b.editors(i).ed25519_public_key() ||
        a.editors(i).p256_public_key() != b.editors(i).p256_public_key()) {
      return false;
    }
  }
  return true;
}

}  // namespace

uint32_t NextOrganisationId(const v1::RosterBody& body) {
  if (body.next_organisation_id() != 0) return body.next_organisation_id();
  uint32_t max_id = 0;
  for (const v1::RosterOrganisation& o : body.organisations()) {
    max_id = std::max(max_id, o.id());
  }
  return max_id + 1;
}

std::vector<v1::ReshareDealer> DefaultDealers(const v1::RosterBody& previous,
                                              std::span<const uint32_t> avoid) {
  std::vector<const v1::RosterOrganisation*> preferred, fallback;
  for (const v1::RosterOrganisation& o : previous.organisations()) {
    const bool avoided =
        std::find(avoid.begin(), avoid.end(), o.id()) != avoid.end();
    (avoided ? fallback : preferred).push_back(&o);
  }
  preferred.insert(preferred.end(), fallback.begin(), fallback.end());
  if (preferred.size() > previous.threshold()) {
    preferred.resize(previous.threshold());
  }
  std::sort(preferred.begin(), preferred.end(),
            [](const auto* a, const auto* b) { return a->id() < b->id(); });
  std::vector<v1::ReshareDealer> out;
  for (const v1::RosterOrganisation* o : preferred) {
    for (uint32_t j = 1; j <= o->editor_threshold(); ++j) {
      v1::ReshareDealer d;
      d.set_org_id(o->id());
      d.set_editor_index(j);
      out.push_back(d);
    }
  }
  return out;
}

Status CheckDealerQuorum(const v1::RosterBody& previous,
                         std::span<const v1::ReshareDealer> dealers) {
  std::vector<std::string> defects;
  std::map<uint32_t, std::set<uint32_t>> by_org;
  EditorKey last{0, 0};
  for (const v1::ReshareDealer& d : dealers) {
    const EditorKey who{d.org_id(), d.editor_index()};
    if (!(last < who)) {
      defects.push_back(DealerName(who.first, who.second) +
                        (last == who ? " is listed twice"
                                     : " is out of order (dealers are "
                                       "sorted by organisation, then editor)"));
    }
    last = std::max(last, who);
    if (FindEditor(previous, who.first, who.second) == nullptr) {
      defects.push_back(DealerName(who.first, who.second) +
                        " is not an editor of the previous roster");
      continue;
    }
    by_org[who.first].insert(who.second);
  }
  if (by_org.size() != previous.threshold()) {
    defects.push_back("the dealers come from " + std::to_string(by_org.size()) +
                      " organisations; a quorum of the previous roster is "
                      "exactly t = " +
                      std::to_string(previous.threshold()));
  }
  for (const auto& [org, editors] : by_org) {
    const v1::RosterOrganisation* o = FindOrganisation(previous, org);
    if (editors.size() != o->editor_threshold()) {
      defects.push_back(OrgName(org) + " has " +
                        std::to_string(editors.size()) +
                        " dealing editors; a quorum needs exactly k_o = " +
                        std::to_string(o->editor_threshold()));
    }
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument,
                   "the dealers are not a quorum of the previous roster",
                   defects);
  }
  return OkStatus();
}

// ---- Plan ----

v1::RosterOrganisation PlanEntry(const v1::RosterOrganisation& org) {
  v1::RosterOrganisation out = org;
  out.clear_editor_commitments();
  out.clear_verification_share();
  for (v1::RosterEditor& e : *out.mutable_editors()) {
    e.clear_verification_share();
  }
  return out;
}

StatusOr<v1::ResharePlan> MakeResharePlan(const VerifiedRoster& previous,
                                          const ResharePlanInput& input) {
  v1::ResharePlanBody body;
  body.set_previous_roster_fingerprint(
      std::string(previous.fingerprint.begin(), previous.fingerprint.end()));
  const bool redeal = input.kind == v1::MEMBERSHIP_CHANGE_REKEY;
  body.set_epoch(previous.body.epoch() + (redeal ? 0 : 1));
  body.set_kind(input.kind);
  body.set_threshold(input.threshold);
  uint32_t next_id = NextOrganisationId(previous.body);
  for (const v1::RosterOrganisation& o : input.organisations) {
    *body.add_organisations() = o;
    next_id = std::max(next_id, o.id() + 1);
  }
  body.set_next_organisation_id(next_id);
  const std::vector<v1::ReshareDealer> dealers =
      input.dealers.empty() ? DefaultDealers(previous.body) : input.dealers;
  for (const v1::ReshareDealer& d : dealers) *body.add_dealers() = d;
  const SecretBytes sid = RandomBytes(32);
  body.set_session_id(std::string(sid.span().begin(), sid.span().end()));
  body.set_log_vkey(previous.body.log_vkey());
  *body.mutable_policy() = previous.body.policy();
  v1::ResharePlan plan;
  if (!body.SerializeToString(plan.mutable_body())) {
    return InternalError("cannot serialize the reshare plan");
  }
  CONCLAVE_RETURN_IF_ERROR(CheckResharePlan(plan, previous).status());
  return plan;
}

StatusOr<CheckedResharePlan> CheckResharePlan(const v1::ResharePlan& plan,
                                              const VerifiedRoster& previous) {
  CheckedResharePlan out;
  if (!out.body.ParseFromString(plan.body())) {
    return InvalidArgumentError("reshare plan: the body does not parse");
  }
  out.encoded = plan.body();
  out.fingerprint = Sha256(AsBytes(plan.body()));
  const v1::ResharePlanBody& b = out.body;
  const v1::RosterBody& prev = previous.body;
  if (b.previous_roster_fingerprint() !=
      std::string(previous.fingerprint.begin(), previous.fingerprint.end())) {
    return FailedPreconditionError(
        "reshare plan: it continues another roster (previous fingerprint "
        "differs)");
  }
  std::vector<std::string> defects;
  out.refresh = b.kind() == v1::MEMBERSHIP_CHANGE_REFRESH;
  out.redeal = b.kind() == v1::MEMBERSHIP_CHANGE_REKEY;
  // A re-deal completes the rekey epoch its DKG roster already carries.
  const uint64_t epoch = prev.epoch() + (out.redeal ? 0 : 1);
  if (b.epoch() != epoch) {
    defects.push_back("epoch " + std::to_string(b.epoch()) +
                      " does not follow the previous epoch " +
                      std::to_string(prev.epoch()));
  }
  if (b.kind() != v1::MEMBERSHIP_CHANGE_RESHARE && !out.refresh &&
      !out.redeal) {
    defects.push_back("the kind is neither RESHARE, REFRESH nor REKEY");
  }
  if (out.redeal && (prev.change().kind() != v1::MEMBERSHIP_CHANGE_REKEY ||
                     !IdsArePositions(prev))) {
    defects.push_back(
        "a re-deal (REKEY) continues a rekey's DKG roster (ids 1..m, change "
        "REKEY)");
  }
  if (b.log_vkey() != prev.log_vkey()) {
    defects.push_back("the log vkey differs from the previous roster's");
  }
  if (b.session_id().size() != 32) {
    defects.push_back("the session id is not 32 bytes");
  }
  if (b.policy().max_request_lifetime_seconds() == 0) {
    defects.push_back("policy: maximum request lifetime is not set");
  }
  const uint32_t m = static_cast<uint32_t>(b.organisations_size());
  if (m == 0 || m > kMaxRosterOrganisations) {
    defects.push_back("the new committee has " + std::to_string(m) +
                      " organisations");
  }
  if (b.threshold() < 1 || b.threshold() > m) {
    defects.push_back("threshold t' = " + std::to_string(b.threshold()) +
                      " is not between 1 and the " + std::to_string(m) +
                      " organisations");
  }
  const uint32_t fresh_from = NextOrganisationId(prev);
  uint32_t last = 0;
  std::set<std::string> keys;
  for (const v1::RosterOrganisation& o : b.organisations()) {
    const std::string on = OrgName(o.id());
    if (o.id() == 0 || o.id() <= last) {
      defects.push_back(on + ": ids must be non-zero and strictly ascending");
    }
    last = std::max(last, o.id());
    // A re-deal maps positions to the permanent ids, which are not the DKG
    // roster's; VerifyRosterSuccessor checks them against the roster before.
    if (!out.redeal && FindOrganisation(prev, o.id()) == nullptr &&
        o.id() < fresh_from) {
      defects.push_back(on +
                        ": this id was used before and has left (ids are "
                        "never reused; new organisations get ids >= " +
                        std::to_string(fresh_from) + ")");
    }
    if (o.id() >= b.next_organisation_id()) {
      defects.push_back(on + ": id is not below next_organisation_id");
    }
    const uint32_t n = static_cast<uint32_t>(o.editors_size());
    if (n == 0 || n > kMaxRosterEditors || o.editor_count() != n) {
      defects.push_back(on + ": editor count " + std::to_string(n) +
                        " (n_o = " + std::to_string(o.editor_count()) + ")");
    }
    if (o.editor_threshold() < 1 || o.editor_threshold() > n) {
      defects.push_back(on + ": editor threshold k'_p = " +
                        std::to_string(o.editor_threshold()) +
                        " is not between 1 and n'_p = " + std::to_string(n));
    }
    for (int i = 0; i < o.editors_size(); ++i) {
      const v1::RosterEditor& e = o.editors(i);
      const std::string en = EditorName(o.id(), e.index());
      if (e.index() != static_cast<uint32_t>(i + 1)) {
        defects.push_back(en + ": indices are 1..n in order");
      }
      if (e.ed25519_public_key().size() != kEd25519PublicKeySize) {
        defects.push_back(en + ": Ed25519 key is not 32 bytes");
      } else if (!keys.insert(e.ed25519_public_key()).second) {
        defects.push_back(en + ": Ed25519 key is also another editor's");
      }
      if (!DecodeFinite(e.p256_public_key())) {
        defects.push_back(en + ": P-256 key is not a valid point");
      } else if (!keys.insert(e.p256_public_key()).second) {
        defects.push_back(en + ": P-256 key is also another editor's");
      }
    }
  }
  if (out.redeal && b.next_organisation_id() != fresh_from) {
    defects.push_back("a re-deal keeps next_organisation_id " +
                      std::to_string(fresh_from));
  } else if (b.next_organisation_id() < fresh_from) {
    defects.push_back("next_organisation_id goes back below " +
                      std::to_string(fresh_from));
  }
  std::vector<v1::ReshareDealer> dealers(b.dealers().begin(),
                                         b.dealers().end());
  Status quorum = CheckDealerQuorum(prev, dealers);
  if (!quorum.ok()) defects.push_back(quorum.message());
  if (out.refresh && defects.empty()) {
    // A refresh hands the same committee new shares of the same shape.
    if (b.threshold() != prev.threshold() ||
        b.organisations_size() != prev.organisations_size()) {
      defects.push_back(
          "a refresh keeps the committee and the threshold (use a reshare)");
    } else {
      for (int i = 0; i < b.organisations_size(); ++i) {
        const v1::RosterOrganisation& n = b.organisations(i);
        const v1::RosterOrganisation& p = prev.organisations(i);
        if (n.id() != p.id() || n.editor_threshold() != p.editor_threshold() ||
            !SameEditorKeys(n, p)) {
          defects.push_back(OrgName(n.id()) +
                            ": a refresh keeps every organisation, k_o and "
                            "editor (use a reshare)");
        }
      }
    }
  }
  if (out.redeal && defects.empty()) {
    // The same organisations and editors receive, each at its permanent id.
    if (b.threshold() != prev.threshold() ||
        b.organisations_size() != prev.organisations_size()) {
      defects.push_back("a re-deal keeps the committee and the threshold");
    } else {
      for (int i = 0; i < b.organisations_size(); ++i) {
        const v1::RosterOrganisation& n = b.organisations(i);
        const v1::RosterOrganisation& p = prev.organisations(i);
        if (n.cocktail_position() != p.id() || n.name() != p.name() ||
            n.witness_vkey() != p.witness_vkey() ||
            n.editor_threshold() != p.editor_threshold() ||
            !SameEditorKeys(n, p)) {
          defects.push_back(OrgName(n.id()) + ": a re-deal gives position " +
                            std::to_string(p.id()) +
                            "'s organisation, k_o and editors their "
                            "permanent id, unchanged otherwise");
        }
      }
    }
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument, "reshare plan", defects);
  }
  return out;
}

// ---- Dealer ----

StatusOr<v1::ReshareDealing> MakeReshareDealing(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    const v1::EditorShare& share, const Ed25519PrivateKey& identity) {
  const uint32_t o = share.org_id(), j = share.editor_index();
  CONCLAVE_RETURN_IF_ERROR(CheckEditorShare(share, previous));
  bool named = false;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    named |= d.org_id() == o && d.editor_index() == j;
  }
  if (!named) {
    return FailedPreconditionError(DealerName(o, j) +
                                   " is not a dealer of this plan");
  }
  const v1::RosterEditor* editor = FindEditor(previous.body, o, j);
  if (editor->ed25519_public_key() !=
      std::string(identity.public_key().begin(), identity.public_key().end())) {
    return FailedPreconditionError("the identity is not the key of " +
                                   EditorName(o, j) +
                                   " in the previous roster");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Scalar y,
                            Scalar::FromBytes(AsBytes(share.share())));
  std::vector<uint32_t> ids;
  for (const v1::RosterOrganisation& p : plan.body.organisations()) {
    ids.push_back(p.id());
  }
  // f_oj(0) = y_oj, or 0 for a refresh.
  StatusOr<Dealing> f =
      DealShares(plan.refresh ? Scalar() : y, plan.body.threshold(), ids);
  if (!f.ok()) return f.status().Annotate(DealerName(o, j));

  v1::ReshareDealingBody body;
  body.set_plan_fingerprint(
      std::string(plan.fingerprint.begin(), plan.fingerprint.end()));
  v1::ReshareCommitments* c = body.mutable_commitments();
  c->set_org_id(o);
  c->set_editor_index(j);
  for (const Point& p : f->commitments) {
    c->add_consortium_commitments(EncodePointOrEmpty(p));
  }
  for (int i = 0; i < plan.body.organisations_size(); ++i) {
    const v1::RosterOrganisation& p = plan.body.organisations(i);
    std::vector<uint32_t> indices;
    for (const v1::RosterEditor& e : p.editors()) indices.push_back(e.index());
    // g_{oj,p}(0) = f_oj(p).
    StatusOr<Dealing> g =
        DealShares(f->shares[i].value, p.editor_threshold(), indices);
    if (!g.ok()) return g.status().Annotate(DealerName(o, j));
    v1::ReshareOrganisationCommitments* oc = c->add_organisations();
    oc->set_org_id(p.id());
    for (const Point& pt : g->commitments) {
      oc->add_commitments(EncodePointOrEmpty(pt));
    }
    for (size_t q = 0; q < g->shares.size(); ++q) {
      const v1::RosterEditor& e = p.editors(static_cast<int>(q));
      CONCLAVE_ASSIGN_OR_RETURN(
          Point pk, Point::DecodeCompressed(AsBytes(e.p256_public_key())));
      const UncompressedPoint pk_r = pk.EncodeUncompressed();
      const SecretBytes value = g->shares[q].value.ToBytes();
      CONCLAVE_ASSIGN_OR_RETURN(
          HpkeSealed sealed,
          HpkeSealBase(HpkeAead::kChaCha20Poly1305, pk_r,
                       ShareInfo(plan.fingerprint, o, j, p.id(), e.index()), {},
                       value.span()));
      v1::ReshareSealedShare* s = body.add_shares();
      s->set_org_id(p.id());
      s->set_editor_index(e.index());
      s->set_enc(std::string(sealed.enc.begin(), sealed.enc.end()));
      s->set_ciphertext(
          std::string(sealed.ciphertext.begin(), sealed.ciphertext.end()));
    }
  }
  v1::ReshareDealing dealing;
  if (!body.SerializeToString(dealing.mutable_signed_())) {
    return InternalError("cannot serialize the dealing");
  }
  const Ed25519Signature sig = identity.Sign(
      DomainSeparatedMessage(kReshareDealingDst, AsBytes(dealing.signed_())));
  dealing.set_signature(std::string(sig.begin(), sig.end()));
  return dealing;
}

// ---- Public combination ----

StatusOr<ReshareOutcome> CombineReshareCommitments(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareCommitments> commitments) {
  const v1::ResharePlanBody& b = plan.body;
  const uint32_t t2 = b.threshold();
  // The dealers must be exactly the plan's quorum.
  std::map<EditorKey, const v1::ReshareCommitments*> by_dealer;
  std::set<EditorKey> planned;
  for (const v1::ReshareDealer& d : b.dealers()) {
    planned.insert({d.org_id(), d.editor_index()});
  }
  for (const v1::ReshareCommitments& c : commitments) {
    const EditorKey who{c.org_id(), c.editor_index()};
    if (!planned.contains(who)) {
      return InvalidArgumentError(DealerName(who.first, who.second) +
                                  " is not in the agreed quorum, yet dealt");
    }
    if (!by_dealer.emplace(who, &c).second) {
      return InvalidArgumentError(DealerName(who.first, who.second) +
                                  " dealt more than once");
    }
  }
  for (const EditorKey& who : planned) {
    if (!by_dealer.contains(who)) {
      return FailedPreconditionError(DealerName(who.first, who.second) +
                                     " of the agreed quorum has not dealt");
    }
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Scalar> weights, DealerWeights(plan));

  ReshareOutcome out;
  // Starting points: nothing for a reshare; the current commitments for a
  // refresh (the increments add to them).
  std::vector<Point> cons(t2, Point::Infinity());
  std::map<uint32_t, std::vector<Point>> editor_c;
  for (const v1::RosterOrganisation& p : b.organisations()) {
    editor_c[p.id()].assign(p.editor_threshold(), Point::Infinity());
  }
  if (plan.refresh) {
    for (uint32_t k = 0; k < t2; ++k) {
      CONCLAVE_ASSIGN_OR_RETURN(
          cons[k], Point::DecodeCompressed(
                       AsBytes(previous.body.consortium_commitments(k))));
    }
    for (const v1::RosterOrganisation& p : previous.body.organisations()) {
      for (int k = 0; k < p.editor_commitments_size(); ++k) {
        CONCLAVE_ASSIGN_OR_RETURN(
            editor_c[p.id()][k],
            Point::DecodeCompressed(AsBytes(p.editor_commitments(k))));
      }
    }
  }

  for (int d = 0; d < b.dealers_size(); ++d) {
    const uint32_t o = b.dealers(d).org_id(), j = b.dealers(d).editor_index();
    const std::string dn = DealerName(o, j);
    const v1::ReshareCommitments& c = *by_dealer.at({o, j});
    out.dealings.push_back(c);
    if (static_cast<uint32_t>(c.consortium_commitments_size()) != t2) {
      return InvalidArgumentError(
          dn + ": " + std::to_string(c.consortium_commitments_size()) +
          " consortium-level commitments F_oj, expected t' = " +
          std::to_string(t2));
    }
    std::vector<Point> f;
    for (uint32_t k = 0; k < t2; ++k) {
      const std::string& enc = c.consortium_commitments(static_cast<int>(k));
      if (k == 0 && plan.refresh) {
        if (!enc.empty()) {
          return InvalidArgumentError(
              dn +
              ": refresh with a non-zero constant term (F_oj[0] must be the "
              "point at infinity, or the refresh would change the key)");
        }
        f.push_back(Point::Infinity());
        continue;
      }
      StatusOr<Point> pt = Point::DecodeCompressed(AsBytes(enc));
      if (!pt.ok()) {
        return InvalidArgumentError(dn + ": commitment F_oj[" +
                                    std::to_string(k) +
                                    "] is not a valid point");
      }
      f.push_back(*pt);
    }
    if (!plan.refresh) {
      const v1::RosterEditor* e = FindEditor(previous.body, o, j);
      std::optional<Point> y_oj = DecodeFinite(e->verification_share());
      if (!y_oj || f[0] != *y_oj) {
        return InvalidArgumentError(
            dn +
            ": the constant-term commitment F_oj[0] is not the dealer's "
            "verification share Y_oj in the previous roster");
      }
    }
    if (c.organisations_size() != b.organisations_size()) {
      return InvalidArgumentError(dn + ": commitments for " +
                                  std::to_string(c.organisations_size()) +
                                  " organisations, the plan has " +
                                  std::to_string(b.organisations_size()));
    }
    for (uint32_t k = 0; k < t2; ++k) cons[k] = cons[k] + f[k].Mul(weights[d]);
    for (int i = 0; i < b.organisations_size(); ++i) {
      const v1::RosterOrganisation& p = b.organisations(i);
      const v1::ReshareOrganisationCommitments& g = c.organisations(i);
      if (g.org_id() != p.id()) {
        return InvalidArgumentError(dn + ": commitments for " +
                                    OrgName(g.org_id()) +
                                    " where the plan has " + OrgName(p.id()));
      }
      if (static_cast<uint32_t>(g.commitments_size()) != p.editor_threshold()) {
        return InvalidArgumentError(
            dn + ": " + std::to_string(g.commitments_size()) +
            " commitments G_{oj,p} for " + OrgName(p.id()) +
            ", expected k'_p = " + std::to_string(p.editor_threshold()));
      }
      CONCLAVE_ASSIGN_OR_RETURN(Point f_p, EvaluateCommitments(f, p.id()));
      std::vector<Point>& ec = editor_c[p.id()];
      for (int k = 0; k < g.commitments_size(); ++k) {
        StatusOr<Point> pt =
            k == 0 ? DecodePointOrEmpty(g.commitments(k))
                   : Point::DecodeCompressed(AsBytes(g.commitments(k)));
        if (!pt.ok()) {
          return InvalidArgumentError(
              dn + ": commitment G_{oj,p}[" + std::to_string(k) + "] for " +
              OrgName(p.id()) + " is not a valid point");
        }
        if (k == 0 && *pt != f_p) {
          return InvalidArgumentError(
              dn + ": the constant-term commitment G_{oj,p}[0] for " +
              OrgName(p.id()) + " is not F_oj(" + std::to_string(p.id()) +
              ") evaluated from the dealer's commitments");
        }
        ec[k] = ec[k] + pt->Mul(weights[d]);
      }
    }
  }

  std::optional<Point> y = previous.consortium_key;
  if (cons[0] != previous.consortium_key) {
    return InvalidArgumentError(
        "the combined commitments do not start with the consortium key Y");
  }
  for (uint32_t k = 1; k < t2; ++k) {
    if (cons[k].IsInfinity()) {
      return InvalidArgumentError("the combined commitment " +
                                  std::to_string(k) +
                                  " is the point at "
                                  "infinity; choose another quorum");
    }
  }
  out.consortium_commitments = cons;
  for (const v1::RosterOrganisation& p : b.organisations()) {
    CONCLAVE_ASSIGN_OR_RETURN(Point x_p, EvaluateCommitments(cons, p.id()));
    const std::vector<Point>& ec = editor_c[p.id()];
    if (x_p.IsInfinity() || ec[0] != x_p) {
      return InvalidArgumentError(OrgName(p.id()) +
                                  ": the combined X'_p is not on the new "
                                  "consortium commitments");
    }
    for (const Point& pt : ec) {
      if (pt.IsInfinity()) {
        return InvalidArgumentError(OrgName(p.id()) +
                                    ": a combined editor commitment is the "
                                    "point at infinity");
      }
    }
    out.org_verification_shares.emplace(p.id(), x_p);
    for (const v1::RosterEditor& e : p.editors()) {
      CONCLAVE_ASSIGN_OR_RETURN(Point y_pq, EvaluateCommitments(ec, e.index()));
      if (y_pq.IsInfinity()) {
        return InvalidArgumentError(EditorName(p.id(), e.index()) +
                                    ": the combined Y'_pq is infinity");
      }
      out.editor_verification_shares.emplace(EditorKey{p.id(), e.index()},
                                             y_pq);
    }
  }
  out.editor_commitments = std::move(editor_c);
  // The new X'_p interpolate to Y: the first t' do (the rest lie on C').
  std::vector<IndexedPoint> first;
  for (const auto& [id, x] : out.org_verification_shares) {
    if (first.size() < t2) first.push_back({id, x});
  }
  CONCLAVE_ASSIGN_OR_RETURN(Point at_zero, InterpolatePointsAtZero(first));
  if (at_zero != *y) {
    return InvalidArgumentError(
        "the new verification shares X'_p do not interpolate to Y");
  }
  return out;
}

StatusOr<ReshareOutcome> CombineReshareDealings(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealing> dealings) {
  const std::string fp(plan.fingerprint.begin(), plan.fingerprint.end());
  std::vector<v1::ReshareCommitments> commitments;
  for (const v1::ReshareDealing& dealing : dealings) {
    CONCLAVE_ASSIGN_OR_RETURN(v1::ReshareDealingBody body,
                              OpenDealing(dealing, previous));
    const std::string dn = DealerName(body.commitments().org_id(),
                                      body.commitments().editor_index());
    if (body.plan_fingerprint() != fp) {
      return FailedPreconditionError(dn + ": the dealing is for another plan");
    }
    int i = 0;
    bool shape_ok = true;
    for (const v1::RosterOrganisation& p : plan.body.organisations()) {
      for (const v1::RosterEditor& e : p.editors()) {
        if (i >= body.shares_size() || body.shares(i).org_id() != p.id() ||
            body.shares(i).editor_index() != e.index() ||
            body.shares(i).enc().size() != kHpkeEncSize ||
            body.shares(i).ciphertext().size() != kP256ScalarSize + 16) {
          shape_ok = false;
        }
        ++i;
      }
    }
    if (!shape_ok || i != body.shares_size()) {
      return InvalidArgumentError(
          dn +
          ": the sealed shares are not one well-formed ciphertext per "
          "new editor in plan order");
    }
    commitments.push_back(std::move(*body.mutable_commitments()));
  }
  return CombineReshareCommitments(plan, previous, commitments);
}

// ---- Receiver ----

StatusOr<ReceivedShare> ReceiveReshare(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealing> dealings, uint32_t p, uint32_t q,
    const Scalar& p256_private_key, const v1::EditorShare* old_share) {
  const std::string me = EditorName(p, q);
  const v1::RosterOrganisation* org = nullptr;
  int org_pos = -1;
  for (int i = 0; i < plan.body.organisations_size(); ++i) {
    if (plan.body.organisations(i).id() == p) {
      org = &plan.body.organisations(i);
      org_pos = i;
    }
  }
  const v1::RosterEditor* editor = org ? FindEditor(*org, q) : nullptr;
  if (editor == nullptr) {
    return FailedPreconditionError(me + " is not in the plan's new committee");
  }
  if (PointBytes(Point::BaseMul(p256_private_key)) !=
      editor->p256_public_key()) {
    return FailedPreconditionError("the private key is not the P-256 key of " +
                                   me + " in the plan");
  }
  Scalar acc;
  if (plan.refresh) {
    if (old_share == nullptr || old_share->org_id() != p ||
        old_share->editor_index() != q) {
      return FailedPreconditionError("a refresh needs the current share of " +
                                     me);
    }
    CONCLAVE_RETURN_IF_ERROR(CheckEditorShare(*old_share, previous));
    CONCLAVE_ASSIGN_OR_RETURN(acc,
                              Scalar::FromBytes(AsBytes(old_share->share())));
  }
  CONCLAVE_ASSIGN_OR_RETURN(ReshareOutcome outcome,
                            CombineReshareDealings(plan, previous, dealings));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Scalar> weights, DealerWeights(plan));
  std::map<EditorKey, v1::ReshareDealingBody> bodies;
  for (const v1::ReshareDealing& dealing : dealings) {
    CONCLAVE_ASSIGN_OR_RETURN(v1::ReshareDealingBody body,
                              OpenDealing(dealing, previous));
    const EditorKey who{body.commitments().org_id(),
                        body.commitments().editor_index()};
    bodies.emplace(who, std::move(body));
  }
  int share_pos = 0;
  for (int i = 0; i < org_pos; ++i) {
    share_pos += plan.body.organisations(i).editors_size();
  }
  share_pos += static_cast<int>(q) - 1;
  for (int d = 0; d < plan.body.dealers_size(); ++d) {
    const uint32_t o = plan.body.dealers(d).org_id();
    const uint32_t j = plan.body.dealers(d).editor_index();
    const std::string dn = DealerName(o, j);
    const v1::ReshareDealingBody& body = bodies.at({o, j});
    const v1::ReshareSealedShare& sealed = body.shares(share_pos);
    StatusOr<SecretBytes> opened = HpkeOpenBase(
        HpkeAead::kChaCha20Poly1305, p256_private_key, AsBytes(sealed.enc()),
        ShareInfo(plan.fingerprint, o, j, p, q), {},
        AsBytes(sealed.ciphertext()));
    if (!opened.ok()) {
      return UnauthenticatedError(dn + ": the sealed share for " + me +
                                  " does not open");
    }
    StatusOr<Scalar> g = Scalar::FromBytes(opened->span());
    if (!g.ok()) {
      return InvalidArgumentError(dn + ": the share for " + me +
                                  " is not a scalar below n");
    }
    // Feldman: g_{oj,p}(q)·G = Σ_k G_{oj,p}[k]·q^k.
    std::vector<Point> gc;
    for (const std::string& enc :
         outcome.dealings[d].organisations(org_pos).commitments()) {
      CONCLAVE_ASSIGN_OR_RETURN(Point pt, DecodePointOrEmpty(enc));
      gc.push_back(pt);
    }
    CONCLAVE_ASSIGN_OR_RETURN(Point expected, EvaluateCommitments(gc, q));
    if (Point::BaseMul(*g) != expected) {
      return InvalidArgumentError(dn + ": the share for " + me +
                                  " fails the Feldman check against G_{oj,p}");
    }
    acc = acc + weights[d] * *g;
  }
  const Point& y_pq = outcome.editor_verification_shares.at({p, q});
  if (acc.IsZero() || Point::BaseMul(acc) != y_pq) {
    return InvalidArgumentError("the combined share of " + me +
                                " does not match the combined Y'_pq");
  }
  ReceivedShare out;
  out.share.index = q;
  out.share.value = std::move(acc);
  out.verification_share = y_pq;
  return out;
}

v1::EditorShare MakeEditorShare(const Point& y, uint64_t epoch, uint32_t org_id,
                                const ReceivedShare& share) {
  v1::EditorShare es;
  es.set_consortium_key(PointBytes(y));
  es.set_epoch(epoch);
  es.set_org_id(org_id);
  es.set_editor_index(share.share.index);
  const SecretBytes v = share.share.value.ToBytes();
  es.mutable_share()->assign(reinterpret_cast<const char*>(v.span().data()),
                             v.span().size());
  es.set_verification_share(PointBytes(share.verification_share));
  return es;
}

// ---- Successor roster and record ----

StatusOr<SuccessorDraft> AssembleSuccessor(const CheckedResharePlan& plan,
                                           const VerifiedRoster& previous,
                                           const ReshareOutcome& outcome) {
  SuccessorDraft out;
  v1::ReshareTranscript transcript;
  transcript.set_plan(plan.encoded);
  for (const v1::ReshareCommitments& c : outcome.dealings) {
    *transcript.add_dealings() = c;
  }
  if (!transcript.SerializeToString(out.record.mutable_transcript())) {
    return InternalError("cannot serialize the reshare transcript");
  }
  const Sha256Digest th = Sha256(AsBytes(out.record.transcript()));

  const v1::ResharePlanBody& b = plan.body;
  v1::RosterBody& body = out.body;
  body.set_epoch(b.epoch());
  body.set_threshold(b.threshold());
  body.set_consortium_key(PointBytes(previous.consortium_key));
  for (const Point& c : outcome.consortium_commitments) {
    body.add_consortium_commitments(PointBytes(c));
  }
  for (const v1::RosterOrganisation& p : b.organisations()) {
    v1::RosterOrganisation* org = body.add_organisations();
    *org = p;
    org->set_editor_count(static_cast<uint32_t>(p.editors_size()));
    org->set_verification_share(
        PointBytes(outcome.org_verification_shares.at(p.id())));
    org->clear_editor_commitments();
    for (const Point& c : outcome.editor_commitments.at(p.id())) {
      org->add_editor_commitments(PointBytes(c));
    }
    for (v1::RosterEditor& e : *org->mutable_editors()) {
      e.set_verification_share(PointBytes(
          outcome.editor_verification_shares.at({p.id(), e.index()})));
    }
  }
  body.set_key_generation(previous.body.key_generation());
  body.set_session_id(previous.body.session_id());
  body.set_transcript_hash(std::string(th.begin(), th.end()));
  body.set_log_vkey(b.log_vkey());
  *body.mutable_policy() = b.policy();
  body.set_next_organisation_id(b.next_organisation_id());
  body.mutable_change()->set_kind(b.kind());
  if (plan.redeal) {
    // The rekey roster continues the roster before the DKG's.
    body.set_previous_roster_fingerprint(
        previous.body.previous_roster_fingerprint());
  } else {
    body.set_previous_roster_fingerprint(b.previous_roster_fingerprint());
    *body.mutable_change()->mutable_dealers() = b.dealers();
  }
  return out;
}

v1::RosterSignature SignRosterAsDealer(const v1::Roster& roster,
                                       uint32_t org_id, uint32_t editor_index,
                                       const Ed25519PrivateKey& key) {
  return SignRosterBody(AsBytes(roster.signed_()), org_id, editor_index, key);
}

void SignReshareRecord(v1::ReshareRecord* record, bool dealer, uint32_t org_id,
                       uint32_t editor_index, const Ed25519PrivateKey& key) {
  v1::RosterSignature* sig = dealer ? record->add_dealer_signatures()
                                    : record->add_editor_signatures();
  sig->set_org_id(org_id);
  sig->set_editor_index(editor_index);
  const Ed25519Signature s = key.Sign(DomainSeparatedMessage(
      kReshareTranscriptDst, AsBytes(record->transcript())));
  sig->set_signature(std::string(s.begin(), s.end()));
}

namespace {

// Exactly `expected` signed, each once, each verifying under `keys`.
void CheckSignatureSet(
    const google::protobuf::RepeatedPtrField<v1::RosterSignature>& sigs,
    const std::map<EditorKey, std::string>& keys, const Bytes& message,
    const std::string& role, std::vector<std::string>& defects) {
  std::set<EditorKey> seen;
  for (const v1::RosterSignature& s : sigs) {
    const EditorKey who{s.org_id(), s.editor_index()};
    auto it = keys.find(who);
    if (it == keys.end()) {
      defects.push_back("a " + role + " signature by " +
                        EditorName(who.first, who.second) + ", who is not a " +
                        role);
      continue;
    }
    if (!seen.insert(who).second) {
      defects.push_back(EditorName(who.first, who.second) +
                        " signed twice as " + role);
      continue;
    }
    if (!Ed25519Verify(AsBytes(it->second), message, AsBytes(s.signature()))
             .ok()) {
      defects.push_back("the " + role + " signature of " +
                        EditorName(who.first, who.second) + " does not verify");
    }
  }
  for (const auto& [who, key] : keys) {
    if (!seen.contains(who)) {
      defects.push_back(role + " " + EditorName(who.first, who.second) +
                        " has not signed");
    }
  }
}

std::map<EditorKey, std::string> DealerKeys(
    const v1::RosterBody& previous,
    const google::protobuf::RepeatedPtrField<v1::ReshareDealer>& dealers) {
  std::map<EditorKey, std::string> keys;
  for (const v1::ReshareDealer& d : dealers) {
    const v1::RosterEditor* e =
        FindEditor(previous, d.org_id(), d.editor_index());
    if (e != nullptr) {
      keys[{d.org_id(), d.editor_index()}] = e->ed25519_public_key();
    }
  }
  return keys;
}

}  // namespace

Status CheckReshareRecord(const v1::ReshareRecord& record,
                          const VerifiedRoster& previous,
                          const VerifiedRoster& next) {
  const Sha256Digest th = Sha256(AsBytes(record.transcript()));
  if (std::string(th.begin(), th.end()) != next.body.transcript_hash()) {
    return InvalidArgumentError(
        "reshare record: SHA-256 of the transcript is not the roster's "
        "transcript hash");
  }
  v1::ReshareTranscript transcript;
  if (!transcript.ParseFromString(record.transcript())) {
    return InvalidArgumentError(
        "reshare record: the transcript does not parse");
  }
  v1::ResharePlan plan_msg;
  plan_msg.set_body(transcript.plan());
  StatusOr<CheckedResharePlan> plan = CheckResharePlan(plan_msg, previous);
  if (!plan.ok()) return plan.status().Annotate("reshare record");
  const v1::ResharePlanBody& b = plan->body;
  std::vector<std::string> defects;
  // A re-deal's roster names no dealers (MembershipChange).
  const int roster_dealers =
      plan->redeal ? b.dealers_size() : next.body.change().dealers_size();
  if (b.threshold() != next.body.threshold() ||
      b.epoch() != next.body.epoch() || b.kind() != next.body.change().kind() ||
      b.next_organisation_id() != next.body.next_organisation_id() ||
      b.organisations_size() != next.body.organisations_size() ||
      b.dealers_size() != roster_dealers) {
    defects.push_back(
        "the plan's threshold, epoch, kind, next id, committee or dealers "
        "differ from the roster");
  } else {
    for (int i = 0; !plan->redeal && i < b.dealers_size(); ++i) {
      if (b.dealers(i).org_id() != next.body.change().dealers(i).org_id() ||
          b.dealers(i).editor_index() !=
              next.body.change().dealers(i).editor_index()) {
        defects.push_back("the plan's dealers differ from the roster's");
        break;
      }
    }
    for (int i = 0; i < b.organisations_size(); ++i) {
      const v1::RosterOrganisation& a = b.organisations(i);
      const v1::RosterOrganisation& r = next.body.organisations(i);
      if (a.id() != r.id() || a.editor_threshold() != r.editor_threshold() ||
          a.witness_vkey() != r.witness_vkey() ||
          a.cocktail_position() != r.cocktail_position() ||
          !SameEditorKeys(a, r)) {
        defects.push_back(OrgName(r.id()) +
                          ": the plan's entry differs from the roster's");
      }
    }
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument, "reshare record", defects);
  }
  std::vector<v1::ReshareCommitments> commitments(transcript.dealings().begin(),
                                                  transcript.dealings().end());
  StatusOr<ReshareOutcome> outcome =
      CombineReshareCommitments(*plan, previous, commitments);
  if (!outcome.ok()) return outcome.status().Annotate("reshare record");
  for (size_t k = 0; k < outcome->consortium_commitments.size(); ++k) {
    if (PointBytes(outcome->consortium_commitments[k]) !=
        next.body.consortium_commitments(static_cast<int>(k))) {
      defects.push_back("consortium commitment " + std::to_string(k) +
                        " does not recombine from the dealings");
    }
  }
  for (const v1::RosterOrganisation& r : next.body.organisations()) {
    const std::vector<Point>& ec = outcome->editor_commitments.at(r.id());
    for (size_t k = 0; k < ec.size(); ++k) {
      if (PointBytes(ec[k]) != r.editor_commitments(static_cast<int>(k))) {
        defects.push_back(OrgName(r.id()) + ": editor commitment " +
                          std::to_string(k) +
                          " does not recombine from the dealings");
      }
    }
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument, "reshare record", defects);
  }
  const Bytes message = DomainSeparatedMessage(kReshareTranscriptDst,
                                               AsBytes(record.transcript()));
  std::map<EditorKey, std::string> editor_keys;
  for (const v1::RosterOrganisation& r : next.body.organisations()) {
    for (const v1::RosterEditor& e : r.editors()) {
      editor_keys[{r.id(), e.index()}] = e.ed25519_public_key();
    }
  }
  CheckSignatureSet(record.dealer_signatures(),
                    DealerKeys(previous.body, b.dealers()), message, "dealer",
                    defects);
  CheckSignatureSet(record.editor_signatures(), editor_keys, message,
                    "new editor", defects);
  if (!defects.empty()) {
    return Defects(StatusCode::kUnauthenticated, "reshare record certification",
                   defects);
  }
  return OkStatus();
}

StatusOr<VerifiedRoster> VerifyRosterSuccessor(const VerifiedRoster& previous,
                                               const v1::Roster& next) {
  const v1::RosterBody& prev = previous.body;
  v1::RosterBody body;
  if (!body.ParseFromString(next.signed_())) {
    return InvalidArgumentError("successor roster: the body does not parse");
  }
  // Chain position first: a roster of another chain is refused by name
  // before anything else is said about it.
  if (body.epoch() != prev.epoch() + 1) {
    return InvalidArgumentError(
        "successor roster: epoch " + std::to_string(body.epoch()) +
        " does not follow epoch " + std::to_string(prev.epoch()) +
        " (epochs advance by one)");
  }
  if (body.previous_roster_fingerprint() !=
      std::string(previous.fingerprint.begin(), previous.fingerprint.end())) {
    return InvalidArgumentError(
        "successor roster: the previous-roster fingerprint is not the "
        "fingerprint of epoch " +
        std::to_string(prev.epoch()));
  }

  std::vector<std::string> defects;
  const v1::MembershipChangeKind kind = body.change().kind();
  if (body.log_vkey() != prev.log_vkey()) {
    defects.push_back("the log vkey changed");
  }
  // Chain-level checks come first, on the (not yet authenticated) body:
  // they only ever refuse, and say why in terms of the chain.
  const bool same_y =
      body.consortium_key() == PointBytes(previous.consortium_key);
  if (kind == v1::MEMBERSHIP_CHANGE_REKEY) {
    if (same_y) defects.push_back("a rekey keeps the consortium key Y");
    if (body.change().dealers_size() != 0 ||
        next.dealer_signatures_size() != 0) {
      defects.push_back("a rekey has no dealers");
    }
    if (body.organisations_size() != prev.organisations_size()) {
      defects.push_back("a rekey keeps the organisations");
    } else {
      for (int i = 0; i < body.organisations_size(); ++i) {
        const v1::RosterOrganisation& a = body.organisations(i);
        const v1::RosterOrganisation& p = prev.organisations(i);
        if (a.id() != p.id() || a.witness_vkey() != p.witness_vkey() ||
            !SameEditorKeys(a, p)) {
          defects.push_back(OrgName(a.id()) +
                            ": a rekey keeps every organisation, id, editor "
                            "and witness key");
        }
        // The new DKG's positions are 1..m in id order; when the ids are
        // not 1..m a re-deal took the key to them (RekeyRecord).
        if (body.key_generation() == v1::KEY_GENERATION_COCKTAIL_DKG &&
            a.cocktail_position() != static_cast<uint32_t>(i + 1)) {
          defects.push_back(OrgName(a.id()) + ": the new DKG's position " +
                            std::to_string(a.cocktail_position()) +
                            " is not its place " + std::to_string(i + 1));
        }
      }
    }
  } else if (kind == v1::MEMBERSHIP_CHANGE_RESHARE ||
             kind == v1::MEMBERSHIP_CHANGE_REFRESH) {
    if (!same_y) {
      defects.push_back(
          "the consortium key Y changed (only a rekey makes a new key)");
    }
    if (body.key_generation() != prev.key_generation() ||
        body.session_id() != prev.session_id()) {
      defects.push_back("the key-generation record of Y changed");
    }
    std::vector<v1::ReshareDealer> dealers(body.change().dealers().begin(),
                                           body.change().dealers().end());
    Status quorum = CheckDealerQuorum(prev, dealers);
    if (!quorum.ok()) defects.push_back(quorum.message());
    if (kind == v1::MEMBERSHIP_CHANGE_REFRESH) {
      bool same = body.threshold() == prev.threshold() &&
                  body.organisations_size() == prev.organisations_size();
      for (int i = 0; same && i < body.organisations_size(); ++i) {
        same = body.organisations(i).id() == prev.organisations(i).id() &&
               body.organisations(i).editor_threshold() ==
                   prev.organisations(i).editor_threshold() &&
               SameEditorKeys(body.organisations(i), prev.organisations(i));
      }
      if (!same) {
        defects.push_back("a refresh keeps the committee, t, k_o and editors");
      }
    }
  } else {
    defects.push_back("the membership change kind is not recorded");
  }
  // Organisation ids: permanent, never reused.
  const uint32_t fresh_from = NextOrganisationId(prev);
  for (const v1::RosterOrganisation& o : body.organisations()) {
    if (FindOrganisation(prev, o.id()) == nullptr && o.id() < fresh_from) {
      defects.push_back(OrgName(o.id()) +
                        ": a departed organisation's id reappears (ids are "
                        "never reused; new ones start at " +
                        std::to_string(fresh_from) + ")");
    }
  }
  if (NextOrganisationId(body) < fresh_from) {
    defects.push_back("next_organisation_id goes back");
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument, "successor roster", defects);
  }
  StatusOr<VerifiedRoster> verified = VerifyRoster(next);
  if (!verified.ok()) return verified.status().Annotate("successor roster");
  // Every named dealer signed with their previous key, nobody else did.
  if (kind != v1::MEMBERSHIP_CHANGE_REKEY) {
    CheckSignatureSet(
        next.dealer_signatures(), DealerKeys(prev, body.change().dealers()),
        DomainSeparatedMessage(kRosterDst, AsBytes(next.signed_())), "dealer",
        defects);
    if (!defects.empty()) {
      return Defects(StatusCode::kUnauthenticated,
                     "successor roster dealer signatures", defects);
    }
  }
  return verified;
}

StatusOr<std::vector<VerifiedRoster>> VerifyRosterChain(
    std::span<const v1::Roster> chain) {
  if (chain.empty()) return InvalidArgumentError("the roster chain is empty");
  std::vector<VerifiedRoster> out;
  StatusOr<VerifiedRoster> first = VerifyRoster(chain[0]);
  if (!first.ok()) return first.status().Annotate("roster chain: epoch 1");
  if (first->body.epoch() != 1) {
    return InvalidArgumentError("roster chain: the first roster is epoch " +
                                std::to_string(first->body.epoch()) +
                                ", not 1");
  }
  out.push_back(std::move(first).value());
  for (size_t i = 1; i < chain.size(); ++i) {
    StatusOr<VerifiedRoster> next = VerifyRosterSuccessor(out.back(), chain[i]);
    if (!next.ok()) {
      return next.status().Annotate("roster chain: roster " +
                                    std::to_string(i + 1));
    }
    out.push_back(std::move(next).value());
  }
  return out;
}

// ---- Rekey ----

bool IdsArePositions(const v1::RosterBody& body) {
  for (int i = 0; i < body.organisations_size(); ++i) {
    if (body.organisations(i).id() != static_cast<uint32_t>(i + 1)) {
      return false;
    }
  }
  return true;
}

v1::PlanRekey MakePlanRekey(const VerifiedRoster& previous) {
  v1::PlanRekey out;
  out.set_previous_roster_fingerprint(
      std::string(previous.fingerprint.begin(), previous.fingerprint.end()));
  out.set_epoch(previous.body.epoch() + 1);
  out.set_next_organisation_id(NextOrganisationId(previous.body));
  for (const v1::RosterOrganisation& o : previous.body.organisations()) {
    out.add_organisation_ids(o.id());
  }
  return out;
}

Status CheckPlanRekey(const v1::PlanRekey& rekey,
                      const VerifiedRoster& previous) {
  const v1::PlanRekey expected = MakePlanRekey(previous);
  if (rekey.previous_roster_fingerprint() !=
      expected.previous_roster_fingerprint()) {
    return FailedPreconditionError(
        "the rekey plan continues another roster (previous fingerprint "
        "differs from epoch " +
        std::to_string(previous.body.epoch()) + "'s)");
  }
  if (rekey.epoch() != expected.epoch() ||
      rekey.next_organisation_id() != expected.next_organisation_id() ||
      !std::equal(rekey.organisation_ids().begin(),
                  rekey.organisation_ids().end(),
                  expected.organisation_ids().begin(),
                  expected.organisation_ids().end())) {
    return FailedPreconditionError(
        "the rekey plan's epoch, next organisation id or organisation ids "
        "are not those of epoch " +
        std::to_string(previous.body.epoch()) + " + 1");
  }
  return OkStatus();
}

Status CheckRekeyDkgRoster(const VerifiedRoster& dkg,
                           const VerifiedRoster& previous) {
  const v1::RosterBody& d = dkg.body;
  const v1::RosterBody& p = previous.body;
  std::vector<std::string> defects;
  if (d.epoch() != p.epoch() + 1 ||
      d.previous_roster_fingerprint() !=
          std::string(previous.fingerprint.begin(),
                      previous.fingerprint.end())) {
    defects.push_back("it does not continue epoch " +
                      std::to_string(p.epoch()) +
                      " (epoch + 1 and its fingerprint)");
  }
  if (d.change().kind() != v1::MEMBERSHIP_CHANGE_REKEY ||
      d.change().dealers_size() != 0 ||
      d.key_generation() != v1::KEY_GENERATION_COCKTAIL_DKG) {
    defects.push_back("it is not a COCKTAIL-DKG rekey without dealers");
  }
  if (dkg.consortium_key == previous.consortium_key) {
    defects.push_back("it keeps the consortium key Y");
  }
  if (d.threshold() != p.threshold() ||
      d.next_organisation_id() != NextOrganisationId(p) ||
      d.log_vkey() != p.log_vkey()) {
    defects.push_back("its threshold, next organisation id or log key differ");
  }
  if (d.organisations_size() != p.organisations_size()) {
    defects.push_back("it has " + std::to_string(d.organisations_size()) +
                      " organisations, not " +
                      std::to_string(p.organisations_size()));
  } else {
    for (int i = 0; i < d.organisations_size(); ++i) {
      const v1::RosterOrganisation& a = d.organisations(i);
      const v1::RosterOrganisation& b = p.organisations(i);
      const uint32_t position = static_cast<uint32_t>(i + 1);
      if (a.id() != position || a.cocktail_position() != position ||
          a.name() != b.name() || a.witness_vkey() != b.witness_vkey() ||
          a.editor_threshold() != b.editor_threshold() ||
          !SameEditorKeys(a, b)) {
        defects.push_back("position " + std::to_string(position) + " is not " +
                          OrgName(b.id()) +
                          " with its name, witness key, k_o and editors");
      }
    }
  }
  if (!defects.empty()) {
    return Defects(StatusCode::kInvalidArgument, "rekey DKG roster", defects);
  }
  return OkStatus();
}

StatusOr<v1::ResharePlan> MakeRedealPlan(
    const VerifiedRoster& dkg, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealer> dealers) {
  CONCLAVE_RETURN_IF_ERROR(CheckRekeyDkgRoster(dkg, previous));
  ResharePlanInput input;
  input.kind = v1::MEMBERSHIP_CHANGE_REKEY;
  input.threshold = dkg.body.threshold();
  input.dealers.assign(dealers.begin(), dealers.end());
  for (int i = 0; i < dkg.body.organisations_size(); ++i) {
    v1::RosterOrganisation o = PlanEntry(dkg.body.organisations(i));
    o.set_id(previous.body.organisations(i).id());
    input.organisations.push_back(std::move(o));
  }
  return MakeResharePlan(dkg, input);
}

Status CheckRekeyRecord(const v1::RekeyRecord& record,
                        const VerifiedRoster& previous,
                        const VerifiedRoster& next) {
  if (next.body.change().kind() != v1::MEMBERSHIP_CHANGE_REKEY) {
    return InvalidArgumentError("rekey record: the roster is not a rekey");
  }
  if (IdsArePositions(previous.body)) {
    if (record.has_dkg_roster() || record.has_redeal()) {
      return InvalidArgumentError(
          "rekey record: ids are 1..m, so the DKG's roster is the new "
          "roster and there is no re-deal");
    }
    return CheckCocktailRecord(record.cocktail(), next)
        .Annotate("rekey record");
  }
  if (!record.has_dkg_roster() || !record.has_redeal()) {
    return InvalidArgumentError(
        "rekey record: ids are not 1..m, so the record needs the DKG's "
        "roster and the re-deal to the ids");
  }
  StatusOr<VerifiedRoster> dkg = VerifyRoster(record.dkg_roster());
  if (!dkg.ok()) return dkg.status().Annotate("rekey record: DKG roster");
  CONCLAVE_RETURN_IF_ERROR(
      CheckRekeyDkgRoster(*dkg, previous).Annotate("rekey record"));
  CONCLAVE_RETURN_IF_ERROR(CheckCocktailRecord(record.cocktail(), *dkg)
                               .Annotate("rekey record: DKG roster"));
  if (next.body.session_id() != dkg->body.session_id()) {
    return InvalidArgumentError(
        "rekey record: the roster's session id is not the DKG's");
  }
  return CheckReshareRecord(record.redeal(), *dkg, next)
      .Annotate("rekey record: re-deal");
}

std::vector<std::string> StrandedSubmissions(
    const v1::RosterBody& next, std::span<const SubmissionExclusions> subs) {
  std::vector<std::string> out;
  for (const SubmissionExclusions& s : subs) {
    uint32_t available = 0;
    for (const v1::RosterOrganisation& o : next.organisations()) {
      if (std::find(s.excluded.begin(), s.excluded.end(), o.id()) ==
          s.excluded.end()) {
        ++available;
      }
    }
    if (available < next.threshold()) out.push_back(s.id);
  }
  return out;
}

}  // namespace conclave::keyceremony
