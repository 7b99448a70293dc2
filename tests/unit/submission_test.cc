// Submissions (brief §2): the p256tag recipient type (C2SP age), the
// sender-proof stanza, the validator and the inspector. Round trips through
// the threshold (DH point) path and the whole-key identity, pinned known
// answers, and every negative of issue 3.
#include "age/submission.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/base64.h"
#include "age/bech32.h"
#include "age/p256tag.h"
#include "age/x25519.h"
#include "crypto/hpke.h"
#include "crypto/random.h"
#include "tests/test_util.h"

namespace conclave::age {
namespace {

using ::conclave::testing::Hex;

#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                   \
  auto tmp = (expr);                                                 \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(           \
      CONCLAVE_STATUS_CONCAT_(assert_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const ::conclave::Status s_ = (expr);                   \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

// ---- Pinned values --------------------------------------------------------
// The p256tag HPKE vector of tests/vectors/hpke_test.cc (cross-checked there
// with Python cryptography's HPKE); the tag, the compressed key, its
// age1tag1 string and the id were computed independently with Python's
// hashlib/hmac and a reference Bech32 (BIP 173) encoder.
constexpr std::string_view kIkmE =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kIkmR =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr std::string_view kFileKey = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
constexpr std::string_view kPkRCompressed =
    "02c1c2f5142333a5af857db225369758c149e7c63a803a9d85abac5b39f49b178e";
constexpr std::string_view kRecipientString =
    "age1tag1qtqu9ag5yve6ttu90kez2d5htrq5ne7x82qr48v94wk9kw05nvtcuj0l7eh";
constexpr std::string_view kEnc =
    "04cfb264d85c7eb276cf60773c461d722e25b64bf345d077c1a8b10c05b8decb45b7ad"
    "849cce5e9660102f3f368afd22fe797caf6c3a9cbcbe7657b27bbcddfdb1";
constexpr std::string_view kEncB64 =
    "BM+yZNhcfrJ2z2B3PEYdci4ltkvzRdB3waixDAW43stFt62EnM5elmAQLz82iv0i/nl8r2w6"
    "nLy+dleye7zd/bE";
constexpr std::string_view kCt =
    "caecba7f7b675ca355a6e6c3397336507612b228d1766cd5abb7f012392271c0";
constexpr std::string_view kTag = "ae953b75";
constexpr std::string_view kTagB64 = "rpU7dQ";
constexpr std::string_view kId =
    "2a54d2a0477824dc82549f28fb77d563603cf81a12bf24a61e97ce0853387352";
// C2SP age's own example recipient (a valid point).
constexpr std::string_view kSpecRecipient =
    "age1tag1qt8lw0ual6avlwmwatk888yqnmdamm7xfd0wak53ut6elz5c4swx2yqdj4e";
constexpr std::string_view kSpecRecipientPoint =
    "02cff73f9dfebacfbb6eeaec739c809edbddefc64b5eeeda91e2f59f8a98ac1c65";

std::string H(ByteSpan b) { return HexEncode(b); }

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The last character of a 4-byte (6-character) or 64-byte (86-character)
// encoding carries 2 data bits and 4 spare ones: keep the data bits, set a
// spare bit.
char NonCanonicalLast(char c) {
  return kAlphabet[(kAlphabet.find(c) & 0x30) | 0x01];
}

SecretBytes Secret(ByteSpan b) { return SecretBytes::CopyFrom(b); }

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + 7);
  return b;
}

Scalar ScalarFromIkm(std::string_view ikm_hex) {
  StatusOr<DhkemP256KeyPair> kp = DhkemP256DeriveKeyPair(Hex(ikm_hex));
  EXPECT_TRUE(kp.ok());
  return kp->private_key;
}

void ExpectDefect(const Status& s, SubmissionDefect want) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(GetSubmissionDefect(s), want)
      << "got " << s.ToString() << ", want " << SubmissionDefectName(want);
}

template <typename T>
void ExpectDefect(const StatusOr<T>& s, SubmissionDefect want) {
  ExpectDefect(s.status(), want);
}

// ---- The fixture: a consortium key whose private part the test holds ----

class SubmissionTest : public ::testing::Test {
 protected:
  SubmissionTest() : x_(ScalarFromIkm(kIkmR)), y_(Point::BaseMul(x_)) {}

  Bytes Encrypt(ByteSpan pt, std::vector<uint32_t> excluded = {},
                SenderProofKind kind = SenderProofKind::kSender,
                bool armor = false) {
    auto r = SubmissionRecipient::Create(y_, std::move(excluded), kind);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    const Recipient* rs[] = {&*r};
    auto ct = EncryptToMemory(rs, pt, {.armor = armor});
    EXPECT_TRUE(ct.ok()) << ct.status().ToString();
    return ct.ok() ? *ct : Bytes();
  }

  static Header HeaderOf(ByteSpan file) {
    auto h = ParseHeader(file);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : Header();
  }

  // A header over arbitrary stanzas (the MAC does not matter to the
  // validator, which cannot check it).
  static Header HeaderWith(std::vector<Stanza> stanzas) {
    auto h = BuildHeader(std::move(stanzas), GenerateFileKey());
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : Header();
  }

  // Stanzas with r known, and the proof made over a statement that may
  // differ from the stanza (to test that the proof binds each element).
  struct Parts {
    Scalar r;
    P256TagStanza tag;
    ProofStanza proof;
  };
  Parts MakeParts(std::vector<uint32_t> excluded = {}) {
    Parts p{Scalar::Random(), {}, {}};
    auto t = WrapP256Tag(GenerateFileKey(), y_, p.r);
    EXPECT_TRUE(t.ok());
    p.tag = *t;
    p.proof.excluded_orgs = std::move(excluded);
    auto proof = ProveSender(SenderProofKind::kSender, p.r, p.tag.enc, y_,
                             p.tag.tag, p.tag.body, p.proof.excluded_orgs);
    EXPECT_TRUE(proof.ok());
    p.proof.proof = *proof;
    return p;
  }
  Header HeaderOf(const Parts& p) {
    return HeaderWith({EncodeP256TagStanza(p.tag), EncodeProofStanza(p.proof)});
  }

