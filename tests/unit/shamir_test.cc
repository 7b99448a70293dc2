// Unit tests for shares/shamir: known answers for Lagrange coefficients and
// Feldman evaluation, and one negative test per pitfall of brief §4.
#include "shares/shamir.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "crypto/openssl_util.h"
#include "crypto/p256.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;

// The P-256 group order n (SEC 2 §2.4.2).
constexpr std::string_view kOrderHex =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

Scalar S(uint64_t v) { return Scalar::FromUint64(v); }

std::string PublicHex(const Scalar& s) { return HexEncode(s.ToPublicBytes()); }

void ExpectInvalid(const Status& status, std::string_view needle) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find(needle), std::string::npos)
      << "message \"" << status.message() << "\" lacks \"" << needle << "\"";
}

std::vector<Share> PickShares(const Dealing& d,
                              std::initializer_list<size_t> positions) {
  std::vector<Share> out;
  for (size_t p : positions) out.push_back(d.shares[p]);
  return out;
}

// ---- Known answers ----

TEST(LagrangeTest, KnownAnswerOneTwoThree) {
  // For {1, 2, 3}: λ = (3, −3, 1) mod n.
  const std::vector<uint32_t> indices = {1, 2, 3};
  StatusOr<std::vector<Scalar>> l = LagrangeCoefficientsAtZero(indices);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ(PublicHex((*l)[0]),
            "0000000000000000000000000000000000000000000000000000000000000003");
  EXPECT_EQ(PublicHex((*l)[1]),
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254e");
  EXPECT_EQ(PublicHex((*l)[2]),
            "0000000000000000000000000000000000000000000000000000000000000001");
}

TEST(LagrangeTest, KnownAnswerTwoFive) {
  // For {2, 5}: λ_2 = 5/3, λ_5 = −2/3 mod n. Checked through their defining
  // products, and byte for byte: 3^{-1} mod n = (2n + 1)/3.
  const std::vector<uint32_t> indices = {2, 5};
  StatusOr<std::vector<Scalar>> l = LagrangeCoefficientsAtZero(indices);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(((*l)[0] * S(3)).Equals(S(5)));
  EXPECT_TRUE(((*l)[1] * S(3)).Equals(-S(2)));
  EXPECT_TRUE(((*l)[0] + (*l)[1]).Equals(S(1)));  // Σ λ_i = 1 always
  Scalar third = S(3).Inverse().value();
  EXPECT_EQ(PublicHex(third),
            "aaaaaaaa00000000aaaaaaaaaaaaaaaa7def51c91a0fbf034d26872ca84218e1");
  EXPECT_TRUE((*l)[0].Equals(S(5) * third));
}

TEST(LagrangeTest, SingleIndexIsOne) {
  const std::vector<uint32_t> indices = {42};
  StatusOr<std::vector<Scalar>> l = LagrangeCoefficientsAtZero(indices);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE((*l)[0].Equals(S(1)));
}

TEST(LagrangeTest, LargeIndices) {
  // Organisation ids are permanent and may grow; the largest uint32_t works.
  const std::vector<uint32_t> indices = {0xffffffffu, 1, 0x80000000u};
  StatusOr<std::vector<Scalar>> l = LagrangeCoefficientsAtZero(indices);
  ASSERT_TRUE(l.ok());
  Scalar sum = (*l)[0] + (*l)[1] + (*l)[2];
  EXPECT_TRUE(sum.Equals(S(1)));
}

TEST(InterpolateTest, KnownPolynomial) {
  // f(x) = 7 + 3x + 2x²: f(1) = 12, f(2) = 21, f(3) = 34, f(4) = 51.
  const std::vector<Share> shares = {{1, S(12)}, {2, S(21)}, {3, S(34)}};
  StatusOr<Scalar> s = InterpolateScalarsAtZero(shares, 3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->Equals(S(7)));
  // Any other three points of the same polynomial, in any order.
  const std::vector<Share> other = {{4, S(51)}, {2, S(21)}, {1, S(12)}};
  EXPECT_TRUE(InterpolateScalarsAtZero(other, 3)->Equals(S(7)));
  // More shares than t lie on the same polynomial.
  const std::vector<Share> four = {
      {1, S(12)}, {2, S(21)}, {3, S(34)}, {4, S(51)}};
  EXPECT_TRUE(InterpolateScalarsAtZero(four, 3)->Equals(S(7)));
}

TEST(InterpolateTest, KnownPolynomialInTheExponent) {
  const Point g = Point::Generator();
  const std::vector<IndexedPoint> points = {{1, Point::BaseMul(S(12))},
                                            {2, Point::BaseMul(S(21))},
                                            {3, Point::BaseMul(S(34))}};
  StatusOr<Point> y = InterpolatePointsAtZero(points, 3);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(*y == Point::BaseMul(S(7)));
  EXPECT_FALSE(*y == g);
}

TEST(FeldmanTest, KnownCommitments) {
  // C = (7G, 3G, 2G) commits to f(x) = 7 + 3x + 2x².
  const std::vector<Point> c = {Point::BaseMul(S(7)), Point::BaseMul(S(3)),
                                Point::BaseMul(S(2))};
  StatusOr<Point> y2 = EvaluateCommitments(c, 2);
  ASSERT_TRUE(y2.ok());
  EXPECT_TRUE(*y2 == Point::BaseMul(S(21)));
  EXPECT_TRUE(VerifyShare(c, 3, Share{2, S(21)}).ok());
  EXPECT_TRUE(VerifyShare(c, 3, Share{4, S(51)}).ok());
  ExpectInvalid(VerifyShare(c, 3, Share{2, S(22)}), "participant 2");
  EXPECT_TRUE(VerifyVerificationShare(c, 3, {3, Point::BaseMul(S(34))}).ok());
}

// ---- Dealing ----

TEST(DealTest, DealVerifyRecover) {
  const Scalar secret = Scalar::Random();
  const std::vector<uint32_t> indices = {1, 2, 3, 4, 5};
  StatusOr<Dealing> d = DealShares(secret, 3, indices);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->threshold, 3u);
  ASSERT_EQ(d->commitments.size(), 3u);
  ASSERT_EQ(d->shares.size(), 5u);
  ASSERT_EQ(d->verification_shares.size(), 5u);
  EXPECT_TRUE(d->commitments[0] == Point::BaseMul(secret));
  EXPECT_TRUE(ValidateCommitments(d->commitments, 3).ok());
  EXPECT_TRUE(VerifyShares(d->commitments, 3, d->shares).ok());
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(d->shares[i].index, indices[i]);
    EXPECT_EQ(d->verification_shares[i].index, indices[i]);
    EXPECT_TRUE(d->verification_shares[i].point ==
                Point::BaseMul(d->shares[i].value));
    StatusOr<Point> pub = EvaluateCommitments(d->commitments, indices[i]);
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(*pub == d->verification_shares[i].point);
    EXPECT_TRUE(
        VerifyVerificationShare(d->commitments, 3, d->verification_shares[i])
            .ok());
  }
  StatusOr<Scalar> rec = InterpolateScalarsAtZero(PickShares(*d, {4, 0, 2}), 3);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(rec->Equals(secret));
  StatusOr<Point> y = InterpolatePointsAtZero(d->verification_shares, 3);
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(*y == d->commitments[0]);
}

