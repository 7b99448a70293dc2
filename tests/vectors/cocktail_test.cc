// COCKTAIL-DKG (P-256, SHA-256) against the C2SP/CCTV vector file, byte for
// byte, plus the brief §4 pitfalls as negative tests, each naming its culprit.
//
// Per-participant inputs come from the seed as the file's `derivation` field
// (and the spec's Appendix B) says: every value is SHA-256(seed ‖ cs_id ‖
// u32le(t) ‖ u32le(n) ‖ label); static keys use "static_secret_key_{i}"
// reduced mod q, payloads "payload_{i}"; Round 1 draws a_{i,0..t-1} then e_i
// from the stream "round1_participant_{i}" — consecutive 32-byte blocks
// SHA-256(... ‖ label ‖ u64le(counter)), counter = 0, 1, …, each a big-endian
// candidate rejected if >= q.
#include "keyceremony/cocktail.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "crypto/xaes256gcm.h"
#include "shares/shamir.h"
#include "tests/test_util.h"

namespace conclave::cocktail {
namespace {

using ::conclave::testing::Hex;
using ::conclave::testing::ReadJsonOrFail;
using ::conclave::testing::SharedVectorPath;
using Json = nlohmann::json;

constexpr char kVectorFile[] = "cocktail-dkg/cocktail-dkg-p256-sha256.json";

void AppendLe(Bytes& out, uint64_t v, int bytes) {
  for (int b = 0; b < bytes; ++b)
    out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

// seed ‖ cs_id ‖ u32le(t) ‖ u32le(n)
Bytes LabelPrefix(const Bytes& seed, uint32_t t, uint32_t n) {
  Bytes pre = seed;
  const ByteSpan cs = AsBytes(kCiphersuiteId);
  pre.insert(pre.end(), cs.begin(), cs.end());
  AppendLe(pre, t, 4);
  AppendLe(pre, n, 4);
  return pre;
}

Bytes LabeledHash(const Bytes& prefix, const std::string& label) {
  const Sha256Digest d = Sha256(Concat({prefix, AsBytes(label)}));
  return Bytes(d.begin(), d.end());
}

// The "round1_participant_{i}" RNG stream as a Round 1 scalar source.
ScalarSource StreamSource(const Bytes& prefix, uint32_t i) {
  auto counter = std::make_shared<uint64_t>(0);
  const Bytes base =
      Concat({prefix, AsBytes("round1_participant_" + std::to_string(i))});
  return [counter, base]() {
    for (;;) {
      Bytes in = base;
      AppendLe(in, (*counter)++, 8);
      const Sha256Digest block = Sha256(in);
      StatusOr<Scalar> s = Scalar::FromBytes(block);
      if (s.ok()) return std::move(s).value();
    }
  };
}

std::string PointHex(const Point& p) { return HexEncode(p.EncodeCompressed()); }
std::string ScalarHex(const Scalar& s) { return HexEncode(s.ToPublicBytes()); }

// One vector, run in full.
struct DkgRun {
  Json v;
  uint32_t n = 0, t = 0;
  Bytes prefix;
  std::vector<Scalar> static_keys;
  Session session;
  std::vector<Bytes> payloads;  // payload_i, empty when the vector has none
  std::vector<Round1Output> round1;
  std::vector<Round1Message> messages;
  Bytes extension;
  Bytes transcript;
  std::vector<Bytes> signatures;
};

DkgRun Execute(const Json& v, const Bytes& seed) {
  DkgRun r;
  r.v = v;
  r.n = v["n"].get<uint32_t>();
  r.t = v["t"].get<uint32_t>();
  r.prefix = LabelPrefix(seed, r.t, r.n);
  std::vector<Point> pubs;
  for (uint32_t i = 1; i <= r.n; ++i) {
    r.static_keys.push_back(Scalar::FromBytesModOrder(
        LabeledHash(r.prefix, "static_secret_key_" + std::to_string(i))));
    pubs.push_back(Point::BaseMul(r.static_keys.back()));
  }
  const Bytes context =
      RecommendedContext(Hex(v["session_tag"].get<std::string>()), pubs);
  auto session = NewSession(r.t, pubs, context);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  r.session = *session;
  if (v.contains("payloads")) {
    for (uint32_t i = 1; i <= r.n; ++i) {
      r.payloads.push_back(
          LabeledHash(r.prefix, "payload_" + std::to_string(i)));
    }
    r.extension = PayloadExtension(r.payloads);
  }
  for (uint32_t i = 1; i <= r.n; ++i) {
    std::vector<Bytes> to_each;
    if (!r.payloads.empty()) to_each.assign(r.n, r.payloads[i - 1]);
    auto out = Round1(r.session, i, r.static_keys[i - 1], to_each,
                      StreamSource(r.prefix, i));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    r.messages.push_back(out->message);
    r.round1.push_back(std::move(out).value());
  }
  auto transcript = Transcript(r.session, r.messages, r.extension);
  EXPECT_TRUE(transcript.ok()) << transcript.status().ToString();
  r.transcript = *transcript;
  for (uint32_t i = 1; i <= r.n; ++i) {
    auto sig = CertEqSign(r.static_keys[i - 1], r.transcript);
    EXPECT_TRUE(sig.ok());
    r.signatures.push_back(*sig);
  }
  return r;
}

class CocktailVectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file_ = new Json(ReadJsonOrFail(SharedVectorPath(kVectorFile)));
  }
  static void TearDownTestSuite() {
    delete file_;
    file_ = nullptr;
  }
  static Bytes Seed() { return Hex((*file_)["seed"].get<std::string>()); }
  static const Json& Vectors() { return (*file_)["vectors"]; }
  static DkgRun First() { return Execute(Vectors()[0], Seed()); }
  static Json* file_;
};
Json* CocktailVectorTest::file_ = nullptr;

TEST_F(CocktailVectorTest, FileHeader) {
  ASSERT_FALSE(file_->is_null());
  EXPECT_EQ((*file_)["ciphersuite"], std::string(kCiphersuiteId));
  // Appendix B: seed = SHA256("Daniel Bourdrez,Soatok Dreamseeker,Tjaden
  // Hess").
  const Sha256Digest seed =
      Sha256(AsBytes("Daniel Bourdrez,Soatok Dreamseeker,Tjaden Hess"));
  EXPECT_EQ(HexEncode(seed), (*file_)["seed"]);
  // 2-of-3, 3-of-5, 7-of-14 and the 2-of-3 payload variant: none dropped.
  ASSERT_EQ(Vectors().size(), 4u);
}

TEST_F(CocktailVectorTest, EveryVectorReproduces) {
  int checked_vectors = 0;
  int checked_values = 0;
  for (const Json& v : Vectors()) {
    const DkgRun r = Execute(v, Seed());
    SCOPED_TRACE(std::to_string(r.t) + "-of-" + std::to_string(r.n) +
                 (r.payloads.empty() ? "" : " with payloads"));
    ASSERT_EQ(HexEncode(r.session.context), v["context"]);
    ASSERT_EQ(HexEncode(r.extension), v["extension"]);
    ++checked_values;
    for (uint32_t i = 1; i <= r.n; ++i) {
      EXPECT_EQ(ScalarHex(r.static_keys[i - 1]),
                v["config"]["static_secret_keys"][i - 1]);
      EXPECT_EQ(PointHex(r.session.static_public_keys[i - 1]),
                v["config"]["static_public_keys"][i - 1]);
      checked_values += 2;
      if (!r.payloads.empty()) {
        EXPECT_EQ(HexEncode(r.payloads[i - 1]), v["payloads"][i - 1]);
        ++checked_values;
      }
    }
    // Round 1, including the PoP intermediates.
    ASSERT_EQ(v["round1"].size(), r.n);
    for (uint32_t i = 1; i <= r.n; ++i) {
      const Json& w = v["round1"][i - 1];
      const Round1Message& m = r.messages[i - 1];
      ASSERT_EQ(w["participant_id"], i);
      EXPECT_EQ(PointHex(m.ephemeral_key), w["ephemeral_public_key"]);
      ASSERT_EQ(w["vss_commitment"].size(), r.t);
      for (uint32_t k = 0; k < r.t; ++k) {
        EXPECT_EQ(PointHex(m.commitment[k]), w["vss_commitment"][k]);
      }
      EXPECT_EQ(HexEncode(m.pop), w["pop"]);
      const Json& pi = w["pop_intermediate"];
      Bytes message = r.session.context;
      for (const Point& c : m.commitment) {
        const CompressedPoint e = c.EncodeCompressed();
        message.insert(message.end(), e.begin(), e.end());
      }
      const CompressedPoint e = m.ephemeral_key.EncodeCompressed();
      message.insert(message.end(), e.begin(), e.end());
      EXPECT_EQ(HexEncode(message), pi["message"]);
      const auto a0 = r.round1[i - 1].secrets.coefficients[0].ToPublicBytes();
      const Bytes nonce_input =
          Concat({AsBytes("COCKTAIL-DKG-P256-SHA256-NONCE"), a0, message});
      EXPECT_EQ(HexEncode(nonce_input), pi["nonce_input"]);
      EXPECT_EQ(ScalarHex(HashToScalar(nonce_input)), pi["nonce"]);
      EXPECT_EQ(HexEncode(ByteSpan(m.pop).first(33)), pi["nonce_commitment"]);
      const Bytes challenge_input = Concat(
          {AsBytes("COCKTAIL-DKG-P256-SHA256-H7"), ByteSpan(m.pop).first(33),
           m.commitment[0].EncodeCompressed(), message});
      EXPECT_EQ(HexEncode(challenge_input), pi["challenge_input"]);
      EXPECT_EQ(ScalarHex(HashToScalar(challenge_input)), pi["challenge"]);
      ASSERT_EQ(w["encrypted_shares"].size(), r.n);
      for (uint32_t j = 1; j <= r.n; ++j) {
        EXPECT_EQ(HexEncode(m.ciphertexts[j - 1]),
                  w["encrypted_shares"][j - 1]);
      }
      checked_values += 3 + r.t + 7 + r.n;
      // The wire form round-trips through the strict decoder.
      auto decoded = DecodeRound1Message(EncodeRound1Message(m), r.n, r.t);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(EncodeRound1Message(*decoded), EncodeRound1Message(m));
    }
    // Round 2.
    ASSERT_EQ(v["round2"].size(), r.n);
    for (uint32_t i = 1; i <= r.n; ++i) {
      const Json& w = v["round2"][i - 1];
      ASSERT_EQ(w["participant_id"], i);
      Blame blame;
      auto out = Round2(r.session, i, r.static_keys[i - 1], r.messages, &blame);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(ScalarHex(out->secret_share), w["secret_share"]);
      EXPECT_EQ(PointHex(out->verification_share), w["verification_share"]);
      EXPECT_EQ(PointHex(out->group_public_key), v["group_public_key"]);
      checked_values += 3;
      for (uint32_t j = 1; j <= r.n; ++j) {
        EXPECT_EQ(out->payloads[j - 1],
                  r.payloads.empty() ? Bytes() : r.payloads[j - 1]);
      }
    }
    auto shares = VerificationShares(r.session, r.messages);
    ASSERT_TRUE(shares.ok());
    for (uint32_t i = 1; i <= r.n; ++i) {
      EXPECT_EQ(PointHex((*shares)[i - 1]),
                v["round2"][i - 1]["verification_share"]);
    }
    auto y = GroupPublicKey(r.session, r.messages);
    ASSERT_TRUE(y.ok());
    EXPECT_EQ(PointHex(*y), v["group_public_key"]);
    // Round 3.
    EXPECT_EQ(HexEncode(Sha256(r.transcript)), v["round3"]["transcript_hash"]);
    ASSERT_EQ(v["round3"]["signatures"].size(), r.n);
    for (uint32_t i = 1; i <= r.n; ++i) {
      const Json& s = v["round3"]["signatures"][i - 1];
      ASSERT_EQ(s["signer_id"], i);
      EXPECT_EQ(HexEncode(r.signatures[i - 1]), s["signature"]);
    }
    checked_values += 1 + r.n;
    EXPECT_TRUE(VerifyCertificate(r.session, r.transcript, r.signatures).ok());
    // Recovery (2-of-3 entries only).
    if (v.contains("recovery")) {
      const Json& rec = v["recovery"];
      const uint32_t who = rec["participant_id"].get<uint32_t>();
      Bytes bundle;
      ASSERT_EQ(rec["ciphertexts"].size(), r.n);
      for (const Json& c : rec["ciphertexts"]) {
        const Bytes ct = Hex(c.get<std::string>());
        for (int b = 7; b >= 0; --b) {
          bundle.push_back(
              static_cast<uint8_t>(uint64_t{ct.size()} >> (8 * b)));
        }
        bundle.insert(bundle.end(), ct.begin(), ct.end());
      }
      auto out =
          Recover(r.static_keys[who - 1], r.transcript, r.signatures, bundle);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(out->index, who);
      EXPECT_EQ(ScalarHex(out->secret_share), rec["recovered_secret_share"]);
      EXPECT_EQ(PointHex(out->verification_shares[who - 1]),
                rec["recovered_verification_share"]);
      EXPECT_EQ(PointHex(out->group_public_key), v["group_public_key"]);
      checked_values += 3;
    }
    ++checked_vectors;
  }
  EXPECT_EQ(checked_vectors, 4);
  // A guard against silently skipped fields, not a number from the spec.
  EXPECT_GT(checked_values, 500);
}

// The DKG output is a real t-of-n sharing: Lagrange interpolation mod q
// (shares/shamir.h) of any t shares gives Σ_j a_{j,0}, whose multiple is Y.
TEST_F(CocktailVectorTest, SharesInterpolateToGroupSecret) {
  const DkgRun r = Execute(Vectors()[1], Seed());  // 3-of-5
  std::vector<Share> shares;
  for (uint32_t i = 1; i <= r.n; ++i) {
    auto out = Round2(r.session, i, r.static_keys[i - 1], r.messages);
    ASSERT_TRUE(out.ok());
    shares.push_back(Share{i, out->secret_share});
  }
  Scalar secret;
  for (const auto& o : r.round1) secret = secret + o.secrets.coefficients[0];
  for (size_t skip = 0; skip < shares.size(); ++skip) {
    std::vector<Share> subset;
    for (size_t k = 0; k < shares.size() && subset.size() < r.t; ++k) {
      if (k != skip) subset.push_back(shares[k]);
    }
    auto x = InterpolateScalarsAtZero(subset, r.t);
    ASSERT_TRUE(x.ok());
    EXPECT_TRUE(x->Equals(secret));
  }
  EXPECT_EQ(PointHex(Point::BaseMul(secret)), r.v["group_public_key"]);
}

// ---- Negative tests (brief §4 pitfalls and the spec's error list) ----

// Expects Round2 at `reporter` to fail, blaming `culprit` for `fault`.
Blame ExpectBlame(const DkgRun& r, const std::vector<Round1Message>& messages,
                  uint32_t reporter, Fault fault, uint32_t culprit,
                  StatusCode code) {
  Blame blame;
  auto out = Round2(r.session, reporter, r.static_keys[reporter - 1], messages,
                    &blame);
  EXPECT_FALSE(out.ok());
  if (out.ok()) return blame;
  EXPECT_EQ(out.status().code(), code) << out.status().ToString();
  EXPECT_EQ(blame.fault, fault) << out.status().ToString();
  EXPECT_EQ(blame.culprit, culprit) << out.status().ToString();
  EXPECT_EQ(blame.reporter, reporter);
  EXPECT_NE(
      out.status().message().find("participant " + std::to_string(culprit)),
      std::string::npos)
      << out.status().ToString();
  return blame;
}

TEST_F(CocktailVectorTest, SetupRejectsBadParameters) {
  const DkgRun r = First();
  const auto& keys = r.session.static_public_keys;
  EXPECT_EQ(NewSession(0, keys, r.session.context).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NewSession(4, keys, r.session.context).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NewSession(2, {}, r.session.context).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NewSession(2, keys, {}).status().code(),
            StatusCode::kInvalidArgument);
  // Duplicate participants (the same static key at two positions).
  std::vector<Point> dup = keys;
  dup[2] = dup[0];
  auto s = NewSession(2, dup, r.session.context);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("P_1 and P_3"), std::string::npos);
  std::vector<Point> inf = keys;
  inf[1] = Point::Infinity();
  EXPECT_EQ(NewSession(2, inf, r.session.context).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, IndexZeroAndOutOfRangeRefused) {
  const DkgRun r = First();
  for (uint32_t bad : {0u, 4u}) {
    EXPECT_EQ(Round1(r.session, bad, r.static_keys[0]).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(
        Round2(r.session, bad, r.static_keys[0], r.messages).status().code(),
        StatusCode::kInvalidArgument);
  }
  // The wrong static key for a position.
  EXPECT_EQ(Round1(r.session, 2, r.static_keys[0]).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Round2(r.session, 2, r.static_keys[0], r.messages).status().code(),
            StatusCode::kInvalidArgument);
  // A dropped message (the coordinator's fault: no participant named).
  std::vector<Round1Message> two(r.messages.begin(), r.messages.begin() + 2);
  EXPECT_EQ(Round2(r.session, 1, r.static_keys[0], two).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, CommitmentLongerOrShorterThanT) {
  const DkgRun r = First();
  auto longer = r.messages;
  longer[1].commitment.push_back(Point::Generator());
  Blame b = ExpectBlame(r, longer, 1, Fault::kCommitmentLength, 2,
                        StatusCode::kInvalidArgument);
  EXPECT_TRUE(b.publicly_verifiable);
  EXPECT_TRUE(VerifyBlame(r.session, longer, b).ok());
  EXPECT_EQ(VerifyBlame(r.session, r.messages, b).code(),
            StatusCode::kInvalidArgument);  // unfounded on the honest record
  auto shorter = r.messages;
  shorter[2].commitment.pop_back();
  ExpectBlame(r, shorter, 1, Fault::kCommitmentLength, 3,
              StatusCode::kInvalidArgument);
  // On the wire, a longer commitment cannot parse under the session's t.
  Bytes wire = EncodeRound1Message(longer[1]);
  EXPECT_FALSE(DecodeRound1Message(wire, r.n, r.t).ok());
  EXPECT_EQ(Transcript(r.session, longer).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, InvalidAndMissingProofOfPossession) {
  const DkgRun r = First();
  auto bad = r.messages;
  bad[2].pop[40] ^= 0x01;
  Blame b = ExpectBlame(r, bad, 1, Fault::kInvalidPop, 3,
                        StatusCode::kUnauthenticated);
  EXPECT_TRUE(VerifyBlame(r.session, bad, b).ok());
  EXPECT_EQ(VerifyBlame(r.session, r.messages, b).code(),
            StatusCode::kInvalidArgument);
  // A commitment changed after signing (the PoP binds all of C_j and E_j).
  auto changed = r.messages;
  changed[1].commitment[1] = changed[1].commitment[1] + Point::Generator();
  ExpectBlame(r, changed, 3, Fault::kInvalidPop, 2,
              StatusCode::kUnauthenticated);
  auto changed_e = r.messages;
  changed_e[0].ephemeral_key = r.messages[1].ephemeral_key;
  ExpectBlame(r, changed_e, 2, Fault::kInvalidPop, 1,
              StatusCode::kUnauthenticated);
  // Missing PoP.
  auto missing = r.messages;
  missing[1].pop.clear();
  ExpectBlame(r, missing, 1, Fault::kMalformedMessage, 2,
              StatusCode::kInvalidArgument);
  Bytes wire = EncodeRound1Message(r.messages[1]);
  const size_t pop_at = r.t * kPointSize;
  Bytes no_pop(wire.begin(), wire.begin() + pop_at);
  no_pop.insert(no_pop.end(), wire.begin() + pop_at + kSignatureSize,
                wire.end());
  EXPECT_FALSE(DecodeRound1Message(no_pop, r.n, r.t).ok());
  // Non-canonical z (>= q) in the PoP.
  auto big_z = r.messages;
  const Bytes q =
      Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  std::copy(q.begin(), q.end(), big_z[0].pop.begin() + 33);
  ExpectBlame(r, big_z, 2, Fault::kInvalidPop, 1, StatusCode::kUnauthenticated);
  // R = the all-zero identity encoding, or a hybrid-looking prefix.
  for (uint8_t prefix : {0x00, 0x04, 0x06, 0x07}) {
    auto bad_r = r.messages;
    bad_r[0].pop[0] = prefix;
    if (prefix == 0x00)
      std::fill(bad_r[0].pop.begin(), bad_r[0].pop.begin() + 33, 0);
    ExpectBlame(r, bad_r, 2, Fault::kInvalidPop, 1,
                StatusCode::kUnauthenticated);
  }
}

TEST_F(CocktailVectorTest, ReplayedProofOfPossession) {
  const DkgRun r = First();
  // Within the session: participant 3 replays participant 2's C, PoP and E
  // (its PoP verifies: it signs the same context).
  auto replay = r.messages;
  replay[2].commitment = r.messages[1].commitment;
  replay[2].pop = r.messages[1].pop;
  replay[2].ephemeral_key = r.messages[1].ephemeral_key;
  Blame b = ExpectBlame(r, replay, 1, Fault::kDuplicateContribution, 3,
                        StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyBlame(r.session, replay, b).ok());
  EXPECT_EQ(VerifyBlame(r.session, r.messages, b).code(),
            StatusCode::kInvalidArgument);
  // Across sessions: the same messages under another context fail the PoP.
  auto other = NewSession(r.t, r.session.static_public_keys,
                          RecommendedContext(AsBytes("another ceremony"),
                                             r.session.static_public_keys));
  ASSERT_TRUE(other.ok());
  Blame cross;
  auto out = Round2(*other, 1, r.static_keys[0], r.messages, &cross);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(cross.fault, Fault::kInvalidPop);
  EXPECT_EQ(cross.culprit, 1u);
}

TEST_F(CocktailVectorTest, InfinityAndHybridPointsRefused) {
  const DkgRun r = First();
  const Bytes wire = EncodeRound1Message(r.messages[0]);
  const size_t e_at = r.t * kPointSize + kSignatureSize;
  for (size_t at : {size_t{0}, size_t{kPointSize}, e_at}) {
    SCOPED_TRACE(at);
    Bytes zero = wire;  // the spec's identity encoding: all zero bytes
    std::fill(zero.begin() + at, zero.begin() + at + kPointSize, 0);
    EXPECT_EQ(DecodeRound1Message(zero, r.n, r.t).status().code(),
              StatusCode::kInvalidArgument);
    for (uint8_t prefix : {0x00, 0x01, 0x04, 0x05, 0x06, 0x07}) {
      Bytes bad = wire;
      bad[at] = prefix;
      EXPECT_FALSE(DecodeRound1Message(bad, r.n, r.t).ok()) << int{prefix};
    }
    Bytes off_curve = wire;  // x = 2^256 - 1 >= p: not a field element
    std::fill(off_curve.begin() + at + 1, off_curve.begin() + at + kPointSize,
              0xff);
    EXPECT_FALSE(DecodeRound1Message(off_curve, r.n, r.t).ok());
  }
  // In-memory infinity (no decoder involved) is blamed as malformed.
  auto inf_c = r.messages;
  inf_c[1].commitment[1] = Point::Infinity();
  ExpectBlame(r, inf_c, 1, Fault::kMalformedMessage, 2,
              StatusCode::kInvalidArgument);
  auto inf_e = r.messages;
  inf_e[2].ephemeral_key = Point::Infinity();
  ExpectBlame(r, inf_e, 1, Fault::kMalformedMessage, 3,
              StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, CiphertextFraming) {
  const DkgRun r = First();
  const Bytes wire = EncodeRound1Message(r.messages[0]);
  const size_t frame_at = r.t * kPointSize + kSignatureSize + kPointSize;
  EXPECT_FALSE(DecodeRound1Message(Concat({wire, Bytes{0}}), r.n, r.t)
                   .ok());  // trailing
  EXPECT_FALSE(DecodeRound1Message(ByteSpan(wire).first(wire.size() - 1), r.n,
                                   r.t)
                   .ok());  // truncated
  Bytes huge = wire;        // length prefix 2^32 > MAX_CIPHERTEXT_SIZE
  huge[frame_at + 3] = 0x01;
  EXPECT_NE(DecodeRound1Message(huge, r.n, r.t)
                .status()
                .message()
                .find("MAX_CIPHERTEXT_SIZE"),
            std::string::npos);
  auto short_c = r.messages;
  short_c[1].ciphertexts[0].resize(47);
  Blame b = ExpectBlame(r, short_c, 1, Fault::kCiphertextFraming, 2,
                        StatusCode::kInvalidArgument);
  EXPECT_FALSE(b.publicly_verifiable);
  auto missing = r.messages;
  missing[2].ciphertexts.pop_back();
  ExpectBlame(r, missing, 1, Fault::kMalformedMessage, 3,
              StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, DecryptionFailureNamesSenderButIsNotPublic) {
  const DkgRun r = First();
  auto bad = r.messages;
  bad[1].ciphertexts[2][5] ^= 0x20;
  Blame b = ExpectBlame(r, bad, 3, Fault::kDecryptionFailed, 2,
                        StatusCode::kUnauthenticated);
  EXPECT_FALSE(b.publicly_verifiable);
  EXPECT_EQ(VerifyBlame(r.session, bad, b).code(),
            StatusCode::kFailedPrecondition);
  // Participants 1 and 2 are unaffected by a ciphertext addressed to 3.
  EXPECT_TRUE(Round2(r.session, 1, r.static_keys[0], bad).ok());
  // A ciphertext swapped between recipients does not decrypt (the key binds
  // the recipient's static key).
  auto swapped = r.messages;
  std::swap(swapped[0].ciphertexts[1], swapped[0].ciphertexts[2]);
  ExpectBlame(r, swapped, 2, Fault::kDecryptionFailed, 1,
              StatusCode::kUnauthenticated);
}

// Seals `plaintext` from sender j to recipient i with an independent
// re-derivation of the spec's H6 key and nonce (e_j comes from the stream).
Bytes SealAs(const DkgRun& r, uint32_t j, uint32_t i, ByteSpan plaintext) {
  const Scalar& e = r.round1[j - 1].secrets.ephemeral_key;
  const Point& pj = r.session.static_public_keys[j - 1];
  const Point& pi = r.session.static_public_keys[i - 1];
  const Bytes x = Concat({pi.Mul(e).EncodeCompressed(),
                          pi.Mul(r.static_keys[j - 1]).EncodeCompressed()});
  auto h6 = [&](const std::string& label) {
    Bytes extra;
    AppendLe(extra, r.session.context.size(), 8);
    extra.insert(extra.end(), r.session.context.begin(),
                 r.session.context.end());
    AppendLe(extra, label.size(), 8);
    const ByteSpan l = AsBytes(label);
    extra.insert(extra.end(), l.begin(), l.end());
    Bytes len;
    AppendLe(len, extra.size(), 8);
    const Sha256Digest d = Sha256(
        Concat({AsBytes("COCKTAIL-DKG-P256-SHA256-H6"), x,
                r.messages[j - 1].ephemeral_key.EncodeCompressed(),
                pj.EncodeCompressed(), pi.EncodeCompressed(), len, extra}));
    return Bytes(d.begin(), d.end());
  };
  const Bytes key = h6("key");
  Bytes nonce = h6("nonce");
  nonce.resize(24);
  auto c = Xaes256GcmSeal(key, nonce, {}, plaintext);
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST_F(CocktailVectorTest, IndependentKeyDerivationMatches) {
  const DkgRun r = First();
  // Re-sealing the honest share with the test's own H6 gives the vector's
  // ciphertext: the key schedule is checked independently of the library.
  const Scalar s = r.round1[1].secrets.coefficients[0] +
                   r.round1[1].secrets.coefficients[1] * Scalar::FromUint64(3);
  EXPECT_EQ(HexEncode(SealAs(r, 2, 3, s.ToPublicBytes())),
            r.v["round1"][1]["encrypted_shares"][2]);
}

TEST_F(CocktailVectorTest, UnverifiedFeldmanShareIsBlamedPublicly) {
  const DkgRun r = First();
  // Participant 2 sends participant 1 a share off its committed polynomial.
  const Scalar good =
      r.round1[1].secrets.coefficients[0] + r.round1[1].secrets.coefficients[1];
  const Scalar bad_share = good + Scalar::FromUint64(1);
  auto bad = r.messages;
  bad[1].ciphertexts[0] = SealAs(r, 2, 1, bad_share.ToPublicBytes());
  Blame b = ExpectBlame(r, bad, 1, Fault::kInvalidShare, 2,
                        StatusCode::kUnauthenticated);
  ASSERT_TRUE(b.publicly_verifiable);
  ASSERT_TRUE(b.disclosed_share.has_value());
  EXPECT_TRUE(b.disclosed_share->Equals(bad_share));
  // Anyone can confirm from C_2 and the disclosed share...
  EXPECT_TRUE(VerifyBlame(r.session, bad, b).ok());
  // ...and a false accusation with the honest share is refused.
  Blame framed = b;
  framed.disclosed_share = good;
  EXPECT_EQ(VerifyBlame(r.session, bad, framed).code(),
            StatusCode::kInvalidArgument);
  Blame no_evidence = b;
  no_evidence.disclosed_share.reset();
  EXPECT_EQ(VerifyBlame(r.session, bad, no_evidence).code(),
            StatusCode::kInvalidArgument);
  // Recipients other than 1 are unaffected.
  EXPECT_TRUE(Round2(r.session, 3, r.static_keys[2], bad).ok());
}

TEST_F(CocktailVectorTest, NonCanonicalShareScalarIsBlamed) {
  const DkgRun r = First();
  const Bytes q =
      Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  auto bad = r.messages;
  bad[2].ciphertexts[1] = SealAs(r, 3, 2, q);
  Blame b = ExpectBlame(r, bad, 2, Fault::kInvalidShareEncoding, 3,
                        StatusCode::kInvalidArgument);
  EXPECT_FALSE(b.publicly_verifiable);
  // share + q would be the same residue: still refused, never reduced.
  const Scalar s = r.round1[2].secrets.coefficients[0] +
                   r.round1[2].secrets.coefficients[1] * Scalar::FromUint64(2);
  const auto sb = s.ToPublicBytes();
  // s + q is only representable in 32 bytes when it stays below 2^256.
  Bytes plus_q(32);
  unsigned carry = 0;
  for (int k = 31; k >= 0; --k) {
    const unsigned sum = unsigned{sb[k]} + unsigned{q[k]} + carry;
    plus_q[k] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  if (carry == 0) {
    bad[2].ciphertexts[1] = SealAs(r, 3, 2, plus_q);
    ExpectBlame(r, bad, 2, Fault::kInvalidShareEncoding, 3,
                StatusCode::kInvalidArgument);
  }
}

TEST_F(CocktailVectorTest, TranscriptSignatureFailureIsBlamed) {
  const DkgRun r = First();
  auto sigs = r.signatures;
  sigs[1][50] ^= 0x04;
  Blame b;
  Status s = VerifyCertificate(r.session, r.transcript, sigs, &b);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(b.fault, Fault::kInvalidTranscriptSignature);
  EXPECT_EQ(b.culprit, 2u);
  EXPECT_TRUE(VerifyBlame(r.session, r.messages, b, r.transcript).ok());
  Blame honest = b;
  honest.signature = r.signatures[1];
  EXPECT_EQ(VerifyBlame(r.session, r.messages, honest, r.transcript).code(),
            StatusCode::kInvalidArgument);
  // A split view: participant 3 signed a transcript with another extension.
  auto other = Transcript(r.session, r.messages, AsBytes("x"));
  ASSERT_TRUE(other.ok());
  auto split = r.signatures;
  split[2] = *CertEqSign(r.static_keys[2], *other);
  EXPECT_FALSE(VerifyCertificate(r.session, r.transcript, split, &b).ok());
  EXPECT_EQ(b.culprit, 3u);
  // Too few signatures.
  sigs.pop_back();
  EXPECT_EQ(VerifyCertificate(r.session, r.transcript, sigs).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CocktailVectorTest, RecoveryRejectsBadInputs) {
  const DkgRun r = Execute(Vectors()[0], Seed());
  Bytes bundle;
  for (uint32_t j = 1; j <= r.n; ++j) {
    const Bytes& c = r.messages[j - 1].ciphertexts[0];
    for (int b = 7; b >= 0; --b) {
      bundle.push_back(static_cast<uint8_t>(uint64_t{c.size()} >> (8 * b)));
    }
    bundle.insert(bundle.end(), c.begin(), c.end());
  }
  ASSERT_TRUE(
      Recover(r.static_keys[0], r.transcript, r.signatures, bundle).ok());
  EXPECT_EQ(Recover(r.static_keys[0], r.transcript, r.signatures,
                    Concat({bundle, Bytes{0}}))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Recover(r.static_keys[0], r.transcript, r.signatures,
                       ByteSpan(bundle).first(bundle.size() - 1))
                   .ok());
  Bytes wrong_cs = r.transcript;
  wrong_cs[8 + 9] ^= 0x01;  // inside "COCKTAIL(P-256, SHA-256)"
  EXPECT_FALSE(Recover(r.static_keys[0], wrong_cs, r.signatures, bundle).ok());
  Bytes trailing = Concat({r.transcript, Bytes{0}});
  EXPECT_FALSE(Recover(r.static_keys[0], trailing, r.signatures, bundle).ok());
  auto bad_sigs = r.signatures;
  bad_sigs[2][60] ^= 1;
  EXPECT_EQ(
      Recover(r.static_keys[0], r.transcript, bad_sigs, bundle).status().code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(Recover(Scalar::FromUint64(7), r.transcript, r.signatures, bundle)
                .status()
                .code(),
            StatusCode::kNotFound);
  // Participant 2's key with participant 1's bundle: decryption fails.
  EXPECT_EQ(Recover(r.static_keys[1], r.transcript, r.signatures, bundle)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
}

TEST(CocktailSchnorrTest, SignVerifyAndRejections) {
  const Scalar sk = Scalar::FromUint64(123456789);
  const Point pk = Point::BaseMul(sk);
  auto sig = SchnorrSign(sk, AsBytes("message"));
  ASSERT_TRUE(sig.ok());
  ASSERT_EQ(sig->size(), kSignatureSize);
  EXPECT_TRUE(SchnorrVerify(pk, *sig, AsBytes("message")).ok());
  EXPECT_EQ(SchnorrVerify(pk, *sig, AsBytes("messagf")).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(SchnorrVerify(Point::Generator(), *sig, AsBytes("message")).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(
      SchnorrVerify(pk, ByteSpan(*sig).first(64), AsBytes("message")).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(SchnorrSign(Scalar(), AsBytes("m")).status().code(),
            StatusCode::kInvalidArgument);
  // Deterministic (spec: nonce from sk and m).
  EXPECT_EQ(*SchnorrSign(sk, AsBytes("message")), *sig);
}

TEST(CocktailSchnorrTest, HashToScalarIsTheSpecsConstruction) {
  // OS2IP(SHA256(0x01 ‖ in) ‖ SHA256(0x02 ‖ in)[0:16]) mod q, checked against
  // a direct computation for "abc".
  const Sha256Digest a = Sha256(Concat({Bytes{1}, AsBytes("abc")}));
  const Sha256Digest b = Sha256(Concat({Bytes{2}, AsBytes("abc")}));
  const Bytes wide = Concat({a, ByteSpan(b).first(16)});
  EXPECT_TRUE(
      HashToScalar(AsBytes("abc")).Equals(Scalar::FromBytesModOrder(wide)));
  EXPECT_FALSE(
      HashToScalar(AsBytes("abc")).Equals(Scalar::FromBytesModOrder(a)));
}

}  // namespace
}  // namespace conclave::cocktail