  // What the daemon and the approving editors do: validate, combine the DH
  // point from partials (here two additive shares x = x1 + x2), unwrap, then
  // decrypt with the file key (which verifies the header MAC).
  StatusOr<SecretBytes> DecryptViaDh(ByteSpan file) {
    CONCLAVE_ASSIGN_OR_RETURN(Header h, ParseHeader(file));
    CONCLAVE_ASSIGN_OR_RETURN(SubmissionInfo info, ValidateSubmission(h, y_));
    CONCLAVE_ASSIGN_OR_RETURN(Point enc,
                              Point::DecodeUncompressed(info.p256tag.enc));
    const Scalar x1 = Scalar::Random();
    const Scalar x2 = x_ - x1;
    const Point dh = enc.Mul(x1) + enc.Mul(x2);
    CONCLAVE_ASSIGN_OR_RETURN(SecretBytes key,
                              UnwrapP256TagWithDhPoint(info.p256tag, y_, dh));
    MemoryReader in(file);
    SecretWriter out;
    CONCLAVE_RETURN_IF_ERROR(DecryptWithFileKey(in, out, key));
    return out.Take();
  }

  StatusOr<SecretBytes> DecryptViaIdentity(ByteSpan file) {
    CONCLAVE_ASSIGN_OR_RETURN(P256TagIdentity id,
                              P256TagIdentity::FromScalar(x_));
    const Identity* ids[] = {&id};
    return DecryptToMemory(file, ids);
  }