TEST(DealTest, ThresholdOneGivesEveryoneTheSecret) {
  const Scalar secret = Scalar::Random();
  const std::vector<uint32_t> indices = {7, 9};
  StatusOr<Dealing> d = DealShares(secret, 1, indices);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->commitments.size(), 1u);
  for (const Share& s : d->shares) EXPECT_TRUE(s.value.Equals(secret));
}

TEST(DealTest, NonContiguousIndices) {
  const Scalar secret = Scalar::Random();
  const std::vector<uint32_t> indices = {3, 17, 1000, 0xfffffffeu};
  StatusOr<Dealing> d = DealShares(secret, 2, indices);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(VerifyShares(d->commitments, 2, d->shares).ok());
  EXPECT_TRUE(
      InterpolateScalarsAtZero(PickShares(*d, {3, 1}), 2)->Equals(secret));
}

TEST(DealTest, EncodeDecodeRoundTrip) {
  const Scalar secret = Scalar::Random();
  const std::vector<uint32_t> indices = {1, 2, 3};
  StatusOr<Dealing> d = DealShares(secret, 2, indices);
  ASSERT_TRUE(d.ok());
  std::vector<Bytes> enc;
  for (const Point& c : d->commitments) {
    CompressedPoint e = c.EncodeCompressed();
    enc.emplace_back(e.begin(), e.end());
  }
  StatusOr<std::vector<Point>> c = DecodeCommitments(enc, 2);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  SecretBytes y = d->shares[1].value.ToBytes();
  StatusOr<Share> share = DecodeShare(2, y.span());
  ASSERT_TRUE(share.ok());
  EXPECT_TRUE(VerifyShare(*c, 2, *share).ok());
}

