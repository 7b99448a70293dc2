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

struct DaemonOptions {
  std::filesystem::path data_dir;
  // The roster file's bytes (a serialized Roster), verified by Open.
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
  // roster chain, a daemon_started leaf); later starts check that the log
  // key and roster match what the directory holds. FAILED_PRECONDITION with
  // a clear message otherwise.
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

  // Stops the checkpointer; in-flight calls finish. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_SERVICE_H_