  Scalar x_;
  Point y_;
};

// ---- Recipient strings ------------------------------------------------------

TEST(P256TagRecipientTest, PinnedEncoding) {
  ASSERT_OK_AND_ASSIGN(Point y, Point::DecodeCompressed(Hex(kPkRCompressed)));
  EXPECT_EQ(EncodeP256TagRecipient(y), kRecipientString);
  ASSERT_OK_AND_ASSIGN(Point back, ParseP256TagRecipient(kRecipientString));
  EXPECT_TRUE(back == y);
  // The key derived from the pinned seed is that point.
  EXPECT_TRUE(Point::BaseMul(ScalarFromIkm(kIkmR)) == y);
}

TEST(P256TagRecipientTest, SpecExampleParses) {
  ASSERT_OK_AND_ASSIGN(Point y, ParseP256TagRecipient(kSpecRecipient));
  EXPECT_EQ(H(y.EncodeCompressed()), kSpecRecipientPoint);
  EXPECT_EQ(EncodeP256TagRecipient(y), kSpecRecipient);
}

TEST(P256TagRecipientTest, RejectsMalformed) {
  std::string upper(kRecipientString);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  std::string bad_checksum(kRecipientString);
  bad_checksum.back() = bad_checksum.back() == 'q' ? 'p' : 'q';
  const Point y = Point::BaseMul(Scalar::FromUint64(7));
  const auto unc = y.EncodeUncompressed();
  const std::string wrong_length = Bech32Encode("age1tag", unc);
  Bytes off_curve = Hex(kPkRCompressed);
  off_curve[32] ^= 1;  // most x have no point; this one was checked below
  const std::string x25519 = Bech32Encode("age", Bytes(32, 9));
  for (const std::string& s :
       {upper, bad_checksum, wrong_length, x25519, std::string(""),
        std::string("age1tag1"), std::string(kRecipientString) + " "}) {
    StatusOr<Point> p = ParseP256TagRecipient(s);
    EXPECT_FALSE(p.ok()) << s;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << s;
  }
  EXPECT_NE(ParseP256TagRecipient(x25519).status().message().find("X25519"),
            std::string::npos);
  if (!Point::DecodeCompressed(off_curve).ok()) {
    EXPECT_FALSE(
        ParseP256TagRecipient(Bech32Encode("age1tag", off_curve)).ok());
  }
}

class RecipientArgumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("conclave_submission_test_" + HexEncode(RandomBytes(8).span()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(RecipientArgumentTest, StringOrFirstLineOfFile) {
  ASSERT_OK_AND_ASSIGN(Point want, ParseP256TagRecipient(kRecipientString));
  const std::string r(kRecipientString);
  for (const std::string& arg :
       {r, Write("a.pub", r + "\n"), Write("b.pub", r + "\r\n"),
        Write("c.pub", r), Write("d.pub", r + "\n# comment\nmore\n")}) {
    ASSERT_OK_AND_ASSIGN(Point got, ReadRecipientArgument(arg));
    EXPECT_TRUE(got == want) << arg;
  }
}

TEST_F(RecipientArgumentTest, RejectsBadFilesAndStrings) {
  const std::string r(kRecipientString);
  const std::string missing = (dir_ / "missing.pub").string();
  for (const std::string& arg :
       {Write("empty.pub", ""), Write("blank.pub", "\n" + r + "\n"),
        Write("space.pub", " " + r + "\n"), Write("trail.pub", r + " \n"),
        Write("garbage.pub", std::string(10000, 'x')), missing,
        std::string("age1tag1garbage"), std::string("")}) {
    StatusOr<Point> p = ReadRecipientArgument(arg);
    EXPECT_FALSE(p.ok()) << arg;
  }
  StatusOr<Point> p = ReadRecipientArgument(missing);
  EXPECT_NE(p.status().message().find("missing.pub"), std::string::npos)
      << p.status().ToString();
}

// ---- The p256tag stanza ---------------------------------------------------

TEST(P256TagStanzaTest, KnownAnswer) {
  const Scalar x = ScalarFromIkm(kIkmR);
  const Point y = Point::BaseMul(x);
  const Scalar r = ScalarFromIkm(kIkmE);
  EXPECT_EQ(H(ComputeP256Tag(Hex(kEnc), y)), kTag);
  ASSERT_OK_AND_ASSIGN(P256TagStanza s,
                       WrapP256Tag(Secret(Hex(kFileKey)), y, r));
  EXPECT_EQ(H(s.enc), kEnc);
  EXPECT_EQ(H(s.body), kCt);
  EXPECT_EQ(H(s.tag), kTag);
  const Stanza st = EncodeP256TagStanza(s);
  ASSERT_OK_AND_ASSIGN(std::string text, EncodeStanza(st));
  EXPECT_EQ(text, "-> p256tag " + std::string(kTagB64) + " " +
                      std::string(kEncB64) + "\n" + Base64Encode(Hex(kCt)) +
                      "\n");
  ASSERT_OK_AND_ASSIGN(P256TagStanza back, ParseP256TagStanza(st));
  EXPECT_TRUE(back == s);
  EXPECT_EQ(SubmissionId(s.enc), kId);

  // Both unwrap paths give the file key.
  ASSERT_OK_AND_ASSIGN(P256TagIdentity id, P256TagIdentity::FromScalar(x));
  ASSERT_OK_AND_ASSIGN(std::optional<SecretBytes> k1, id.Unwrap(st));
  ASSERT_TRUE(k1.has_value());
  EXPECT_EQ(H(k1->span()), kFileKey);
  ASSERT_OK_AND_ASSIGN(Point enc, Point::DecodeUncompressed(s.enc));
  ASSERT_OK_AND_ASSIGN(SecretBytes k2,
                       UnwrapP256TagWithDhPoint(s, y, enc.Mul(x)));
  EXPECT_EQ(H(k2.span()), kFileKey);
}

TEST(P256TagStanzaTest, StrictParsing) {
  const Point y = Point::BaseMul(Scalar::FromUint64(5));
  ASSERT_OK_AND_ASSIGN(P256TagStanza s,
                       WrapP256Tag(GenerateFileKey(), y, Scalar::Random()));
  const Stanza good = EncodeP256TagStanza(s);
  std::vector<Stanza> bad;
  auto with = [&](auto f) {
    Stanza t = good;
    f(t);
    bad.push_back(t);
  };
  with([](Stanza& t) { t.args.pop_back(); });
  with([](Stanza& t) { t.args.push_back("x"); });
  with([](Stanza& t) { t.args[0] += "=="; });  // padded
  with([](Stanza& t) {                         // non-canonical trailing bits
    t.args[0].back() = NonCanonicalLast(t.args[0].back());
  });
  with([](Stanza& t) { t.args[0] = Base64Encode(Bytes(3, 1)); });
  with([](Stanza& t) { t.args[0] = Base64Encode(Bytes(5, 1)); });
  with([](Stanza& t) { t.args[1] = Base64Encode(Bytes(64, 4)); });
  with([](Stanza& t) { t.args[1] = Base64Encode(Bytes(66, 4)); });
  with([&](Stanza& t) { t.args[1] = Base64EncodePadded(s.enc); });
  with([](Stanza& t) { t.body.pop_back(); });
  with([](Stanza& t) { t.body.push_back(0); });
  with([](Stanza& t) { t.body.clear(); });
  for (const Stanza& t : bad) {
    StatusOr<P256TagStanza> p = ParseP256TagStanza(t);
    EXPECT_EQ(GetErrorKind(p.status()), ErrorKind::kHeader)
        << p.status().ToString();
  }
}

TEST(P256TagStanzaTest, IdentityIgnoresOthersAndRejectsMalformed) {
  const P256TagIdentity me = P256TagIdentity::Generate();
  const P256TagIdentity other = P256TagIdentity::Generate();
  ASSERT_OK_AND_ASSIGN(P256TagRecipient to_other,
                       P256TagRecipient::Create(other.recipient()));
  ASSERT_OK_AND_ASSIGN(std::vector<Stanza> st,
                       to_other.Wrap(GenerateFileKey()));
  ASSERT_EQ(st.size(), 1u);
  // Another recipient's stanza, and another type: ignored.
  ASSERT_OK_AND_ASSIGN(std::optional<SecretBytes> k, me.Unwrap(st[0]));
  EXPECT_FALSE(k.has_value());
  ASSERT_OK_AND_ASSIGN(k, me.Unwrap(Stanza{"X25519", {"a"}, Bytes(32)}));
  EXPECT_FALSE(k.has_value());
  // Malformed p256tag: header failure even if not ours.
  Stanza bad = st[0];
  bad.body.resize(31);
  EXPECT_EQ(GetErrorKind(me.Unwrap(bad).status()), ErrorKind::kHeader);
  // Ours with a tampered body: the AEAD fails, so "not ours" (no match).
  ASSERT_OK_AND_ASSIGN(P256TagRecipient to_me,
                       P256TagRecipient::Create(me.recipient()));
  ASSERT_OK_AND_ASSIGN(st, to_me.Wrap(GenerateFileKey()));
  st[0].body[3] ^= 1;
  ASSERT_OK_AND_ASSIGN(k, me.Unwrap(st[0]));
  EXPECT_FALSE(k.has_value());
  EXPECT_FALSE(P256TagIdentity::FromScalar(Scalar()).ok());
  EXPECT_FALSE(P256TagRecipient::Create(Point::Infinity()).ok());
}

TEST(P256TagStanzaTest, DhPathFailures) {
  const Scalar x = Scalar::Random();
  const Point y = Point::BaseMul(x);
  ASSERT_OK_AND_ASSIGN(P256TagStanza s,
                       WrapP256Tag(GenerateFileKey(), y, Scalar::Random()));
  ASSERT_OK_AND_ASSIGN(Point enc, Point::DecodeUncompressed(s.enc));
  // A wrong DH point (a bad partial): UNAUTHENTICATED.
  EXPECT_EQ(UnwrapP256TagWithDhPoint(s, y, enc.Mul(x) + Point::Generator())
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(UnwrapP256TagWithDhPoint(s, y, Point::Infinity()).status().code(),
            StatusCode::kInvalidArgument);
  // Another recipient: the tag says so before anything is computed.
  const Point other = Point::BaseMul(Scalar::Random());
  EXPECT_EQ(UnwrapP256TagWithDhPoint(s, other, enc.Mul(x)).status().code(),
            StatusCode::kInvalidArgument);
  // Wrong file key length.
  EXPECT_FALSE(WrapP256Tag(Secret(Bytes(15)), y, Scalar::Random()).ok());
  EXPECT_FALSE(WrapP256Tag(GenerateFileKey(), y, Scalar()).ok());
}

// ---- Exclusions ------------------------------------------------------------

TEST(ExclusionsTest, OrgIdGrammar) {
  EXPECT_EQ(*ParseOrgId("1"), 1u);
  EXPECT_EQ(*ParseOrgId("42"), 42u);
  EXPECT_EQ(*ParseOrgId("4294967295"), 4294967295u);
  for (const char* bad : {"", "0", "00", "01", "+1", "-1", " 1", "1 ", "1a",
                          "0x1", "4294967296", "99999999999", "1.0", "١"}) {
    StatusOr<uint32_t> r = ParseOrgId(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ExclusionsTest, ListsMustBeStrictlyAscending) {
  const std::vector<std::string> ok = {"1", "7", "4294967295"};
  ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> v, ParseExclusionArgs(ok));
  EXPECT_EQ(v, (std::vector<uint32_t>{1, 7, 4294967295u}));
  EXPECT_EQ(EncodeExclusionArgs(v), ok);
  ASSERT_OK_AND_ASSIGN(v, ParseExclusionArgs({}));
  EXPECT_TRUE(v.empty());
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{
           {"2", "1"}, {"3", "3"}, {"1", "01"}, {"0"}, {"1", "+2"}}) {
    EXPECT_FALSE(ParseExclusionArgs(bad).ok());
  }
  const std::vector<uint32_t> dup = {1, 1}, zero = {0}, desc = {2, 1};
  EXPECT_FALSE(CheckExclusions(dup).ok());
  EXPECT_FALSE(CheckExclusions(zero).ok());
  EXPECT_FALSE(CheckExclusions(desc).ok());
}

// ---- Round trips -----------------------------------------------------------

TEST_F(SubmissionTest, RoundTripBothPaths) {
  for (size_t n : {size_t{0}, size_t{1}, kChunkSize, 2 * kChunkSize + 17}) {
    const Bytes pt = Pattern(n);
    const Bytes file = Encrypt(pt, {3, 9});
    ASSERT_OK_AND_ASSIGN(SecretBytes a, DecryptViaDh(file));
    EXPECT_EQ(H(a.span()), H(pt)) << n;
    // Stock age clients read it too (they ignore the proof stanza).
    ASSERT_OK_AND_ASSIGN(SecretBytes b, DecryptViaIdentity(file));
    EXPECT_EQ(H(b.span()), H(pt)) << n;
  }
}

TEST_F(SubmissionTest, ValidatorReturnsIdAndDetails) {
  const Bytes file = Encrypt(AsBytes("tip"), {9, 2, 5});
  const Header h = HeaderOf(file);
  ASSERT_EQ(h.stanzas.size(), 2u);
  EXPECT_EQ(h.stanzas[0].type, "p256tag");
  EXPECT_EQ(h.stanzas[1].type, "conclave-pok");
  EXPECT_EQ(h.stanzas[1].args, (std::vector<std::string>{"2", "5", "9"}));
  EXPECT_EQ(h.stanzas[1].body.size(), 64u);
  ASSERT_OK_AND_ASSIGN(SubmissionInfo info, ValidateSubmission(h, y_));
  // id = hex SHA-256 of the enc decoded from the stanza's third argument.
  ASSERT_OK_AND_ASSIGN(Bytes enc, Base64Decode(h.stanzas[0].args[1]));
  EXPECT_EQ(info.id, HexEncode(Sha256(enc)));
  EXPECT_EQ(info.id.size(), 64u);
  EXPECT_EQ(info.kind, SenderProofKind::kSender);
  EXPECT_EQ(info.excluded_orgs, (std::vector<uint32_t>{2, 5, 9}));
  EXPECT_EQ(info.header_hash, Sha256(h.bytes));
  EXPECT_EQ(H(info.header_hash), H(h.Hash()));
  // Two encryptions of the same plaintext are different submissions.
  ASSERT_OK_AND_ASSIGN(
      SubmissionInfo again,
      ValidateSubmission(HeaderOf(Encrypt(AsBytes("tip"))), y_));
  EXPECT_NE(again.id, info.id);
}

TEST_F(SubmissionTest, DeterministicWrapIsReproducible) {
  ASSERT_OK_AND_ASSIGN(SubmissionRecipient rec,
                       SubmissionRecipient::Create(y_, {4}));
  const SecretBytes fk = Secret(Hex(kFileKey));
  const Scalar r = ScalarFromIkm(kIkmE);
  const Bytes rand(32, 0x42);
  ASSERT_OK_AND_ASSIGN(std::vector<Stanza> a,
                       rec.WrapDeterministicForTesting(fk, r, rand));
  ASSERT_OK_AND_ASSIGN(std::vector<Stanza> b,
                       rec.WrapDeterministicForTesting(fk, r, rand));
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 2u);
  // The p256tag stanza is the pinned HPKE vector.
  EXPECT_EQ(a[0].args, (std::vector<std::string>{std::string(kTagB64),
                                                 std::string(kEncB64)}));
  EXPECT_EQ(H(a[0].body), kCt);
  ASSERT_OK_AND_ASSIGN(SubmissionInfo info,
                       ValidateSubmission(HeaderWith(a), y_));
  EXPECT_EQ(info.id, kId);
}

TEST_F(SubmissionTest, ArmoredSubmission) {
  const Bytes file = Encrypt(Pattern(1000), {}, SenderProofKind::kSender,
                             /*armor=*/true);
  MemoryReader in(file);
  bool armored = false;
  ASSERT_OK_AND_ASSIGN(Header h, ReadAgeFileHeader(in, &armored));
  EXPECT_TRUE(armored);
  EXPECT_TRUE(ValidateSubmission(h, y_).ok());
  const Bytes binary = Encrypt(Pattern(10));
  MemoryReader in2(binary);
  ASSERT_OK_AND_ASSIGN(h, ReadAgeFileHeader(in2, &armored));
  EXPECT_FALSE(armored);
  EXPECT_TRUE(ValidateSubmission(h, y_).ok());
  // A header cut short is a header failure.
  const Bytes file2 = Encrypt(Pattern(10));
  MemoryReader in3(ByteSpan(file2).first(HeaderOf(file2).bytes.size() - 5));
  EXPECT_EQ(GetErrorKind(ReadAgeFileHeader(in3).status()), ErrorKind::kHeader);
}

TEST_F(SubmissionTest, RecipientCreateCanonicalises) {
  ASSERT_OK_AND_ASSIGN(SubmissionRecipient r,
                       SubmissionRecipient::Create(y_, {5, 1, 3}));
  EXPECT_EQ(r.excluded_orgs(), (std::vector<uint32_t>{1, 3, 5}));
  EXPECT_FALSE(SubmissionRecipient::Create(y_, {2, 2}).ok());
  EXPECT_FALSE(SubmissionRecipient::Create(y_, {0}).ok());
  EXPECT_FALSE(SubmissionRecipient::Create(Point::Infinity(), {}).ok());
}

// ---- Validator refusals ----------------------------------------------------

TEST_F(SubmissionTest, PlainP256TagFileIsReportedAsSuch) {
  ASSERT_OK_AND_ASSIGN(P256TagRecipient plain, P256TagRecipient::Create(y_));
  const Recipient* rs[] = {&plain};
  ASSERT_OK_AND_ASSIGN(Bytes file, EncryptToMemory(rs, AsBytes("hi")));
  const Header h = HeaderOf(file);
  StatusOr<SubmissionInfo> v = ValidateSubmission(h, y_);
  ExpectDefect(v, SubmissionDefect::kPlainP256Tag);
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("stock age client"), std::string::npos);
  EXPECT_NE(v.status().message().find("conclave encrypt"), std::string::npos);
  // It still decrypts with the key (it is a valid age file), and inspect
  // describes it.
  EXPECT_TRUE(DecryptViaIdentity(file).ok());
  const SubmissionReport rep = InspectSubmission(h, &y_);
  EXPECT_FALSE(rep.valid);
  EXPECT_FALSE(rep.proof_present);
  EXPECT_EQ(rep.proof_status, "absent");
  EXPECT_EQ(rep.tag_matches, true);
  ASSERT_TRUE(rep.id.has_value());
  ASSERT_EQ(rep.defects.size(), 1u);
  EXPECT_EQ(rep.defects[0].defect, SubmissionDefect::kPlainP256Tag);
}

TEST_F(SubmissionTest, NotASubmission) {
  ASSERT_OK_AND_ASSIGN(X25519Identity xid, X25519Identity::Generate());
  const Recipient* rs[] = {&xid.recipient()};
  ASSERT_OK_AND_ASSIGN(Bytes file, EncryptToMemory(rs, AsBytes("hi")));
  ExpectDefect(ValidateSubmission(HeaderOf(file), y_),
               SubmissionDefect::kNotASubmission);
}

TEST_F(SubmissionTest, StanzaStructure) {
  const Parts p = MakeParts({1});
  const Stanza t = EncodeP256TagStanza(p.tag);
  const Stanza pr = EncodeProofStanza(p.proof);
  const Stanza other{"X25519", {"AAAA"}, Bytes(32)};
  ASSERT_TRUE(ValidateSubmission(HeaderWith({t, pr}), y_).ok());
  // Proof stanza first.
  ExpectDefect(ValidateSubmission(HeaderWith({pr, t}), y_),
               SubmissionDefect::kStanzaOrder);
  // An extra third stanza, before, between or after.
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr, other}), y_),
               SubmissionDefect::kStanzaCount);
  ExpectDefect(ValidateSubmission(HeaderWith({other, t, pr}), y_),
               SubmissionDefect::kStanzaCount);
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr, pr}), y_),
               SubmissionDefect::kStanzaCount);
  // A second p256tag stanza (even an identical one, or another's).
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr, t}), y_),
               SubmissionDefect::kDuplicateP256Tag);
  const Parts q = MakeParts();
  ExpectDefect(
      ValidateSubmission(HeaderWith({t, EncodeP256TagStanza(q.tag), pr}), y_),
      SubmissionDefect::kDuplicateP256Tag);
  // p256tag with something that is not a proof.
  ExpectDefect(ValidateSubmission(HeaderWith({t, other}), y_),
               SubmissionDefect::kMissingProof);
  // A proof alone.
  ExpectDefect(ValidateSubmission(HeaderWith({pr}), y_),
               SubmissionDefect::kNotASubmission);
}

