// AEADs (RFC 5116 interface): ChaCha20-Poly1305 (RFC 8439) for age, HPKE and
// approvals; AES-128-GCM and AES-256-GCM for HPKE's published vectors and
// XAES-256-GCM. Ciphertext = encrypted bytes ‖ 16-byte tag.
#ifndef CONCLAVE_CRYPTO_AEAD_H_
#define CONCLAVE_CRYPTO_AEAD_H_

#include "base/bytes.h"
#include "base/secret_bytes.h"

namespace conclave {

enum class AeadAlgorithm { kChaCha20Poly1305, kAes128Gcm, kAes256Gcm };

inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadNonceSize = 12;

size_t AeadKeySize(AeadAlgorithm alg);

// Fails only on a wrong key or nonce size.
StatusOr<Bytes> AeadSeal(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce,
                         ByteSpan aad, ByteSpan plaintext);

// UNAUTHENTICATED if the tag does not verify; no plaintext is returned then.
StatusOr<SecretBytes> AeadOpen(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan ciphertext);

// In-place variants for streaming (age STREAM) that avoid a copy per chunk.
// `out` must have room for plaintext.size() + kAeadTagSize (seal) or
// ciphertext.size() - kAeadTagSize (open); spans may not overlap partially.
Status AeadSealTo(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce, ByteSpan aad,
                  ByteSpan plaintext, std::span<uint8_t> out);
Status AeadOpenTo(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce, ByteSpan aad,
                  ByteSpan ciphertext, std::span<uint8_t> out);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_AEAD_H_
