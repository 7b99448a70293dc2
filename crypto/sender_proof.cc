#include "crypto/sender_proof.h"

#include <algorithm>

#include "base/byte_io.h"
#include "crypto/hash_to_field.h"
#include "crypto/random.h"

namespace conclave {

namespace {

std::string_view ChallengeDst(SenderProofKind kind) {
  return kind == SenderProofKind::kDrill ? kDrillPokDst : kSenderPokDst;
}
std::string_view NonceDst(SenderProofKind kind) {
  return kind == SenderProofKind::kDrill ? kDrillPokNonceDst
                                         : kSenderPokNonceDst;
}

// The checks shared by prover and verifier on the public statement.
Status CheckStatement(ByteSpan tag, ByteSpan body,
                      std::span<const uint32_t> excluded_orgs) {
  if (tag.size() != kP256TagSize) {
    return InvalidArgumentError("sender proof: tag must be 4 bytes");
  }
  if (body.size() != kP256TagBodySize) {
    return InvalidArgumentError("sender proof: body must be 32 bytes");
  }
  for (size_t i = 0; i < excluded_orgs.size(); ++i) {
    if (excluded_orgs[i] == 0) {
      return InvalidArgumentError(
          "sender proof: excluded organisation id 0 is not valid");
    }
    if (i > 0 && excluded_orgs[i] <= excluded_orgs[i - 1]) {
      return InvalidArgumentError(
          "sender proof: excluded organisations not strictly ascending");
    }
  }
  return OkStatus();
}

// c = HashToScalar(Y33 ‖ enc65 ‖ tag4 ‖ body32 ‖ A33 ‖ u32be(org)..., DST).
Scalar ComputeChallenge(SenderProofKind kind, const Point& consortium_key,
                        const UncompressedPoint& enc, ByteSpan tag,
                        ByteSpan body, const Point& a,
                        std::span<const uint32_t> excluded_orgs) {
  ByteWriter w;
  w.Append(consortium_key.EncodeCompressed());
  w.Append(enc);
  w.Append(tag);
  w.Append(body);
  w.Append(a.EncodeCompressed());
  for (uint32_t org : excluded_orgs) w.AppendU32(org);
  return HashToScalar(w.bytes(), AsBytes(ChallengeDst(kind)));
}

}  // namespace

StatusOr<SenderProof> ProveSenderWithNonceRandomness(
    SenderProofKind kind, const Scalar& r, ByteSpan enc,
    const Point& consortium_key, ByteSpan tag, ByteSpan body,
    std::span<const uint32_t> excluded_orgs, ByteSpan nonce_randomness) {
  CONCLAVE_RETURN_IF_ERROR(CheckStatement(tag, body, excluded_orgs));
  if (nonce_randomness.size() != kSenderProofNonceRandomSize) {
    return InvalidArgumentError(
        "sender proof: nonce randomness must be 32 bytes");
  }
  if (consortium_key.IsInfinity()) {
    return InvalidArgumentError("sender proof: consortium key is infinity");
  }
  StatusOr<Point> enc_point = Point::DecodeUncompressed(enc);
  if (!enc_point.ok()) return enc_point.status().Annotate("sender proof enc");
  if (r.IsZero() || Point::BaseMul(r) != *enc_point) {
    return InvalidArgumentError("sender proof: enc != r·G");
  }
  const UncompressedPoint enc_bytes = enc_point->EncodeUncompressed();

  const Scalar k =
      HashToScalar({nonce_randomness, r.ToBytes().span(), enc_bytes},
                   AsBytes(NonceDst(kind)));
  // k = 0 has probability ~2^-256; A would be infinity and unencodable.
  if (k.IsZero()) return InternalError("sender proof: zero nonce");
  const Point a = Point::BaseMul(k);
  const Scalar c = ComputeChallenge(kind, consortium_key, enc_bytes, tag, body,
                                    a, excluded_orgs);
  const Scalar z = k + c * r;

  SenderProof proof;
  const auto c_bytes = c.ToPublicBytes();
  const auto z_bytes = z.ToPublicBytes();
  std::copy(c_bytes.begin(), c_bytes.end(), proof.begin());
  std::copy(z_bytes.begin(), z_bytes.end(), proof.begin() + kP256ScalarSize);
  return proof;
}

StatusOr<SenderProof> ProveSender(SenderProofKind kind, const Scalar& r,
                                  ByteSpan enc, const Point& consortium_key,
                                  ByteSpan tag, ByteSpan body,
                                  std::span<const uint32_t> excluded_orgs) {
  const SecretBytes randomness = RandomBytes(kSenderProofNonceRandomSize);
  return ProveSenderWithNonceRandomness(kind, r, enc, consortium_key, tag, body,
                                        excluded_orgs, randomness.span());
}

Status VerifySenderProof(SenderProofKind kind, ByteSpan enc,
                         const Point& consortium_key, ByteSpan tag,
                         ByteSpan body, std::span<const uint32_t> excluded_orgs,
                         ByteSpan proof) {
  CONCLAVE_RETURN_IF_ERROR(CheckStatement(tag, body, excluded_orgs));
  if (consortium_key.IsInfinity()) {
    return InvalidArgumentError("sender proof: consortium key is infinity");
  }
  // Strict: exactly 0x04 ‖ X ‖ Y, on the curve (no compressed, hybrid or
  // infinity encodings).
  StatusOr<Point> enc_point = Point::DecodeUncompressed(enc);
  if (!enc_point.ok()) return enc_point.status().Annotate("sender proof enc");
  if (proof.size() != kSenderProofSize) {
    return InvalidArgumentError("sender proof must be 64 bytes");
  }
  StatusOr<Scalar> c = Scalar::FromBytes(proof.subspan(0, kP256ScalarSize));
  if (!c.ok()) return c.status().Annotate("sender proof c");
  StatusOr<Scalar> z = Scalar::FromBytes(proof.subspan(kP256ScalarSize));
  if (!z.ok()) return z.status().Annotate("sender proof z");

  // A' = z·G − c·enc.
  const Point a = Point::MulAddPublic(*z, *enc_point, -*c);
  if (a.IsInfinity()) {
    return UnauthenticatedError("sender proof does not verify");
  }
  const Scalar expected =
      ComputeChallenge(kind, consortium_key, enc_point->EncodeUncompressed(),
                       tag, body, a, excluded_orgs);
  if (!expected.Equals(*c)) {
    return UnauthenticatedError("sender proof does not verify");
  }
  return OkStatus();
}

}  // namespace conclave