TEST_F(SubmissionTest, MalformedP256TagStanza) {
  const Parts p = MakeParts();
  const Stanza pr = EncodeProofStanza(p.proof);
  auto check = [&](auto mutate) {
    Stanza t = EncodeP256TagStanza(p.tag);
    mutate(t);
    ExpectDefect(ValidateSubmission(HeaderWith({t, pr}), y_),
                 SubmissionDefect::kMalformedP256Tag);
  };
  check([](Stanza& t) { t.args.pop_back(); });                   // 2 arguments
  check([](Stanza& t) { t.args.push_back("AAAA"); });            // 4 arguments
  check([](Stanza& t) { t.args[0] = Base64Encode(Bytes(5)); });  // tag 5 B
  check([](Stanza& t) { t.args[0] += "=="; });                   // padded
  check([](Stanza& t) {  // non-canonical: nonzero trailing bits
    t.args[0].back() = NonCanonicalLast(t.args[0].back());
  });
  check([](Stanza& t) { t.args[1] = Base64Encode(Bytes(33, 2)); });
  check([](Stanza& t) { t.body.resize(31); });  // body length ≠ 32
  check([](Stanza& t) { t.body.resize(33); });
  check([](Stanza& t) { t.body.clear(); });
  // 65 bytes, 0x04 prefix, not on the curve.
  Bytes off(65, 0);
  off[0] = 0x04;
  off[64] = 1;
  check([&](Stanza& t) { t.args[1] = Base64Encode(off); });
}

