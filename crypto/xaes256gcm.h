// XAES-256-GCM (C2SP XAES-256-GCM): AES-256-GCM with a 192-bit nonce.
//
// The subkey Kₓ is derived from the input key K and the first 12 nonce bytes
// with the NIST SP 800-108r1 counter KDF over CMAC-AES256, written out as the
// spec's "Detailed key derivation algorithm" (AES-256 block operations only:
// OpenSSL 3.0 lacks the KBKDF parameter the reference uses, brief §4); Kₓ and
// the last 12 nonce bytes then key AES-256-GCM (crypto/aead.h).
// Ciphertext = encrypted bytes ‖ 16-byte tag.
#ifndef CONCLAVE_CRYPTO_XAES256GCM_H_
#define CONCLAVE_CRYPTO_XAES256GCM_H_

#include <cstddef>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace conclave {

inline constexpr size_t kXaes256GcmKeySize = 32;
inline constexpr size_t kXaes256GcmNonceSize = 24;

// Kₓ = AES-256_K(M1 ⊕ K1) ‖ AES-256_K(M2 ⊕ K1) (spec steps 1–5). Exposed for
// the spec's intermediate test vectors. INVALID_ARGUMENT on wrong sizes.
StatusOr<SecretBytes> Xaes256GcmDeriveKey(ByteSpan key, ByteSpan nonce);

// Fails only on a wrong key or nonce size.
StatusOr<Bytes> Xaes256GcmSeal(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                               ByteSpan plaintext);

// UNAUTHENTICATED if the tag does not verify; no plaintext is returned then.
StatusOr<SecretBytes> Xaes256GcmOpen(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                     ByteSpan ciphertext);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_XAES256GCM_H_
