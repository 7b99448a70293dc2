#include "age/submission.h"

#include <algorithm>
#include <charconv>

#include "age/armor.h"
#include "age/base64.h"
#include "age/errors.h"

namespace conclave::age {

namespace {

constexpr std::string_view kDefectTagPrefix = "[submission: ";

constexpr std::string_view kPlainMessage =
    "a plain p256tag file from a stock age client: Conclave needs the sender "
    "proof; encrypt with conclave encrypt or the intake page";

struct DefectEntry {
  SubmissionDefect defect;
  std::string_view name;
  StatusCode code;
};

constexpr DefectEntry kDefects[] = {
    {SubmissionDefect::kNotASubmission, "not-a-submission",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kDuplicateP256Tag, "duplicate-p256tag",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kPlainP256Tag, "plain-p256tag",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kMissingProof, "missing-proof",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kStanzaCount, "stanza-count",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kStanzaOrder, "stanza-order",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kMalformedP256Tag, "malformed-p256tag",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kTagMismatch, "tag-mismatch",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kMalformedProof, "malformed-proof",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kBadExclusions, "bad-exclusions",
     StatusCode::kInvalidArgument},
    {SubmissionDefect::kDrillNotAllowed, "drill-not-allowed",
     StatusCode::kPermissionDenied},
    {SubmissionDefect::kTooManyExclusions, "too-many-exclusions",
     StatusCode::kPermissionDenied},
    {SubmissionDefect::kProofInvalid, "proof-invalid",
     StatusCode::kUnauthenticated},
};

const DefectEntry* FindDefect(SubmissionDefect d) {
  for (const DefectEntry& e : kDefects) {
    if (e.defect == d) return &e;
  }
  return nullptr;
}

// Stanza types come from the file (1*VCHAR, but unbounded): list a bounded
// number of bounded strings.
std::string DescribeTypes(const std::vector<std::string>& types) {
  constexpr size_t kMaxTypes = 8, kMaxLen = 32;
  std::string out;
  for (size_t i = 0; i < types.size() && i < kMaxTypes; ++i) {
    if (i > 0) out += ", ";
    out += types[i].substr(0, kMaxLen);
    if (types[i].size() > kMaxLen) out += "…";
  }
  if (types.size() > kMaxTypes) out += ", …";
  return out;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 16;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "…";
  return out + "\"";
}

// Body length and c, z < n; the exclusions separately (distinct defects).
Status CheckProofBody(ByteSpan body, SenderProof* proof) {
  if (body.size() != kSenderProofSize) {
    return InvalidArgumentError("proof stanza body is " +
                                std::to_string(body.size()) +
                                " bytes, not 64 (c ‖ z)");
  }
  if (!Scalar::FromBytes(body.first(kP256ScalarSize)).ok() ||
      !Scalar::FromBytes(body.subspan(kP256ScalarSize)).ok()) {
    return InvalidArgumentError(
        "proof stanza c or z is not below the group order");
  }
  std::copy(body.begin(), body.end(), proof->begin());
  return OkStatus();
}

// Everything InspectSubmission and ValidateSubmission share. `proof` gets
// the proof stanza when it parsed.
void Analyze(const Header& header, const Point* key,
             const SubmissionPolicy& policy, SubmissionReport* r,
             std::optional<ProofStanza>* proof) {
  // The point at infinity is no key (and has no encoding to hash).
  if (key != nullptr && key->IsInfinity()) key = nullptr;
  auto add = [r](SubmissionDefect d, std::string m) {
    r->defects.push_back({d, std::move(m)});
  };
  const std::vector<Stanza>& st = header.stanzas;
  for (const Stanza& s : st) r->stanza_types.push_back(s.type);
  r->header_size = header.bytes.size();
  r->header_hash = Sha256(header.bytes);

  std::vector<size_t> tags, proofs;
  for (size_t i = 0; i < st.size(); ++i) {
    if (st[i].type == kP256TagStanzaType) tags.push_back(i);
    if (ProofKindFromStanzaType(st[i].type)) proofs.push_back(i);
  }

  // Structure: exactly [p256tag, proof].
  if (tags.empty()) {
    add(SubmissionDefect::kNotASubmission,
        "not a Conclave submission: no p256tag stanza (stanzas: " +
            DescribeTypes(r->stanza_types) + ")");
  } else if (tags.size() > 1) {
    add(SubmissionDefect::kDuplicateP256Tag,
        std::to_string(tags.size()) +
            " p256tag stanzas; a submission has exactly one");
  } else if (st.size() == 1) {
    add(SubmissionDefect::kPlainP256Tag, std::string(kPlainMessage));
  } else if (proofs.empty()) {
    add(SubmissionDefect::kMissingProof,
        "no conclave-pok stanza beside the p256tag stanza (stanzas: " +
            DescribeTypes(r->stanza_types) + ")");
  } else if (st.size() != 2) {
    add(SubmissionDefect::kStanzaCount,
        "a submission has exactly two stanzas (p256tag, then conclave-pok); "
        "this header has " +
            std::to_string(st.size()) + " (" + DescribeTypes(r->stanza_types) +
            ")");
  } else if (tags[0] != 0) {
    add(SubmissionDefect::kStanzaOrder,
        "the p256tag stanza must come first, then the proof stanza");
  }

  // The p256tag stanza.
  bool enc_ok = false;
  if (!tags.empty()) {
    StatusOr<P256TagStanza> t = ParseP256TagStanza(st[tags[0]]);
    if (!t.ok()) {
      add(SubmissionDefect::kMalformedP256Tag,
          "malformed p256tag stanza: " + t.status().message());
    } else {
      r->p256tag = *t;
      r->id = SubmissionId(t->enc);
      enc_ok = Point::DecodeUncompressed(t->enc).ok();
      if (!enc_ok) {
        add(SubmissionDefect::kMalformedP256Tag,
            "malformed p256tag stanza: enc is not a point on P-256");
      } else if (key != nullptr) {
        r->tag_matches = ComputeP256Tag(t->enc, *key) == t->tag;
        if (!*r->tag_matches) {
          add(SubmissionDefect::kTagMismatch,
              "the p256tag stanza is addressed to another key (its tag does "
              "not match the consortium key given)");
        }
      }
    }
  }

  // The proof stanza.
  if (proofs.empty()) {
    r->proof_status = "absent";
    return;
  }
  r->proof_present = true;
  const Stanza& ps = st[proofs[0]];
  r->kind = ProofKindFromStanzaType(ps.type);
  ProofStanza p;
  p.kind = *r->kind;
  if (Status s = CheckProofBody(ps.body, &p.proof); !s.ok()) {
    add(SubmissionDefect::kMalformedProof, s.message());
    r->proof_status = "malformed (" + s.message() + ")";
  }
  StatusOr<std::vector<uint32_t>> ex = ParseExclusionArgs(ps.args);
  if (!ex.ok()) {
    add(SubmissionDefect::kBadExclusions,
        "excluded organisations: " + ex.status().message());
    if (r->proof_status.empty()) {
      r->proof_status = "malformed (exclusions not canonical)";
    }
  } else {
    r->excluded_orgs = *ex;
    p.excluded_orgs = *ex;
  }
  const bool proof_parsed = r->proof_status.empty();
  if (proof_parsed) *proof = p;

  // Policy.
  if (p.kind == SenderProofKind::kDrill && !policy.allow_drill) {
    add(SubmissionDefect::kDrillNotAllowed,
        "a drill file (conclave-drill-pok stanza) is refused here: drills "
        "belong to the key ceremony, not to intake");
  }
  if (ex.ok() && policy.max_exclusions && ex->size() > *policy.max_exclusions) {
    add(SubmissionDefect::kTooManyExclusions,
        std::to_string(ex->size()) + " organisations excluded; at most " +
            std::to_string(*policy.max_exclusions) +
            " may be (m − t), or no quorum could decrypt");
  }

  // The proof itself.
  if (!proof_parsed) return;
  if (key == nullptr) {
    r->proof_status = "cannot check without --to";
    return;
  }
  if (!r->p256tag || !enc_ok) {
    r->proof_status = "cannot check: the p256tag stanza is malformed";
    return;
  }
  if (r->tag_matches == false) {
    r->proof_status = "not checked: the file is for another key";
    return;
  }
  Status v = VerifySenderProof(p.kind, r->p256tag->enc, *key, r->p256tag->tag,
                               r->p256tag->body, p.excluded_orgs, p.proof);
  r->proof_valid = v.ok();
  if (v.ok()) {
    r->proof_status = "valid";
  } else if (v.code() == StatusCode::kUnauthenticated) {
    add(SubmissionDefect::kProofInvalid,
        "the sender proof does not verify (it was not made for this enc, "
        "tag, body, key and exclusion list)");
    r->proof_status = "invalid";
  } else {
    add(SubmissionDefect::kMalformedProof,
        "sender proof rejected: " + v.message());
    r->proof_status = "malformed (" + v.message() + ")";
  }
}

Status DefectStatus(const SubmissionReport::Defect& d) {
  const DefectEntry* e = FindDefect(d.defect);
  if (e == nullptr) return InternalError("unknown submission defect");
  return Status(e->code, std::string(kDefectTagPrefix) + std::string(e->name) +
                             "] " + d.message);
}

}  // namespace

std::string_view ProofStanzaType(SenderProofKind kind) {
  return kind == SenderProofKind::kDrill ? kDrillPokStanzaType
                                         : kSenderPokStanzaType;
}

std::optional<SenderProofKind> ProofKindFromStanzaType(std::string_view type) {
  if (type == kSenderPokStanzaType) return SenderProofKind::kSender;
  if (type == kDrillPokStanzaType) return SenderProofKind::kDrill;
  return std::nullopt;
}

std::string_view SenderProofKindName(SenderProofKind kind) {
  return kind == SenderProofKind::kDrill ? "drill" : "submission";
}

// ---- Exclusions ----

StatusOr<uint32_t> ParseOrgId(std::string_view s) {
  if (s.empty()) return InvalidArgumentError("empty organisation id");
  if (s.size() > 10 || !std::all_of(s.begin(), s.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return InvalidArgumentError("organisation id " + Quote(s) +
                                " is not a decimal number in 1…4294967295");
  }
  if (s[0] == '0') {
    return InvalidArgumentError("organisation id " + Quote(s) +
                                (s.size() == 1
                                     ? " is not valid (ids start at 1)"
                                     : " has a leading zero"));
  }
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > UINT32_MAX) {
    return InvalidArgumentError("organisation id " + Quote(s) +
                                " is larger than 4294967295");
  }
  return static_cast<uint32_t>(v);
}

Status CheckExclusions(std::span<const uint32_t> orgs) {
  for (size_t i = 0; i < orgs.size(); ++i) {
    if (orgs[i] == 0) {
      return InvalidArgumentError("organisation id 0 is not valid");
    }
    if (i > 0 && orgs[i] == orgs[i - 1]) {
      return InvalidArgumentError("organisation " + std::to_string(orgs[i]) +
                                  " is listed twice");
    }
    if (i > 0 && orgs[i] < orgs[i - 1]) {
      return InvalidArgumentError("organisation ids are not ascending (" +
                                  std::to_string(orgs[i - 1]) + " before " +
                                  std::to_string(orgs[i]) + ")");
    }
  }
  return OkStatus();
}

std::vector<std::string> EncodeExclusionArgs(std::span<const uint32_t> orgs) {
  std::vector<std::string> out;
  out.reserve(orgs.size());
  for (uint32_t o : orgs) out.push_back(std::to_string(o));
  return out;
}

StatusOr<std::vector<uint32_t>> ParseExclusionArgs(
    std::span<const std::string> args) {
  std::vector<uint32_t> out;
  out.reserve(args.size());
  for (const std::string& a : args) {
    CONCLAVE_ASSIGN_OR_RETURN(uint32_t id, ParseOrgId(a));
    out.push_back(id);
  }
  CONCLAVE_RETURN_IF_ERROR(CheckExclusions(out));
  return out;
}

// ---- Proof stanza ----

StatusOr<ProofStanza> ParseProofStanza(const Stanza& stanza) {
  std::optional<SenderProofKind> kind = ProofKindFromStanzaType(stanza.type);
  if (!kind) return InvalidArgumentError("not a sender-proof stanza");
  ProofStanza out;
  out.kind = *kind;
  CONCLAVE_RETURN_IF_ERROR(CheckProofBody(stanza.body, &out.proof));
  StatusOr<std::vector<uint32_t>> ex = ParseExclusionArgs(stanza.args);
  if (!ex.ok()) return ex.status().Annotate("excluded organisations");
  out.excluded_orgs = std::move(ex).value();
  return out;
}

Stanza EncodeProofStanza(const ProofStanza& p) {
  Stanza s;
  s.type = std::string(ProofStanzaType(p.kind));
  s.args = EncodeExclusionArgs(p.excluded_orgs);
  s.body = Bytes(p.proof.begin(), p.proof.end());
  return s;
}

// ---- SubmissionRecipient ----

StatusOr<SubmissionRecipient> SubmissionRecipient::Create(
    const Point& consortium_key, std::vector<uint32_t> excluded_orgs,
    SenderProofKind kind) {
  if (consortium_key.IsInfinity()) {
    return AgeError(ErrorKind::kUsage,
                    "consortium key is the point at infinity");
  }
  std::sort(excluded_orgs.begin(), excluded_orgs.end());
  if (Status s = CheckExclusions(excluded_orgs); !s.ok()) {
    return AgeError(ErrorKind::kUsage,
                    "excluded organisations: " + s.message());
  }
  return SubmissionRecipient(consortium_key, std::move(excluded_orgs), kind);
}

StatusOr<std::vector<Stanza>> SubmissionRecipient::WrapWith(
    const SecretBytes& file_key, const Scalar& r,
    const ByteSpan* nonce_randomness) const {
  CONCLAVE_ASSIGN_OR_RETURN(P256TagStanza t, WrapP256Tag(file_key, key_, r));
  ProofStanza p;
  p.kind = kind_;
  p.excluded_orgs = excluded_;
  if (nonce_randomness != nullptr) {
    CONCLAVE_ASSIGN_OR_RETURN(p.proof, ProveSenderWithNonceRandomness(
                                           kind_, r, t.enc, key_, t.tag, t.body,
                                           excluded_, *nonce_randomness));
  } else {
    CONCLAVE_ASSIGN_OR_RETURN(
        p.proof, ProveSender(kind_, r, t.enc, key_, t.tag, t.body, excluded_));
  }
  return std::vector<Stanza>{EncodeP256TagStanza(t), EncodeProofStanza(p)};
}

StatusOr<std::vector<Stanza>> SubmissionRecipient::Wrap(
    const SecretBytes& file_key) const {
  return WrapWith(file_key, Scalar::Random(), nullptr);
}

StatusOr<std::vector<Stanza>> SubmissionRecipient::WrapDeterministicForTesting(
    const SecretBytes& file_key, const Scalar& r,
    ByteSpan nonce_randomness) const {
  return WrapWith(file_key, r, &nonce_randomness);
}

// ---- Validation and inspection ----

std::string_view SubmissionDefectName(SubmissionDefect defect) {
  if (defect == SubmissionDefect::kNone) return "none";
  const DefectEntry* e = FindDefect(defect);
  return e ? e->name : "unknown";
}

std::string SubmissionId(ByteSpan enc) { return HexEncode(Sha256(enc)); }

StatusOr<SubmissionInfo> ValidateSubmission(const Header& header,
                                            const Point& consortium_key,
                                            const SubmissionPolicy& policy) {
  if (consortium_key.IsInfinity()) {
    return InvalidArgumentError("consortium key is the point at infinity");
  }
  SubmissionReport r;
  std::optional<ProofStanza> proof;
  Analyze(header, &consortium_key, policy, &r, &proof);
  if (!r.defects.empty()) return DefectStatus(r.defects.front());
  if (!r.p256tag || !proof || r.proof_valid != true) {
    return InternalError("submission analysis incomplete without a defect");
  }
  SubmissionInfo info;
  info.id = *r.id;
  info.kind = proof->kind;
  info.p256tag = *r.p256tag;
  info.excluded_orgs = proof->excluded_orgs;
  info.proof = proof->proof;
  info.header_hash = r.header_hash;
  return info;
}

SubmissionDefect GetSubmissionDefect(const Status& status) {
  if (status.ok()) return SubmissionDefect::kNone;
  const std::string& m = status.message();
  const size_t at = m.find(kDefectTagPrefix);
  if (at == std::string::npos) return SubmissionDefect::kNone;
  const std::string_view rest =
      std::string_view(m).substr(at + kDefectTagPrefix.size());
  for (const DefectEntry& e : kDefects) {
    if (rest.starts_with(e.name) &&
        rest.substr(e.name.size()).starts_with("]")) {
      return e.defect;
    }
  }
  return SubmissionDefect::kNone;
}

SubmissionReport InspectSubmission(const Header& header,
                                   const Point* consortium_key,
                                   const SubmissionPolicy& policy) {
  SubmissionReport r;
  std::optional<ProofStanza> proof;
  Analyze(header, consortium_key, policy, &r, &proof);
  r.valid = consortium_key != nullptr && !consortium_key->IsInfinity() &&
            r.defects.empty();
  return r;
}

StatusOr<Header> ReadAgeFileHeader(Reader& in, bool* armored) {
  BufferedReader buf(in);
  CONCLAVE_ASSIGN_OR_RETURN(bool is_armored, LooksArmored(buf));
  if (armored != nullptr) *armored = is_armored;
  if (!is_armored) return ReadHeader(buf);
  ArmorReader armor(buf);
  BufferedReader decoded(armor);
  return ReadHeader(decoded);
}

}  // namespace conclave::age