TEST_F(SubmissionTest, NonCanonicalBase64InHeaderIsAHeaderFailure) {
  const Bytes file = Encrypt(AsBytes("x"));
  std::string text(file.begin(), file.end());
  const Header h = HeaderOf(file);
  // The proof body is 64 bytes: 86 characters on two lines (64 + 22), the
  // last character with 4 spare bits.
  const std::string body_line = Base64Encode(h.stanzas[1].body);
  ASSERT_EQ(body_line.size(), 86u);
  // Split 64 + 22: the second line ends the body.
  const size_t at = text.find("\n" + body_line.substr(64) + "\n") + 1;
  ASSERT_NE(at, std::string::npos + 1);
  std::string bad = text;
  char& last = bad[at + (body_line.size() - 64) - 1];
  last = NonCanonicalLast(last);
  ASSERT_NE(bad, text);
  EXPECT_EQ(GetErrorKind(ParseHeader(AsBytes(bad)).status()),
            ErrorKind::kHeader);
}

TEST_F(SubmissionTest, TagOfAnotherKey) {
  const Point other = Point::BaseMul(Scalar::Random());
  ASSERT_OK_AND_ASSIGN(SubmissionRecipient r,
                       SubmissionRecipient::Create(other, {}));
  const Recipient* rs[] = {&r};
  ASSERT_OK_AND_ASSIGN(Bytes file, EncryptToMemory(rs, AsBytes("x")));
  StatusOr<SubmissionInfo> v = ValidateSubmission(HeaderOf(file), y_);
  ExpectDefect(v, SubmissionDefect::kTagMismatch);
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  // ... but it is a valid submission to its own key.
  EXPECT_TRUE(ValidateSubmission(HeaderOf(file), other).ok());
  // A tag changed in place: mismatch too.
  Parts p = MakeParts();
  p.tag.tag[0] ^= 1;
  ExpectDefect(ValidateSubmission(HeaderOf(p), y_),
               SubmissionDefect::kTagMismatch);
}

