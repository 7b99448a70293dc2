#include "daemon/call.h"

#include "crypto/random.h"
#include "quorum/canonical.h"

namespace conclave::daemon {

v1::SignedStatement SignCall(const quorum::EditorKeys& caller,
                             const keyceremony::VerifiedRoster& roster,
                             std::string_view method,
                             const google::protobuf::MessageLite& payload,
                             uint64_t now_unix) {
  v1::CallBody body;
  body.set_method(std::string(method));
  body.set_roster_fingerprint(AsString(roster.fingerprint));
  body.set_timestamp_unix(now_unix);
  body.set_nonce(AsString(RandomBytes(kCallNonceSize).span()));
  body.set_payload(payload.SerializeAsString());
  return quorum::SignStatement(kApiCallDst, ToBytes(body.SerializeAsString()),
                               caller);
}

StatusOr<VerifiedCall> VerifyCall(const keyceremony::VerifiedRoster& roster,
                                  std::string_view method,
                                  const v1::SignedStatement& call,
                                  uint64_t now_unix, uint32_t window_seconds) {
  CONCLAVE_RETURN_IF_ERROR(
      quorum::VerifyStatementSignature(kApiCallDst, call, roster.body)
          .Annotate("call"));
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::CallBody body,
      quorum::ParseCanonical<v1::CallBody>(call.signed_(), "call"));
  if (body.method() != method) {
    return FailedPreconditionError("the call was signed for " + body.method() +
                                   ", not " + std::string(method));
  }
  if (!quorum::SameBytes(body.roster_fingerprint(), roster.fingerprint)) {
    return FailedPreconditionError(
        "the call was made under another roster than the daemon's current "
        "one (fetch the roster chain and check it)");
  }
  if (body.nonce().size() != kCallNonceSize) {
    return InvalidArgumentError("the call's nonce is not 16 bytes");
  }
  const uint64_t t = body.timestamp_unix();
  if (t + window_seconds < now_unix || t > now_unix + window_seconds) {
    return FailedPreconditionError(
        "stale call: its timestamp is more than " +
        std::to_string(window_seconds) +
        " seconds from the daemon's clock (check this computer's clock)");
  }
  if (body.payload().size() > kMaxCallPayloadSize) {
    return InvalidArgumentError("the call's payload is too large");
  }
  VerifiedCall out;
  out.org_id = call.org_id();
  out.editor_index = call.editor_index();
  out.nonce = ToBytes(body.nonce());
  out.timestamp_unix = t;
  out.payload = std::move(*body.mutable_payload());
  return out;
}

}  // namespace conclave::daemon
