// Differential tests: our P-256 arithmetic (OpenSSL through crypto/p256) and
// our Shamir/Lagrange code against an independent implementation, Crypto++
// (ECP over ASN1::secp256r1(), Integer, ModularArithmetic). Values cross the
// boundary only as 32-byte big-endian scalars and SEC1 point encodings, and
// results are compared byte for byte.
#include <cryptopp/asn.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/modarith.h>
#include <cryptopp/oids.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/p256.h"
#include "crypto/random.h"
#include "shares/shamir.h"

namespace conclave {
namespace {

using CryptoPP::ECP;
using CryptoPP::Integer;
using CryptoPP::ModularArithmetic;

constexpr int kRandomCases = 300;

class CryptoppDifferentialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    params_ =
        new CryptoPP::DL_GroupParameters_EC<ECP>(CryptoPP::ASN1::secp256r1());
  }
  static void TearDownTestSuite() {
    delete params_;
    params_ = nullptr;
  }

  static const ECP& Curve() { return params_->GetCurve(); }
  static ECP::Point G() { return params_->GetSubgroupGenerator(); }
  static const Integer& N() { return params_->GetSubgroupOrder(); }
  static ModularArithmetic ModN() { return ModularArithmetic(N()); }

  // ---- Conversions, through encodings only ----

  static Integer ToInt(const Scalar& s) {
    std::array<uint8_t, kP256ScalarSize> b = s.ToPublicBytes();
    return Integer(b.data(), b.size());
  }
  static Bytes IntBytes(const Integer& i) {
    Bytes out(kP256ScalarSize);
    i.Encode(out.data(), out.size());
    return out;
  }
  static Scalar FromInt(const Integer& i) {
    StatusOr<Scalar> s = Scalar::FromBytes(IntBytes(i));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Scalar();
  }
  static Bytes ScalarBytes(const Scalar& s) {
    std::array<uint8_t, kP256ScalarSize> b = s.ToPublicBytes();
    return Bytes(b.begin(), b.end());
  }

  static Bytes Encode(const ECP::Point& p, bool compressed) {
    EXPECT_FALSE(p.identity);
    Bytes out(Curve().EncodedPointSize(compressed));
    Curve().EncodePoint(out.data(), p, compressed);
    return out;
  }
  static Bytes EncodeOurs(const Point& p, bool compressed) {
    EXPECT_FALSE(p.IsInfinity());
    if (compressed) {
      CompressedPoint c = p.EncodeCompressed();
      return Bytes(c.begin(), c.end());
    }
    UncompressedPoint u = p.EncodeUncompressed();
    return Bytes(u.begin(), u.end());
  }
  static ECP::Point ToCpp(const Point& p) {
    if (p.IsInfinity()) return ECP::Point();  // identity
    Bytes enc = EncodeOurs(p, /*compressed=*/false);
    ECP::Point out;
    EXPECT_TRUE(Curve().DecodePoint(out, enc.data(), enc.size()));
    return out;
  }

  // Same point: both infinity, or identical compressed and uncompressed
  // encodings.
  static void ExpectSamePoint(const Point& ours, const ECP::Point& theirs) {
    ASSERT_EQ(ours.IsInfinity(), theirs.identity);
    if (theirs.identity) return;
    EXPECT_EQ(HexEncode(EncodeOurs(ours, true)),
              HexEncode(Encode(theirs, true)));
    EXPECT_EQ(HexEncode(EncodeOurs(ours, false)),
              HexEncode(Encode(theirs, false)));
  }
  static void ExpectSameScalar(const Scalar& ours, const Integer& theirs) {
    EXPECT_EQ(HexEncode(ScalarBytes(ours)), HexEncode(IntBytes(theirs)));
  }

  // 1, 2, 3, n−1, n−2, (n−1)/2, (n+1)/2, 2^255, 2^128, 2^64, 2^32 − 1,
  // 2^256 mod n and 2^256 − 1 mod n, built as Integers and carried over.
  static std::vector<Integer> EdgeInts() {
    const Integer& n = N();
    const Integer two(2);
    std::vector<Integer> v = {Integer::One(),
                              two,
                              Integer(3),
                              n - 1,
                              n - 2,
                              (n - 1) / 2,
                              (n + 1) / 2,
                              Integer::Power2(255),
                              Integer::Power2(128),
                              Integer::Power2(64),
                              Integer(0xffffffffL),
                              Integer::Power2(256) % n,
                              (Integer::Power2(256) - 1) % n};
    for (const Integer& i : v) EXPECT_TRUE(i < n && i.IsPositive());
    return v;
  }

  static Scalar RandomScalar() { return Scalar::Random(); }

  static CryptoPP::DL_GroupParameters_EC<ECP>* params_;
};

CryptoPP::DL_GroupParameters_EC<ECP>* CryptoppDifferentialTest::params_ =
    nullptr;

TEST_F(CryptoppDifferentialTest, GroupConstantsAgree) {
  ExpectSamePoint(Point::Generator(), G());
  // The order: n − 1 round-trips as the largest valid scalar, n is refused.
  ExpectSameScalar(-Scalar::FromUint64(1), N() - 1);
  EXPECT_FALSE(Scalar::FromBytes(IntBytes(N())).ok());
  // (n − 1)·G = −G.
  ExpectSamePoint(Point::BaseMul(FromInt(N() - 1)), Curve().Inverse(G()));
}