TEST_F(SubmissionTest, ProofBindsEveryElement) {
  // A proof for another enc: B's proof on A's stanza.
  const Parts a = MakeParts(), b = MakeParts();
  ExpectDefect(ValidateSubmission(HeaderWith({EncodeP256TagStanza(a.tag),
                                              EncodeProofStanza(b.proof)}),
                                  y_),
               SubmissionDefect::kProofInvalid);

  auto prove = [&](const Parts& p, ByteSpan tag, ByteSpan body,
                   std::vector<uint32_t> orgs) {
    auto proof = ProveSender(SenderProofKind::kSender, p.r, p.tag.enc, y_, tag,
                             body, orgs);
    EXPECT_TRUE(proof.ok());
    Parts q = p;
    q.proof.proof = *proof;
    return q;
  };
  // Another tag (the stanza's tag is the right one).
  P256Tag other_tag = a.tag.tag;
  other_tag[3] ^= 0x80;
  StatusOr<SubmissionInfo> v =
      ValidateSubmission(HeaderOf(prove(a, other_tag, a.tag.body, {})), y_);
  ExpectDefect(v, SubmissionDefect::kProofInvalid);
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  // Another body.
  auto other_body = a.tag.body;
  other_body[0] ^= 1;
  ExpectDefect(
      ValidateSubmission(HeaderOf(prove(a, a.tag.tag, other_body, {})), y_),
      SubmissionDefect::kProofInvalid);
  // Another exclusion list: proved for {2}, stanza says {} / {2, 3} / {3}.
  Parts c = prove(a, a.tag.tag, a.tag.body, {2});
  ASSERT_TRUE(ValidateSubmission(HeaderOf([&] {
                                   Parts d = c;
                                   d.proof.excluded_orgs = {2};
                                   return d;
                                 }()),
                                 y_)
                  .ok());
  for (const std::vector<uint32_t>& orgs :
       std::vector<std::vector<uint32_t>>{{}, {2, 3}, {3}, {1, 2}}) {
    Parts d = c;
    d.proof.excluded_orgs = orgs;
    ExpectDefect(ValidateSubmission(HeaderOf(d), y_),
                 SubmissionDefect::kProofInvalid);
  }
  // Another kind: a sender proof relabelled as a drill, and back.
  Parts e = a;
  e.proof.kind = SenderProofKind::kDrill;
  ExpectDefect(
      ValidateSubmission(HeaderOf(e), y_,
                         {.allow_drill = true, .max_exclusions = std::nullopt}),
      SubmissionDefect::kProofInvalid);
  // Another consortium key (with a tag recomputed for it).
  const Point other_key = Point::BaseMul(Scalar::Random());
  Parts f = a;
  f.tag.tag = ComputeP256Tag(f.tag.enc, other_key);
  ExpectDefect(ValidateSubmission(HeaderOf(f), other_key),
               SubmissionDefect::kProofInvalid);
}

TEST_F(SubmissionTest, RelatedPointIsRefused) {
  // The attack of brief §2: R' = a·enc_B + b·G, with a proof for it made
  // without knowing log_G(R'): the best an attacker can do is reuse B's.
  const Parts b = MakeParts();
  ASSERT_OK_AND_ASSIGN(Point enc_b, Point::DecodeUncompressed(b.tag.enc));
  const Point related = enc_b.Mul(Scalar::FromUint64(3)) + Point::Generator();
  Parts evil = b;
  evil.tag.enc = related.EncodeUncompressed();
  evil.tag.tag = ComputeP256Tag(evil.tag.enc, y_);
  ExpectDefect(ValidateSubmission(HeaderOf(evil), y_),
               SubmissionDefect::kProofInvalid);
}

TEST_F(SubmissionTest, EveryProofBitFlipIsRefused) {
  const Parts p = MakeParts({4});
  for (size_t i = 0; i < kSenderProofSize * 8; ++i) {
    Parts q = p;
    q.proof.proof[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    StatusOr<SubmissionInfo> v = ValidateSubmission(HeaderOf(q), y_);
    ASSERT_FALSE(v.ok()) << i;
    const SubmissionDefect d = GetSubmissionDefect(v.status());
    EXPECT_TRUE(d == SubmissionDefect::kProofInvalid ||
                d == SubmissionDefect::kMalformedProof)
        << i << ": " << v.status().ToString();
  }
}

TEST_F(SubmissionTest, MalformedProofStanza) {
  const Parts p = MakeParts({1, 2});
  const Stanza t = EncodeP256TagStanza(p.tag);
  Stanza pr = EncodeProofStanza(p.proof);
  pr.body.resize(63);
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr}), y_),
               SubmissionDefect::kMalformedProof);
  pr.body.resize(65);
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr}), y_),
               SubmissionDefect::kMalformedProof);
  // c = n - 1 + 1 = n (not below the order).
  pr = EncodeProofStanza(p.proof);
  const Bytes n =
      Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  std::copy(n.begin(), n.end(), pr.body.begin());
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr}), y_),
               SubmissionDefect::kMalformedProof);
  pr = EncodeProofStanza(p.proof);
  std::copy(n.begin(), n.end(), pr.body.begin() + 32);
  ExpectDefect(ValidateSubmission(HeaderWith({t, pr}), y_),
               SubmissionDefect::kMalformedProof);
}

