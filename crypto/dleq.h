// Discrete-log-equality proofs (RFC 9497 §2.2) over P-256 with SHA-256.
//
// A proof shows that one secret k satisfies B = k·A and D_i = k·C_i for every
// i, without revealing k. The construction, transcripts and batching
// (ComputeComposites / ComputeCompositesFast, §2.2.1–§2.2.2) are the RFC's,
// parameterised by a context string: RFC 9497 uses
// "OPRFV1-" || I2OSP(mode, 1) || "-P256-SHA256"; Conclave's partial
// decryptions (brief §5: D = y·R proven against Y_oj = y·G) use
// kPartialDecryptionContext. The derived DSTs are, as in the RFC,
// "HashToScalar-" || context (challenge and composite weights) and
// "Seed-" || context (the composite seed).
//
// Elements are serialized compressed (33 bytes, RFC 9497 §4.3
// SerializeElement). A proof is c ‖ s, two 32-byte big-endian scalars.
//
// The prover's nonce is hedged rather than purely random (so a weak RNG does
// not leak k): r = HashToScalar(32 fresh random bytes ‖ k (32 bytes) ‖ B ‖
// C_0 ‖ D_0 ‖ … ‖ C_{m-1} ‖ D_{m-1}, DST kDleqNonceDst), points compressed.
#ifndef CONCLAVE_CRYPTO_DLEQ_H_
#define CONCLAVE_CRYPTO_DLEQ_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "crypto/p256.h"

namespace conclave {

inline constexpr std::string_view kPartialDecryptionContext =
    "conclave/v1/partial-decryption";
inline constexpr std::string_view kDleqNonceDst = "conclave/v1/dleq-nonce";

inline constexpr size_t kDleqProofSize = 2 * kP256ScalarSize;
using DleqProof = std::array<uint8_t, kDleqProofSize>;

// RFC 9497 §3.1 contextString for P256-SHA256 in the given mode (0 OPRF,
// 1 VOPRF, 2 POPRF), for interoperability tests.
Bytes Rfc9497P256ContextString(uint8_t mode);

// Proves B = k·A and D_i = k·C_i for all i (c and d the same, nonzero
// length). INVALID_ARGUMENT if the lengths differ or are zero, if k is zero,
// or if the statement is false (the prover checks it, so a bug surfaces here
// instead of as a proof that fails later); INVALID_ARGUMENT too if the
// composite M is the point at infinity (degenerate inputs, e.g. C_i = -C_j
// weighted to cancel, which honest inputs reach with negligible probability).
StatusOr<DleqProof> GenerateDleqProof(ByteSpan context, const Scalar& k,
                                      const Point& a, const Point& b,
                                      std::span<const Point> c,
                                      std::span<const Point> d);

// Test hook: the same with the nonce r given (RFC 9497 vectors fix it).
// Production code must use GenerateDleqProof; reusing r for two statements
// reveals k.
StatusOr<DleqProof> GenerateDleqProofWithNonce(
    ByteSpan context, const Scalar& k, const Point& a, const Point& b,
    std::span<const Point> c, std::span<const Point> d, const Scalar& r);

// RFC 9497 §2.2.2 VerifyProof. OK if the proof verifies; INVALID_ARGUMENT if
// the proof is not 64 bytes or a scalar is >= n, or if c and d differ in
// length or are empty; UNAUTHENTICATED if the proof does not verify
// (including when any point the verifier derives is the point at infinity).
// Variable time: all inputs are public.
Status VerifyDleqProof(ByteSpan context, const Point& a, const Point& b,
                       std::span<const Point> c, std::span<const Point> d,
                       ByteSpan proof);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_DLEQ_H_