TEST_F(CryptoppDifferentialTest, BaseMultiplication) {
  std::vector<Scalar> ks;
  for (const Integer& i : EdgeInts()) ks.push_back(FromInt(i));
  for (int i = 0; i < kRandomCases; ++i) ks.push_back(RandomScalar());
  for (const Scalar& k : ks) {
    SCOPED_TRACE(HexEncode(ScalarBytes(k)));
    ExpectSamePoint(Point::BaseMul(k), Curve().ScalarMultiply(G(), ToInt(k)));
  }
  // 0·G is infinity on both sides.
  EXPECT_TRUE(Point::BaseMul(Scalar()).IsInfinity());
  EXPECT_TRUE(Curve().ScalarMultiply(G(), Integer::Zero()).identity);
}

TEST_F(CryptoppDifferentialTest, PointMultiplication) {
  const std::vector<Integer> edges = EdgeInts();
  for (int i = 0; i < kRandomCases; ++i) {
    // P made on each side from the same r, so P itself is cross-checked.
    const Scalar r = RandomScalar();
    const Point p = Point::BaseMul(r);
    const ECP::Point pc = Curve().ScalarMultiply(G(), ToInt(r));
    ExpectSamePoint(p, pc);
    const Scalar k = (i < static_cast<int>(edges.size())) ? FromInt(edges[i])
                                                          : RandomScalar();
    SCOPED_TRACE(HexEncode(ScalarBytes(k)));
    ExpectSamePoint(p.Mul(k), Curve().ScalarMultiply(pc, ToInt(k)));
    // And decoding each other's encodings gives the same point.
    StatusOr<Point> back = Point::Decode(Encode(pc, /*compressed=*/true));
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(*back == p);
  }
}

TEST_F(CryptoppDifferentialTest, AdditionNegationSubtraction) {
  for (int i = 0; i < kRandomCases; ++i) {
    const Point p = Point::BaseMul(RandomScalar());
    const Point q = Point::BaseMul(RandomScalar());
    const ECP::Point pc = ToCpp(p);
    const ECP::Point qc = ToCpp(q);
    // ECP returns references to an internal temporary: copy at once.
    const ECP::Point sum = Curve().Add(pc, qc);
    ExpectSamePoint(p + q, sum);
    const ECP::Point neg = Curve().Inverse(pc);
    ExpectSamePoint(-p, neg);
    const ECP::Point diff = Curve().Subtract(pc, qc);
    ExpectSamePoint(p - q, diff);
    const ECP::Point dbl = Curve().Add(pc, pc);
    ExpectSamePoint(p + p, dbl);
    const ECP::Point zero = Curve().Subtract(pc, pc);
    ExpectSamePoint(p - p, zero);
    const ECP::Point same = Curve().Add(pc, ECP::Point());
    ExpectSamePoint(p + Point::Infinity(), same);
  }
}

TEST_F(CryptoppDifferentialTest, ScalarArithmetic) {
  const ModularArithmetic mn = ModN();
  std::vector<Scalar> xs;
  for (const Integer& i : EdgeInts()) xs.push_back(FromInt(i));
  // Every pair of edge values, then random pairs.
  std::vector<std::pair<Scalar, Scalar>> pairs;
  for (const Scalar& a : xs) {
    for (const Scalar& b : xs) pairs.emplace_back(a, b);
  }
  for (int i = 0; i < kRandomCases; ++i) {
    pairs.emplace_back(RandomScalar(), RandomScalar());
  }
  pairs.emplace_back(Scalar(), RandomScalar());
  for (const auto& [a, b] : pairs) {
    SCOPED_TRACE(HexEncode(ScalarBytes(a)) + " " + HexEncode(ScalarBytes(b)));
    const Integer ai = ToInt(a), bi = ToInt(b);
    ExpectSameScalar(a + b, Integer(mn.Add(ai, bi)));
    ExpectSameScalar(a - b, Integer(mn.Subtract(ai, bi)));
    ExpectSameScalar(a * b, Integer(mn.Multiply(ai, bi)));
    ExpectSameScalar(-a, Integer(mn.Inverse(ai)));
    if (a.IsZero()) {
      EXPECT_FALSE(a.Inverse().ok());
    } else {
      StatusOr<Scalar> inv = a.Inverse();
      ASSERT_TRUE(inv.ok());
      ExpectSameScalar(*inv, Integer(mn.MultiplicativeInverse(ai)));
      ExpectSameScalar(*inv, ai.InverseMod(N()));
    }
  }
}

