#include "age/recipient.h"

#include <array>

#include "age/errors.h"
#include "crypto/aead.h"
#include "crypto/openssl_util.h"

namespace conclave::age {

namespace {
constexpr std::array<uint8_t, kAeadNonceSize> kZeroNonce{};
}  // namespace

StatusOr<Bytes> WrapFileKey(const SecretBytes& wrap_key,
                            const SecretBytes& file_key) {
  if (file_key.size() != kFileKeySize) {
    return AgeError(ErrorKind::kUsage, "file key must be 16 bytes");
  }
  return AeadSeal(AeadAlgorithm::kChaCha20Poly1305, wrap_key.span(), kZeroNonce,
                  ByteSpan(), file_key.span());
}

StatusOr<std::optional<SecretBytes>> UnwrapFileKey(const SecretBytes& wrap_key,
                                                   ByteSpan body) {
  if (body.size() != kFileKeySize + kAeadTagSize) {
    return AgeError(ErrorKind::kHeader, "stanza body is not 32 bytes");
  }
  SecretBytes key(kFileKeySize);
  Status s = AeadOpenTo(AeadAlgorithm::kChaCha20Poly1305, wrap_key.span(),
                        kZeroNonce, ByteSpan(), body, key.mutable_span());
  if (!s.ok()) {
    ClearOpenSslErrors();
    if (s.code() == StatusCode::kUnauthenticated) {
      return std::optional<SecretBytes>();
    }
    return s;
  }
  return std::optional<SecretBytes>(std::move(key));
}

}  // namespace conclave::age
