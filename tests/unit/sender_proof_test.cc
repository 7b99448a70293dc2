// The sender proof of brief §2: round trips, every tampering, related points
// (the attack the proof exists to stop) and a pinned known answer.
#include "crypto/sender_proof.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;

constexpr char kOrderHex[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

void ExpectCode(const Status& s, StatusCode code) {
  EXPECT_EQ(s.code(), code) << s.ToString();
}

class SenderProofTest : public ::testing::Test {
 protected:
  SenderProofTest()
      : r_(Scalar::Random()),
        enc_point_(Point::BaseMul(r_)),
        y_(Point::BaseMul(Scalar::Random())) {
    const auto e = enc_point_.EncodeUncompressed();
    enc_.assign(e.begin(), e.end());
    tag_ = Hex("a1b2c3d4");
    body_ = Bytes(32, 0x5c);
    orgs_ = {2, 5};
  }

  SenderProof Prove(SenderProofKind kind = SenderProofKind::kSender) {
    StatusOr<SenderProof> p =
        ProveSender(kind, r_, enc_, y_, tag_, body_, orgs_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : SenderProof{};
  }
  Status Verify(ByteSpan proof,
                SenderProofKind kind = SenderProofKind::kSender) {
    return VerifySenderProof(kind, enc_, y_, tag_, body_, orgs_, proof);
  }
  Status VerifyWithOrgs(ByteSpan proof, std::vector<uint32_t> orgs) {
    return VerifySenderProof(SenderProofKind::kSender, enc_, y_, tag_, body_,
                             orgs, proof);
  }

  Scalar r_;
  Point enc_point_;
  Point y_;
  Bytes enc_, tag_, body_;
  std::vector<uint32_t> orgs_;
};

TEST_F(SenderProofTest, RoundTrip) {
  const SenderProof p = Prove();
  EXPECT_TRUE(Verify(p).ok());
  // Fresh randomness each time: two proofs differ, both verify.
  const SenderProof p2 = Prove();
  EXPECT_NE(p, p2);
  EXPECT_TRUE(Verify(p2).ok());
  // No exclusions, and the largest id.
  for (std::vector<uint32_t> orgs :
       {std::vector<uint32_t>{}, std::vector<uint32_t>{1, 0xffffffffu}}) {
    StatusOr<SenderProof> q =
        ProveSender(SenderProofKind::kSender, r_, enc_, y_, tag_, body_, orgs);
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(VerifyWithOrgs(*q, orgs).ok());
  }
}

TEST_F(SenderProofTest, DrillRoundTripAndSeparation) {
  const SenderProof drill = Prove(SenderProofKind::kDrill);
  const SenderProof sender = Prove(SenderProofKind::kSender);
  EXPECT_TRUE(Verify(drill, SenderProofKind::kDrill).ok());
  ExpectCode(Verify(drill, SenderProofKind::kSender),
             StatusCode::kUnauthenticated);
  ExpectCode(Verify(sender, SenderProofKind::kDrill),
             StatusCode::kUnauthenticated);
}

TEST_F(SenderProofTest, TamperedProof) {
  const SenderProof p = Prove();
  for (size_t byte : {size_t{31}, size_t{20}, size_t{63}, size_t{50}}) {
    SenderProof q = p;
    q[byte] ^= 0x01;
    ExpectCode(Verify(q), StatusCode::kUnauthenticated);
  }
  const Bytes n = Hex(kOrderHex);
  // z >= n, c >= n: non-canonical scalars are malformed.
  ExpectCode(Verify(Concat({ByteSpan(p).subspan(0, 32), n})),
             StatusCode::kInvalidArgument);
  ExpectCode(Verify(Concat({n, ByteSpan(p).subspan(32)})),
             StatusCode::kInvalidArgument);
  ExpectCode(Verify(Bytes(64, 0xff)), StatusCode::kInvalidArgument);
  // Wrong sizes.
  ExpectCode(Verify(ByteSpan(p).subspan(0, 63)), StatusCode::kInvalidArgument);
  ExpectCode(Verify(Concat({p, Bytes{0}})), StatusCode::kInvalidArgument);
  ExpectCode(Verify(Bytes(64, 0)), StatusCode::kUnauthenticated);
}

TEST_F(SenderProofTest, InfinityCommitmentRejected) {
  // c = 1, z = r makes A' = r·G − enc = infinity: refused, never hashed.
  const auto c = Scalar::FromUint64(1).ToPublicBytes();
  const auto z = r_.ToPublicBytes();  // test only: r is a test value
  ExpectCode(Verify(Concat({c, z})), StatusCode::kUnauthenticated);
}

TEST_F(SenderProofTest, OtherStatementFails) {
  const SenderProof p = Prove();
  // Another enc.
  const auto other_enc = Point::BaseMul(Scalar::Random()).EncodeUncompressed();
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, other_enc, y_, tag_,
                               body_, orgs_, p),
             StatusCode::kUnauthenticated);
  // Another consortium key.
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, enc_,
                               y_ + Point::Generator(), tag_, body_, orgs_, p),
             StatusCode::kUnauthenticated);
  // Another tag, another body.
  Bytes tag = tag_;
  tag[3] ^= 0x80;
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, enc_, y_, tag, body_,
                               orgs_, p),
             StatusCode::kUnauthenticated);
  Bytes body = body_;
  body[0] ^= 0x01;
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, enc_, y_, tag_, body,
                               orgs_, p),
             StatusCode::kUnauthenticated);
  // Wrong tag/body sizes are malformed.
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, enc_, y_,
                               ByteSpan(tag_).first(3), body_, orgs_, p),
             StatusCode::kInvalidArgument);
  ExpectCode(VerifySenderProof(SenderProofKind::kSender, enc_, y_, tag_,
                               Concat({body_, Bytes{0}}), orgs_, p),
             StatusCode::kInvalidArgument);
}

