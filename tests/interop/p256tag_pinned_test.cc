// Files written by an independent implementation — the npm age-encryption
// package (0.3.1) with web/lib/conclave-recipient.js, or its own p256tag
// recipient — checked by the C++ code without node: every file validates (or
// is refused with the defect tests/vectors/p256tag/manifest.json names), its
// submission id and header hash match, and it decrypts through the threshold
// path and through P256TagIdentity to the pinned plaintext.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "age/age.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "tests/test_util.h"

namespace conclave::age {
namespace {

using ::conclave::testing::Hex;
using ::conclave::testing::PinnedVectorPath;
using ::conclave::testing::ReadFileOrFail;
using ::conclave::testing::ReadJsonOrFail;

// The manifest's plaintext: byte i = (i * 31 + 7) mod 251.
Bytes PinnedPlaintext(size_t size) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = (i * 31 + 7) % 251;
  return out;
}

class P256TagPinnedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        manifest_ = ReadJsonOrFail(PinnedVectorPath("p256tag/manifest.json")));
    StatusOr<Scalar> x = Scalar::FromBytes(
        Hex(manifest_.at("secret_key_hex").get<std::string>()));
    ASSERT_TRUE(x.ok());
    x_ = *x;
    y_ = Point::BaseMul(x_);
    ASSERT_EQ(EncodeP256TagRecipient(y_),
              manifest_.at("recipient").get<std::string>());
    ASSERT_GE(manifest_.at("files").size(), 9u);
  }

  nlohmann::json manifest_;
  Scalar x_;
  Point y_ = Point::Infinity();
};

TEST_F(P256TagPinnedTest, RecipientParses) {
  StatusOr<Point> p =
      ParseP256TagRecipient(manifest_.at("recipient").get<std::string>());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, y_);
}

TEST_F(P256TagPinnedTest, ValidateAsManifestSays) {
  for (const auto& f : manifest_.at("files")) {
    const std::string name = f.at("name").get<std::string>();
    SCOPED_TRACE(name);
    Bytes file;
    ASSERT_NO_FATAL_FAILURE(
        file = ReadFileOrFail(PinnedVectorPath("p256tag/" + name)));
    MemoryReader in(file);
    bool armored = false;
    StatusOr<Header> header = ReadAgeFileHeader(in, &armored);
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    EXPECT_EQ(armored, f.at("armored").get<bool>());
    EXPECT_EQ(HexEncode(header->Hash()),
              f.at("header_hash").get<std::string>());
    std::vector<std::string> types;
    for (const Stanza& s : header->stanzas) types.push_back(s.type);
    EXPECT_EQ(types, f.at("stanza_types").get<std::vector<std::string>>());

    const std::string expect = f.at("expect").get<std::string>();
    StatusOr<SubmissionInfo> info = ValidateSubmission(*header, y_);
    if (expect == "valid") {
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      EXPECT_EQ(info->id, f.at("id").get<std::string>());
      EXPECT_EQ(HexEncode(info->header_hash),
                f.at("header_hash").get<std::string>());
      EXPECT_EQ(std::string(SenderProofKindName(info->kind)),
                f.at("kind").get<std::string>());
      EXPECT_EQ(info->excluded_orgs,
                f.at("excluded").get<std::vector<uint32_t>>());
    } else {
      ASSERT_FALSE(info.ok());
      EXPECT_EQ(SubmissionDefectName(GetSubmissionDefect(info.status())),
                expect)
          << info.status().ToString();
    }
    if (f.value("valid_if_drill_allowed", false)) {
      StatusOr<SubmissionInfo> drill = ValidateSubmission(
          *header, y_, {.allow_drill = true, .max_exclusions = std::nullopt});
      ASSERT_TRUE(drill.ok()) << drill.status().ToString();
      EXPECT_EQ(drill->id, f.at("id").get<std::string>());
      EXPECT_EQ(drill->kind, SenderProofKind::kDrill);
    }

    // inspect agrees with the validator and reports the id.
    const SubmissionReport report = InspectSubmission(*header, &y_);
    EXPECT_EQ(report.id.value_or(""), f.at("id").get<std::string>());
    if (expect == "plain-p256tag") {
      EXPECT_FALSE(report.proof_present);
      ASSERT_FALSE(report.defects.empty());
      EXPECT_EQ(report.defects[0].defect, SubmissionDefect::kPlainP256Tag);
    }
  }
}

