// The log operator's side of C2SP tlog-witness (brief §1, §6): after each
// append, conclaved posts the new checkpoint to every organisation's witness
// (POST <prefix>/add-checkpoint), verifies each cosignature it gets back
// against the roster's key for that organisation, and decides with
// audit::Settle whether the checkpoint is settled.
//
// Nothing a witness says is trusted: a cosignature line counts only after it
// verifies under the witness key the roster records for the organisation
// whose URL answered, and a witness's 409 size only chooses which
// consistency proof to send next.
#ifndef CONCLAVE_DAEMON_WITNESS_CLIENT_H_
#define CONCLAVE_DAEMON_WITNESS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.h"
#include "audit/note.h"
#include "audit/settled.h"
#include "base/status.h"

namespace conclave::daemon {

// One organisation's witness, from `--witness ORG=URL`.
struct WitnessEndpoint {
  uint32_t org_id = 0;
  // The witness's submission prefix (tlog-witness): http://HOST[:PORT][/path]
  // with HOST on loopback, or https://HOST[:PORT][/path]. No query, fragment
  // or user info; a trailing '/' is dropped.
  std::string url;
};

// A validated witness URL, split.
struct WitnessUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or the scheme's default
  std::string prefix;  // "" or "/path" without a trailing '/'

  // "scheme://host:port" as cpp-httplib's Client takes it.
  std::string SchemeHostPort() const;
  // The canonical URL (what WitnessEndpoint::url holds after parsing).
  std::string ToString() const;
};

// INVALID_ARGUMENT with a message naming the problem. Plain http:// is
// accepted only to a loopback host (127.0.0.0/8, [::1], localhost): a
// checkpoint sent in clear to another machine could be answered by anyone
// on the path (the cosignature would still be checked, but the witness's
// availability would not be). https:// uses the system's CA store (or
// WitnessClientOptions::ca_cert_file) and checks the host name.
StatusOr<WitnessUrl> ParseWitnessUrl(std::string_view url);

// "ORG=URL" with ORG a decimal organisation id (1 .. 2^32 - 1, no leading
// zero). INVALID_ARGUMENT naming the flag otherwise.
StatusOr<WitnessEndpoint> ParseWitnessEndpoint(std::string_view flag);

// The consistency proof from the tree of `old_size` leaves to the one of
// `new_size` leaves (RFC 9162 §2.1.4.1), 0 < old_size < new_size; e.g.
// audit::Log::ConsistencyProof. WitnessClient never calls it from two
// threads at once.
using ProofSource = std::function<StatusOr<std::vector<audit::Hash>>(
    uint64_t old_size, uint64_t new_size)>;

// Why one organisation's witness did not cosign.
struct WitnessFailure {
  enum class Kind {
    kNoEndpoint,      // the roster lists the witness; no --witness URL for it
    kUnreachable,     // connection refused, timeout, TLS failure
    kRefused,         // an HTTP error status (403, 404, 422, a second 409...)
    kBadCosignature,  // 200, but no line that verifies under its roster key
    kInconsistent,    // its size is beyond ours, or a conflict at our size
    kLocal,           // we could not build the request (proof source failed)
  };
  uint32_t org_id = 0;
  Kind kind = Kind::kUnreachable;
  // For logs; printable ASCII only (witness-supplied text is sanitized).
  std::string reason;
};

struct CosignResult {
  // The submitted note with every verified cosignature line appended
  // (audit::AppendSignatureLines), organisations in ascending order.
  std::string note;
  uint64_t size = 0;
  // Organisations whose witness returned a cosignature that verified,
  // ascending.
  std::vector<uint32_t> cosigners;
  // One entry per organisation of the roster that did not cosign, ascending
  // by organisation; also lines ignored from witnesses that did cosign
  // (e.g. a forged extra line), so a misbehaving witness is named.
  std::vector<WitnessFailure> failures;
  // Settled under the roster on its own cosignatures (audit::Settle with no
  // later checkpoint).
  bool settled = false;
  std::optional<audit::SettledCheckpoint> settled_checkpoint;
  // One line for the daemon's log, e.g.
  //   "settled: 5 of 5 organisations cosigned (4 needed)"
  //   "not settled: 2 of 4 organisations needed cosigned; unreachable: org3
  //    (connection refused), org5 (timeout after 5000 ms)"
  std::string summary;
};

struct WitnessClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Per read and per write (cpp-httplib applies it to each socket wait).
  std::chrono::milliseconds io_timeout{5000};
  // Bound on a whole Cosign call: witnesses still busy then are cut off
  // (their connection is shut down) and reported as timed out. A witness
  // still in connect() at the deadline cannot be cut off; it can add up to
  // connect_timeout + io_timeout.
  std::chrono::milliseconds deadline{10000};
  // PEM CA bundle for https witnesses; empty = the system's default paths.
  std::string ca_cert_file;
  // Largest witness response body read (cosignature lines are ~120 bytes).
  size_t max_response_body = 64 * 1024;
};

// Thread-safe; Cosign calls are serialized (each witness's acknowledged
// size must advance in log order).
class WitnessClient {
 public:
  // `witnesses` and (m, t) as the roster gives them (e.g.
  // keyceremony::RosterWitnesses and the roster's organisation count and
  // threshold); `log_vkey` is the roster's log key, whose name is the
  // origin. Each endpoint must name an organisation with a witness in the
  // roster, at most once. INVALID_ARGUMENT otherwise.
  static StatusOr<std::unique_ptr<WitnessClient>> Create(
      uint32_t m, uint32_t t, std::span<const audit::WitnessEntry> witnesses,
      std::string_view log_vkey, std::span<const WitnessEndpoint> endpoints,
      WitnessClientOptions options = {});
  ~WitnessClient();
  WitnessClient(const WitnessClient&) = delete;
  WitnessClient& operator=(const WitnessClient&) = delete;

  // Posts add-checkpoint for `note` (the log-signed checkpoint of `size`
  // leaves) to every witness in parallel and gathers the cosignatures.
  // Starts from the size each witness last acknowledged (0 at first: "old 0"
  // and no proof); on 409 it takes the witness's size and retries once with
  // the consistency proof from `proofs`. Errors: INVALID_ARGUMENT if `note`
  // is not this log's checkpoint of `size` leaves, UNAUTHENTICATED if the
  // log signature does not verify. Witness failures are not errors: they are
  // in the result, and an unsettled checkpoint has settled == false.
  StatusOr<CosignResult> Cosign(const std::string& note, uint64_t size,
                                const ProofSource& proofs);

  // OK iff enough organisations have a witness URL to settle anything;
  // FAILED_PRECONDITION saying how many are missing otherwise (the daemon
  // logs it at start).
  Status CheckCanSettle() const;

  const std::string& origin() const { return origin_; }
  const audit::WitnessRoster& roster() const { return roster_; }
  // The size `org`'s witness last acknowledged (200 or 409), 0 if none.
  uint64_t acknowledged_size(uint32_t org_id) const;

 private:
  struct Slot;
  WitnessClient(audit::WitnessRoster roster, std::string origin,
                std::unique_ptr<audit::Ed25519NoteVerifier> log_key,
                std::vector<uint32_t> roster_orgs,
                WitnessClientOptions options);

  audit::WitnessRoster roster_;
  std::string origin_;
  std::unique_ptr<audit::Ed25519NoteVerifier> log_key_;
  std::vector<uint32_t> roster_orgs_;  // every org with a witness, ascending
  WitnessClientOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;  // one per endpoint, by org
  std::mutex cosign_mu_;                      // one Cosign at a time
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_WITNESS_CLIENT_H_