// ---- Pitfalls (brief §4), one negative test each ----

TEST(PitfallTest, IndexZeroRefused) {
  const std::vector<uint32_t> with_zero = {1, 0, 2};
  ExpectInvalid(DealShares(Scalar::Random(), 2, with_zero).status(), "index 0");
  ExpectInvalid(LagrangeCoefficientsAtZero(with_zero).status(), "index 0");
  ExpectInvalid(ValidateIndices(with_zero), "zero mod n");
  const std::vector<Share> shares = {{0, S(5)}, {1, S(6)}};
  ExpectInvalid(InterpolateScalarsAtZero(shares).status(), "index 0");
  ExpectInvalid(DecodeShare(0, Hex(std::string(64, '1'))).status(), "index 0");
  const std::vector<Point> c = {Point::BaseMul(S(1))};
  ExpectInvalid(EvaluateCommitments(c, 0).status(), "index 0");
  // A share at x = 0 would be the secret itself.
  ExpectInvalid(VerifyShare(c, 1, Share{0, S(1)}), "index 0");
}

TEST(PitfallTest, DuplicateIndexRefused) {
  const std::vector<uint32_t> dup = {1, 2, 1};
  ExpectInvalid(DealShares(Scalar::Random(), 2, dup).status(),
                "duplicate participant index 1");
  ExpectInvalid(LagrangeCoefficientsAtZero(dup).status(), "duplicate");
  // Two copies of one share would otherwise pass a count check for t = 2.
  const std::vector<Share> shares = {{3, S(5)}, {3, S(5)}};
  ExpectInvalid(InterpolateScalarsAtZero(shares, 2).status(),
                "duplicate participant index 3");
  const std::vector<IndexedPoint> points = {{4, Point::Generator()},
                                            {4, Point::Generator()}};
  ExpectInvalid(InterpolatePointsAtZero(points, 2).status(), "duplicate");
}

TEST(PitfallTest, FewerIndicesThanThresholdRefused) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 3, std::vector<uint32_t>{1, 2, 3, 4});
  ASSERT_TRUE(d.ok());
  ExpectInvalid(InterpolateScalarsAtZero(PickShares(*d, {0, 1}), 3).status(),
                "too few shares: 2 given, threshold 3");
  std::vector<IndexedPoint> two(d->verification_shares.begin(),
                                d->verification_shares.begin() + 2);
  ExpectInvalid(InterpolatePointsAtZero(two, 3).status(), "too few points");
}

TEST(PitfallTest, CommitmentVectorLongerThanThresholdRefused) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 2, std::vector<uint32_t>{1, 2, 3});
  ASSERT_TRUE(d.ok());
  // A dealer who appends a commitment silently raises the degree: shares of
  // a degree-2 polynomial need 3 holders, not 2.
  std::vector<Point> longer = d->commitments;
  longer.push_back(Point::BaseMul(Scalar::Random()));
  ExpectInvalid(ValidateCommitments(longer, 2), "too many commitments");
  ExpectInvalid(VerifyShare(longer, 2, d->shares[0]), "too many commitments");
  ExpectInvalid(VerifyShares(longer, 2, d->shares), "too many commitments");
  std::vector<Bytes> enc;
  for (const Point& c : longer) {
    CompressedPoint e = c.EncodeCompressed();
    enc.emplace_back(e.begin(), e.end());
  }
  ExpectInvalid(DecodeCommitments(enc, 2).status(), "too many commitments");
}