TEST_F(P256TagPinnedTest, DecryptThroughDhPathAndIdentity) {
  StatusOr<P256TagIdentity> identity = P256TagIdentity::FromScalar(x_);
  ASSERT_TRUE(identity.ok());
  const Identity* const identities[] = {&*identity};
  for (const auto& f : manifest_.at("files")) {
    const std::string name = f.at("name").get<std::string>();
    SCOPED_TRACE(name);
    Bytes file;
    ASSERT_NO_FATAL_FAILURE(
        file = ReadFileOrFail(PinnedVectorPath("p256tag/" + name)));
    const Bytes expected =
        PinnedPlaintext(f.at("plaintext_size").get<size_t>());
    ASSERT_EQ(HexEncode(Sha256(expected)),
              f.at("plaintext_sha256").get<std::string>());

    MemoryReader header_in(file);
    StatusOr<Header> header = ReadAgeFileHeader(header_in);
    ASSERT_TRUE(header.ok());
    StatusOr<P256TagStanza> stanza = ParseP256TagStanza(header->stanzas[0]);
    ASSERT_TRUE(stanza.ok()) << stanza.status().ToString();
    StatusOr<Point> enc = Point::DecodeUncompressed(stanza->enc);
    ASSERT_TRUE(enc.ok());
    // Additive partials, as a quorum combines them.
    const Scalar x1 = Scalar::Random();
    const Point dh = enc->Mul(x1) + enc->Mul(x_ - x1);
    StatusOr<SecretBytes> key = UnwrapP256TagWithDhPoint(*stanza, y_, dh);

    MemoryReader in(file);
    MemoryWriter out;
    Status via_identity = Decrypt(in, out, identities);
    if (!f.at("decrypts").get<bool>()) {
      EXPECT_FALSE(key.ok());
      EXPECT_EQ(GetErrorKind(via_identity), ErrorKind::kNoMatch)
          << via_identity.ToString();
      continue;
    }
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    MemoryReader in2(file);
    MemoryWriter out2;
    ASSERT_TRUE(DecryptWithFileKey(in2, out2, *key).ok());
    EXPECT_EQ(out2.bytes(), expected);
    ASSERT_TRUE(via_identity.ok()) << via_identity.ToString();
    EXPECT_EQ(out.bytes(), expected);

    // A wrong DH point (one bad partial) does not open the stanza.
    StatusOr<SecretBytes> bad =
        UnwrapP256TagWithDhPoint(*stanza, y_, dh + Point::Generator());
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST_F(P256TagPinnedTest, TamperedPinnedFilesFail) {
  Bytes file;
  ASSERT_NO_FATAL_FAILURE(file = ReadFileOrFail(PinnedVectorPath(
                              "p256tag/excluded_multichunk.age")));
  StatusOr<P256TagIdentity> identity = P256TagIdentity::FromScalar(x_);
  ASSERT_TRUE(identity.ok());
  const Identity* const identities[] = {&*identity};
  MemoryReader header_in(file);
  StatusOr<Header> header = ReadAgeFileHeader(header_in);
  ASSERT_TRUE(header.ok());
  const size_t header_size = header->bytes.size();
  struct Case {
    std::string what;
    Bytes bytes;
    ErrorKind kind;
  };
  std::vector<Case> cases;
  Bytes b = file;
  b[file.size() - 1] ^= 0x01;  // payload, last chunk
  cases.push_back({"payload bit", b, ErrorKind::kPayload});
  b = file;
  b[header_size - 3] ^= 0x01;  // inside the MAC's base64
  cases.push_back({"MAC bit", b, ErrorKind::kOther});
  cases.push_back(
      {"truncated", Bytes(file.begin(), file.end() - 20), ErrorKind::kPayload});
  b = file;
  b.push_back(0);
  cases.push_back({"trailing data", b, ErrorKind::kPayload});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    MemoryReader in(c.bytes);
    MemoryWriter out;
    const Status s = Decrypt(in, out, identities);
    ASSERT_FALSE(s.ok());
    if (c.kind != ErrorKind::kOther) {
      EXPECT_EQ(GetErrorKind(s), c.kind);
    }
  }
}

}  // namespace
}  // namespace conclave::age
