// The conclave client's side of the daemon's API (brief §6, §7;
// proto/conclave/v1/daemon.proto): a gRPC channel to conclaved, signed
// editor calls, and the client's own check of the audit log on every
// contact.
//
// The daemon is not trusted. On every contact an editor's client fetches the
// latest settled checkpoint with a consistency proof from the checkpoint it
// kept (audit::ClientState), verifies the log's signature and the witnesses'
// cosignatures against the roster in force at the checkpoint's size (from
// the daemon's roster chain, verified and required to hold the client's
// roster; brief §9), requires it to be settled (witnesses of
// W = ⌈(m + t)/2⌉ of its organisations), checks it extends the kept one and
// only then moves the kept one forward. Two signed checkpoints that the log
// cannot show consistent are kept as portable fork evidence, and every
// later contact with that log is refused (ABORTED) until the consortium
// resolves it.
//
// Used by the online commands (online_commands.h) and the audit commands.
#ifndef CONCLAVE_CLI_CLIENT_H_
#define CONCLAVE_CLI_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/client_state.h"
#include "audit/settled.h"
#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/daemon.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"

namespace grpc {
class Channel;
}

namespace conclave::cli {

// Where the daemon is and how to reach it.
struct ServerOptions {
  // "HOST:PORT", "[IPV6]:PORT" or "unix:PATH".
  std::string address;
  // PEM file of the CA that signed the daemon's TLS certificate. Without it
  // the channel is plain gRPC, which is refused unless the address is a
  // unix socket or a loopback address (127.0.0.0/8, ::1, localhost).
  std::optional<std::string> tls_ca;
  // Optional client certificate and key (PEM) for daemons that ask for one.
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  // Deadline of each unary call (downloads get no deadline of their own).
  std::chrono::seconds call_timeout{60};
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// INVALID_ARGUMENT (with what to do) for an address that is malformed, or
// that is neither loopback nor a unix socket while no --tls-ca is given.
Status CheckServerAddress(const ServerOptions& server);

// --state DIR if given, else $XDG_CONFIG_HOME/conclave/state, else
// $HOME/.config/conclave/state.
StatusOr<std::filesystem::path> StateDirectory(
    const std::optional<std::string>& flag);

// Errors from the transport (the daemon cannot be reached, TLS failed, a
// deadline passed) carry this prefix in their message and the code
// UNAVAILABLE or DEADLINE_EXCEEDED.
inline constexpr std::string_view kUnreachablePrefix =
    "cannot reach the daemon";
bool IsUnreachable(const Status& status);

// The outcome of one verified contact with the log.
struct VerifiedContact {
  // The daemon's latest settled checkpoint, verified (log signature, roster
  // witnesses, settled rule) and proven consistent with what this client
  // kept. nullopt only when the log has never settled a checkpoint and this
  // client kept none (a brand new log).
  std::optional<audit::SettledCheckpoint> settled;
  // The size this client kept before the contact (nullopt: none).
  std::optional<uint64_t> previous_size;
  // True when a kept checkpoint existed and the served one was proven to
  // extend it (or equal it).
  bool consistency_checked = false;
  // Why the daemon's newest checkpoint is not settled, if it is not.
  std::string unsettled_reason;

  uint64_t size() const { return settled ? settled->checkpoint().size : 0; }
};

// A request's log evidence, verified (quorum::VerifyLogEvidence) and
// checked against this client's kept checkpoint.
struct VerifiedEvidence {
  v1::LogEvidence evidence;
  quorum::VerifiedLogView view;
};

class DaemonClient {
 public:
  // A channel without an identity: only Submit and GetRosters.
  static StatusOr<std::unique_ptr<DaemonClient>> ConnectAnonymous(
      const ServerOptions& server);

  // An editor's client. `roster` and `keys` must outlive the client; the
  // client state lives in `state_dir` (created 0700 if missing).
  static StatusOr<std::unique_ptr<DaemonClient>> Connect(
      const ServerOptions& server, const keyceremony::VerifiedRoster& roster,
      const quorum::EditorKeys& keys, const std::filesystem::path& state_dir);

  ~DaemonClient();
  DaemonClient(const DaemonClient&) = delete;
  DaemonClient& operator=(const DaemonClient&) = delete;

  const std::string& address() const { return server_.address; }

  // ---- Anonymous ----

  // Streams the file in chunks of at most 1 MiB. `progress` (optional) gets
  // the bytes sent so far.
  StatusOr<v1::SubmitReply> Submit(
      const std::filesystem::path& file,
      const std::function<void(uint64_t)>& progress = nullptr);
  StatusOr<v1::RosterChain> GetRosters();

  // ---- The log, as this client verifies it (editor clients only) ----