TEST(PitfallTest, CommitmentVectorShorterThanThresholdRefused) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 3, std::vector<uint32_t>{1, 2, 3});
  ASSERT_TRUE(d.ok());
  std::vector<Point> shorter(d->commitments.begin(),
                             d->commitments.begin() + 2);
  ExpectInvalid(ValidateCommitments(shorter, 3), "too few commitments");
  ExpectInvalid(VerifyShare(shorter, 3, d->shares[0]), "too few commitments");
  ExpectInvalid(ValidateCommitments({}, 1), "too few commitments");
}

TEST(PitfallTest, TamperedShareFailsFeldmanAndIsNamed) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 3, std::vector<uint32_t>{1, 2, 3, 4, 5});
  ASSERT_TRUE(d.ok());
  std::vector<Share> shares = d->shares;
  shares[2].value = shares[2].value + S(1);  // participant 3
  const Status one = VerifyShare(d->commitments, 3, shares[2]);
  ExpectInvalid(one, "share of participant 3 fails Feldman verification");
  const Status all = VerifyShares(d->commitments, 3, shares);
  ExpectInvalid(all, "participant 3 fails");
  // The error carries no share bytes, neither the bad nor the good value.
  EXPECT_EQ(all.message().find(PublicHex(shares[2].value)), std::string::npos);
  EXPECT_EQ(all.message().find(PublicHex(d->shares[2].value)),
            std::string::npos);
  // Two bad shares are both named.
  shares[4].value = -shares[4].value;
  ExpectInvalid(VerifyShares(d->commitments, 3, shares),
                "shares of participants 3, 5 fail");
  // The honest ones still verify.
  EXPECT_TRUE(VerifyShare(d->commitments, 3, shares[0]).ok());
  // A share that moved to another index fails too.
  ExpectInvalid(VerifyShare(d->commitments, 3, Share{2, d->shares[0].value}),
                "participant 2");
}

TEST(PitfallTest, TamperedCommitmentFailsEveryShare) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 2, std::vector<uint32_t>{1, 2, 3});
  ASSERT_TRUE(d.ok());
  std::vector<Point> c = d->commitments;
  c[1] = c[1] + Point::Generator();
  ExpectInvalid(VerifyShares(c, 2, d->shares),
                "shares of participants 1, 2, 3 fail Feldman verification");
  ExpectInvalid(VerifyVerificationShare(c, 2, d->verification_shares[0]),
                "participant 1 does not match");
  // The constant term too.
  c = d->commitments;
  c[0] = -c[0];
  ExpectInvalid(VerifyShare(c, 2, d->shares[1]), "participant 2");
}

TEST(PitfallTest, InfinityAndHybridCommitmentsRefused) {
  StatusOr<Dealing> d =
      DealShares(Scalar::Random(), 2, std::vector<uint32_t>{1, 2});
  ASSERT_TRUE(d.ok());
  std::vector<Point> c = d->commitments;
  c[1] = Point::Infinity();
  ExpectInvalid(ValidateCommitments(c, 2), "C_1 is the point at infinity");
  ExpectInvalid(VerifyShare(c, 2, d->shares[0]), "C_1");
  c = d->commitments;
  c[0] = Point::Infinity();
  ExpectInvalid(ValidateCommitments(c, 2), "C_0 is the point at infinity");

  // Encodings: 0x00 (infinity) and the hybrid 0x06/0x07 form are refused by
  // the strict decoder, and the error names the position.
  UncompressedPoint u = d->commitments[1].EncodeUncompressed();
  Bytes hybrid(u.begin(), u.end());
  hybrid[0] = (u[64] & 1) ? 0x07 : 0x06;
  CompressedPoint c0 = d->commitments[0].EncodeCompressed();
  std::vector<Bytes> enc = {Bytes(c0.begin(), c0.end()), hybrid};
  ExpectInvalid(DecodeCommitments(enc, 2).status(), "commitment C_1");
  enc[1] = Bytes{0x00};
  ExpectInvalid(DecodeCommitments(enc, 2).status(), "commitment C_1");
  // An x off the curve is refused.
  Bytes off(33, 0);
  off[0] = 0x02;
  off[32] = 0x01;  // x = 1: x³ − 3x + b is not a square mod p
  enc[1] = off;
  ExpectInvalid(DecodeCommitments(enc, 2).status(), "commitment C_1");
  off[32] = 0x05;  // x = 5 is on the curve: accepted
  enc[1] = off;
  EXPECT_TRUE(DecodeCommitments(enc, 2).ok());
}