TEST_F(SubmissionTest, NonCanonicalExclusionArguments) {
  const Parts p = MakeParts({1, 2});
  const Stanza t = EncodeP256TagStanza(p.tag);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"01", "2"},
                                             {"+1", "2"},
                                             {"0", "1", "2"},
                                             {"2", "1"},
                                             {"1", "1", "2"},
                                             {"1", "2", "2"},
                                             {"1", "4294967296"},
                                             {"1", "0x2"},
                                             {"1", "-2"}}) {
    Stanza pr = EncodeProofStanza(p.proof);
    pr.args = args;
    StatusOr<SubmissionInfo> v = ValidateSubmission(HeaderWith({t, pr}), y_);
    ExpectDefect(v, SubmissionDefect::kBadExclusions);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(SubmissionTest, DrillOnlyWhenAllowed) {
  const Bytes file = Encrypt(AsBytes("drill"), {}, SenderProofKind::kDrill);
  const Header h = HeaderOf(file);
  EXPECT_EQ(h.stanzas[1].type, "conclave-drill-pok");
  StatusOr<SubmissionInfo> v = ValidateSubmission(h, y_);
  ExpectDefect(v, SubmissionDefect::kDrillNotAllowed);
  EXPECT_EQ(v.status().code(), StatusCode::kPermissionDenied);
  ASSERT_OK_AND_ASSIGN(
      SubmissionInfo info,
      ValidateSubmission(
          h, y_, {.allow_drill = true, .max_exclusions = std::nullopt}));
  EXPECT_EQ(info.kind, SenderProofKind::kDrill);
  // A drill proof relabelled as a submission does not verify.
  Header relabelled = h;
  relabelled.stanzas[1].type = "conclave-pok";
  ExpectDefect(ValidateSubmission(HeaderWith(relabelled.stanzas), y_),
               SubmissionDefect::kProofInvalid);
}

TEST_F(SubmissionTest, ExclusionLimit) {
  const Header h = HeaderOf(Encrypt(AsBytes("x"), {1, 2, 3}));
  EXPECT_TRUE(
      ValidateSubmission(h, y_, {.allow_drill = false, .max_exclusions = 3})
          .ok());
  StatusOr<SubmissionInfo> v =
      ValidateSubmission(h, y_, {.allow_drill = false, .max_exclusions = 2});
  ExpectDefect(v, SubmissionDefect::kTooManyExclusions);
  EXPECT_EQ(v.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(ValidateSubmission(HeaderOf(Encrypt(AsBytes("x"))), y_,
                                 {.allow_drill = false, .max_exclusions = 0})
                  .ok());
}

// ---- Tampering with whole files -------------------------------------------

TEST_F(SubmissionTest, EveryHeaderBitFlipIsCaught) {
  const Bytes file = Encrypt(Pattern(100), {7});
  const size_t header_size = HeaderOf(file).bytes.size();
  for (size_t i = 0; i < header_size * 8; ++i) {
    Bytes bad = file;
    bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_FALSE(DecryptViaDh(bad).ok()) << "bit " << i;
  }
}

TEST_F(SubmissionTest, HeaderMacFlipIsHmacFailure) {
  const Bytes file = Encrypt(Pattern(100));
  const Header h = HeaderOf(file);
  // Rebuild the MAC line with one bit of the MAC flipped (canonical base64).
  Bytes mac = h.mac;
  mac[5] ^= 0x10;
  const std::string old_line = "--- " + Base64Encode(h.mac) + "\n";
  const std::string new_line = "--- " + Base64Encode(mac) + "\n";
  std::string text(file.begin(), file.end());
  const size_t at = text.find(old_line);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, old_line.size(), new_line);
  const Bytes bad(text.begin(), text.end());
  // Still a valid-looking submission (the validator cannot check the MAC)...
  EXPECT_TRUE(ValidateSubmission(HeaderOf(bad), y_).ok());
  // ... which decryption refuses.
  StatusOr<SecretBytes> d = DecryptViaDh(bad);
  EXPECT_EQ(GetErrorKind(d.status()), ErrorKind::kHmac)
      << d.status().ToString();
  EXPECT_EQ(GetErrorKind(DecryptViaIdentity(bad).status()), ErrorKind::kHmac);
}

TEST_F(SubmissionTest, PayloadTampering) {
  const Bytes pt = Pattern(2 * kChunkSize + 100);
  const Bytes file = Encrypt(pt);
  const size_t hs = HeaderOf(file).bytes.size();
  const size_t payload_start = hs + kPayloadNonceSize;
  ASSERT_EQ(file.size(), payload_start + 2 * kEncryptedChunkSize + 100 + 16);

  auto kind_of = [&](const Bytes& f) {
    return GetErrorKind(DecryptViaDh(f).status());
  };
  // One flipped bit: in the nonce, in each chunk, in a tag.
  for (size_t pos :
       {hs, hs + 15, payload_start, payload_start + kChunkSize,
        payload_start + kEncryptedChunkSize + 5, file.size() - 1}) {
    Bytes bad = file;
    bad[pos] ^= 0x01;
    EXPECT_EQ(kind_of(bad), ErrorKind::kPayload) << pos;
  }
  // Truncated anywhere in the payload (at a chunk boundary: the last
  // chunk is missing).
  for (size_t len :
       {payload_start, payload_start + 1, payload_start + kEncryptedChunkSize,
        payload_start + 2 * kEncryptedChunkSize, file.size() - 1}) {
    Bytes bad(file.begin(), file.begin() + static_cast<ptrdiff_t>(len));
    EXPECT_EQ(kind_of(bad), ErrorKind::kPayload) << len;
  }
  // Truncated inside the nonce: the testkit calls that a header failure.
  EXPECT_EQ(kind_of(Bytes(file.begin(), file.begin() + hs + 3)),
            ErrorKind::kHeader);
  // Truncated inside the header.
  EXPECT_FALSE(DecryptViaDh(ByteSpan(file).first(hs - 1)).ok());
  // Data after the last chunk.
  for (const Bytes& extra : {Bytes{0}, Bytes(16, 0), Pattern(100)}) {
    Bytes bad = file;
    bad.insert(bad.end(), extra.begin(), extra.end());
    EXPECT_EQ(kind_of(bad), ErrorKind::kPayload);
  }
  // And the untouched file decrypts.
  ASSERT_OK_AND_ASSIGN(SecretBytes ok, DecryptViaDh(file));
  EXPECT_EQ(H(ok.span()), H(pt));
}

// ---- Inspection ------------------------------------------------------------

TEST_F(SubmissionTest, InspectWithAndWithoutKey) {
  const Bytes file = Encrypt(AsBytes("x"), {3});
  const Header h = HeaderOf(file);
  const SubmissionReport no_key = InspectSubmission(h, nullptr);
  EXPECT_FALSE(no_key.valid);
  EXPECT_TRUE(no_key.defects.empty());
  EXPECT_TRUE(no_key.proof_present);
  EXPECT_EQ(no_key.proof_status, "cannot check without --to");
  EXPECT_FALSE(no_key.proof_valid.has_value());
  EXPECT_FALSE(no_key.tag_matches.has_value());
  ASSERT_TRUE(no_key.id.has_value());
  EXPECT_EQ(no_key.kind, SenderProofKind::kSender);
  EXPECT_EQ(no_key.excluded_orgs, (std::vector<uint32_t>{3}));
  EXPECT_EQ(no_key.stanza_types,
            (std::vector<std::string>{"p256tag", "conclave-pok"}));
  EXPECT_EQ(no_key.header_size, h.bytes.size());

  const SubmissionReport with_key = InspectSubmission(h, &y_);
  EXPECT_TRUE(with_key.valid);
  EXPECT_EQ(with_key.proof_status, "valid");
  EXPECT_EQ(with_key.proof_valid, true);
  EXPECT_EQ(with_key.tag_matches, true);
  ASSERT_OK_AND_ASSIGN(SubmissionInfo info, ValidateSubmission(h, y_));
  EXPECT_EQ(*with_key.id, info.id);

  const Point other = Point::BaseMul(Scalar::Random());
  const SubmissionReport wrong = InspectSubmission(h, &other);
  EXPECT_FALSE(wrong.valid);
  EXPECT_EQ(wrong.tag_matches, false);
  ASSERT_FALSE(wrong.defects.empty());
  EXPECT_EQ(wrong.defects[0].defect, SubmissionDefect::kTagMismatch);
  const Point inf = Point::Infinity();
  EXPECT_FALSE(InspectSubmission(h, &inf).valid);
  EXPECT_FALSE(ValidateSubmission(h, inf).ok());
}

TEST_F(SubmissionTest, InspectAgreesWithValidate) {
  // Several broken headers: the report's first defect is the validator's.
  const Parts p = MakeParts({2});
  const Stanza t = EncodeP256TagStanza(p.tag);
  const Stanza pr = EncodeProofStanza(p.proof);
  Stanza bad_args = pr;
  bad_args.args = {"02"};
  Stanza short_body = t;
  short_body.body.resize(5);
  Stanza drill = pr;
  drill.type = "conclave-drill-pok";
  const std::vector<std::vector<Stanza>> cases = {
      {t, pr},          {pr, t},    {t},  {t, pr, t}, {t, bad_args},
      {short_body, pr}, {t, drill}, {pr}, {t, pr, pr}};
  for (const auto& stanzas : cases) {
    const Header h = HeaderWith(stanzas);
    const SubmissionReport r = InspectSubmission(h, &y_, {});
    StatusOr<SubmissionInfo> v = ValidateSubmission(h, y_);
    EXPECT_EQ(r.valid, v.ok());
    if (!v.ok()) {
      ASSERT_FALSE(r.defects.empty());
      EXPECT_EQ(r.defects[0].defect, GetSubmissionDefect(v.status()));
      EXPECT_NE(v.status().message().find(r.defects[0].message),
                std::string::npos);
    }
  }
}

TEST(SubmissionDefectTest, NamesRoundTrip) {
  for (SubmissionDefect d :
       {SubmissionDefect::kNotASubmission, SubmissionDefect::kDuplicateP256Tag,
        SubmissionDefect::kPlainP256Tag, SubmissionDefect::kMissingProof,
        SubmissionDefect::kStanzaCount, SubmissionDefect::kStanzaOrder,
        SubmissionDefect::kMalformedP256Tag, SubmissionDefect::kTagMismatch,
        SubmissionDefect::kMalformedProof, SubmissionDefect::kBadExclusions,
        SubmissionDefect::kDrillNotAllowed,
        SubmissionDefect::kTooManyExclusions,
        SubmissionDefect::kProofInvalid}) {
    const std::string name(SubmissionDefectName(d));
    EXPECT_NE(name, "unknown");
    const Status s = InvalidArgumentError("[submission: " + name + "] x");
    EXPECT_EQ(GetSubmissionDefect(s), d) << name;
    EXPECT_EQ(GetSubmissionDefect(s.Annotate("reading file")), d) << name;
  }
  EXPECT_EQ(GetSubmissionDefect(OkStatus()), SubmissionDefect::kNone);
  EXPECT_EQ(GetSubmissionDefect(InvalidArgumentError("x")),
            SubmissionDefect::kNone);
  // A prefix of a longer name does not match.
  EXPECT_EQ(GetSubmissionDefect(
                InvalidArgumentError("[submission: plain-p256tagX] x")),
            SubmissionDefect::kNone);
}

}  // namespace
}  // namespace conclave::age
