// The sender proof of brief §2: a Schnorr proof of knowledge of
// r = log_G(enc) for a p256tag stanza's ephemeral key enc, bound to the
// consortium key, the stanza and the excluded organisations. It stops a
// requester from submitting a point related to another submission's enc
// (a·enc_B + b·G) and turning editors' partial decryptions into a victim's.
//
// Byte layout (exact; brief §2 — any change breaks interoperability with the
// intake page and is caught by the pinned known-answer test):
//
//   HashToScalar = RFC 9380 hash_to_field, expand_message_xmd(SHA-256),
//                  L = 48, reduced mod n (crypto/hash_to_field.h).
//   kind          challenge DST               nonce DST
//   kSender       "conclave/v1/sender-pok"    "conclave/v1/sender-pok-nonce"
//   kDrill        "conclave/v1/drill-pok"     "conclave/v1/drill-pok-nonce"
//   (The brief names only the drill challenge DST, "the same construction
//   under DST conclave/v1/drill-pok"; the drill nonce DST follows the
//   sender's pattern. The nonce DST is private to the prover and does not
//   affect verification.)
//
//   Prover, knowing r in [1, n-1] with enc = r·G:
//     k = HashToScalar(rand[32] ‖ r[32] ‖ enc[65], nonce DST)
//     A = k·G
//     c = HashToScalar(Y[33] ‖ enc[65] ‖ tag[4] ‖ body[32] ‖ A[33]
//                      ‖ u32be(org_1) ‖ … ‖ u32be(org_j), challenge DST)
//     z = k + c·r mod n
//     proof = c[32] ‖ z[32]
//   where rand is 32 fresh random bytes, r and scalars are 32-byte
//   big-endian, Y and A are SEC1 compressed (33 bytes), enc is SEC1
//   uncompressed (0x04 ‖ X ‖ Y, 65 bytes), tag and body are the p256tag
//   stanza's decoded tag (4 bytes) and body (32 bytes), and org_i are the
//   excluded organisation ids, strictly ascending, each in 1..2^32-1, as
//   4-byte big-endian integers (none at all when nothing is excluded). The
//   input is a plain concatenation: every element has a fixed size.
//
//   Verifier: enc must decode strictly as 0x04 ‖ X ‖ Y on the curve; c and z
//   must be < n; A' = z·G − c·enc, rejected if infinity; accept iff
//   c == HashToScalar(Y ‖ enc ‖ tag ‖ body ‖ A' ‖ orgs, challenge DST).
#ifndef CONCLAVE_CRYPTO_SENDER_PROOF_H_
#define CONCLAVE_CRYPTO_SENDER_PROOF_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "crypto/p256.h"

namespace conclave {

enum class SenderProofKind {
  kSender,  // `-> conclave-pok` stanza of a whistleblower's submission
  kDrill,   // `-> conclave-drill-pok` stanza of a ceremony drill file
};

inline constexpr std::string_view kSenderPokDst = "conclave/v1/sender-pok";
inline constexpr std::string_view kSenderPokNonceDst =
    "conclave/v1/sender-pok-nonce";
inline constexpr std::string_view kDrillPokDst = "conclave/v1/drill-pok";
inline constexpr std::string_view kDrillPokNonceDst =
    "conclave/v1/drill-pok-nonce";

inline constexpr size_t kSenderProofSize = 2 * kP256ScalarSize;
inline constexpr size_t kP256TagSize = 4;
inline constexpr size_t kP256TagBodySize = 32;
inline constexpr size_t kSenderProofNonceRandomSize = 32;
using SenderProof = std::array<uint8_t, kSenderProofSize>;

// Makes the proof for enc = r·G. INVALID_ARGUMENT if enc is not a strict
// 65-byte uncompressed point, enc != r·G, tag or body have the wrong size, or
// the exclusions are not strictly ascending ids in 1..2^32-1.
StatusOr<SenderProof> ProveSender(SenderProofKind kind, const Scalar& r,
                                  ByteSpan enc, const Point& consortium_key,
                                  ByteSpan tag, ByteSpan body,
                                  std::span<const uint32_t> excluded_orgs);

// Test hook: the same with the 32 nonce-randomness bytes given, so a proof is
// reproducible. Production code must use ProveSender.
StatusOr<SenderProof> ProveSenderWithNonceRandomness(
    SenderProofKind kind, const Scalar& r, ByteSpan enc,
    const Point& consortium_key, ByteSpan tag, ByteSpan body,
    std::span<const uint32_t> excluded_orgs, ByteSpan nonce_randomness);

// Pure verification. OK if `proof` (c ‖ z) verifies for this statement;
// INVALID_ARGUMENT for malformed input (enc not 0x04 ‖ X ‖ Y on the curve,
// tag/body/proof of the wrong size, c or z >= n, exclusions not strictly
// ascending or containing 0); UNAUTHENTICATED if the proof does not verify
// (including A' = infinity). Variable time: all inputs are public.
Status VerifySenderProof(SenderProofKind kind, ByteSpan enc,
                         const Point& consortium_key, ByteSpan tag,
                         ByteSpan body, std::span<const uint32_t> excluded_orgs,
                         ByteSpan proof);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_SENDER_PROOF_H_