TEST(PitfallTest, NonCanonicalScalarRefused) {
  // n itself, n + 1 and 2^256 − 1 are not reduced.
  ExpectInvalid(DecodeShare(1, Hex(kOrderHex)).status(),
                "share of participant 1");
  ExpectInvalid(DecodeShare(1, Hex(std::string(64, 'f'))).status(), ">= n");
  Bytes n_plus_1 = Hex(kOrderHex);
  n_plus_1[31] += 1;
  ExpectInvalid(DecodeShare(1, n_plus_1).status(), "not reduced");
  // Wrong length.
  ExpectInvalid(DecodeShare(1, Bytes(31, 1)).status(), "32 bytes");
  // n − 1 is the largest accepted.
  Bytes n_minus_1 = Hex(kOrderHex);
  n_minus_1[31] -= 1;
  StatusOr<Share> ok = DecodeShare(1, n_minus_1);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->value.Equals(-S(1)));
}

TEST(PitfallTest, ThresholdAboveParticipantsRefused) {
  ExpectInvalid(
      DealShares(Scalar::Random(), 4, std::vector<uint32_t>{1, 2, 3}).status(),
      "threshold 4 exceeds the 3 participants");
  ExpectInvalid(ValidateThreshold(2, 1), "exceeds");
}

TEST(PitfallTest, ThresholdZeroRefused) {
  ExpectInvalid(
      DealShares(Scalar::Random(), 0, std::vector<uint32_t>{1, 2}).status(),
      "threshold must be at least 1");
  ExpectInvalid(ValidateCommitments({}, 0), "at least 1");
  const std::vector<Share> shares = {{1, S(1)}};
  ExpectInvalid(InterpolateScalarsAtZero(shares, 0).status(), "at least 1");
  ExpectInvalid(
      DealShares(Scalar::Random(), 1, std::vector<uint32_t>{}).status(),
      "exceeds the 0 participants");
}

TEST(PitfallTest, InfinityInterpolationInputRefused) {
  const std::vector<IndexedPoint> points = {{1, Point::Generator()},
                                            {2, Point::Infinity()}};
  ExpectInvalid(InterpolatePointsAtZero(points).status(),
                "participant 2 is the point at infinity");
}

// Lagrange coefficients computed mod the field prime p (a classic slip: the
// curve's "modulus" is p) do not recover the secret; mod n they do. The
// coefficients are computed here with BIGNUM directly, independently of the
// library, for indices whose coefficients are all fractions.
class LagrangeModulusTest : public ::testing::Test {
 protected:
  using Bn = OpenSslPtr<BIGNUM, BN_free>;

  static Bn NewBn() { return Bn(BN_new()); }

