// The daemon's logic, independent of gRPC (brief §1, §6, §7; issue 7): the
// consortium's online meeting point and log operator. It holds no secret
// but the log key: never a share, never a partial decryption in the clear,
// never plaintext.
//
// Every state change and its audit leaf are one store transaction committed
// before the method returns (fail closed). A checkpointer thread signs the
// committed tree, gathers the witnesses' cosignatures and keeps the latest
// settled checkpoint; clients treat only settled checkpoints as current.
//
// Thread-safe: gRPC handlers call it from many threads. The gRPC adapter
// (grpc_service.h) only converts between wire and these calls.
#ifndef CONCLAVE_DAEMON_SERVICE_H_
#define CONCLAVE_DAEMON_SERVICE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/daemon.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "crypto/ed25519.h"
#include "daemon/witness_client.h"
#include "keyceremony/roster.h"

namespace conclave::daemon {

// ---- Intake and anonymous contact (brief §8; issue 8) ----

// What a whistleblower's browser derived from their receipt
// (daemon/contact.h), sent with a first submission.
struct IntakeContact {
  Bytes lookup_id;              // 32 bytes
  Bytes auth_key;               // 33 bytes, SEC1 compressed
  std::string reply_recipient;  // "age1tag1…"
};

// A returning whistleblower's answer to a challenge.
struct ContactProof {
  Bytes lookup_id;  // 32 bytes
  Bytes challenge;  // 32 bytes, from NewContactChallenge
  Bytes signature;  // 64 bytes, ECDSA r ‖ s over ContactAuthMessage
};

struct IntakeAcceptance {
  v1::SubmitReply reply;
  std::string linked_to;  // follow-ups: the first submission's id
};

// What a returning whistleblower may see: their thread.
struct ContactStatus {
  struct Item {
    std::string submission_id;
    uint64_t leaf_index = 0;
    uint64_t received_unix = 0;
    std::string state;  // "received", "request_open", "released"
    uint32_t organisations_approved = 0;
  };
  struct Reply {
    std::string reply_id;  // hex SHA-256 of the ciphertext
    uint64_t created_unix = 0;
    Bytes ciphertext;  // age file to the contact's reply recipient
  };
  std::vector<Item> submissions;  // the first, then its follow-ups
  std::vector<Reply> replies;     // oldest first
};

// Intake failures carry one of these tags at the start of their message
// ("[intake: truncated] …"), read back with GetIntakeError; validation
// failures carry the submission defect instead (age/submission.h).
inline constexpr std::string_view kIntakeNotAge = "not-age";
inline constexpr std::string_view kIntakeTruncated = "truncated";
inline constexpr std::string_view kIntakeNotRecognised = "not-recognised";
inline constexpr std::string_view kIntakeBadContact = "bad-contact";
// The tag of an intake failure, or "" if untagged.
std::string_view GetIntakeError(const Status& status);

inline constexpr uint32_t kContactChallengeSeconds = 300;

struct DaemonOptions {
  std::filesystem::path data_dir;
  // The roster file's bytes (a serialized Roster), verified by Open. At
  // first start it becomes epoch 1 of the chain. Later starts accept any
  // roster of the chain the data directory holds (the first one the
  // configuration names, or the latest): the daemon then serves the
  // directory's latest epoch, after re-verifying the whole chain. A roster
  // newer than the chain is refused: new epochs come in through PushRoster,
  // which logs them.
  Bytes roster;
  // The log key (its vkey must be the roster's log vkey).
  std::string log_key_origin;
  SecretBytes log_key_seed;
  std::vector<WitnessEndpoint> witnesses;
  uint64_t max_submission_bytes = uint64_t{1} << 30;
  uint32_t replay_window_seconds = 300;
  uint32_t submissions_per_minute = 60;  // per peer
  // Unix seconds; tests move it.
  std::function<uint64_t()> clock;
  // How long a posting call waits for a settled checkpoint covering its
  // leaf before replying anyway (the reply then says it is not settled).
  uint32_t settle_wait_ms = 2000;
};

class Daemon {
 public:
  // First start initialises the data directory (database, blob store, the
  // roster chain, a daemon_started leaf); later starts re-verify the stored
  // roster chain and check that the log key and the given roster match it
  // (DaemonOptions::roster). FAILED_PRECONDITION with a clear message
  // otherwise.
  static StatusOr<std::unique_ptr<Daemon>> Open(DaemonOptions options);
  virtual ~Daemon() = default;

