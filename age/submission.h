// Conclave submissions (brief §2): age v1 files with exactly two stanzas,
//
//   -> p256tag TAG ENC          (C2SP age, to the consortium key;
//   age/p256tag.h)
//   -> conclave-pok [ORG...]    (or conclave-drill-pok for ceremony drills)
//   base64(c[32] ‖ z[32])       (the sender proof, crypto/sender_proof.h)
//
// in that order. ORG... are the excluded organisation ids: ASCII decimal
// 1…2^32−1, no sign, no leading zero, strictly ascending, possibly none.
// The submission id is hex SHA-256(enc) and the header hash SHA-256 of the
// header bytes (age/header.h Header::Hash()).
//
// Validation and inspection work on the header alone: the header MAC and
// the payload can only be checked with the file key (after a quorum
// decrypts), so a valid submission here is "well-formed, addressed to the
// consortium, with a proof of knowledge of log_G(enc)".
#ifndef CONCLAVE_AGE_SUBMISSION_H_
#define CONCLAVE_AGE_SUBMISSION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "age/header.h"
#include "age/io.h"
#include "age/p256tag.h"
#include "age/recipient.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "crypto/sender_proof.h"

namespace conclave::age {

inline constexpr std::string_view kSenderPokStanzaType = "conclave-pok";
inline constexpr std::string_view kDrillPokStanzaType = "conclave-drill-pok";

// "conclave-pok" / "conclave-drill-pok", and back (nullopt for other types).
std::string_view ProofStanzaType(SenderProofKind kind);
std::optional<SenderProofKind> ProofKindFromStanzaType(std::string_view type);
// "submission" / "drill".
std::string_view SenderProofKindName(SenderProofKind kind);

// ---- Exclusions ----

// One organisation id argument: ASCII decimal 1…4294967295, no sign, no
// leading zero, nothing else. INVALID_ARGUMENT otherwise (the CLI's
// --exclude uses it too).
StatusOr<uint32_t> ParseOrgId(std::string_view s);
// OK if the ids are strictly ascending and nonzero (the canonical list).
Status CheckExclusions(std::span<const uint32_t> orgs);
// The stanza arguments of a canonical list, and back (strict: each argument
// through ParseOrgId, then CheckExclusions).
std::vector<std::string> EncodeExclusionArgs(std::span<const uint32_t> orgs);
StatusOr<std::vector<uint32_t>> ParseExclusionArgs(
    std::span<const std::string> args);

// ---- The sender-proof stanza ----

struct ProofStanza {
  SenderProofKind kind = SenderProofKind::kSender;
  std::vector<uint32_t> excluded_orgs;  // canonical
  SenderProof proof{};                  // c ‖ z
};

// Strict: a proof stanza type, canonical exclusions, body exactly 64 bytes.
// INVALID_ARGUMENT otherwise. (c, z < n is checked by VerifySenderProof.)
StatusOr<ProofStanza> ParseProofStanza(const Stanza& stanza);
Stanza EncodeProofStanza(const ProofStanza& stanza);

// ---- Writing ----

// Wraps the file key into exactly [p256tag stanza, proof stanza]: HPKE to
// the consortium key with a fresh ephemeral r, then the sender proof of r.
// Use it alone (age::Encrypt with this single recipient): a header with any
// other stanza is not a valid submission.
class SubmissionRecipient : public Recipient {
 public:
  // The exclusions may come in any order; they are sorted. Usage error
  // (INVALID_ARGUMENT) for an id 0, a duplicate, or the key at infinity.
  static StatusOr<SubmissionRecipient> Create(
      const Point& consortium_key, std::vector<uint32_t> excluded_orgs,
      SenderProofKind kind = SenderProofKind::kSender);

  StatusOr<std::vector<Stanza>> Wrap(
      const SecretBytes& file_key) const override;

  // Wrap with the ephemeral key r and the proof's nonce randomness given, so
  // a submission header is reproducible. Tests and pinned vectors only.
  StatusOr<std::vector<Stanza>> WrapDeterministicForTesting(
      const SecretBytes& file_key, const Scalar& r,
      ByteSpan nonce_randomness) const;

  const Point& consortium_key() const { return key_; }
  const std::vector<uint32_t>& excluded_orgs() const { return excluded_; }
  SenderProofKind kind() const { return kind_; }

