// Hashing to the P-256 scalar field: RFC 9380 expand_message_xmd with
// SHA-256 (§5.3.1) and hash_to_field (§5.2) with L = 48, count = 1, reduced
// mod n. This is exactly RFC 9497 §4.3's HashToScalar for P256-SHA256 when
// given the DST "HashToScalar-" || contextString, and the HashToScalar of
// brief §2/§3 for Conclave's own constructions (one DST per use).
//
// Inputs may be secret (nonce derivation hashes private keys), so every
// intermediate buffer is SecretBytes and stack digests are wiped.
#ifndef CONCLAVE_CRYPTO_HASH_TO_FIELD_H_
#define CONCLAVE_CRYPTO_HASH_TO_FIELD_H_

#include <cstddef>
#include <initializer_list>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/p256.h"

namespace conclave {

// RFC 9380 §5.2: L = ceil((ceil(log2(n)) + k) / 8) = ceil((256 + 128) / 8).
inline constexpr size_t kHashToScalarExpandSize = 48;
// RFC 9380 §5.3.1 limits.
inline constexpr size_t kMaxDstSize = 255;
inline constexpr size_t kMaxExpandSize = 255 * 32;

// expand_message_xmd(msg, DST, len_in_bytes) with H = SHA-256 (RFC 9380
// §5.3.1). INVALID_ARGUMENT if len_in_bytes is 0 or > 255·32 (ell > 255;
// this also enforces the 65535 bound), or if DST is empty (§3.1: tags MUST
// have nonzero length) or longer than 255 bytes. Oversized DSTs are rejected
// rather than hashed as §5.3.3 describes: every DST in Conclave is a short
// constant, so a long one can only be a mistake.
StatusOr<SecretBytes> ExpandMessageXmdSha256(ByteSpan msg, ByteSpan dst,
                                             size_t len_in_bytes);
// The same with msg given as the concatenation of `msg_parts`, without
// copying secret parts into one buffer.
StatusOr<SecretBytes> ExpandMessageXmdSha256(
    std::initializer_list<ByteSpan> msg_parts, ByteSpan dst,
    size_t len_in_bytes);

// hash_to_field(msg, 1) for the P-256 scalar field: OS2IP of 48 bytes of
// expand_message_xmd output, mod n. The DST must be 1..255 bytes; DSTs are
// compile-time constants, so a bad one is a programming error and aborts.
Scalar HashToScalar(ByteSpan msg, ByteSpan dst);
// HashToScalar of the concatenation of `msg_parts`.
Scalar HashToScalar(std::initializer_list<ByteSpan> msg_parts, ByteSpan dst);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_HASH_TO_FIELD_H_