TEST_F(SenderProofTest, ExclusionsAreBound) {
  const SenderProof p = Prove();  // orgs {2, 5}
  ExpectCode(VerifyWithOrgs(p, {2, 6}), StatusCode::kUnauthenticated);
  ExpectCode(VerifyWithOrgs(p, {2, 5, 7}), StatusCode::kUnauthenticated);
  ExpectCode(VerifyWithOrgs(p, {1, 2, 5}), StatusCode::kUnauthenticated);
  ExpectCode(VerifyWithOrgs(p, {2}), StatusCode::kUnauthenticated);
  ExpectCode(VerifyWithOrgs(p, {5}), StatusCode::kUnauthenticated);
  ExpectCode(VerifyWithOrgs(p, {}), StatusCode::kUnauthenticated);
  // Malformed lists: reordered, duplicated, zero.
  ExpectCode(VerifyWithOrgs(p, {5, 2}), StatusCode::kInvalidArgument);
  ExpectCode(VerifyWithOrgs(p, {2, 2, 5}), StatusCode::kInvalidArgument);
  ExpectCode(VerifyWithOrgs(p, {2, 5, 5}), StatusCode::kInvalidArgument);
  ExpectCode(VerifyWithOrgs(p, {0, 2, 5}), StatusCode::kInvalidArgument);
  // The prover refuses the same lists.
  for (std::vector<uint32_t> bad :
       {std::vector<uint32_t>{5, 2}, std::vector<uint32_t>{2, 2},
        std::vector<uint32_t>{0}}) {
    ExpectCode(
        ProveSender(SenderProofKind::kSender, r_, enc_, y_, tag_, body_, bad)
            .status(),
        StatusCode::kInvalidArgument);
  }
}

TEST_F(SenderProofTest, StrictEncDecoding) {
  const SenderProof p = Prove();
  const auto verify_enc = [&](ByteSpan enc) {
    return VerifySenderProof(SenderProofKind::kSender, enc, y_, tag_, body_,
                             orgs_, p);
  };
  // Compressed encoding of the same point.
  const auto compressed = enc_point_.EncodeCompressed();
  ExpectCode(verify_enc(compressed), StatusCode::kInvalidArgument);
  // Hybrid 0x06/0x07 with the right parity (what oct2point alone accepts).
  Bytes hybrid = enc_;
  hybrid[0] = static_cast<uint8_t>(0x06 | (enc_[64] & 1));
  ExpectCode(verify_enc(hybrid), StatusCode::kInvalidArgument);
  // Infinity, as SEC1's single 0x00 and as a zero-padded form.
  ExpectCode(verify_enc(Bytes{0x00}), StatusCode::kInvalidArgument);
  Bytes zeros(65, 0);
  ExpectCode(verify_enc(zeros), StatusCode::kInvalidArgument);
  zeros[0] = 0x04;
  ExpectCode(verify_enc(zeros), StatusCode::kInvalidArgument);
  // Off the curve.
  Bytes off = enc_;
  off[64] ^= 0x01;
  ExpectCode(verify_enc(off), StatusCode::kInvalidArgument);
  // Truncated.
  ExpectCode(verify_enc(ByteSpan(enc_).first(64)),
             StatusCode::kInvalidArgument);
}

