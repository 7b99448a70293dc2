// Ed25519 signatures (RFC 8032, pure variant) through OpenSSL.
#ifndef CONCLAVE_CRYPTO_ED25519_H_
#define CONCLAVE_CRYPTO_ED25519_H_

#include <array>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/openssl_util.h"

namespace conclave {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

using Ed25519PublicKey = std::array<uint8_t, kEd25519PublicKeySize>;
using Ed25519Signature = std::array<uint8_t, kEd25519SignatureSize>;

class Ed25519PrivateKey {
 public:
  static Ed25519PrivateKey Generate();
  // The 32-byte RFC 8032 private key (seed).
  static StatusOr<Ed25519PrivateKey> FromSeed(ByteSpan seed);

  const Ed25519PublicKey& public_key() const { return public_key_; }
  const SecretBytes& seed() const { return seed_; }
  Ed25519Signature Sign(ByteSpan message) const;

 private:
  Ed25519PrivateKey(SecretBytes seed, EvpPkeyPtr pkey,
                    const Ed25519PublicKey& pub)
      : seed_(std::move(seed)), pkey_(std::move(pkey)), public_key_(pub) {}
  SecretBytes seed_;
  // The imported key, kept so that signing does not re-derive it each time
  // (OpenSSL wipes its private material when the key is freed).
  EvpPkeyPtr pkey_;
  Ed25519PublicKey public_key_;
};

// OK if `signature` is a valid signature of `message` under `public_key`;
// UNAUTHENTICATED otherwise (including malformed keys and signatures and
// non-canonical S, which OpenSSL rejects per RFC 8032 §5.1.7).
Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_ED25519_H_
