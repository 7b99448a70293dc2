// The signed statements of quorum decryption (brief §5): requests, votes,
// withdrawals and the clear part of approvals, and the audit-log leaves that
// carry them (proto/conclave/v1/quorum.proto, docs/protocol.md).
//
// Every Verify* function looks the signer up in a verified roster, checks
// the Ed25519 signature over u32be(|DST|) ‖ DST ‖ signed exactly as
// received, and only then parses the body, which must name the same signer
// (brief §2: never parse or re-serialize before verifying).
#ifndef CONCLAVE_QUORUM_STATEMENTS_H_
#define CONCLAVE_QUORUM_STATEMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "age/header.h"
#include "age/submission.h"
#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "keyceremony/roster.h"

namespace conclave::quorum {

inline constexpr std::string_view kRequestDst = "conclave/v1/request";
inline constexpr std::string_view kVoteDst = "conclave/v1/vote";
inline constexpr std::string_view kWithdrawalDst = "conclave/v1/withdrawal";
inline constexpr std::string_view kApprovalStatementDst =
    "conclave/v1/approval-statement";
inline constexpr std::string_view kReplyKeyDst = "conclave/v1/reply-key";

inline constexpr size_t kReplySaltSize = 32;
// Bounds on free text, so a statement stays small enough to log.
inline constexpr size_t kMaxReasonSize = 4096;
// A request carries a whole age header (age/header.h bounds it at 1 MiB);
// anything larger than this is refused before parsing.
inline constexpr size_t kMaxStatementSize = (size_t{1} << 20) + 65536;

using RequestId = Sha256Digest;
std::string RequestIdHex(const RequestId& id);
// A protobuf bytes field equals a digest (public values: not constant time).
bool SameBytes(const std::string& field, const Sha256Digest& digest);
// 64 lowercase or uppercase hex digits; INVALID_ARGUMENT otherwise.
StatusOr<RequestId> ParseRequestId(std::string_view hex);
StatusOr<RequestId> RequestIdFromBytes(ByteSpan bytes);

// "Organisation 2 editor 1 (Alice)" — how people see a signer.
std::string EditorLabel(const v1::RosterBody& body, uint32_t org_id,
                        uint32_t editor_index);

// The roster entry for (org, editor), or nullptr.
const v1::RosterEditor* FindEditor(const v1::RosterBody& body, uint32_t org_id,
                                   uint32_t editor_index);

// ---- An editor's keys, checked against the roster ----

class EditorKeys {
 public:
  // The identity must be an editor of `roster` with the same Ed25519 and
  // P-256 public keys (FAILED_PRECONDITION "this identity is not …"
  // otherwise: an identity of another consortium or a stale card). An
  // identity sealed before the plan assigned its index (index 0) is found
  // by its signing key within its organisation.
  static StatusOr<EditorKeys> FromIdentity(
      const v1::EditorIdentity& identity,
      const keyceremony::VerifiedRoster& roster);

  uint32_t org_id() const { return org_id_; }
  uint32_t editor_index() const { return editor_index_; }
  const Ed25519PrivateKey& signing_key() const { return signing_key_; }
  // reply_sk = HashToScalar(p256 identity key ‖ reply_salt, DST
  // conclave/v1/reply-key) (brief §5.1): re-derivable by the requester,
  // and a leaked reply key reveals nothing else.
  StatusOr<Scalar> ReplyKey(ByteSpan reply_salt) const;