TEST_F(CryptoppDifferentialTest, ReductionModOrder) {
  // FromBytesModOrder (used on 48-byte hash_to_field outputs) against
  // Integer % n, on random 48- and 64-byte strings and on all-ones strings.
  std::vector<Bytes> inputs = {Bytes(48, 0xff), Bytes(64, 0xff),
                               Bytes(32, 0xff), Bytes(1, 0x00), IntBytes(N())};
  for (int i = 0; i < kRandomCases; ++i) {
    Bytes b(i % 2 ? 48 : 64);
    FillRandom(b);
    inputs.push_back(std::move(b));
  }
  for (const Bytes& b : inputs) {
    SCOPED_TRACE(HexEncode(b));
    ExpectSameScalar(Scalar::FromBytesModOrder(b),
                     Integer(b.data(), b.size()) % N());
  }
}

// Lagrange coefficients at 0 computed with Crypto++'s ModularArithmetic.
std::vector<Integer> CppLagrange(const ModularArithmetic& mn,
                                 const std::vector<uint32_t>& xs) {
  std::vector<Integer> out;
  for (size_t i = 0; i < xs.size(); ++i) {
    Integer num = Integer::One(), den = Integer::One();
    const Integer xi(static_cast<CryptoPP::word>(xs[i]));
    for (size_t j = 0; j < xs.size(); ++j) {
      if (j == i) continue;
      const Integer xj(static_cast<CryptoPP::word>(xs[j]));
      num = mn.Multiply(num, xj);
      den = mn.Multiply(den, mn.Subtract(xj, xi));
    }
    const Integer inv = mn.MultiplicativeInverse(den);
    out.push_back(mn.Multiply(num, inv));
  }
  return out;
}

std::vector<uint32_t> RandomIndexSet(size_t size) {
  std::set<uint32_t> seen;
  std::vector<uint32_t> out;
  while (out.size() < size) {
    uint8_t b[4];
    FillRandom(b);
    uint32_t v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                 (uint32_t{b[2]} << 8) | b[3];
    // Mix small indices (editors, early organisations) with large ones.
    if (b[0] & 1) v = 1 + v % 12;
    if (v == 0 || !seen.insert(v).second) continue;
    out.push_back(v);
  }
  return out;
}

TEST_F(CryptoppDifferentialTest, LagrangeCoefficients) {
  const ModularArithmetic mn = ModN();
  std::vector<std::vector<uint32_t>> sets = {
      {1},       {1, 2},           {1, 2, 3},
      {2, 5, 7}, {1, 0xffffffffu}, {0xffffffffu, 0xfffffffeu, 1}};
  for (int i = 0; i < kRandomCases; ++i) {
    sets.push_back(RandomIndexSet(1 + i % 8));
  }
  for (const std::vector<uint32_t>& xs : sets) {
    std::string trace;
    for (uint32_t x : xs) trace += std::to_string(x) + " ";
    SCOPED_TRACE(trace);
    StatusOr<std::vector<Scalar>> ours = LagrangeCoefficientsAtZero(xs);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    const std::vector<Integer> theirs = CppLagrange(mn, xs);
    ASSERT_EQ(ours->size(), theirs.size());
    for (size_t i = 0; i < xs.size(); ++i) {
      ExpectSameScalar((*ours)[i], theirs[i]);
    }
  }
}

TEST_F(CryptoppDifferentialTest, FeldmanEvaluationAndInterpolation) {
  // Σ C_k·i^k and Σ λ_i·Y_i recomputed with Crypto++ from our encodings.
  const ModularArithmetic mn = ModN();
  for (int trial = 0; trial < 20; ++trial) {
    const uint32_t t = 1 + trial % 5;
    const std::vector<uint32_t> indices = RandomIndexSet(t + 2);
    const Scalar secret = RandomScalar();
    StatusOr<Dealing> d = DealShares(secret, t, indices);
    ASSERT_TRUE(d.ok());
    std::vector<ECP::Point> cc;
    for (const Point& c : d->commitments) cc.push_back(ToCpp(c));
    for (size_t i = 0; i < indices.size(); ++i) {
      const Integer x(static_cast<CryptoPP::word>(indices[i]));
      ECP::Point acc;  // identity
      Integer power = Integer::One();
      for (const ECP::Point& c : cc) {
        const ECP::Point term = Curve().ScalarMultiply(c, power);
        acc = Curve().Add(acc, term);
        power = mn.Multiply(power, x);
      }
      ExpectSamePoint(d->verification_shares[i].point, acc);
      ExpectSamePoint(Point::BaseMul(d->shares[i].value),
                      Curve().ScalarMultiply(G(), ToInt(d->shares[i].value)));
    }
    // Interpolate the first t verification shares in the exponent.
    std::vector<uint32_t> quorum(indices.begin(), indices.begin() + t);
    const std::vector<Integer> lambdas = CppLagrange(mn, quorum);
    ECP::Point y;
    for (size_t i = 0; i < t; ++i) {
      const ECP::Point term = Curve().ScalarMultiply(
          ToCpp(d->verification_shares[i].point), lambdas[i]);
      y = Curve().Add(y, term);
    }
    ExpectSamePoint(d->commitments[0], y);
    std::vector<IndexedPoint> vs(d->verification_shares.begin(),
                                 d->verification_shares.begin() + t);
    StatusOr<Point> ours = InterpolatePointsAtZero(vs, t);
    ASSERT_TRUE(ours.ok());
    ExpectSamePoint(*ours, y);
  }
}

}  // namespace
}  // namespace conclave
