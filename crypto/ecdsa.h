// ECDSA over P-256 with SHA-256 (FIPS 186-4 §6.4), verification only, for
// the intake's anonymous contact (brief §8): a returning whistleblower signs
// a challenge with the key derived from their receipt.
//
// Signatures are IEEE P1363 r ‖ s (64 bytes, each 32 big-endian bytes), as
// WebCrypto produces them. Strict: r and s must lie in [1, n − 1] (checked
// here, before OpenSSL sees them); high s is accepted, as FIPS 186-4 does.
#ifndef CONCLAVE_CRYPTO_ECDSA_H_
#define CONCLAVE_CRYPTO_ECDSA_H_

#include <cstddef>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/p256.h"

namespace conclave {

inline constexpr size_t kEcdsaP256SignatureSize = 64;

// OK if `signature` (r ‖ s) is a valid signature of SHA-256(message) under
// `public_key`; UNAUTHENTICATED otherwise (wrong length, r or s out of
// range, a signature that does not verify).
Status EcdsaP256Sha256Verify(const Point& public_key, ByteSpan message,
                             ByteSpan signature);

// The same with the key as SEC1 bytes (33 or 65), decoded strictly first
// (brief §3); UNAUTHENTICATED for a key that does not decode.
Status EcdsaP256Sha256Verify(ByteSpan public_key, ByteSpan message,
                             ByteSpan signature);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_ECDSA_H_
