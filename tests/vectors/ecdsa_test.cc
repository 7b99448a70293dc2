// ECDSA P-256 / SHA-256 verification (crypto/ecdsa.h) against Wycheproof's
// ecdsa_secp256r1_sha256_test.json. The file's signatures are DER; each one
// that is strict DER with both integers in 1..32 bytes is converted to
// r ‖ s and verified, and the result must be the file's. A signature that
// cannot be written as r ‖ s (BER, negative or oversized integers, trailing
// bytes) must be one the file calls invalid: the P1363 form cannot carry it.
#include "crypto/ecdsa.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/test_util.h"

namespace conclave {
namespace {

using testing::Hex;

// Strict DER: SEQUENCE { INTEGER r, INTEGER s }, definite short or long
// minimal lengths, minimal positive integers.
std::optional<Bytes> DerToP1363(const Bytes& der) {
  size_t pos = 0;
  auto read_len = [&](size_t* len) -> bool {
    if (pos >= der.size()) return false;
    uint8_t b = der[pos++];
    if (b < 0x80) {
      *len = b;
      return true;
    }
    if (b != 0x81) return false;  // nothing here needs more than 255 bytes
    if (pos >= der.size()) return false;
    *len = der[pos++];
    return *len >= 0x80;  // minimal
  };
  auto read_int = [&](Bytes* out) -> bool {
    if (pos >= der.size() || der[pos++] != 0x02) return false;
    size_t len;
    if (!read_len(&len) || len == 0 || len > der.size() - pos) return false;
    Bytes v(der.begin() + pos, der.begin() + pos + len);
    pos += len;
    if (v[0] & 0x80) return false;                                  // negative
    if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) return false;  // padded
    if (v[0] == 0) v.erase(v.begin());
    if (v.size() > 32) return false;
    out->assign(32 - v.size(), 0);
    out->insert(out->end(), v.begin(), v.end());
    return true;
  };
  if (der.empty() || der[pos++] != 0x30) return std::nullopt;
  size_t seq;
  if (!read_len(&seq) || seq != der.size() - pos) return std::nullopt;
  Bytes r, s;
  if (!read_int(&r) || !read_int(&s) || pos != der.size()) return std::nullopt;
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

TEST(EcdsaTest, Wycheproof) {
  const nlohmann::json doc = testing::ReadJsonOrFail(
      testing::SharedVectorPath("wycheproof/ecdsa_secp256r1_sha256_test.json"));
  ASSERT_FALSE(::testing::Test::HasFailure());
  int verified = 0, valid = 0, not_p1363 = 0;
  for (const auto& group : doc.at("testGroups")) {
    const Bytes key =
        Hex(group.at("publicKey").at("uncompressed").get<std::string>());
    for (const auto& t : group.at("tests")) {
      const int id = t.at("tcId");
      const std::string result = t.at("result");
      ASSERT_TRUE(result == "valid" || result == "invalid") << id;
      const bool want = result == "valid";
      const Bytes msg = Hex(t.at("msg").get<std::string>());
      const std::optional<Bytes> sig =
          DerToP1363(Hex(t.at("sig").get<std::string>()));
      if (!sig) {
        EXPECT_FALSE(want) << "tcId " << id << ": valid but not P1363-able";
        ++not_p1363;
        continue;
      }
      const Status s = EcdsaP256Sha256Verify(key, msg, *sig);
      EXPECT_EQ(s.ok(), want)
          << "tcId " << id << " (" << t.at("comment") << "): " << s.ToString();
      if (!s.ok()) {
        EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << id;
      }
      ++verified;
      if (want) ++valid;
    }
  }
  EXPECT_EQ(verified + not_p1363, doc.at("numberOfTests").get<int>());
  EXPECT_EQ(valid, 174);     // every valid signature went through the verifier
  EXPECT_EQ(verified, 249);  // the rest are not strict DER or do not fit
}

TEST(EcdsaTest, StrictInputs) {
  const Point q = Point::BaseMul(Scalar::FromUint64(7));
  const CompressedPoint enc = q.EncodeCompressed();
  Bytes sig(64, 0);
  // r = s = 0.
  EXPECT_EQ(EcdsaP256Sha256Verify(enc, AsBytes("m"), sig).code(),
            StatusCode::kUnauthenticated);
  // Wrong lengths.
  EXPECT_EQ(EcdsaP256Sha256Verify(enc, AsBytes("m"), Bytes(63, 1)).code(),
            StatusCode::kUnauthenticated);
  // r = n (not reduced).
  Bytes n =
      Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  Bytes bad = n;
  bad.insert(bad.end(), 32, 1);
  EXPECT_EQ(EcdsaP256Sha256Verify(enc, AsBytes("m"), bad).code(),
            StatusCode::kUnauthenticated);
  // A hybrid (0x06/0x07) or infinity key encoding is refused.
  const auto uncompressed = q.EncodeUncompressed();
  Bytes hybrid(uncompressed.begin(), uncompressed.end());
  hybrid[0] = 0x06 | (hybrid[64] & 1);
  Bytes ok_sig(64, 1);
  EXPECT_EQ(EcdsaP256Sha256Verify(hybrid, AsBytes("m"), ok_sig).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(EcdsaP256Sha256Verify(Bytes{0x00}, AsBytes("m"), ok_sig).code(),
            StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace conclave
