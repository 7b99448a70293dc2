#include "audit/cosignature.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "audit/checkpoint.h"
#include "base/byte_io.h"

namespace conclave::audit {

StatusOr<std::string> CosignatureV1Message(std::string_view checkpoint_text,
                                           uint64_t timestamp) {
  if (timestamp > kMaxCosignatureTimestamp) {
    return InvalidArgumentError("cosignature timestamp exceeds 2^63 - 1");
  }
  CONCLAVE_RETURN_IF_ERROR(ValidateNoteText(checkpoint_text));
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" +
         std::string(checkpoint_text);
}

StatusOr<uint64_t> CosignatureV1Timestamp(ByteSpan signature) {
  if (signature.size() != kCosignatureV1Size) {
    return InvalidArgumentError("cosignature/v1 signature must be 72 bytes");
  }
  ByteReader r(signature);
  uint64_t ts = 0;
  if (!r.ReadU64(&ts)) return InternalError("short cosignature");
  if (ts > kMaxCosignatureTimestamp) {
    return InvalidArgumentError("cosignature timestamp exceeds 2^63 - 1");
  }
  return ts;
}

CosignatureV1Verifier::CosignatureV1Verifier(std::string name,
                                             const Ed25519PublicKey& key)
    : name_(std::move(name)),
      public_key_(key),
      key_id_(NoteKeyId(name_, kSigTypeCosignatureV1, public_key_)) {}

StatusOr<std::unique_ptr<CosignatureV1Verifier>> CosignatureV1Verifier::Create(
    std::string_view name, ByteSpan public_key) {
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(name));
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  Ed25519PublicKey key;
  std::copy(public_key.begin(), public_key.end(), key.begin());
  return std::unique_ptr<CosignatureV1Verifier>(
      new CosignatureV1Verifier(std::string(name), key));
}

StatusOr<std::unique_ptr<CosignatureV1Verifier>>
CosignatureV1Verifier::FromVerifierKey(std::string_view vkey) {
  CONCLAVE_ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.sig_type != kSigTypeCosignatureV1) {
    return InvalidArgumentError("vkey is not a cosignature/v1 key (type 0x04)");
  }
  return Create(k.name, k.public_key);
}

Status CosignatureV1Verifier::Verify(std::string_view text,
                                     ByteSpan signature) const {
  auto ts = CosignatureV1Timestamp(signature);
  if (!ts.ok()) {
    return UnauthenticatedError("cosignature by " + name_ + ": " +
                                ts.status().message());
  }
  auto msg = CosignatureV1Message(text, *ts);
  if (!msg.ok()) return UnauthenticatedError(msg.status().message());
  if (!Ed25519Verify(public_key_, AsBytes(*msg), signature.subspan(8)).ok()) {
    return UnauthenticatedError("cosignature by " + name_ + " does not verify");
  }
  return OkStatus();
}

CosignatureV1Signer::CosignatureV1Signer(std::string name,
                                         Ed25519PrivateKey key, Clock clock)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(NoteKeyId(name_, kSigTypeCosignatureV1, key_.public_key())),
      clock_(std::move(clock)) {}

StatusOr<std::unique_ptr<CosignatureV1Signer>> CosignatureV1Signer::Create(
    std::string_view name, Ed25519PrivateKey key, Clock clock) {
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(name));
  if (!clock) {
    clock = [] {
      return static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count());
    };
  }
  return std::unique_ptr<CosignatureV1Signer>(new CosignatureV1Signer(
      std::string(name), std::move(key), std::move(clock)));
}

StatusOr<Bytes> CosignatureV1Signer::Sign(std::string_view text) const {
  return SignAt(text, clock_());
}

StatusOr<Bytes> CosignatureV1Signer::SignAt(std::string_view text,
                                            uint64_t timestamp) const {
  if (timestamp == 0) {
    return InvalidArgumentError("cosignature timestamp must not be zero");
  }
  // A witness statement is about a checkpoint; refuse anything else.
  CONCLAVE_RETURN_IF_ERROR(ParseCheckpoint(text).status());
  CONCLAVE_ASSIGN_OR_RETURN(std::string msg,
                            CosignatureV1Message(text, timestamp));
  const Ed25519Signature sig = key_.Sign(AsBytes(msg));
  ByteWriter w;
  w.AppendU64(timestamp);
  w.Append(sig);
  return w.Take();
}

std::unique_ptr<CosignatureV1Verifier> CosignatureV1Signer::Verifier() const {
  return std::unique_ptr<CosignatureV1Verifier>(
      new CosignatureV1Verifier(name_, key_.public_key()));
}

}  // namespace conclave::audit
