// SHA-256, HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869).
#ifndef CONCLAVE_CRYPTO_HASH_H_
#define CONCLAVE_CRYPTO_HASH_H_

#include <array>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/openssl_util.h"

namespace conclave {

inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

Sha256Digest Sha256(ByteSpan data);

// Incremental SHA-256 for streams and multi-part inputs.
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(ByteSpan data);
  Sha256Digest Finish();

 private:
  EvpMdCtxPtr ctx_;
};

// The key may be secret; the tag is treated as public (it is a MAC).
// Any key length is allowed, as RFC 2104 says.
Sha256Digest HmacSha256(ByteSpan key, ByteSpan data);

// HKDF-Extract (RFC 5869 §2.2). An empty salt means HashLen zero bytes.
SecretBytes HkdfSha256Extract(ByteSpan salt, ByteSpan ikm);
// HKDF-Expand (RFC 5869 §2.3); fails if length > 255 * 32.
StatusOr<SecretBytes> HkdfSha256Expand(ByteSpan prk, ByteSpan info,
                                       size_t length);
// Extract then Expand.
StatusOr<SecretBytes> HkdfSha256(ByteSpan salt, ByteSpan ikm, ByteSpan info,
                                 size_t length);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_HASH_H_