TEST_F(SenderProofTest, RelatedPointsDoNotVerify) {
  // The attack of brief §2: reuse a valid proof for a point related to enc.
  const SenderProof p = Prove();
  const Point two_enc = enc_point_ + enc_point_;
  const Point enc_plus_g = enc_point_ + Point::Generator();
  const Point neg_enc = -enc_point_;
  for (const Point& related : {two_enc, enc_plus_g, neg_enc}) {
    const auto e = related.EncodeUncompressed();
    ExpectCode(VerifySenderProof(SenderProofKind::kSender, e, y_, tag_, body_,
                                 orgs_, p),
               StatusCode::kUnauthenticated);
  }
}

TEST_F(SenderProofTest, ProverChecksItsInputs) {
  // enc must be r·G.
  const auto other = Point::BaseMul(Scalar::Random()).EncodeUncompressed();
  ExpectCode(
      ProveSender(SenderProofKind::kSender, r_, other, y_, tag_, body_, orgs_)
          .status(),
      StatusCode::kInvalidArgument);
  ExpectCode(ProveSender(SenderProofKind::kSender, Scalar(), enc_, y_, tag_,
                         body_, orgs_)
                 .status(),
             StatusCode::kInvalidArgument);
  // enc must be uncompressed.
  ExpectCode(ProveSender(SenderProofKind::kSender, r_,
                         enc_point_.EncodeCompressed(), y_, tag_, body_, orgs_)
                 .status(),
             StatusCode::kInvalidArgument);
  ExpectCode(
      ProveSenderWithNonceRandomness(SenderProofKind::kSender, r_, enc_, y_,
                                     tag_, body_, orgs_, Bytes(31, 0))
          .status(),
      StatusCode::kInvalidArgument);
  ExpectCode(ProveSender(SenderProofKind::kSender, r_, enc_, y_, Bytes(5, 0),
                         body_, orgs_)
                 .status(),
             StatusCode::kInvalidArgument);
}

// Pinned known answers: any change of the byte layout (element order, sizes,
// encodings, DSTs, nonce derivation) changes these. The values were
// cross-checked with an independent Python implementation of brief §2.
TEST(SenderProofKnownAnswerTest, Pinned) {
  StatusOr<Scalar> r = Scalar::FromBytes(
      Hex("0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"));
  StatusOr<Scalar> y_secret = Scalar::FromBytes(
      Hex("7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f11223344556677889900aabbccdd"));
  ASSERT_TRUE(r.ok() && y_secret.ok());
  const Point y = Point::BaseMul(*y_secret);
  const auto enc = Point::BaseMul(*r).EncodeUncompressed();
  const Bytes tag = Hex("0badcafe");
  const Bytes body =
      Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const std::vector<uint32_t> orgs{2, 5};
  const Bytes rand(32, 0x42);

  StatusOr<SenderProof> sender = ProveSenderWithNonceRandomness(
      SenderProofKind::kSender, *r, enc, y, tag, body, orgs, rand);
  StatusOr<SenderProof> drill = ProveSenderWithNonceRandomness(
      SenderProofKind::kDrill, *r, enc, y, tag, body, orgs, rand);
  ASSERT_TRUE(sender.ok() && drill.ok());
  EXPECT_EQ(HexEncode(*sender),
            "96406f9368e3a80d51b4b0c2a55e715e79b3340cea3aca8e501d1decbd7b497c"
            "b0998cbf611bbfa0a1a19c68d4e95f00134fac86101cf0ba15f5af6204f1fcdd");
  EXPECT_EQ(HexEncode(*drill),
            "67514d37f600784d5ab607f78677794d78de6aaadf9b10011cfa239c664aa343"
            "034817f02713ccef576dfbb44ad30e59261f3a53f7708971d3cc60c8aa7995ec");
  EXPECT_TRUE(VerifySenderProof(SenderProofKind::kSender, enc, y, tag, body,
                                orgs, *sender)
                  .ok());
  EXPECT_TRUE(VerifySenderProof(SenderProofKind::kDrill, enc, y, tag, body,
                                orgs, *drill)
                  .ok());
}

}  // namespace
}  // namespace conclave