  // GetCheckpoint(from_size = the kept size), then every check above. The
  // first editor call of a client makes a contact on its own; commands that
  // wait call it again to see the log move. Errors: ABORTED when the log
  // forked or was rolled back (evidence kept under the state directory, or
  // already on record), FAILED_PRECONDITION when the served checkpoint is
  // not settled, UNAUTHENTICATED when it is not signed by the roster's log
  // key or a roster witness's cosignature is bad.
  StatusOr<VerifiedContact> Contact();
  // The latest successful contact (Contact() first if none yet).
  StatusOr<VerifiedContact> EnsureContact();

  // Contacts until the settled checkpoint has more than `min_size` leaves
  // (i.e. covers leaf min_size), polling with backoff up to `timeout`.
  // `on_wait` (optional) is called before each sleep with the latest
  // contact. DEADLINE_EXCEEDED when it does not happen in time (the message
  // gives the daemon's unsettled reason).
  StatusOr<VerifiedContact> WaitForSettledCover(
      uint64_t leaf_index, std::chrono::seconds timeout,
      const std::function<void(const VerifiedContact&)>& on_wait = nullptr);

  // GetEvidence for the request, verified and shown consistent with the
  // kept checkpoint (the evidence's root at the kept size must be the kept
  // root). A mismatch is a split view: ABORTED, and the evidence is kept
  // next to the client state.
  StatusOr<VerifiedEvidence> GetVerifiedEvidence(const quorum::RequestId& id);

  // Leaves [start, end) of the log, in as many calls as needed. The bytes
  // are the daemon's word until checked against a verified checkpoint
  // (e.g. recomputing the tree, audit/merkle.h).
  StatusOr<std::vector<Bytes>> GetLeaves(uint64_t start, uint64_t end);

  // ---- Editor calls (each signed with the editor's keys) ----

  StatusOr<v1::PostReply> PostRequest(const v1::SignedStatement& request);
  StatusOr<v1::PostReply> PostVote(const v1::SignedStatement& vote);
  StatusOr<v1::PostReply> PostApproval(const v1::Approval& approval);
  StatusOr<v1::PostReply> PostWithdrawal(const v1::SignedStatement& w);
  // Anonymous contact (issue 8): an editor's reply, the message threads.
  StatusOr<v1::PostReply> PostReply(const v1::ReplyPost& reply);
  StatusOr<v1::MessageThreads> ListMessages(const v1::MessagesQuery& query);
  // A new roster epoch (issue 9); the caller signs with the current roster.
  StatusOr<v1::RosterPushReply> PushRoster(const v1::RosterPush& push);
  // Every submission / request, in log order (all pages).
  StatusOr<std::vector<v1::SubmissionInfo>> ListSubmissions();
  StatusOr<std::vector<v1::RequestInfo>> ListRequests();
  StatusOr<v1::RequestInfo> GetRequest(const quorum::RequestId& id);
  StatusOr<v1::LogEvidence> GetEvidence(const quorum::RequestId& id);
  // Streams the stored submission to `sink`; the sink may return
  // CANCELLED-like early stop by setting *stop (the call then ends OK).
  Status GetSubmissionFile(
      const std::string& submission_id,
      const std::function<Status(ByteSpan chunk, bool* stop)>& sink);
  // Only the age header of a stored submission (the download stops once
  // the MAC line has arrived).
  StatusOr<Bytes> GetSubmissionHeader(const std::string& submission_id);

  // The daemon's roster chain as verified at the latest contact
  // (GetRosters, keyceremony::VerifyRosterChain, holding roster()); nullptr
  // before the first contact. Checkpoints are settled under its roster in
  // force at their size (brief §9).
  const quorum::IndexedRosterChain* chain() const {
    return chain_ ? &*chain_ : nullptr;
  }
  // GetRosters, verified as for a contact (and kept as chain()).
  StatusOr<quorum::IndexedRosterChain> GetVerifiedChain();

  // The roster, log keys and state this client checks against.
  const keyceremony::VerifiedRoster& roster() const { return *roster_; }
  const quorum::EditorKeys& keys() const { return *keys_; }
  const quorum::RosterLogKeys& log_keys() const { return *log_keys_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  audit::ClientState& state() { return *state_; }

 private:
  struct Stub;
  explicit DaemonClient(ServerOptions server);

  Status RequireEditor() const;
  Status Transport(const Status& s) const;

  ServerOptions server_;
  std::unique_ptr<Stub> stub_;
  const keyceremony::VerifiedRoster* roster_ = nullptr;
  const quorum::EditorKeys* keys_ = nullptr;
  std::unique_ptr<quorum::RosterLogKeys> log_keys_;
  std::filesystem::path state_dir_;
  std::unique_ptr<audit::ClientState> state_;
  std::optional<VerifiedContact> last_contact_;
  std::optional<quorum::IndexedRosterChain> chain_;
};

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_CLIENT_H_