 private:
  SubmissionRecipient(const Point& key, std::vector<uint32_t> excluded,
                      SenderProofKind kind)
      : key_(key), excluded_(std::move(excluded)), kind_(kind) {}
  StatusOr<std::vector<Stanza>> WrapWith(
      const SecretBytes& file_key, const Scalar& r,
      const ByteSpan* nonce_randomness) const;
  Point key_;
  std::vector<uint32_t> excluded_;
  SenderProofKind kind_;
};

// ---- Validation ----

// Why a header is not an acceptable submission (first failing check, in
// this order).
enum class SubmissionDefect {
  kNone,
  kNotASubmission,     // no p256tag stanza at all (e.g. an X25519 file)
  kDuplicateP256Tag,   // more than one p256tag stanza
  kPlainP256Tag,       // a lone p256tag stanza: a stock age client's file
  kMissingProof,       // p256tag plus other stanzas but no proof stanza
  kStanzaCount,        // not exactly two stanzas (extra stanzas, two proofs)
  kStanzaOrder,        // the proof stanza before the p256tag stanza
  kMalformedP256Tag,   // arguments, base64, body length, enc not a point
  kTagMismatch,        // the tag is for another key
  kMalformedProof,     // proof stanza body not 64 bytes, c or z >= n
  kBadExclusions,      // exclusion arguments not canonical
  kDrillNotAllowed,    // a drill file where drills are refused
  kTooManyExclusions,  // more than the policy's m − t
  kProofInvalid,       // the sender proof does not verify
};

// Stable lowercase names ("plain-p256tag", "proof-invalid", ...).
std::string_view SubmissionDefectName(SubmissionDefect defect);

struct SubmissionPolicy {
  bool allow_drill = false;
  std::optional<uint32_t> max_exclusions;  // m − t
};

struct SubmissionInfo {
  std::string id;  // lowercase hex SHA-256(enc), 64 characters
  SenderProofKind kind = SenderProofKind::kSender;
  P256TagStanza p256tag;
  std::vector<uint32_t> excluded_orgs;
  SenderProof proof{};
  Sha256Digest header_hash{};
};

// Hex SHA-256 of the 65-byte enc (brief §2).
std::string SubmissionId(ByteSpan enc);

// Checks that the header is a submission to `consortium_key` under
// `policy`. Errors carry a message "[submission: <defect name>] ..." that
// says what is wrong (and, for a plain p256tag file, what to do), readable
// back with GetSubmissionDefect. Codes: INVALID_ARGUMENT for malformed or
// misaddressed headers, PERMISSION_DENIED for policy refusals (drill, too
// many exclusions), UNAUTHENTICATED for a proof that does not verify.
// Does not check the header MAC (that needs the file key).
StatusOr<SubmissionInfo> ValidateSubmission(
    const Header& header, const Point& consortium_key,
    const SubmissionPolicy& policy = {});

// The defect tagged in a status from ValidateSubmission; kNone for OK or an
// untagged status.
SubmissionDefect GetSubmissionDefect(const Status& status);

// ---- Inspection (conclave inspect) ----

struct SubmissionReport {
  struct Defect {
    SubmissionDefect defect;
    std::string message;  // human-readable, without the "[submission: …]" tag
  };
  std::vector<std::string> stanza_types;  // in header order
  size_t header_size = 0;
  Sha256Digest header_hash{};

  // From the first p256tag stanza that parses.
  std::optional<std::string> id;
  std::optional<P256TagStanza> p256tag;
  // nullopt without a key (or without a parsable p256tag stanza).
  std::optional<bool> tag_matches;

  // From the first proof stanza, if any.
  bool proof_present = false;
  std::optional<SenderProofKind> kind;
  std::optional<std::vector<uint32_t>> excluded_orgs;  // if canonical
  // nullopt when it cannot be checked (no key, no parsable stanzas).
  std::optional<bool> proof_valid;
  // One line for humans: "valid", "invalid (…)", "absent",
  // "cannot check without --to", "malformed (…)".
  std::string proof_status;

  std::vector<Defect> defects;  // empty: nothing wrong found
  // True iff a key was given and there are no defects: exactly what
  // ValidateSubmission would accept under the same policy.
  bool valid = false;
};

// Describes the header: never fails. With a key, the defects are those
// ValidateSubmission would report (all of them, in the same order; the
// first is the one it returns); without a key, only the key-independent
// ones. The default policy here allows drills and sets no exclusion limit
// (inspect describes; intake decides).
SubmissionReport InspectSubmission(const Header& header,
                                   const Point* consortium_key,
                                   const SubmissionPolicy& policy = {
                                       .allow_drill = true,
                                       .max_exclusions = std::nullopt});

// Reads the header of an age file, binary or ASCII-armored (detected as
// age::Decrypt does). For validators and inspect, which do not decrypt: it
// may consume input past the header (buffering), and checks nothing of the
// payload. `armored` (optional) tells which form it was.
StatusOr<Header> ReadAgeFileHeader(Reader& in, bool* armored = nullptr);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_SUBMISSION_H_