  // λ_i = Π x_j · (Π (x_j − x_i))^{-1} mod m.
  static std::vector<Scalar> CoefficientsMod(const BIGNUM* m,
                                             const std::vector<uint32_t>& xs) {
    BnCtxPtr ctx(BN_CTX_new());
    std::vector<Scalar> out;
    for (size_t i = 0; i < xs.size(); ++i) {
      Bn num = NewBn(), den = NewBn(), t = NewBn(), inv = NewBn(),
         lambda = NewBn();
      BN_one(num.get());
      BN_one(den.get());
      for (size_t j = 0; j < xs.size(); ++j) {
        if (j == i) continue;
        EXPECT_TRUE(BN_set_word(t.get(), xs[j]));
        EXPECT_TRUE(BN_mod_mul(num.get(), num.get(), t.get(), m, ctx.get()));
        Bn xi = NewBn();
        EXPECT_TRUE(BN_set_word(xi.get(), xs[i]));
        EXPECT_TRUE(BN_mod_sub(t.get(), t.get(), xi.get(), m, ctx.get()));
        EXPECT_TRUE(BN_mod_mul(den.get(), den.get(), t.get(), m, ctx.get()));
      }
      EXPECT_NE(BN_mod_inverse(inv.get(), den.get(), m, ctx.get()), nullptr);
      EXPECT_TRUE(BN_mod_mul(lambda.get(), num.get(), inv.get(), m, ctx.get()));
      uint8_t be[32];
      EXPECT_EQ(BN_bn2binpad(lambda.get(), be, 32), 32);
      // What a buggy caller would then feed to the scalar arithmetic (or to
      // EC_POINT_mul, which reduces mod n): the value mod n.
      out.push_back(Scalar::FromBytesModOrder(ByteSpan(be, 32)));
    }
    return out;
  }
};

TEST_F(LagrangeModulusTest, ModPDoesNotRecoverTheSecretModNDoes) {
  BnCtxPtr ctx(BN_CTX_new());
  Bn p = NewBn();
  ASSERT_TRUE(
      EC_GROUP_get_curve(P256Group(), p.get(), nullptr, nullptr, ctx.get()));
  const BIGNUM* n = EC_GROUP_get0_order(P256Group());
  ASSERT_NE(BN_cmp(p.get(), n), 0);

  // λ = (20/9, −16/9, 5/9): none is an integer, so mod p and mod n differ.
  const std::vector<uint32_t> indices = {2, 5, 8};
  const Scalar secret = Scalar::Random();
  StatusOr<Dealing> d = DealShares(secret, 3, indices);
  ASSERT_TRUE(d.ok());

  const std::vector<Scalar> mod_p = CoefficientsMod(p.get(), indices);
  const std::vector<Scalar> mod_n = CoefficientsMod(n, indices);
  StatusOr<std::vector<Scalar>> ours = LagrangeCoefficientsAtZero(indices);
  ASSERT_TRUE(ours.ok());

  Scalar with_p, with_n;
  Point in_exp_p = Point::Infinity(), in_exp_n = Point::Infinity();
  for (size_t i = 0; i < indices.size(); ++i) {
    // The library agrees with the independent mod-n computation, byte for
    // byte, and not with the mod-p one.
    EXPECT_EQ(PublicHex((*ours)[i]), PublicHex(mod_n[i]));
    EXPECT_NE(PublicHex((*ours)[i]), PublicHex(mod_p[i]));
    with_p = with_p + mod_p[i] * d->shares[i].value;
    with_n = with_n + mod_n[i] * d->shares[i].value;
    in_exp_p = in_exp_p + d->verification_shares[i].point.Mul(mod_p[i]);
    in_exp_n = in_exp_n + d->verification_shares[i].point.Mul(mod_n[i]);
  }
  EXPECT_TRUE(with_n.Equals(secret));
  EXPECT_FALSE(with_p.Equals(secret));
  EXPECT_TRUE(in_exp_n == d->commitments[0]);
  EXPECT_FALSE(in_exp_p == d->commitments[0]);
}

// ---- Zero-refresh dealings (brief §9) ----