 private:
  EditorKeys(uint32_t org, uint32_t editor, Ed25519PrivateKey signing,
             SecretBytes p256)
      : org_id_(org),
        editor_index_(editor),
        signing_key_(std::move(signing)),
        p256_private_key_(std::move(p256)) {}
  uint32_t org_id_;
  uint32_t editor_index_;
  Ed25519PrivateKey signing_key_;
  SecretBytes p256_private_key_;
};

// ---- Generic signed statements ----

v1::SignedStatement SignStatement(std::string_view dst, Bytes body,
                                  const EditorKeys& signer);

// Verifies the envelope's signature by the roster editor it names.
// PERMISSION_DENIED if the signer is not an editor of this roster
// ("… is not a member"), UNAUTHENTICATED if the signature does not verify,
// INVALID_ARGUMENT for an oversized statement.
Status VerifyStatementSignature(std::string_view dst,
                                const v1::SignedStatement& statement,
                                const v1::RosterBody& roster);

// ---- Requests (brief §5.1) ----

struct RequestOptions {
  std::string reason;
  uint64_t lifetime_seconds = 0;  // 0: the roster's maximum
  uint64_t now_unix = 0;
};

struct NewRequest {
  v1::SignedStatement statement;
  RequestId id{};
};

// Builds and signs a request for the submission whose age header is
// `age_header` (the header bytes only, or a whole file: the header is cut
// at the MAC line). Refuses what every releaser would refuse (see
// VerifyRequest), so a requester learns at once.
StatusOr<NewRequest> MakeRequest(const keyceremony::VerifiedRoster& roster,
                                 const EditorKeys& requester,
                                 ByteSpan age_header,
                                 const RequestOptions& options);

struct VerifiedRequest {
  RequestId id{};
  v1::RequestBody body;
  age::Header header;
  age::SubmissionInfo submission;  // id, kind, exclusions, header hash
  bool drill = false;              // a drill file listed in the roster
  Point reply_key = Point::Infinity();
};

// Every check on a request that does not depend on the log or the clock:
// signature by a roster editor, same roster (fingerprint) and epoch, the
// embedded header is a valid submission to the roster's key (brief §2:
// p256tag tag, sender proof, at most m − t exclusions), submission id =
// SHA-256(enc) of that header, drill proof if and only if the id is one of
// the roster's drill ids, the requester's organisation is not excluded, a
// reason, a lifetime within the roster's maximum, a 32-byte salt and a
// reply key that decodes. Errors name the failing check:
// PERMISSION_DENIED (excluded requester, not a member, drill misuse),
// FAILED_PRECONDITION (another roster or epoch signed by the same editor
// keys), UNAUTHENTICATED (bad signature or sender proof — a request of
// another consortium usually fails here, since the signature is checked
// first), INVALID_ARGUMENT (malformed).
StatusOr<VerifiedRequest> VerifyRequest(
    const keyceremony::VerifiedRoster& roster,
    const v1::SignedStatement& request);

// FAILED_PRECONDITION "request … expired at …" once now >= expires_unix.
Status CheckNotExpired(const VerifiedRequest& request, uint64_t now_unix);

// ---- Votes (brief §5.2) ----

struct VoteOptions {
  v1::Decision decision = v1::DECISION_APPROVE;
  uint64_t checkpoint_size = 0;  // the settled checkpoint the voter saw
  Bytes checkpoint_root;         // 32 bytes
  std::string comment;
  uint64_t now_unix = 0;
};

// Refuses (PERMISSION_DENIED) a voter whose organisation the submission
// excludes, and (FAILED_PRECONDITION) an expired request.
StatusOr<v1::SignedStatement> MakeVote(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& voter,
    const VerifiedRequest& request, const VoteOptions& options);

// Signature by a roster editor, body names the signer, epoch is the
// roster's, a decision, a 32-byte request id and checkpoint root.
StatusOr<v1::VoteBody> VerifyVote(const keyceremony::VerifiedRoster& roster,
                                  const v1::SignedStatement& vote);

// ---- Withdrawals ----

// Only the requester may withdraw (PERMISSION_DENIED otherwise).
StatusOr<v1::SignedStatement> MakeWithdrawal(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    const VerifiedRequest& request, std::string reason, uint64_t now_unix);

// Signature by a roster editor, epoch, a 32-byte request id.
StatusOr<v1::WithdrawalBody> VerifyWithdrawal(
    const keyceremony::VerifiedRoster& roster,
    const v1::SignedStatement& withdrawal);

// ---- The clear part of approvals ----

// Signature by a roster editor, body names the signer, epoch is the
// roster's, the ciphertext hash matches the approval's ciphertext.
// `signature_ok` (optional) tells whether the envelope's signer signed it,
// so that a later failure can name them.
StatusOr<v1::ApprovalBody> VerifyApprovalStatement(
    const keyceremony::VerifiedRoster& roster, const v1::Approval& approval,
    bool* signature_ok = nullptr);

// ---- Log leaves ----

Bytes EncodeLogLeaf(const v1::LogLeaf& leaf);
// Strict: bytes that are not a LogLeaf with exactly one entry are refused
// (INVALID_ARGUMENT).
StatusOr<v1::LogLeaf> ParseLogLeaf(ByteSpan leaf);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_STATEMENTS_H_