  // Anonymous (brief §2): validates the whole age file as a submission
  // (sender proof, tag, at most m − t exclusions; drill files and plain
  // p256tag files refused with a clear message), refuses a known id
  // (ALREADY_EXISTS), stores the blob durably, logs it, and returns the
  // log-signed acceptance. RESOURCE_EXHAUSTED past the peer's rate or the
  // size limit.
  virtual StatusOr<v1::SubmitReply> Submit(ByteSpan file,
                                           std::string_view peer) = 0;

  virtual StatusOr<v1::RosterChain> GetRosters() = 0;

  // Intake (issue 8). A finished upload: the whole age file at `file`
  // (written by the intake server), validated exactly as Submit, then
  // copied into the blob store and logged. With `contact`, the contact is
  // stored with the submission in the same transaction; with `follow_up`,
  // the proof is checked as GetContactStatus does (UNAUTHENTICATED
  // "[intake: not-recognised]") and the submission is linked to the
  // contact's first submission (SubmissionReceived.linked_to_leaf). At
  // most one of the two. Nothing is stored on failure.
  virtual StatusOr<IntakeAcceptance> SubmitUpload(
      const std::filesystem::path& file, const IntakeContact* contact,
      const ContactProof* follow_up, std::string_view peer) = 0;
  // A fresh single-use challenge for any well-formed lookup id (it never
  // says whether the id exists); expires after kContactChallengeSeconds.
  // RESOURCE_EXHAUSTED when too many challenges are outstanding.
  virtual StatusOr<Bytes> NewContactChallenge(ByteSpan lookup_id) = 0;
  // The proof's challenge is consumed whatever the outcome. Every failure
  // (unknown lookup id, bad signature, unknown/expired/reused challenge)
  // is the same UNAUTHENTICATED "[intake: not-recognised]" status, after
  // the same work (a signature check against a dummy key when the lookup
  // id is unknown).
  virtual StatusOr<ContactStatus> GetContactStatus(
      const ContactProof& proof) = 0;

  // Editor calls. Each verifies the envelope for its own method name first
  // (UNAUTHENTICATED / PERMISSION_DENIED / FAILED_PRECONDITION for a bad
  // signature, a non-member, a stale or replayed call, another roster).
  virtual StatusOr<v1::PostReply> PostRequest(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::PostReply> PostVote(const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::PostReply> PostApproval(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::PostReply> PostWithdrawal(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::SubmissionList> ListSubmissions(
      const v1::SignedStatement& call) = 0;
  // Streams the stored file (its hash verified) in chunks to `sink`.
  virtual Status GetSubmissionFile(
      const v1::SignedStatement& call,
      const std::function<Status(ByteSpan)>& sink) = 0;
  virtual StatusOr<v1::RequestList> ListRequests(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::RequestInfo> GetRequest(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::LogEvidence> GetEvidence(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::CheckpointReply> GetCheckpoint(
      const v1::SignedStatement& call) = 0;
  virtual StatusOr<v1::LeavesReply> GetLeaves(
      const v1::SignedStatement& call) = 0;
  // An editor's reply to a contact (payload ReplyPost): the statement is
  // verified (daemon/contact.h VerifyReply), the submission must be a
  // thread's first submission with a contact (FAILED_PRECONDITION
  // otherwise), the ciphertext an age file with one p256tag stanza to the
  // contact's reply recipient; stored with a `reply` leaf.
  virtual StatusOr<v1::PostReply> PostReply(
      const v1::SignedStatement& call) = 0;
  // Threads (payload MessagesQuery).
  virtual StatusOr<v1::MessageThreads> ListMessages(
      const v1::SignedStatement& call) = 0;

  // Membership change (brief §9; issue 9): a RosterPush signed by an editor
  // of the current roster. The roster must verify as the current roster's
  // successor (keyceremony::VerifyRosterSuccessor: epoch + 1, previous
  // fingerprint, dealer and editor signatures, same Y). Refused with
  // FAILED_PRECONDITION, listing them, when stored submissions would be
  // stranded (their exclusions leave fewer than t' organisations) unless
  // `force`. In one transaction: the roster joins the chain, a `roster`
  // leaf is logged and every open request is expired (an `expiry` leaf
  // each). From then on only the new roster's editors and epoch are
  // accepted. A REKEY roster (a new consortium key) is refused: not
  // supported yet (docs/operations.md).
  virtual StatusOr<v1::RosterPushReply> PushRoster(
      const v1::SignedStatement& call) = 0;

  // Stops the checkpointer; in-flight calls finish. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_SERVICE_H_
