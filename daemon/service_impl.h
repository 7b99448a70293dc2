// The Daemon implementation (daemon/service.h), with what conclaved and the
// tests need beyond the interface: the fatal-storage status, the settled
// state, and the background work run on demand.
#ifndef CONCLAVE_DAEMON_SERVICE_IMPL_H_
#define CONCLAVE_DAEMON_SERVICE_IMPL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.h"
#include "daemon/call.h"
#include "daemon/checkpointer.h"
#include "daemon/service.h"
#include "daemon/store.h"
#include "daemon/witness_client.h"
#include "quorum/evidence.h"
#include "quorum/progress.h"
#include "quorum/statements.h"

namespace conclave::daemon {

// The version written into daemon_started leaves.
inline constexpr char kDaemonVersion[] = "conclaved 0.1";
// Query bounds (daemon.proto).
inline constexpr uint32_t kMaxListLimit = 1000;
inline constexpr uint32_t kDefaultListLimit = 100;
inline constexpr uint64_t kMaxLeavesPerCall = 1000;
// GetLeaves stops adding leaves past this many bytes (at least one leaf is
// returned): the reply must fit a gRPC message (the adapter's limit must be
// above this plus a leaf, kMaxCallPayloadSize).
inline constexpr size_t kMaxLeavesReplyBytes = size_t{3} << 20;
inline constexpr size_t kFileChunkSize = size_t{1} << 20;
// The signed acceptance a whistleblower keeps (daemon.proto SubmitReply).
inline constexpr char kAcceptanceHeader[] = "conclave submission acceptance v1";

class DaemonImpl final : public Daemon {
 public:
  static StatusOr<std::unique_ptr<DaemonImpl>> Create(DaemonOptions options);
  // Tests: the store opened with `store_options` (fault injection).
  static StatusOr<std::unique_ptr<DaemonImpl>> CreateForTesting(
      DaemonOptions options, const StoreOptions& store_options);
  ~DaemonImpl() override;

  StatusOr<v1::SubmitReply> Submit(ByteSpan file,
                                   std::string_view peer) override;
  StatusOr<v1::RosterChain> GetRosters() override;
  StatusOr<v1::PostReply> PostRequest(const v1::SignedStatement& call) override;
  StatusOr<v1::PostReply> PostVote(const v1::SignedStatement& call) override;
  StatusOr<v1::PostReply> PostApproval(
      const v1::SignedStatement& call) override;
  StatusOr<v1::PostReply> PostWithdrawal(
      const v1::SignedStatement& call) override;
  StatusOr<v1::SubmissionList> ListSubmissions(
      const v1::SignedStatement& call) override;
  Status GetSubmissionFile(
      const v1::SignedStatement& call,
      const std::function<Status(ByteSpan)>& sink) override;
  StatusOr<v1::RequestList> ListRequests(
      const v1::SignedStatement& call) override;
  StatusOr<v1::RequestInfo> GetRequest(
      const v1::SignedStatement& call) override;
  StatusOr<v1::LogEvidence> GetEvidence(
      const v1::SignedStatement& call) override;
  StatusOr<v1::CheckpointReply> GetCheckpoint(
      const v1::SignedStatement& call) override;
  StatusOr<v1::LeavesReply> GetLeaves(const v1::SignedStatement& call) override;
  StatusOr<v1::RosterPushReply> PushRoster(
      const v1::SignedStatement& call) override;
  StatusOr<IntakeAcceptance> SubmitUpload(const std::filesystem::path& file,
                                          const IntakeContact* contact,
                                          const ContactProof* follow_up,
                                          std::string_view peer) override;
  StatusOr<Bytes> NewContactChallenge(ByteSpan lookup_id) override;
  StatusOr<ContactStatus> GetContactStatus(const ContactProof& proof) override;
  StatusOr<v1::PostReply> PostReply(const v1::SignedStatement& call) override;
  StatusOr<v1::MessageThreads> ListMessages(
      const v1::SignedStatement& call) override;
  void Shutdown() override;

  // OK, or the fatal storage error (a failed fsync) after which every call
  // fails with UNAVAILABLE "daemon stopped: …". conclaved polls it (or sets
  // a handler) and exits: the state on disk is unknown until a restart.
  Status Fatal() const;
  // Called once, from the thread that first saw the fatal error.
  void SetFatalHandler(std::function<void(const Status&)> handler);

