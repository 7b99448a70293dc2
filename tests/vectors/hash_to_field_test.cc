// RFC 9380 expand_message_xmd(SHA-256) vectors (§K.1) and RFC 9497
// HashToScalar known answers (DeriveKeyPair and the POPRF tweak for
// P256-SHA256).
#include "crypto/hash_to_field.h"

#include <gtest/gtest.h>

#include <string>

#include "base/byte_io.h"
#include "crypto/dleq.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;
using ::conclave::testing::ReadJsonOrFail;
using ::conclave::testing::SharedVectorPath;

TEST(ExpandMessageXmdTest, Rfc9380Vectors) {
  nlohmann::json v;
  ASSERT_NO_FATAL_FAILURE(v = ReadJsonOrFail(SharedVectorPath(
                              "rfc9380/expand_message_xmd_SHA256_38.json")));
  ASSERT_EQ(v.value("hash", ""), "SHA256");
  ASSERT_EQ(v.value("name", ""), "expand_message_xmd");
  const std::string dst = v.at("DST").get<std::string>();
  const auto& tests = v.at("tests");
  ASSERT_EQ(tests.size(), 10u);
  for (const auto& t : tests) {
    const std::string msg = t.at("msg").get<std::string>();
    const size_t len =
        std::stoul(t.at("len_in_bytes").get<std::string>(), nullptr, 16);
    SCOPED_TRACE("msg length " + std::to_string(msg.size()) + ", len " +
                 std::to_string(len));
    StatusOr<SecretBytes> out =
        ExpandMessageXmdSha256(AsBytes(msg), AsBytes(dst), len);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    // Test vectors are public: comparing as plain bytes is fine here.
    EXPECT_EQ(HexEncode(out->span()), t.at("uniform_bytes").get<std::string>());
    // The multi-part form splits the message without changing the result.
    const size_t cut = msg.size() / 3;
    StatusOr<SecretBytes> parts = ExpandMessageXmdSha256(
        {AsBytes(msg).subspan(0, cut), AsBytes(msg).subspan(cut)}, AsBytes(dst),
        len);
    ASSERT_TRUE(parts.ok());
    EXPECT_TRUE(parts->ConstantTimeEquals(*out));
  }
}

