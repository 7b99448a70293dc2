// RFC 9497 §2.2 DLEQ proofs: every P256-SHA256 VOPRF and POPRF vector of
// allVectors.json byte for byte, with negative cases, plus the Conclave
// context and the hedged prover.
#include "crypto/dleq.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "base/byte_io.h"
#include "crypto/hash_to_field.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;
using ::conclave::testing::ReadJsonOrFail;
using ::conclave::testing::SharedVectorPath;

constexpr char kOrderHex[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::vector<Point> DecodePoints(const std::string& csv) {
  std::vector<Point> out;
  for (const std::string& h : SplitComma(csv)) {
    StatusOr<Point> p = Point::Decode(Hex(h));
    EXPECT_TRUE(p.ok()) << h;
    if (p.ok()) out.push_back(*p);
  }
  return out;
}

Scalar ScalarFromHex(const std::string& h) {
  StatusOr<Scalar> s = Scalar::FromBytes(Hex(h));
  EXPECT_TRUE(s.ok()) << h;
  return s.ok() ? *s : Scalar();
}

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

// One DLEQ statement from a vector: B = k·A (A = G), D_i = k·C_i.
struct Statement {
  Bytes context;
  Scalar k;
  Point a = Point::Generator();
  Point b = Point::Generator();
  std::vector<Point> c, d;
  Scalar r;
  Bytes proof;
  std::string name;
};

std::vector<Statement> LoadStatements() {
  std::vector<Statement> out;
  for (const auto& s : P256Suites()) {
    const int mode = s.at("mode").get<int>();
    if (mode != 1 && mode != 2) continue;
    const Bytes context = Rfc9497P256ContextString(static_cast<uint8_t>(mode));
    const Scalar sk = ScalarFromHex(s.at("skSm").get<std::string>());
    EXPECT_EQ(HexEncode(Point::BaseMul(sk).EncodeCompressed()),
              s.at("pkSm").get<std::string>());
    int index = 0;
    for (const auto& v : s.at("vectors")) {
      Statement st;
      st.name = "mode " + std::to_string(mode) + " vector " +
                std::to_string(index++) + " batch " +
                std::to_string(v.at("Batch").get<int>());
      st.context = context;
      std::vector<Point> blinded =
          DecodePoints(v.at("BlindedElement").get<std::string>());
      std::vector<Point> evaluated =
          DecodePoints(v.at("EvaluationElement").get<std::string>());
      EXPECT_EQ(blinded.size(), static_cast<size_t>(v.at("Batch").get<int>()));
      EXPECT_EQ(evaluated.size(), blinded.size());
      if (mode == 1) {
        // VOPRF BlindEvaluate (§3.3.2): proof over (G, pkS), (blinded,
        // evaluated).
        st.k = sk;
        st.c = blinded;
        st.d = evaluated;
      } else {
        // POPRF BlindEvaluate (§3.3.3): t = skS + m, evaluated = t^-1 ·
        // blinded, proof over (G, t·G), (evaluated, blinded).
        const Bytes info = Hex(v.at("Info").get<std::string>());
        const Scalar m =
            HashToScalar(Concat({AsBytes("Info"), I2Osp(info.size(), 2), info}),
                         Concat({AsBytes("HashToScalar-"), context}));
        st.k = sk + m;
        st.c = evaluated;
        st.d = blinded;
      }
      st.b = Point::BaseMul(st.k);
      st.r = ScalarFromHex(v.at("Proof").at("r").get<std::string>());
      st.proof = Hex(v.at("Proof").at("proof").get<std::string>());
      out.push_back(std::move(st));
    }
  }
  return out;
}

TEST(DleqTest, GroupArithmeticMatchesOprfEvaluations) {
  std::vector<nlohmann::json> suites;
  ASSERT_NO_FATAL_FAILURE(suites = P256Suites());
  int checked = 0;
  for (const auto& s : suites) {
    const int mode = s.at("mode").get<int>();
    if (mode == 2) continue;  // covered by the POPRF statements below
    const Scalar sk = ScalarFromHex(s.at("skSm").get<std::string>());
    for (const auto& v : s.at("vectors")) {
      std::vector<Point> blinded =
          DecodePoints(v.at("BlindedElement").get<std::string>());
      std::vector<Point> evaluated =
          DecodePoints(v.at("EvaluationElement").get<std::string>());
      ASSERT_EQ(blinded.size(), evaluated.size());
      for (size_t i = 0; i < blinded.size(); ++i) {
        EXPECT_EQ(blinded[i].Mul(sk), evaluated[i]);
        ++checked;
      }
    }
  }
  // OPRF: 2 vectors; VOPRF: 1 + 1 + 2 elements.
  EXPECT_EQ(checked, 6);
}

TEST(DleqTest, Rfc9497ProofsByteForByte) {
  std::vector<Statement> sts;
  ASSERT_NO_FATAL_FAILURE(sts = LoadStatements());
  ASSERT_EQ(sts.size(), 6u);  // 3 VOPRF + 3 POPRF, one batch of 2 each
  for (const Statement& st : sts) {
    SCOPED_TRACE(st.name);
    for (size_t i = 0; i < st.c.size(); ++i) {
      EXPECT_EQ(st.c[i].Mul(st.k), st.d[i]);
    }
    StatusOr<DleqProof> proof = GenerateDleqProofWithNonce(
        st.context, st.k, st.a, st.b, st.c, st.d, st.r);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(HexEncode(*proof), HexEncode(st.proof));
    EXPECT_TRUE(
        VerifyDleqProof(st.context, st.a, st.b, st.c, st.d, st.proof).ok());
  }
}

void ExpectCode(const Status& s, StatusCode code) {
  EXPECT_EQ(s.code(), code) << s.ToString();
}

TEST(DleqTest, Rfc9497ProofsRejectTampering) {
  std::vector<Statement> sts;
  ASSERT_NO_FATAL_FAILURE(sts = LoadStatements());
  ASSERT_FALSE(sts.empty());
  const Bytes n = Hex(kOrderHex);
  for (const Statement& st : sts) {
    SCOPED_TRACE(st.name);
    const auto verify = [&](ByteSpan proof) {
      return VerifyDleqProof(st.context, st.a, st.b, st.c, st.d, proof);
    };
    // A flipped bit in c (low byte keeps it < n) and in s.
    for (size_t byte : {size_t{31}, size_t{63}, size_t{40}}) {
      Bytes p = st.proof;
      p[byte] ^= 0x01;
      ExpectCode(verify(p), StatusCode::kUnauthenticated);
    }
    // s >= n and c >= n are malformed encodings.
    {
      Bytes p = Concat({ByteSpan(st.proof).subspan(0, 32), n});
      ExpectCode(verify(p), StatusCode::kInvalidArgument);
      p = Concat({n, ByteSpan(st.proof).subspan(32)});
      ExpectCode(verify(p), StatusCode::kInvalidArgument);
      Bytes ff(64, 0xff);
      ExpectCode(verify(ff), StatusCode::kInvalidArgument);
    }
    // Wrong lengths.
    ExpectCode(verify(ByteSpan(st.proof).subspan(0, 63)),
               StatusCode::kInvalidArgument);
    ExpectCode(verify(Concat({st.proof, Bytes{0}})),
               StatusCode::kInvalidArgument);
    // A wrong D (each position), a wrong C.
    for (size_t i = 0; i < st.d.size(); ++i) {
      std::vector<Point> d = st.d;
      d[i] = d[i] + Point::Generator();
      ExpectCode(VerifyDleqProof(st.context, st.a, st.b, st.c, d, st.proof),
                 StatusCode::kUnauthenticated);
      std::vector<Point> c = st.c;
      c[i] = c[i] + Point::Generator();
      ExpectCode(VerifyDleqProof(st.context, st.a, st.b, c, st.d, st.proof),
                 StatusCode::kUnauthenticated);
    }
    // A wrong key.
    ExpectCode(VerifyDleqProof(st.context, st.a, st.b + Point::Generator(),
                               st.c, st.d, st.proof),
               StatusCode::kUnauthenticated);
    // Another context string (e.g. the other mode, or Conclave's).
    ExpectCode(VerifyDleqProof(AsBytes(kPartialDecryptionContext), st.a, st.b,
                               st.c, st.d, st.proof),
               StatusCode::kUnauthenticated);
    // C and D swapped (the statement log_C(D) = log_D(C) is a different one).
    ExpectCode(VerifyDleqProof(st.context, st.a, st.b, st.d, st.c, st.proof),
               StatusCode::kUnauthenticated);
    if (st.c.size() > 1) {
      // Reordered batch, and a dropped element.
      std::vector<Point> c(st.c.rbegin(), st.c.rend());
      std::vector<Point> d(st.d.rbegin(), st.d.rend());
      ExpectCode(VerifyDleqProof(st.context, st.a, st.b, c, d, st.proof),
                 StatusCode::kUnauthenticated);
      ExpectCode(
          VerifyDleqProof(st.context, st.a, st.b, std::span(st.c).first(1),
                          std::span(st.d).first(1), st.proof),
          StatusCode::kUnauthenticated);
      ExpectCode(VerifyDleqProof(st.context, st.a, st.b, st.c,
                                 std::span(st.d).first(1), st.proof),
                 StatusCode::kInvalidArgument);
    }
    ExpectCode(VerifyDleqProof(st.context, st.a, st.b, {}, {}, st.proof),
               StatusCode::kInvalidArgument);
  }
}

TEST(DleqTest, ConclaveContextRoundTrip) {
  const ByteSpan ctx = AsBytes(kPartialDecryptionContext);
  const Scalar y = Scalar::Random();
  const Point y_pub = Point::BaseMul(y);
  const Point r_point = Point::BaseMul(Scalar::Random());
  const Point d = r_point.Mul(y);
  const std::vector<Point> cs{r_point}, ds{d};

  StatusOr<DleqProof> p1 =
      GenerateDleqProof(ctx, y, Point::Generator(), y_pub, cs, ds);
  StatusOr<DleqProof> p2 =
      GenerateDleqProof(ctx, y, Point::Generator(), y_pub, cs, ds);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_NE(*p1, *p2) << "the hedged nonce must include fresh randomness";
  EXPECT_TRUE(
      VerifyDleqProof(ctx, Point::Generator(), y_pub, cs, ds, *p1).ok());
  EXPECT_TRUE(
      VerifyDleqProof(ctx, Point::Generator(), y_pub, cs, ds, *p2).ok());
  ExpectCode(VerifyDleqProof(Rfc9497P256ContextString(1), Point::Generator(),
                             y_pub, cs, ds, *p1),
             StatusCode::kUnauthenticated);
  // A partial for another point R' does not verify under this proof.
  const std::vector<Point> cs2{r_point + r_point}, ds2{d + d};
  ExpectCode(VerifyDleqProof(ctx, Point::Generator(), y_pub, cs2, ds2, *p1),
             StatusCode::kUnauthenticated);

  // A general base A (not G) works too.
  const Point a = Point::BaseMul(Scalar::Random());
  StatusOr<DleqProof> p3 = GenerateDleqProof(ctx, y, a, a.Mul(y), cs, ds);
  ASSERT_TRUE(p3.ok());
  EXPECT_TRUE(VerifyDleqProof(ctx, a, a.Mul(y), cs, ds, *p3).ok());
  ExpectCode(VerifyDleqProof(ctx, Point::Generator(), a.Mul(y), cs, ds, *p3),
             StatusCode::kUnauthenticated);
}

TEST(DleqTest, ProverRefusesFalseOrDegenerateStatements) {
  const ByteSpan ctx = AsBytes(kPartialDecryptionContext);
  const Scalar y = Scalar::Random();
  const Point y_pub = Point::BaseMul(y);
  const Point r_point = Point::BaseMul(Scalar::Random());
  const std::vector<Point> cs{r_point};
  const std::vector<Point> wrong_d{r_point.Mul(y) + Point::Generator()};
  ExpectCode(GenerateDleqProof(ctx, y, Point::Generator(), y_pub, cs, wrong_d)
                 .status(),
             StatusCode::kInvalidArgument);
  const std::vector<Point> ds{r_point.Mul(y)};
  ExpectCode(GenerateDleqProof(ctx, y, Point::Generator(),
                               y_pub + Point::Generator(), cs, ds)
                 .status(),
             StatusCode::kInvalidArgument);
  ExpectCode(
      GenerateDleqProof(ctx, y, Point::Generator(), y_pub, {}, {}).status(),
      StatusCode::kInvalidArgument);
  ExpectCode(GenerateDleqProofWithNonce(ctx, y, Point::Generator(), y_pub, cs,
                                        ds, Scalar())
                 .status(),
             StatusCode::kInvalidArgument);
  const std::string long_ctx(243, 'x');
  ExpectCode(
      GenerateDleqProof(AsBytes(long_ctx), y, Point::Generator(), y_pub, cs, ds)
          .status(),
      StatusCode::kInvalidArgument);
  const std::vector<Point> inf{Point::Infinity()};
  ExpectCode(
      VerifyDleqProof(ctx, Point::Generator(), y_pub, inf, inf, Bytes(64, 1)),
      StatusCode::kInvalidArgument);
}

TEST(DleqTest, ZeroScalarsInProofAreRejected) {
  // c = s = 0 gives t2 = t3 = infinity; must be refused, not abort.
  const ByteSpan ctx = AsBytes(kPartialDecryptionContext);
  const Scalar y = Scalar::Random();
  const Point r_point = Point::BaseMul(Scalar::Random());
  const std::vector<Point> cs{r_point}, ds{r_point.Mul(y)};
  ExpectCode(VerifyDleqProof(ctx, Point::Generator(), Point::BaseMul(y), cs, ds,
                             Bytes(64, 0)),
             StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace conclave