  // The committed log and the settled state (what GetCheckpoint serves).
  uint64_t LogSize() const { return store_->LogSize(); }
  CheckpointState Checkpoints() const { return checkpointer_->State(); }
  bool WaitSettled(uint64_t size, std::chrono::milliseconds timeout) {
    return checkpointer_->WaitSettled(size, timeout);
  }
  // The expiry sweep, now (the checkpointer thread runs it every second).
  // Returns how many requests it marked expired.
  StatusOr<uint64_t> SweepExpired();
  // Requests whose votes reached the quorum in this process (each request
  // is counted once, by the vote that completed it).
  uint64_t quorum_events() const { return quorum_events_.load(); }

  // One epoch of the roster chain (brief §9): the verified roster, its
  // `roster` leaf, and what settles checkpoints while it is in force.
  // Epochs are never dropped while the daemon runs, so references into one
  // stay valid.
  struct Epoch {
    keyceremony::VerifiedRoster roster;
    Bytes roster_bytes;
    uint64_t leaf_index = 0;
    std::unique_ptr<quorum::RosterLogKeys> log_keys;
    // nullptr when no configured witness belongs to this roster.
    std::unique_ptr<WitnessClient> witnesses;
  };
  using Chain = std::vector<std::shared_ptr<const Epoch>>;

  // The current epoch (a snapshot: a call takes it once and decides with
  // it), the whole chain, an epoch by number (nullptr if not held) and
  // the roster in force at a log size: the latest epoch whose roster leaf
  // index is below `size`.
  std::shared_ptr<const Epoch> Current() const;
  std::shared_ptr<const Chain> chain() const;
  std::shared_ptr<const Epoch> EpochAt(uint64_t epoch) const;
  std::shared_ptr<const Epoch> InForceAt(uint64_t size) const;

  // Rekey (brief §9; docs/protocol.md "Rekey"): epochs sharing a
  // consortium key are contiguous and a REKEY ends the old key's chain.
  // The last epoch of the key `epoch` has; nullptr if not held.
  std::shared_ptr<const Epoch> KeyFinalEpoch(uint64_t epoch) const;
  // True when `epoch` is the last epoch of a key that is no longer the
  // current one: its statements (requests for that key's submissions,
  // their votes, approvals and withdrawals) are still accepted.
  bool IsRetiredKeyFinal(uint64_t epoch) const;
  // The epoch whose key the submission at `leaf_index` was received under
  // (the last epoch of that key).
  std::shared_ptr<const Epoch> SubmissionKeyEpoch(uint64_t leaf_index) const;

  // The current roster (valid for the daemon's lifetime).
  const keyceremony::VerifiedRoster& roster() const {
    return Current()->roster;
  }
  Store& store() { return *store_; }

 private:
  DaemonImpl() = default;
  Status Init(DaemonOptions options, const StoreOptions& store_options);

  uint64_t Now() const;
  // UNAVAILABLE once stopped (fatal storage error or shutdown).
  Status CheckRunning() const;
  // A failed call's status, turned into "daemon stopped" if it was fatal.
  Status Fail(Status s);
  // The nonce of a read-only call, in its own transaction.
  Status RecordReadNonce(const VerifiedCall& call);

  // A signed call that verified (daemon/call.h), its parsed payload and the
  // daemon's clock when it arrived.
  template <typename Payload>
  struct Signed {
    uint64_t now;
    VerifiedCall call;
    Payload payload;
    // The roster epoch the call was verified under: the call decides with
    // it, and its transaction checks it is still the latest.
    std::shared_ptr<const Epoch> epoch;
  };
  // The start of every signed call: the daemon is running, the envelope
  // verifies for `method` and its payload parses as `Payload` (`what` names
  // it in errors).
  template <typename Payload>
  StatusOr<Signed<Payload>> Authenticate(std::string_view method,
                                         const v1::SignedStatement& call,
                                         std::string_view what = "query");
  // A refused call made under an earlier epoch's roster says so.
  Status ExplainOldRoster(Status s, const v1::SignedStatement& call,
                          const keyceremony::VerifiedRoster& current);
  // A statement refused for its epoch says what to do.
  static Status OldEpochRefusal(const Status& s, std::string_view what,
                                const Epoch& current);
  // The roster a request was made under.
  const keyceremony::VerifiedRoster& RosterOf(
      const quorum::VerifiedRequest& request) const;
  // Inside a statement's transaction: FAILED_PRECONDITION if a roster push
  // committed since the call took its epoch (a retired key's last epoch
  // stays valid: its key's chain has ended).
  Status CheckStillCurrent(const RecordReader& txn, const Epoch& epoch) const;
  // A read-only call's answer: its nonce first, then `fn()`; a failure
  // passes through Fail.
  template <typename Fn>
  auto AnswerRead(const VerifiedCall& call, Fn&& fn) -> decltype(fn());
  // After a statement's transaction committed an expiry leaf: wake the
  // checkpointer, log it, and refuse the statement with `why`.
  Status RefuseExpired(const quorum::RequestId& id, uint64_t expiry_leaf,
                       std::string why);

