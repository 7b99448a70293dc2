// The encrypted part of an approval (brief §5.3): the partial decryption
// D = y_oj·R and its DLEQ proof, sealed to the requester's reply key.
//
//   plaintext  = D (33 bytes, SEC1 compressed) ‖ proof (64 bytes, c ‖ s)
//   ciphertext = enc (65) ‖ ChaCha20-Poly1305 ciphertext (97 + 16)
//   HPKE base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
//   ChaCha20-Poly1305 (RFC 9180), info = "conclave/v1/approval" ‖ request id,
//   aad = u32be(org) ‖ u32be(editor) ‖ u32be(epoch).
//
// The DLEQ proof (RFC 9497 §2.2, context conclave/v1/partial-decryption)
// shows log_G(Y_oj) = log_R(D), so a partial made with another share, for
// another submission, or altered is caught and its editor named.
#ifndef CONCLAVE_QUORUM_APPROVAL_H_
#define CONCLAVE_QUORUM_APPROVAL_H_

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/dleq.h"
#include "crypto/p256.h"
#include "quorum/statements.h"

namespace conclave::quorum {

inline constexpr std::string_view kApprovalInfoPrefix = "conclave/v1/approval";
inline constexpr size_t kApprovalCiphertextSize = 65 + 33 + 64 + 16;

struct PartialDecryption {
  Point d = Point::Infinity();  // y_oj·R
  DleqProof proof{};
};

// D = y·R and its proof against Y_oj = y·G (hedged nonce). y is secret:
// only single-scalar multiplications touch it.
StatusOr<PartialDecryption> ComputePartialDecryption(const Scalar& y,
                                                     const Point& y_oj,
                                                     const Point& r);

// OK iff the proof shows log_G(y_oj) = log_R(d); UNAUTHENTICATED otherwise.
Status VerifyPartialDecryption(const PartialDecryption& partial,
                               const Point& y_oj, const Point& r);

struct ApprovalAddress {
  RequestId request_id{};
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  uint64_t epoch = 0;  // must fit in 32 bits (INVALID_ARGUMENT otherwise)
};

// Seals the partial to reply_pk under the address (info and aad above).
StatusOr<Bytes> SealPartial(const PartialDecryption& partial,
                            const Point& reply_pk,
                            const ApprovalAddress& address);

// Opens a sealed partial with reply_sk. UNAUTHENTICATED if the ciphertext
// does not open under this address (another request, editor or epoch, or
// tampered); INVALID_ARGUMENT for a wrong length or a D that does not
// decode. Does not verify the proof.
StatusOr<PartialDecryption> OpenPartial(ByteSpan ciphertext,
                                        const Scalar& reply_sk,
                                        const ApprovalAddress& address);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_APPROVAL_H_