TEST(RefreshTest, ZeroConstantTerm) {
  StatusOr<Dealing> d = DealShares(Scalar(), 2, std::vector<uint32_t>{1, 2, 3});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->commitments[0].IsInfinity());
  // Ordinary verification refuses a zero constant term ...
  ExpectInvalid(VerifyShares(d->commitments, 2, d->shares),
                "C_0 is the point at infinity");
  // ... a refresh receiver requires it.
  EXPECT_TRUE(
      VerifyShares(d->commitments, 2, d->shares, ConstantTerm::kZero).ok());
  EXPECT_TRUE(InterpolateScalarsAtZero(d->shares, 2)->IsZero());
  StatusOr<Dealing> nonzero =
      DealShares(Scalar::Random(), 2, std::vector<uint32_t>{1, 2});
  ASSERT_TRUE(nonzero.ok());
  ExpectInvalid(VerifyShares(nonzero->commitments, 2, nonzero->shares,
                             ConstantTerm::kZero),
                "zero-refresh dealing is not infinity");
}

// ---- Two-level interpolation ----

struct TwoLevel {
  Scalar x;
  std::vector<NestedShare> shares;  // all editors' shares
  std::vector<NestedPoint> points;  // their verification shares
};

// x shared 2-of-3 among organisations 1, 2, 4; org 1 splits 2-of-2, org 2
// 1-of-1, org 4 2-of-3.
TwoLevel MakeTwoLevel() {
  TwoLevel tl;
  tl.x = Scalar::Random();
  const std::vector<uint32_t> orgs = {1, 2, 4};
  const std::map<uint32_t, std::pair<uint32_t, uint32_t>> kn = {
      {1, {2, 2}}, {2, {1, 1}}, {4, {2, 3}}};
  StatusOr<Dealing> top = DealShares(tl.x, 2, orgs);
  EXPECT_TRUE(top.ok());
  for (const Share& org_share : top->shares) {
    auto [k, n] = kn.at(org_share.index);
    std::vector<uint32_t> editors;
    for (uint32_t j = 1; j <= n; ++j) editors.push_back(j);
    StatusOr<Dealing> inner = DealShares(org_share.value, k, editors);
    EXPECT_TRUE(inner.ok());
    for (size_t j = 0; j < editors.size(); ++j) {
      tl.shares.push_back(
          {org_share.index, editors[j], inner->shares[j].value});
      tl.points.push_back(
          {org_share.index, editors[j], inner->verification_shares[j].point});
    }
  }
  return tl;
}

const OrgThresholds kThresholds = {{1, 2}, {2, 1}, {4, 2}};

std::vector<NestedShare> PickNested(
    const TwoLevel& tl, std::vector<std::pair<uint32_t, uint32_t>> which) {
  std::vector<NestedShare> out;
  for (auto [o, j] : which) {
    for (const NestedShare& s : tl.shares) {
      if (s.org_id == o && s.editor_index == j) out.push_back(s);
    }
  }
  return out;
}

TEST(NestedTest, CoefficientsAreProducts) {
  const NestedSelection sel = {{1, {2, 1}}, {4, {3, 1}}};
  StatusOr<std::vector<NestedCoefficient>> c =
      NestedLagrangeCoefficientsAtZero(sel, 2, kThresholds);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->size(), 4u);
  // λ over {1, 4}: λ_1 = 4/3, λ_4 = −1/3. μ over editors {2, 1}: (−1, 2);
  // over {3, 1}: (−1/2, 3/2).
  const Scalar third = S(3).Inverse().value();
  const Scalar half = S(2).Inverse().value();
  const Scalar l1 = S(4) * third, l4 = -third;
  EXPECT_EQ((*c)[0].org_id, 1u);
  EXPECT_EQ((*c)[0].editor_index, 2u);
  EXPECT_TRUE((*c)[0].coefficient.Equals(l1 * -S(1)));
  EXPECT_EQ((*c)[1].editor_index, 1u);
  EXPECT_TRUE((*c)[1].coefficient.Equals(l1 * S(2)));
  EXPECT_EQ((*c)[2].org_id, 4u);
  EXPECT_EQ((*c)[2].editor_index, 3u);
  EXPECT_TRUE((*c)[2].coefficient.Equals(l4 * -half));
  EXPECT_TRUE((*c)[3].coefficient.Equals(l4 * S(3) * half));
}