TEST(ExpandMessageXmdTest, LengthLimits) {
  const ByteSpan dst = AsBytes("QUUX-V01-CS02-with-expander-SHA256-128");
  // ell = 255 is the largest allowed.
  StatusOr<SecretBytes> max = ExpandMessageXmdSha256({}, dst, 255 * 32);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size(), 255u * 32);
  // A non-multiple of 32 is truncated from the last block.
  StatusOr<SecretBytes> odd = ExpandMessageXmdSha256({}, dst, 33);
  StatusOr<SecretBytes> two = ExpandMessageXmdSha256({}, dst, 64);
  ASSERT_TRUE(odd.ok() && two.ok());
  // len_in_bytes is hashed into b_0, so a shorter output is not a prefix.
  EXPECT_FALSE(odd->ConstantTimeEquals(
      SecretBytes::CopyFrom(two->span().subspan(0, 33))));

  for (size_t bad : {size_t{255 * 32 + 1}, size_t{65535}, size_t{65536},
                     size_t{1} << 20, size_t{0}}) {
    StatusOr<SecretBytes> r = ExpandMessageXmdSha256({}, dst, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ExpandMessageXmdTest, DstLimits) {
  const std::string dst255(255, 'D');
  EXPECT_TRUE(ExpandMessageXmdSha256({}, AsBytes(dst255), 32).ok());
  // §5.3.3 would hash an oversized DST; Conclave rejects it.
  const std::string dst256(256, 'D');
  StatusOr<SecretBytes> r = ExpandMessageXmdSha256({}, AsBytes(dst256), 32);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  StatusOr<SecretBytes> empty = ExpandMessageXmdSha256({}, ByteSpan(), 32);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(HashToScalarTest, MatchesExpandThenReduce) {
  const ByteSpan dst = AsBytes("conclave/v1/test");
  const ByteSpan msg = AsBytes("message");
  StatusOr<SecretBytes> u = ExpandMessageXmdSha256(msg, dst, 48);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(
      HashToScalar(msg, dst).Equals(Scalar::FromBytesModOrder(u->span())));
  EXPECT_TRUE(HashToScalar({AsBytes("mess"), AsBytes("age")}, dst)
                  .Equals(HashToScalar(msg, dst)));
  EXPECT_FALSE(HashToScalar(msg, AsBytes("conclave/v1/other"))
                   .Equals(HashToScalar(msg, dst)));
}

TEST(HashToScalarDeathTest, BadDstAborts) {
  EXPECT_DEATH(HashToScalar(AsBytes("m"), ByteSpan()), "invalid DST");
}

// The P256-SHA256 suites of RFC 9497 (all three modes).
std::vector<nlohmann::json> P256Suites() {
  nlohmann::json all =
      ReadJsonOrFail(SharedVectorPath("rfc9497/allVectors.json"));
  std::vector<nlohmann::json> out;
  if (!all.is_array()) return out;
  for (const auto& s : all) {
    if (s.value("identifier", "") == "P256-SHA256") out.push_back(s);
  }
  return out;
}

// RFC 9497 §3.2.1 DeriveKeyPair, which is HashToScalar in a counter loop.
TEST(HashToScalarTest, Rfc9497DeriveKeyPair) {
  std::vector<nlohmann::json> suites;
  ASSERT_NO_FATAL_FAILURE(suites = P256Suites());
  ASSERT_EQ(suites.size(), 3u);
  for (const auto& s : suites) {
    const int mode = s.at("mode").get<int>();
    SCOPED_TRACE("mode " + std::to_string(mode));
    const Bytes context = Rfc9497P256ContextString(static_cast<uint8_t>(mode));
    const Bytes seed = Hex(s.at("seed").get<std::string>());
    const Bytes info = Hex(s.at("keyInfo").get<std::string>());
    const Bytes dst = Concat({AsBytes("DeriveKeyPair"), context});
    const Bytes derive_input = Concat({seed, I2Osp(info.size(), 2), info});
    Scalar sk;
    for (int counter = 0; sk.IsZero(); ++counter) {
      ASSERT_LE(counter, 255);
      sk = HashToScalar({derive_input, I2Osp(counter, 1)}, dst);
    }
    EXPECT_EQ(HexEncode(sk.ToPublicBytes()), s.at("skSm").get<std::string>());
    if (s.contains("pkSm")) {
      EXPECT_EQ(HexEncode(Point::BaseMul(sk).EncodeCompressed()),
                s.at("pkSm").get<std::string>());
    }
    // groupDST = "HashToGroup-" || contextString: checks our context string.
    EXPECT_EQ(HexEncode(Concat({AsBytes("HashToGroup-"), context})),
              s.at("groupDST").get<std::string>());
  }
}

// RFC 9497 §3.3.3 POPRF BlindEvaluate: m = HashToScalar(framedInfo),
// t = skS + m, EvaluationElement = t^-1 · BlindedElement.
TEST(HashToScalarTest, Rfc9497PoprfTweak) {
  std::vector<nlohmann::json> suites;
  ASSERT_NO_FATAL_FAILURE(suites = P256Suites());
  int checked = 0;
  for (const auto& s : suites) {
    if (s.at("mode").get<int>() != 2) continue;
    const Bytes context = Rfc9497P256ContextString(2);
    StatusOr<Scalar> sk =
        Scalar::FromBytes(Hex(s.at("skSm").get<std::string>()));
    ASSERT_TRUE(sk.ok());
    for (const auto& v : s.at("vectors")) {
      const Bytes info = Hex(v.at("Info").get<std::string>());
      const Bytes framed =
          Concat({AsBytes("Info"), I2Osp(info.size(), 2), info});
      const Scalar m =
          HashToScalar(framed, Concat({AsBytes("HashToScalar-"), context}));
      const Scalar t = *sk + m;
      StatusOr<Scalar> t_inv = t.Inverse();
      ASSERT_TRUE(t_inv.ok());
      // Batched vectors list elements comma-separated; check the first.
      const std::string blinded = v.at("BlindedElement").get<std::string>();
      const std::string evaluated =
          v.at("EvaluationElement").get<std::string>();
      StatusOr<Point> b = Point::Decode(Hex(blinded.substr(0, 66)));
      ASSERT_TRUE(b.ok());
      EXPECT_EQ(HexEncode(b->Mul(*t_inv).EncodeCompressed()),
                evaluated.substr(0, 66));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

}  // namespace
}  // namespace conclave