  StatusOr<std::shared_ptr<const quorum::VerifiedRequest>> LoadRequest(
      const quorum::RequestId& id, const RecordReader& reader);
  // Marks an open request whose expiry passed as expired (an `expiry` leaf)
  // inside `txn`; the expiry leaf's index if it did.
  StatusOr<std::optional<uint64_t>> ExpireIfDue(Store::Transaction& txn,
                                                const RequestRecord& r,
                                                uint64_t now);
  StatusOr<quorum::QuorumProgress> Tally(const RecordReader& reader,
                                         const quorum::VerifiedRequest& request,
                                         const v1::VoteBody* extra);
  StatusOr<v1::RequestInfo> RequestInfoFor(const RequestRecord& r,
                                           bool details);
  // After a commit: wake the checkpointer, wait for a settled checkpoint
  // covering `leaf`, and say where it stands.
  std::string AwaitSettled(uint64_t leaf);
  Status AllowSubmission(std::string_view peer, uint64_t now);

  // What goes into the store with a submission besides its file.
  struct SubmissionExtras {
    std::optional<ContactRecord> contact;  // submission_id set by Accept
    std::optional<uint64_t> linked_to_leaf;
  };
  // Submit's common path: `head` holds at least the header (the whole file
  // for Submit), `put_blob` stores the file durably and returns its hash.
  StatusOr<v1::SubmitReply> Accept(
      ByteSpan head, uint64_t file_size,
      const std::function<StatusOr<Sha256Digest>()>& put_blob,
      std::string_view peer, const SubmissionExtras& extras);
  // The contact whose proof verifies (consuming the challenge), or the
  // uniform "[intake: not-recognised]" refusal.
  StatusOr<ContactRecord> AuthenticateContact(const ContactProof& proof);
  StatusOr<v1::MessageThread> Thread(const RecordReader& reader,
                                     const SubmissionRecord& first);

  // Builds an epoch's log keys and witness client (the configured witness
  // endpoints of its organisations; others are ignored).
  StatusOr<std::shared_ptr<Epoch>> MakeEpoch(keyceremony::VerifiedRoster roster,
                                             Bytes bytes, uint64_t leaf_index);
  // Loads and re-verifies the stored chain; checks the given roster is in
  // it. Sets chain_.
  Status LoadChain(const keyceremony::VerifiedRoster& given);

  DaemonOptions options_;
  // Replaced (never modified) under chain_mu_ when a roster is pushed;
  // PushRoster calls are serialised by push_mu_.
  mutable std::mutex chain_mu_;
  std::shared_ptr<const Chain> chain_;
  std::mutex push_mu_;
  std::unique_ptr<audit::Ed25519NoteSigner> signer_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Checkpointer> checkpointer_;

  // audit::Log (read-only, over a view of the store) for BuildLogEvidence.
  std::mutex evidence_mu_;
  std::unique_ptr<audit::Log> evidence_log_;

  std::mutex cache_mu_;
  std::map<quorum::RequestId, std::shared_ptr<const quorum::VerifiedRequest>>
      requests_;

  struct Bucket {
    double tokens = 0;
    uint64_t last = 0;
  };
  std::mutex rate_mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;

  struct PendingChallenge {
    Bytes lookup_id;
    uint64_t expires = 0;
  };
  std::mutex challenge_mu_;
  std::map<Bytes, PendingChallenge> challenges_;

  std::atomic<bool> shut_down_{false};
  std::atomic<uint64_t> quorum_events_{0};
  mutable std::mutex fatal_mu_;
  std::function<void(const Status&)> fatal_handler_;
  mutable bool fatal_reported_ = false;
  uint64_t last_nonce_prune_ = 0;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_SERVICE_IMPL_H_
