#include "crypto/dleq.h"

#include <string>

#include "base/byte_io.h"
#include "crypto/hash.h"
#include "crypto/hash_to_field.h"
#include "crypto/random.h"

namespace conclave {

namespace {

constexpr std::string_view kHashToScalarPrefix = "HashToScalar-";
constexpr std::string_view kSeedPrefix = "Seed-";
constexpr size_t kNonceRandomSize = 32;
// I2OSP(i, 2) numbers the composite terms (RFC 9497 §2.2.1).
constexpr size_t kMaxBatch = 65535;

Status CheckContext(ByteSpan context) {
  if (context.size() + kHashToScalarPrefix.size() > kMaxDstSize) {
    return InvalidArgumentError("DLEQ context string longer than 242 bytes");
  }
  return OkStatus();
}

Status CheckBatch(std::span<const Point> c, std::span<const Point> d) {
  if (c.size() != d.size()) {
    return InvalidArgumentError("DLEQ: C and D differ in length");
  }
  if (c.empty()) return InvalidArgumentError("DLEQ: empty batch");
  if (c.size() > kMaxBatch) {
    return InvalidArgumentError("DLEQ: batch larger than 65535");
  }
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].IsInfinity() || d[i].IsInfinity()) {
      return InvalidArgumentError("DLEQ: a batch element is infinity");
    }
  }
  return OkStatus();
}

// G.HashToScalar(x) of RFC 9497 §4.3: DST = "HashToScalar-" || context.
Scalar ContextHashToScalar(ByteSpan context, ByteSpan msg) {
  Bytes dst = Concat({AsBytes(kHashToScalarPrefix), context});
  return HashToScalar(msg, dst);
}

// I2OSP(len(x), 2) || x; every element here is far shorter than 2^16.
void AppendPrefixed(ByteWriter& w, ByteSpan x) {
  w.AppendU16(static_cast<uint16_t>(x.size()));
  w.Append(x);
}

// The composite weights d_i of RFC 9497 §2.2.1 and M = Σ d_i·C_i. The caller
// has checked the batch; M may still be infinity for adversarial inputs.
struct Composite {
  std::vector<Scalar> weights;
  Point m;
};

Composite ComputeCompositeWeights(ByteSpan context, const Point& b,
                                  std::span<const Point> c,
                                  std::span<const Point> d) {
  const CompressedPoint bm = b.EncodeCompressed();
  // seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST)
  ByteWriter seed_transcript;
  AppendPrefixed(seed_transcript, bm);
  AppendPrefixed(seed_transcript, Concat({AsBytes(kSeedPrefix), context}));
  const Sha256Digest seed = Sha256(seed_transcript.bytes());

  Composite out{{}, Point::Infinity()};
  out.weights.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    ByteWriter t;
    AppendPrefixed(t, seed);
    t.AppendU16(static_cast<uint16_t>(i));
    AppendPrefixed(t, c[i].EncodeCompressed());
    AppendPrefixed(t, d[i].EncodeCompressed());
    t.Append("Composite");
    out.weights.push_back(ContextHashToScalar(context, t.bytes()));
    // Public data; Mul is simply the one-point multiplication available.
    out.m = out.m + c[i].Mul(out.weights.back());
  }
  return out;
}

// k·P for a possibly secret k; the fixed-base path (precomputed tables, also
// constant time) when P = G, which is A in every use Conclave and RFC 9497
// make.
Point MulSecret(const Point& p, const Scalar& k) {
  if (p == Point::Generator()) return Point::BaseMul(k);
  return p.Mul(k);
}

// a·P + b·Q for public inputs, using the two-scalar form when P = G.
Point LinearCombinationPublic(const Scalar& a, const Point& p, const Scalar& b,
                              const Point& q) {
  if (p == Point::Generator()) return Point::MulAddPublic(a, q, b);
  return p.Mul(a) + q.Mul(b);
}

// The challenge of RFC 9497 §2.2.1 (all points finite, checked by callers).
Scalar Challenge(ByteSpan context, const Point& b, const Point& m,
                 const Point& z, const Point& t2, const Point& t3) {
  ByteWriter t;
  AppendPrefixed(t, b.EncodeCompressed());
  AppendPrefixed(t, m.EncodeCompressed());
  AppendPrefixed(t, z.EncodeCompressed());
  AppendPrefixed(t, t2.EncodeCompressed());
  AppendPrefixed(t, t3.EncodeCompressed());
  t.Append("Challenge");
  return ContextHashToScalar(context, t.bytes());
}

}  // namespace

Bytes Rfc9497P256ContextString(uint8_t mode) {
  return Concat({AsBytes("OPRFV1-"), I2Osp(mode, 1), AsBytes("-P256-SHA256")});
}