TEST(NestedTest, RecoversSecretAndPublicKey) {
  TwoLevel tl = MakeTwoLevel();
  std::vector<NestedShare> pick = PickNested(tl, {{4, 3}, {2, 1}, {4, 1}});
  StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(pick, 2, kThresholds);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_TRUE(x->Equals(tl.x));
  std::vector<NestedPoint> pts;
  for (const NestedShare& s : pick) {
    pts.push_back({s.org_id, s.editor_index, Point::BaseMul(s.value)});
  }
  StatusOr<Point> y = NestedInterpolatePointsAtZero(pts, 2, kThresholds);
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(*y == Point::BaseMul(tl.x));
}

TEST(NestedTest, ValidatingVersionRefuses) {
  TwoLevel tl = MakeTwoLevel();
  // Too few organisations.
  ExpectInvalid(NestedInterpolateScalarsAtZero(PickNested(tl, {{1, 1}, {1, 2}}),
                                               2, kThresholds)
                    .status(),
                "too few organisations: 1 chosen, threshold 2");
  // Too many organisations.
  ExpectInvalid(NestedInterpolateScalarsAtZero(
                    PickNested(tl, {{1, 1}, {1, 2}, {2, 1}, {4, 1}, {4, 2}}), 2,
                    kThresholds)
                    .status(),
                "too many organisations: 3 chosen");
  // Too few editors within an organisation.
  ExpectInvalid(NestedInterpolateScalarsAtZero(
                    PickNested(tl, {{1, 1}, {4, 1}, {4, 2}}), 2, kThresholds)
                    .status(),
                "too few editors of organisation 1: 1 chosen, threshold 2");
  // Too many editors.
  ExpectInvalid(
      NestedInterpolateScalarsAtZero(
          PickNested(tl, {{2, 1}, {4, 1}, {4, 2}, {4, 3}}), 2, kThresholds)
          .status(),
      "too many editors of organisation 4");
  // Duplicate (organisation, editor).
  ExpectInvalid(NestedInterpolateScalarsAtZero(
                    PickNested(tl, {{2, 1}, {4, 1}, {4, 1}}), 2, kThresholds)
                    .status(),
                "editors of organisation 4: duplicate participant index 1");
  // Unknown organisation.
  std::vector<NestedShare> unknown = PickNested(tl, {{2, 1}});
  unknown.push_back({9, 1, Scalar::Random()});
  ExpectInvalid(
      NestedInterpolateScalarsAtZero(unknown, 2, kThresholds).status(),
      "organisation 9 has no editor threshold");
  // Organisation id 0 and editor index 0.
  std::vector<NestedShare> zero_org = PickNested(tl, {{2, 1}});
  zero_org.push_back({0, 1, Scalar::Random()});
  ExpectInvalid(NestedInterpolateScalarsAtZero(zero_org).status(),
                "organisation ids: participant index 0");
  std::vector<NestedShare> zero_editor = PickNested(tl, {{2, 1}});
  zero_editor.push_back({4, 0, Scalar::Random()});
  ExpectInvalid(NestedInterpolateScalarsAtZero(zero_editor).status(),
                "editors of organisation 4: participant index 0");
  // Empty selections.
  ExpectInvalid(NestedLagrangeCoefficientsAtZero(NestedSelection{}).status(),
                "no organisations");
  ExpectInvalid(
      NestedLagrangeCoefficientsAtZero(NestedSelection{{1, {}}}).status(),
      "no participant indices");
  // Threshold 0.
  ExpectInvalid(NestedLagrangeCoefficientsAtZero(NestedSelection{{2, {1}}}, 0,
                                                 kThresholds)
                    .status(),
                "at least 1");
  // Infinity as an input point.
  std::vector<NestedPoint> pts = {{2, 1, Point::Generator()},
                                  {4, 1, Point::Infinity()},
                                  {4, 2, Point::Generator()}};
  ExpectInvalid(NestedInterpolatePointsAtZero(pts, 2, kThresholds).status(),
                "organisation 4 editor 1 is the point at infinity");
}

}  // namespace
}  // namespace conclave
