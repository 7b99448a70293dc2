// The envelope of an editor's call to the daemon (brief §7): a CallBody
// (proto/conclave/v1/daemon.proto) signed by a roster editor under DST
// conclave/v1/api-call. Shared by the client, which signs, and the daemon,
// which verifies; the daemon also records the nonce so that a call is
// accepted once.
#ifndef CONCLAVE_DAEMON_CALL_H_
#define CONCLAVE_DAEMON_CALL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/daemon.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"

namespace conclave::daemon {

inline constexpr std::string_view kApiCallDst = "conclave/v1/api-call";
inline constexpr size_t kCallNonceSize = 16;
// A call's payload is at most a request with a whole age header (1 MiB),
// or an approval: the statement bound leaves room for the envelope.
inline constexpr size_t kMaxCallPayloadSize = (size_t{1} << 20) + 32768;

// A CallBody for `method` carrying `payload`, with a fresh random nonce,
// signed by `caller`.
v1::SignedStatement SignCall(const quorum::EditorKeys& caller,
                             const keyceremony::VerifiedRoster& roster,
                             std::string_view method,
                             const google::protobuf::MessageLite& payload,
                             uint64_t now_unix);

struct VerifiedCall {
  uint32_t org_id = 0;  // from the verified signature, nothing else
  uint32_t editor_index = 0;
  Bytes nonce;  // for the daemon's replay record
  uint64_t timestamp_unix = 0;
  std::string payload;  // the method's message, still to be parsed
};

// Signature by a roster editor (PERMISSION_DENIED for a non-member,
// UNAUTHENTICATED for a bad signature), canonical CallBody, `method` equal
// to the RPC being served and the roster the daemon serves
// (FAILED_PRECONDITION otherwise), a 16-byte nonce, a timestamp within
// ±window of now (FAILED_PRECONDITION "stale call"), a payload within
// bounds. The nonce's uniqueness is the caller's (the store's) to check.
StatusOr<VerifiedCall> VerifyCall(const keyceremony::VerifiedRoster& roster,
                                  std::string_view method,
                                  const v1::SignedStatement& call,
                                  uint64_t now_unix, uint32_t window_seconds);

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_CALL_H_