StatusOr<DleqProof> GenerateDleqProofWithNonce(
    ByteSpan context, const Scalar& k, const Point& a, const Point& b,
    std::span<const Point> c, std::span<const Point> d, const Scalar& r) {
  CONCLAVE_RETURN_IF_ERROR(CheckContext(context));
  CONCLAVE_RETURN_IF_ERROR(CheckBatch(c, d));
  if (k.IsZero()) return InvalidArgumentError("DLEQ: secret scalar is zero");
  if (r.IsZero()) return InvalidArgumentError("DLEQ: nonce is zero");
  if (a.IsInfinity() || b.IsInfinity()) {
    return InvalidArgumentError("DLEQ: A or B is infinity");
  }
  // The statement must hold; a false one would only yield a failing proof.
  if (MulSecret(a, k) != b) {
    return InvalidArgumentError("DLEQ: B != k·A");
  }
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].Mul(k) != d[i]) {
      return InvalidArgumentError("DLEQ: D_i != k·C_i for i = " +
                                  std::to_string(i));
    }
  }

  // ComputeCompositesFast: Z = k·M.
  Composite comp = ComputeCompositeWeights(context, b, c, d);
  if (comp.m.IsInfinity()) {
    return InvalidArgumentError("DLEQ: composite element is infinity");
  }
  const Point z = comp.m.Mul(k);
  const Point t2 = MulSecret(a, r);
  const Point t3 = comp.m.Mul(r);
  const Scalar ch = Challenge(context, b, comp.m, z, t2, t3);
  const Scalar s = r - ch * k;

  DleqProof proof;
  const auto c_bytes = ch.ToPublicBytes();
  const auto s_bytes = s.ToPublicBytes();
  std::copy(c_bytes.begin(), c_bytes.end(), proof.begin());
  std::copy(s_bytes.begin(), s_bytes.end(), proof.begin() + kP256ScalarSize);
  return proof;
}

StatusOr<DleqProof> GenerateDleqProof(ByteSpan context, const Scalar& k,
                                      const Point& a, const Point& b,
                                      std::span<const Point> c,
                                      std::span<const Point> d) {
  CONCLAVE_RETURN_IF_ERROR(CheckBatch(c, d));
  if (b.IsInfinity()) return InvalidArgumentError("DLEQ: B is infinity");
  // Hedged nonce: fresh randomness, the secret and the statement.
  SecretBytes input = RandomBytes(kNonceRandomSize);
  input.Append(k.ToBytes().span());
  input.Append(b.EncodeCompressed());
  for (size_t i = 0; i < c.size(); ++i) {
    input.Append(c[i].EncodeCompressed());
    input.Append(d[i].EncodeCompressed());
  }
  const Scalar r = HashToScalar(input.span(), AsBytes(kDleqNonceDst));
  return GenerateDleqProofWithNonce(context, k, a, b, c, d, r);
}

Status VerifyDleqProof(ByteSpan context, const Point& a, const Point& b,
                       std::span<const Point> c, std::span<const Point> d,
                       ByteSpan proof) {
  CONCLAVE_RETURN_IF_ERROR(CheckContext(context));
  CONCLAVE_RETURN_IF_ERROR(CheckBatch(c, d));
  if (a.IsInfinity() || b.IsInfinity()) {
    return InvalidArgumentError("DLEQ: A or B is infinity");
  }
  if (proof.size() != kDleqProofSize) {
    return InvalidArgumentError("DLEQ proof must be 64 bytes");
  }
  StatusOr<Scalar> ch = Scalar::FromBytes(proof.subspan(0, kP256ScalarSize));
  if (!ch.ok()) return ch.status().Annotate("DLEQ proof c");
  StatusOr<Scalar> s = Scalar::FromBytes(proof.subspan(kP256ScalarSize));
  if (!s.ok()) return s.status().Annotate("DLEQ proof s");

  // ComputeComposites: Z = Σ d_i·D_i (the verifier does not know k).
  Composite comp = ComputeCompositeWeights(context, b, c, d);
  Point z = Point::Infinity();
  for (size_t i = 0; i < d.size(); ++i) z = z + d[i].Mul(comp.weights[i]);
  if (comp.m.IsInfinity() || z.IsInfinity()) {
    return UnauthenticatedError("DLEQ proof does not verify (degenerate)");
  }
  const Point t2 = LinearCombinationPublic(*s, a, *ch, b);
  const Point t3 = LinearCombinationPublic(*s, comp.m, *ch, z);
  if (t2.IsInfinity() || t3.IsInfinity()) {
    return UnauthenticatedError("DLEQ proof does not verify");
  }
  const Scalar expected = Challenge(context, b, comp.m, z, t2, t3);
  if (!expected.Equals(*ch)) {
    return UnauthenticatedError("DLEQ proof does not verify");
  }
  return OkStatus();
}

}  // namespace conclave
