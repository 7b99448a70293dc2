#include "quorum/approval.h"

#include <algorithm>
#include <array>
#include <string>

#include "base/byte_io.h"
#include "base/secret_bytes.h"
#include "crypto/hpke.h"

namespace conclave::quorum {
namespace {

constexpr size_t kPlaintextSize = kP256CompressedPointSize + kDleqProofSize;
constexpr size_t kAeadTagSize = 16;
static_assert(kApprovalCiphertextSize ==
              kHpkeEncSize + kPlaintextSize + kAeadTagSize);

ByteSpan Context() { return AsBytes(kPartialDecryptionContext); }

// info = "conclave/v1/approval" ‖ request id (brief §5.3).
Bytes ApprovalInfo(const RequestId& id) {
  return Concat({AsBytes(kApprovalInfoPrefix), id});
}

// aad = u32be(org) ‖ u32be(editor) ‖ u32be(epoch). The epoch must fit in
// 32 bits: truncating it would let two epochs share an address.
StatusOr<Bytes> ApprovalAad(const ApprovalAddress& address) {
  if (address.epoch > UINT32_MAX) {
    return InvalidArgumentError("approval epoch " +
                                std::to_string(address.epoch) +
                                " does not fit in 32 bits");
  }
  ByteWriter w;
  w.AppendU32(address.org_id);
  w.AppendU32(address.editor_index);
  w.AppendU32(static_cast<uint32_t>(address.epoch));
  return w.Take();
}

}  // namespace

StatusOr<PartialDecryption> ComputePartialDecryption(const Scalar& y,
                                                     const Point& y_oj,
                                                     const Point& r) {
  if (r.IsInfinity() || y_oj.IsInfinity()) {
    return InvalidArgumentError(
        "partial decryption: R and Y_oj must be finite points");
  }
  if (y.IsZero()) {
    return InvalidArgumentError("partial decryption: the share is zero");
  }
  PartialDecryption partial;
  // Single-scalar multiplication: y is secret (brief §3).
  partial.d = r.Mul(y);
  const Point c[] = {r};
  const Point d[] = {partial.d};
  // GenerateDleqProof checks y·G = Y_oj, so a share that does not match the
  // roster's verification share fails here rather than at the requester.
  CONCLAVE_ASSIGN_OR_RETURN(
      partial.proof,
      GenerateDleqProof(Context(), y, Point::Generator(), y_oj, c, d));
  return partial;
}

Status VerifyPartialDecryption(const PartialDecryption& partial,
                               const Point& y_oj, const Point& r) {
  if (partial.d.IsInfinity() || y_oj.IsInfinity() || r.IsInfinity()) {
    return UnauthenticatedError(
        "partial decryption: a point is the point at infinity");
  }
  const Point c[] = {r};
  const Point d[] = {partial.d};
  Status s =
      VerifyDleqProof(Context(), Point::Generator(), y_oj, c, d, partial.proof);
  if (!s.ok()) {
    // A malformed proof (scalar >= n) is as bad as a wrong one here.
    return UnauthenticatedError("partial decryption proof does not verify");
  }
  return OkStatus();
}

StatusOr<Bytes> SealPartial(const PartialDecryption& partial,
                            const Point& reply_pk,
                            const ApprovalAddress& address) {
  if (partial.d.IsInfinity()) {
    return InvalidArgumentError("partial decryption is the point at infinity");
  }
  if (reply_pk.IsInfinity()) {
    return InvalidArgumentError("reply key is the point at infinity");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Bytes aad, ApprovalAad(address));
  // D is not secret by itself, but it is only for the requester's eyes
  // (with t−1 others it yields S): keep it in wiping memory.
  SecretBytes plaintext;
  plaintext.Append(partial.d.EncodeCompressed());
  plaintext.Append(partial.proof);
  const UncompressedPoint pk = reply_pk.EncodeUncompressed();
  CONCLAVE_ASSIGN_OR_RETURN(
      HpkeSealed sealed,
      HpkeSealBase(HpkeAead::kChaCha20Poly1305, pk,
                   ApprovalInfo(address.request_id), aad, plaintext.span()));
  Bytes out = Concat({sealed.enc, sealed.ciphertext});
  if (out.size() != kApprovalCiphertextSize) {
    return InternalError("sealed approval has an unexpected size");
  }
  return out;
}

StatusOr<PartialDecryption> OpenPartial(ByteSpan ciphertext,
                                        const Scalar& reply_sk,
                                        const ApprovalAddress& address) {
  if (ciphertext.size() != kApprovalCiphertextSize) {
    return InvalidArgumentError(
        "approval ciphertext is " + std::to_string(ciphertext.size()) +
        " bytes, want " + std::to_string(kApprovalCiphertextSize));
  }
  CONCLAVE_ASSIGN_OR_RETURN(Bytes aad, ApprovalAad(address));
  const ByteSpan enc = ciphertext.first(kHpkeEncSize);
  const ByteSpan ct = ciphertext.subspan(kHpkeEncSize);
  StatusOr<SecretBytes> opened =
      HpkeOpenBase(HpkeAead::kChaCha20Poly1305, reply_sk, enc,
                   ApprovalInfo(address.request_id), aad, ct);
  if (!opened.ok()) {
    const StatusCode code = opened.status().code();
    // An enc that does not decode is a tampered ciphertext like any other.
    if (code == StatusCode::kUnauthenticated ||
        code == StatusCode::kInvalidArgument) {
      return UnauthenticatedError(
          "approval ciphertext does not open under this request, editor "
          "and epoch with the reply key");
    }
    return opened.status();
  }
  const SecretBytes& plaintext = *opened;
  if (plaintext.size() != kPlaintextSize) {
    return InvalidArgumentError("approval plaintext has the wrong length");
  }
  PartialDecryption partial;
  StatusOr<Point> d =
      Point::DecodeCompressed(plaintext.span().first(kP256CompressedPointSize));
  if (!d.ok()) {
    return InvalidArgumentError(
        "approval partial decryption is not a valid point");
  }
  partial.d = *std::move(d);
  const ByteSpan proof = plaintext.span().subspan(kP256CompressedPointSize);
  std::copy(proof.begin(), proof.end(), partial.proof.begin());
  return partial;
}

}  // namespace conclave::quorum
