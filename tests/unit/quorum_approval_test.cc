// Approvals and combining (brief §5.3, §5.4): partial decryptions and their
// DLEQ proofs, the HPKE seal to the requester's reply key (layout pinned
// against a hand-built HPKE call), and decrypting a submission to a file
// that appears only once the last chunk verified.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/output_file.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "base/byte_io.h"
#include "crypto/hpke.h"
#include "crypto/random.h"
#include "keyceremony/roster.h"
#include "quorum/approval.h"
#include "quorum/combine.h"
#include "shares/shamir.h"
#include "tests/test_util.h"

namespace conclave::quorum {
namespace {

namespace fs = std::filesystem;
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

RequestId FilledId(uint8_t b) {
  RequestId id;
  id.fill(b);
  return id;
}

// ---- Partial decryptions ----

class PartialTest : public ::testing::Test {
 protected:
  PartialTest()
      : y_(Scalar::Random()),
        y_oj_(Point::BaseMul(y_)),
        r_(Point::BaseMul(Scalar::Random())) {}
  Scalar y_;
  Point y_oj_;
  Point r_;
};

TEST_F(PartialTest, RoundTrip) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption p,
                       ComputePartialDecryption(y_, y_oj_, r_));
  EXPECT_EQ(p.d, r_.Mul(y_));
  ASSERT_OK(VerifyPartialDecryption(p, y_oj_, r_));
  // The proof is the RFC 9497 construction under our context: the generic
  // verifier accepts it as such.
  const Point c[] = {r_};
  const Point d[] = {p.d};
  ASSERT_OK(VerifyDleqProof(AsBytes(kPartialDecryptionContext),
                            Point::Generator(), y_oj_, c, d, p.proof));
  // ...and not under another context.
  EXPECT_FALSE(VerifyDleqProof(AsBytes("conclave/v1/other"), Point::Generator(),
                               y_oj_, c, d, p.proof)
                   .ok());
}

TEST_F(PartialTest, HedgedNonceGivesFreshProofs) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption a,
                       ComputePartialDecryption(y_, y_oj_, r_));
  ASSERT_OK_AND_ASSIGN(PartialDecryption b,
                       ComputePartialDecryption(y_, y_oj_, r_));
  EXPECT_EQ(a.d, b.d);
  EXPECT_NE(a.proof, b.proof);
}

TEST_F(PartialTest, ProofFailsForAnotherVerificationShare) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption p,
                       ComputePartialDecryption(y_, y_oj_, r_));
  const Point other = Point::BaseMul(Scalar::Random());
  EXPECT_EQ(VerifyPartialDecryption(p, other, r_).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(PartialTest, ProofFailsForAnotherR) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption p,
                       ComputePartialDecryption(y_, y_oj_, r_));
  const Point other = Point::BaseMul(Scalar::Random());
  EXPECT_EQ(VerifyPartialDecryption(p, y_oj_, other).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(PartialTest, ProofFailsForAlteredD) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption p,
                       ComputePartialDecryption(y_, y_oj_, r_));
  PartialDecryption altered = p;
  altered.d = p.d + Point::Generator();
  EXPECT_EQ(VerifyPartialDecryption(altered, y_oj_, r_).code(),
            StatusCode::kUnauthenticated);
  // D for another R (a related-point attack needs exactly this).
  altered.d = p.d + p.d;
  EXPECT_EQ(VerifyPartialDecryption(altered, y_oj_, r_).code(),
            StatusCode::kUnauthenticated);
  altered.d = Point::Infinity();
  EXPECT_EQ(VerifyPartialDecryption(altered, y_oj_, r_).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(PartialTest, ProofFailsForAlteredProof) {
  ASSERT_OK_AND_ASSIGN(PartialDecryption p,
                       ComputePartialDecryption(y_, y_oj_, r_));
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    PartialDecryption altered = p;
    altered.proof[i] ^= 0x01;
    EXPECT_EQ(VerifyPartialDecryption(altered, y_oj_, r_).code(),
              StatusCode::kUnauthenticated)
        << "byte " << i;
  }
  // Scalars >= n are refused, still as a failed proof.
  PartialDecryption altered = p;
  std::fill(altered.proof.begin(), altered.proof.begin() + 32, 0xff);
  EXPECT_EQ(VerifyPartialDecryption(altered, y_oj_, r_).code(),
            StatusCode::kUnauthenticated);
}

TEST_F(PartialTest, ShareThatDoesNotMatchIsRefused) {
  const Point other = Point::BaseMul(Scalar::Random());
  EXPECT_EQ(ComputePartialDecryption(y_, other, r_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ComputePartialDecryption(y_, y_oj_, Point::Infinity()).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputePartialDecryption(Scalar(), Point::Generator(), r_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

// ---- Sealing to the reply key ----

class SealTest : public PartialTest {
 protected:
  void SetUp() override {
    auto p = ComputePartialDecryption(y_, y_oj_, r_);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    partial_ = *std::move(p);
    address_ = {.request_id = FilledId(0xaa),
                .org_id = 2,
                .editor_index = 3,
                .epoch = 1};
  }

  Scalar reply_sk_ = Scalar::Random();
  Point reply_pk_ = Point::BaseMul(reply_sk_);
  PartialDecryption partial_;
  ApprovalAddress address_;
};

TEST_F(SealTest, RoundTrip) {
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  EXPECT_EQ(ct.size(), kApprovalCiphertextSize);
  EXPECT_EQ(ct.size(), 178u);
  ASSERT_OK_AND_ASSIGN(PartialDecryption opened,
                       OpenPartial(ct, reply_sk_, address_));
  EXPECT_EQ(opened.d, partial_.d);
  EXPECT_EQ(opened.proof, partial_.proof);
  ASSERT_OK(VerifyPartialDecryption(opened, y_oj_, r_));
  // Fresh ephemeral key every time.
  ASSERT_OK_AND_ASSIGN(Bytes ct2, SealPartial(partial_, reply_pk_, address_));
  EXPECT_NE(ct, ct2);
}

// The wire layout of brief §5.3, checked against HPKE called by hand:
// enc ‖ ct, info = "conclave/v1/approval" ‖ id, aad = three u32be.
TEST_F(SealTest, LayoutMatchesTheSpecification) {
  address_ = {.request_id = FilledId(0x5c),
              .org_id = 0x01020304,
              .editor_index = 0x05060708,
              .epoch = 0x090a0b0c};
  const Bytes info = Concat({AsBytes("conclave/v1/approval"),
                             Hex("5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"
                                 "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c")});
  const Bytes aad = Hex("0102030405060708090a0b0c");
  const Bytes plaintext =
      Concat({partial_.d.EncodeCompressed(), partial_.proof});
  ASSERT_EQ(plaintext.size(), 97u);

  // Ours, opened by hand.
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  ASSERT_OK_AND_ASSIGN(SecretBytes pt,
                       HpkeOpenBase(HpkeAead::kChaCha20Poly1305, reply_sk_,
                                    ByteSpan(ct).first(65), info, aad,
                                    ByteSpan(ct).subspan(65)));
  EXPECT_EQ(Bytes(pt.span().begin(), pt.span().end()), plaintext);

  // Sealed by hand, opened by ours.
  const UncompressedPoint pk = reply_pk_.EncodeUncompressed();
  ASSERT_OK_AND_ASSIGN(
      HpkeSealed sealed,
      HpkeSealBase(HpkeAead::kChaCha20Poly1305, pk, info, aad, plaintext));
  const Bytes hand = Concat({sealed.enc, sealed.ciphertext});
  ASSERT_OK_AND_ASSIGN(PartialDecryption opened,
                       OpenPartial(hand, reply_sk_, address_));
  EXPECT_EQ(opened.d, partial_.d);
  EXPECT_EQ(opened.proof, partial_.proof);

  // AES-128-GCM (the other AEAD HPKE offers here) is not what we speak.
  ASSERT_OK_AND_ASSIGN(HpkeSealed aes, HpkeSealBase(HpkeAead::kAes128Gcm, pk,
                                                    info, aad, plaintext));
  EXPECT_EQ(OpenPartial(Concat({aes.enc, aes.ciphertext}), reply_sk_, address_)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
}

TEST_F(SealTest, OpenFailsUnderAnotherAddressOrKey) {
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  auto expect_unauthenticated = [&](const ApprovalAddress& a, const Scalar& sk,
                                    const char* what) {
    EXPECT_EQ(OpenPartial(ct, sk, a).status().code(),
              StatusCode::kUnauthenticated)
        << what;
  };
  ApprovalAddress a = address_;
  a.request_id[31] ^= 1;
  expect_unauthenticated(a, reply_sk_, "request id");
  a = address_;
  a.org_id = 1;
  expect_unauthenticated(a, reply_sk_, "organisation");
  a = address_;
  a.editor_index = 1;
  expect_unauthenticated(a, reply_sk_, "editor");
  a = address_;
  a.epoch = 2;
  expect_unauthenticated(a, reply_sk_, "epoch");
  // Org and editor swapped: the aad is positional.
  a = address_;
  std::swap(a.org_id, a.editor_index);
  expect_unauthenticated(a, reply_sk_, "swapped");
  expect_unauthenticated(address_, Scalar::Random(), "reply key");
}

TEST_F(SealTest, OpenFailsForAFlippedBit) {
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  // In enc (its x, its y: usually off the curve then), in the AEAD
  // ciphertext (D, the proof) and in the tag.
  for (size_t i : {size_t{1}, size_t{40}, size_t{64}, size_t{65}, size_t{100},
                   size_t{161}, size_t{177}}) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    EXPECT_EQ(OpenPartial(bad, reply_sk_, address_).status().code(),
              StatusCode::kUnauthenticated)
        << "byte " << i;
  }
  Bytes bad = ct;
  bad[0] = 0x02;  // enc in compressed form: HPKE wants 0x04
  EXPECT_EQ(OpenPartial(bad, reply_sk_, address_).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(SealTest, WrongLengthIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  Bytes shorter(ct.begin(), ct.end() - 1);
  EXPECT_EQ(OpenPartial(shorter, reply_sk_, address_).status().code(),
            StatusCode::kInvalidArgument);
  Bytes longer = ct;
  longer.push_back(0);
  EXPECT_EQ(OpenPartial(longer, reply_sk_, address_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenPartial({}, reply_sk_, address_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SealTest, UndecodableDIsInvalidArgument) {
  // A correctly sealed plaintext whose D is not a point (0x00: infinity,
  // 0x04 prefix at 33 bytes: not a compressed encoding).
  for (uint8_t prefix : {uint8_t{0x00}, uint8_t{0x04}}) {
    Bytes plaintext = Concat({partial_.d.EncodeCompressed(), partial_.proof});
    plaintext[0] = prefix;
    Bytes aad = Hex("000000020000000300000001");
    Bytes info = Concat({AsBytes(kApprovalInfoPrefix), address_.request_id});
    const UncompressedPoint pk = reply_pk_.EncodeUncompressed();
    ASSERT_OK_AND_ASSIGN(
        HpkeSealed sealed,
        HpkeSealBase(HpkeAead::kChaCha20Poly1305, pk, info, aad, plaintext));
    EXPECT_EQ(OpenPartial(Concat({sealed.enc, sealed.ciphertext}), reply_sk_,
                          address_)
                  .status()
                  .code(),
              StatusCode::kInvalidArgument)
        << int(prefix);
  }
}

TEST_F(SealTest, EpochMustFitIn32Bits) {
  ApprovalAddress a = address_;
  a.epoch = uint64_t{1} << 32;
  EXPECT_EQ(SealPartial(partial_, reply_pk_, a).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(Bytes ct, SealPartial(partial_, reply_pk_, address_));
  EXPECT_EQ(OpenPartial(ct, reply_sk_, a).status().code(),
            StatusCode::kInvalidArgument);
  // 2^32 + 1 would alias epoch 1 if truncated.
  a.epoch = (uint64_t{1} << 32) + 1;
  EXPECT_EQ(OpenPartial(ct, reply_sk_, a).status().code(),
            StatusCode::kInvalidArgument);
  a.epoch = UINT32_MAX;
  EXPECT_TRUE(SealPartial(partial_, reply_pk_, a).ok());
}

TEST_F(SealTest, InfinityIsRefused) {
  EXPECT_EQ(SealPartial(partial_, Point::Infinity(), address_).status().code(),
            StatusCode::kInvalidArgument);
  PartialDecryption p = partial_;
  p.d = Point::Infinity();
  EXPECT_EQ(SealPartial(p, reply_pk_, address_).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Output files ----

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "conclave-approval-XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every entry of the directory, sorted (temporary files included).
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static Bytes ReadAll(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
  }
  static void WriteAll(const fs::path& p, ByteSpan b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), b.size());
  }

  fs::path dir_;
};

TEST_F(TempDirTest, OutputFileAppearsOnlyOnCommit) {
  const fs::path out = dir_ / "out.bin";
  {
    ASSERT_OK_AND_ASSIGN(auto file, age::OutputFile::Create(out.string()));
    ASSERT_OK(file->writer().Write(AsBytes("partial")));
    EXPECT_TRUE(fs::exists(file->temp_path()));
    EXPECT_FALSE(fs::exists(out));
  }  // dropped without Commit
  EXPECT_TRUE(Entries().empty());

  ASSERT_OK_AND_ASSIGN(auto file, age::OutputFile::Create(out.string()));
  ASSERT_OK(file->writer().Write(AsBytes("whole")));
  ASSERT_OK(file->Commit());
  EXPECT_EQ(ReadAll(out), ToBytes("whole"));
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.bin"});
  struct stat st;
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(TempDirTest, OutputFileInMissingDirectory) {
  EXPECT_EQ(
      age::OutputFile::Create((dir_ / "nope" / "out").string()).status().code(),
      StatusCode::kUnavailable);
}

// ---- Decrypting a submission to a file ----

// A submission to a key whose private part the test holds, and a request
// for it filled in by hand (what VerifyRequest would produce).
class DecryptTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // Three full 64 KiB chunks and a partial one.
    plaintext_.resize(9 * 65536 + 1234);
    for (size_t i = 0; i < plaintext_.size(); ++i) {
      plaintext_[i] = static_cast<uint8_t>(i * 7 + (i >> 11));
    }
    file_ = Encrypt(plaintext_, /*armor=*/false);
    ASSERT_FALSE(file_.empty());
    ASSERT_NO_FATAL_FAILURE(FillRequest(file_, &request_, &file_key_));
    in_ = dir_ / "submission.age";
    out_ = dir_ / "plain.bin";
    WriteAll(in_, file_);
  }

  Bytes Encrypt(ByteSpan pt, bool armor) {
    auto r = age::SubmissionRecipient::Create(y_, {3});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    const age::Recipient* rs[] = {&*r};
    auto ct = age::EncryptToMemory(rs, pt, {.armor = armor});
    EXPECT_TRUE(ct.ok()) << ct.status().ToString();
    return ct.ok() ? *ct : Bytes();
  }

  // The request and the file key through the threshold path with the
  // whole key: S = x·enc.
  void FillRequest(ByteSpan file, VerifiedRequest* request,
                   SecretBytes* file_key) {
    age::MemoryReader reader(file);
    ASSERT_OK_AND_ASSIGN(age::Header header, age::ReadAgeFileHeader(reader));
    ASSERT_OK_AND_ASSIGN(age::SubmissionInfo info,
                         age::ValidateSubmission(header, y_));
    request->id = FilledId(0x11);
    request->body.set_epoch(1);
    request->header = header;
    request->submission = info;
    ASSERT_OK_AND_ASSIGN(Point enc,
                         Point::DecodeUncompressed(info.p256tag.enc));
    ASSERT_OK_AND_ASSIGN(*file_key, age::UnwrapP256TagWithDhPoint(
                                        info.p256tag, y_, enc.Mul(x_)));
  }

  Scalar x_ = Scalar::Random();
  Point y_ = Point::BaseMul(x_);
  Bytes plaintext_;
  Bytes file_;
  VerifiedRequest request_;
  SecretBytes file_key_;
  fs::path in_, out_;
};

TEST_F(DecryptTest, GoodFileDecrypts) {
  std::vector<uint64_t> seen;
  ASSERT_OK(
      DecryptSubmissionToFile(request_, file_key_, in_, out_,
                              [&seen](uint64_t n) { seen.push_back(n); }));
  EXPECT_EQ(ReadAll(out_), plaintext_);
  EXPECT_EQ(Entries(),
            (std::vector<std::string>{"plain.bin", "submission.age"}));
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), plaintext_.size());
  // Without a progress callback, over an existing output.
  ASSERT_OK(DecryptSubmissionToFile(request_, file_key_, in_, out_));
  EXPECT_EQ(ReadAll(out_), plaintext_);
}

TEST_F(DecryptTest, ArmoredFileDecrypts) {
  Bytes armored = Encrypt(plaintext_, /*armor=*/true);
  ASSERT_EQ(armored[0], '-');
  VerifiedRequest request;
  SecretBytes key;
  ASSERT_NO_FATAL_FAILURE(FillRequest(armored, &request, &key));
  WriteAll(in_, armored);
  ASSERT_OK(DecryptSubmissionToFile(request, key, in_, out_));
  EXPECT_EQ(ReadAll(out_), plaintext_);
}

TEST_F(DecryptTest, EmptyPlaintext) {
  Bytes empty_file = Encrypt({}, false);
  VerifiedRequest request;
  SecretBytes key;
  ASSERT_NO_FATAL_FAILURE(FillRequest(empty_file, &request, &key));
  WriteAll(in_, empty_file);
  ASSERT_OK(DecryptSubmissionToFile(request, key, in_, out_));
  EXPECT_TRUE(fs::exists(out_));
  EXPECT_EQ(fs::file_size(out_), 0u);
}

// A bad final chunk: the earlier chunks verified and were written to the
// temporary file, which must vanish; an existing output stays as it was.
TEST_F(DecryptTest, TruncatedOrTamperedLastChunkLeavesNothing) {
  const Bytes previous = ToBytes("previous contents");
  struct Case {
    const char* name;
    Bytes file;
  };
  Bytes truncated(file_.begin(), file_.end() - 100);
  Bytes tampered = file_;
  tampered[tampered.size() - 20] ^= 0x40;
  Bytes no_last_chunk(file_.begin(), file_.end() - (1234 + 16));
  Bytes trailing = file_;
  trailing.push_back(0);
  for (const Case& c :
       {Case{"truncated", truncated}, Case{"tampered", tampered},
        Case{"last chunk missing", no_last_chunk},
        Case{"trailing data", trailing}}) {
    SCOPED_TRACE(c.name);
    WriteAll(in_, c.file);
    fs::remove(out_);
    uint64_t progress = 0;
    Status s = DecryptSubmissionToFile(request_, file_key_, in_, out_,
                                       [&](uint64_t n) { progress = n; });
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    // Earlier batches of chunks did go through (so the temporary file
    // existed and held verified plaintext) before the failure.
    EXPECT_GE(progress, 4u * 65536);
    EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});

    WriteAll(out_, previous);
    s = DecryptSubmissionToFile(request_, file_key_, in_, out_);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_EQ(ReadAll(out_), previous);
    EXPECT_EQ(Entries(),
              (std::vector<std::string>{"plain.bin", "submission.age"}));
  }
}

TEST_F(DecryptTest, AnotherSubmissionIsRefused) {
  Bytes other = Encrypt(plaintext_, false);
  WriteAll(in_, other);
  Status s = DecryptSubmissionToFile(request_, file_key_, in_, out_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("not the requested submission"),
            std::string::npos);
  EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});

  // Even with its own (correct) file key: the request decides what opens.
  VerifiedRequest other_request;
  SecretBytes other_key;
  ASSERT_NO_FATAL_FAILURE(FillRequest(other, &other_request, &other_key));
  s = DecryptSubmissionToFile(request_, other_key, in_, out_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});
}

TEST_F(DecryptTest, HeaderAlteredInTheFileIsRefused) {
  // Same stanzas, another MAC: a different header byte string.
  Bytes bad = file_;
  const size_t mac_line = request_.header.bytes.size() - 10;
  bad[mac_line] = bad[mac_line] == 'A' ? 'B' : 'A';
  WriteAll(in_, bad);
  Status s = DecryptSubmissionToFile(request_, file_key_, in_, out_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});
}

TEST_F(DecryptTest, WrongFileKeyIsRefusedBeforeAnyOutput) {
  SecretBytes wrong = file_key_.Clone();
  wrong[0] ^= 1;
  Status s = DecryptSubmissionToFile(request_, wrong, in_, out_);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated) << s.ToString();
  EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});
}

TEST_F(DecryptTest, OutputIsInputIsRefused) {
  Status s = DecryptSubmissionToFile(request_, file_key_, in_, in_);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(ReadAll(in_), file_);
}

TEST_F(DecryptTest, MissingInput) {
  Status s =
      DecryptSubmissionToFile(request_, file_key_, dir_ / "missing", out_);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(Entries(), std::vector<std::string>{"submission.age"});
}

// ---- Combining ----

// Tampering applied while making an approval.
struct Tweak {
  std::function<void(PartialDecryption*)> partial = nullptr;
  std::function<void(ApprovalAddress*)> address = nullptr;
  std::function<void(v1::ApprovalBody*)> body = nullptr;
  std::function<void(v1::Approval*)> approval = nullptr;
};

// A consortium built by hand (VerifiedRoster filled directly: CombineApprovals
// reads only the body and Y): t = 2 of organisations 1 (2 of 3 editors),
// 2 (1 of 2) and 3 (1 of 1). The end-to-end protocol, with a real ceremony
// and log, is tests/unit/quorum_protocol_test.cc.
class CombineTest : public TempDirTest {
 protected:
  struct Member {
    v1::EditorIdentity identity;
    Scalar share;
    Point y_oj = Point::Infinity();
  };
  using Ref = std::pair<uint32_t, uint32_t>;

  void SetUp() override {
    TempDirTest::SetUp();
    roster_.body.set_epoch(1);
    roster_.body.set_threshold(2);
    roster_.consortium_key = y_;
    const uint32_t org_ids[] = {1, 2, 3};
    ASSERT_OK_AND_ASSIGN(Dealing orgs, DealShares(x_, 2, org_ids));
    const uint32_t k[] = {2, 1, 1};
    const uint32_t n[] = {3, 2, 1};
    for (size_t o = 0; o < 3; ++o) {
      v1::RosterOrganisation* org = roster_.body.add_organisations();
      org->set_id(org_ids[o]);
      org->set_name("Org" + std::to_string(org_ids[o]));
      org->set_editor_threshold(k[o]);
      org->set_editor_count(n[o]);
      std::vector<uint32_t> idx;
      for (uint32_t j = 1; j <= n[o]; ++j) idx.push_back(j);
      ASSERT_OK_AND_ASSIGN(Dealing editors,
                           DealShares(orgs.shares[o].value, k[o], idx));
      for (uint32_t j = 1; j <= n[o]; ++j) {
        Member m;
        m.identity.set_org_id(org_ids[o]);
        m.identity.set_editor_index(j);
        const Ed25519PrivateKey signing = Ed25519PrivateKey::Generate();
        m.identity.set_ed25519_seed(
            std::string(AsStringView(signing.seed().span())));
        const Scalar p256 = Scalar::Random();
        m.identity.set_p256_private_key(
            std::string(AsStringView(p256.ToBytes().span())));
        m.share = editors.shares[j - 1].value;
        m.y_oj = Point::BaseMul(m.share);
        v1::RosterEditor* e = org->add_editors();
        e->set_index(j);
        e->set_name("E" + std::to_string(org_ids[o]) + std::to_string(j));
        e->set_ed25519_public_key(
            std::string(AsStringView(signing.public_key())));
        const CompressedPoint pk = Point::BaseMul(p256).EncodeCompressed();
        e->set_p256_public_key(std::string(AsStringView(pk)));
        const CompressedPoint vs = m.y_oj.EncodeCompressed();
        e->set_verification_share(std::string(AsStringView(vs)));
        members_.emplace(Ref{org_ids[o], j}, std::move(m));
      }
    }
    ASSERT_NO_FATAL_FAILURE(MakeRequest({}, &request_, &file_key_));
  }

  StatusOr<EditorKeys> Keys(Ref ref) const {
    return EditorKeys::FromIdentity(members_.at(ref).identity, roster_);
  }

  // A submission excluding `excluded`, and a request for it by editor
  // (3, 1), filled in as VerifyRequest would.
  void MakeRequest(std::vector<uint32_t> excluded, VerifiedRequest* request,
                   SecretBytes* file_key) {
    plaintext_ = ToBytes("the documents, all of them");
    ASSERT_OK_AND_ASSIGN(auto recipient,
                         age::SubmissionRecipient::Create(y_, excluded));
    const age::Recipient* rs[] = {&recipient};
    ASSERT_OK_AND_ASSIGN(file_, age::EncryptToMemory(rs, plaintext_));
    ASSERT_OK_AND_ASSIGN(age::Header header, age::ParseHeader(file_));
    ASSERT_OK_AND_ASSIGN(age::SubmissionInfo info,
                         age::ValidateSubmission(header, y_));
    ASSERT_OK_AND_ASSIGN(Point enc,
                         Point::DecodeUncompressed(info.p256tag.enc));
    ASSERT_OK_AND_ASSIGN(*file_key, age::UnwrapP256TagWithDhPoint(
                                        info.p256tag, y_, enc.Mul(x_)));
    r_ = enc;
    const SecretBytes salt = RandomBytes(32);
    request->id = Sha256(file_);  // any 32 bytes will do here
    request->body.set_epoch(1);
    request->body.set_org_id(3);
    request->body.set_editor_index(1);
    request->body.set_reply_salt(std::string(AsStringView(salt.span())));
    request->header = header;
    request->submission = info;
    ASSERT_OK_AND_ASSIGN(EditorKeys requester, Keys({3, 1}));
    ASSERT_OK_AND_ASSIGN(Scalar reply_sk, requester.ReplyKey(salt.span()));
    request->reply_key = Point::BaseMul(reply_sk);
  }

  // What ReleasePartial would emit for `ref`, with optional tampering.
  v1::Approval Approve(Ref ref, const Tweak& tweak = {}) {
    const Member& m = members_.at(ref);
    auto partial = ComputePartialDecryption(m.share, m.y_oj, r_);
    EXPECT_TRUE(partial.ok()) << partial.status().ToString();
    if (tweak.partial) tweak.partial(&*partial);
    ApprovalAddress address{.request_id = request_.id,
                            .org_id = ref.first,
                            .editor_index = ref.second,
                            .epoch = 1};
    if (tweak.address) tweak.address(&address);
    auto ct = SealPartial(*partial, request_.reply_key, address);
    EXPECT_TRUE(ct.ok()) << ct.status().ToString();
    v1::ApprovalBody body;
    body.set_request_id(std::string(AsStringView(request_.id)));
    body.set_header_hash(
        std::string(AsStringView(request_.submission.header_hash)));
    body.set_org_id(ref.first);
    body.set_editor_index(ref.second);
    body.set_epoch(1);
    body.set_ciphertext_hash(std::string(AsStringView(Sha256(*ct))));
    body.set_created_unix(1'760'000'000);
    if (tweak.body) tweak.body(&body);
    auto keys = Keys(ref);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    v1::Approval approval;
    *approval.mutable_statement() = SignStatement(
        kApprovalStatementDst, ToBytes(body.SerializeAsString()), *keys);
    approval.set_ciphertext(std::string(AsStringView(*ct)));
    if (tweak.approval) tweak.approval(&approval);
    return approval;
  }

  StatusOr<Combined> Combine(const std::vector<v1::Approval>& approvals,
                             Ref requester = {3, 1}) {
    CONCLAVE_ASSIGN_OR_RETURN(EditorKeys keys, Keys(requester));
    return CombineApprovals(roster_, keys, request_, approvals);
  }

  static bool Mentions(const std::vector<std::string>& lines,
                       std::string_view a, std::string_view b) {
    for (const std::string& l : lines) {
      if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  Scalar x_ = Scalar::Random();
  Point y_ = Point::BaseMul(x_);
  Point r_ = Point::Infinity();
  keyceremony::VerifiedRoster roster_;
  std::map<Ref, Member> members_;
  Bytes plaintext_;
  Bytes file_;
  VerifiedRequest request_;
  SecretBytes file_key_;
};

TEST_F(CombineTest, QuorumOpensTheSubmission) {
  std::vector<v1::Approval> approvals = {
      Approve({3, 1}), Approve({1, 2}), Approve({1, 1}),
      Approve({1, 1}),  // resent, freshly sealed: counts once
      Approve({2, 1})};
  approvals.push_back(approvals[1]);  // replayed as is
  ASSERT_OK_AND_ASSIGN(Combined combined, Combine(approvals));
  EXPECT_TRUE(combined.file_key.ConstantTimeEquals(file_key_));
  EXPECT_TRUE(combined.report.refused.empty());
  EXPECT_EQ(combined.report.duplicates, 2u);
  // The first t = 2 organisations, first k_o editors each.
  EXPECT_EQ(combined.report.used, (std::vector<std::pair<uint32_t, uint32_t>>{
                                      {1, 1}, {1, 2}, {2, 1}}));

  // And the file opens with it.
  WriteAll(dir_ / "in.age", file_);
  ASSERT_OK(DecryptSubmissionToFile(request_, combined.file_key,
                                    dir_ / "in.age", dir_ / "out"));
  EXPECT_EQ(ReadAll(dir_ / "out"), plaintext_);
}

TEST_F(CombineTest, AnyQualifiedSetWorks) {
  ASSERT_OK_AND_ASSIGN(Combined a, Combine({Approve({2, 2}), Approve({3, 1})}));
  EXPECT_TRUE(a.file_key.ConstantTimeEquals(file_key_));
  ASSERT_OK_AND_ASSIGN(
      Combined b, Combine({Approve({1, 3}), Approve({3, 1}), Approve({1, 2})}));
  EXPECT_TRUE(b.file_key.ConstantTimeEquals(file_key_));
  EXPECT_EQ(b.report.used, (std::vector<std::pair<uint32_t, uint32_t>>{
                               {1, 2}, {1, 3}, {3, 1}}));
}

TEST_F(CombineTest, BadPartialIsNamedAndSkipped) {
  const Tweak bad_d{.partial = [](PartialDecryption* p) {
    p->d = p->d + Point::Generator();
  }};
  ASSERT_OK_AND_ASSIGN(Combined combined,
                       Combine({Approve({1, 1}), Approve({1, 2}, bad_d),
                                Approve({2, 1}), Approve({3, 1})}));
  EXPECT_TRUE(combined.file_key.ConstantTimeEquals(file_key_));
  ASSERT_EQ(combined.report.refused.size(), 1u);
  EXPECT_EQ(
      combined.report.refused[0].rfind("organisation 1 editor 2 (E12)", 0), 0u)
      << combined.report.refused[0];
  EXPECT_TRUE(
      Mentions(combined.report.refused, "E12", "proof does not verify"));
  EXPECT_EQ(combined.report.used,
            (std::vector<std::pair<uint32_t, uint32_t>>{{2, 1}, {3, 1}}));
}

TEST_F(CombineTest, NotEnoughListsWhatIsMissing) {
  const Tweak bad_d{
      .partial = [](PartialDecryption* p) { p->d = p->d + p->d; }};
  StatusOr<Combined> c =
      Combine({Approve({1, 1}), Approve({1, 2}, bad_d), Approve({2, 1})});
  ASSERT_EQ(c.status().code(), StatusCode::kFailedPrecondition)
      << c.status().ToString();
  const std::string msg = c.status().message();
  EXPECT_NE(msg.find("organisation 1 (Org1): 1 of 2"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("organisation 2 (Org2): 1 of 1"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("organisation 3 (Org3): 0 of 1"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("organisation 1 editor 2 (E12): partial decryption proof"),
            std::string::npos)
      << msg;
  // Nothing at all.
  EXPECT_EQ(Combine({}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(CombineTest, EveryKindOfBadApprovalIsRefused) {
  const std::vector<v1::Approval> bad = {
      // Signature does not verify: not named as its claimed signer.
      Approve({1, 1}, {.approval =
                           [](v1::Approval* a) {
                             std::string sig = a->statement().signature();
                             sig[5] ^= 1;
                             a->mutable_statement()->set_signature(sig);
                           }}),
      // Ciphertext swapped after signing.
      Approve({1, 2}, {.approval =
                           [](v1::Approval* a) {
                             std::string ct = a->ciphertext();
                             ct[100] ^= 1;
                             a->set_ciphertext(ct);
                           }}),
      // For another request.
      Approve({1, 3}, {.body =
                           [](v1::ApprovalBody* b) {
                             std::string id = b->request_id();
                             id[0] ^= 1;
                             b->set_request_id(id);
                           }}),
      // Another header.
      Approve({2, 1}, {.body =
                           [](v1::ApprovalBody* b) {
                             std::string h = b->header_hash();
                             h[0] ^= 1;
                             b->set_header_hash(h);
                           }}),
      // Another epoch.
      Approve({2, 2}, {.body = [](v1::ApprovalBody* b) { b->set_epoch(2); }}),
      // Sealed under another editor's address.
      Approve({3, 1},
              {.address = [](ApprovalAddress* a) { a->editor_index = 2; }}),
  };
  StatusOr<Combined> c = Combine(bad);
  ASSERT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  // One refusal per approval, by the right name.
  const std::string msg = c.status().message();
  for (const char* expect :
       {"an approval claiming to be from organisation 1 editor 1 (E11)",
        "\n  organisation 1 editor 2 (E12): ",
        "\n  organisation 1 editor 3 (E13): approves another request",
        "\n  organisation 2 editor 1 (E21): approves another submission header",
        "\n  organisation 2 editor 2 (E22): ",
        "\n  organisation 3 editor 1 (E31): approval ciphertext does not "
        "open"}) {
    EXPECT_NE(msg.find(expect), std::string::npos) << expect << "\n" << msg;
  }
  // With good ones alongside, the bad are listed and the rest combine.
  std::vector<v1::Approval> mixed = bad;
  mixed.push_back(Approve({2, 1}));
  mixed.push_back(Approve({3, 1}));
  ASSERT_OK_AND_ASSIGN(Combined combined, Combine(mixed));
  EXPECT_EQ(combined.report.refused.size(), bad.size());
  EXPECT_TRUE(combined.file_key.ConstantTimeEquals(file_key_));
}

TEST_F(CombineTest, ExcludedOrganisationIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeRequest({1}, &request_, &file_key_));
  StatusOr<Combined> c =
      Combine({Approve({1, 1}), Approve({1, 2}), Approve({3, 1})});
  ASSERT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("excludes"), std::string::npos)
      << c.status().message();
  // Organisation 1 is not even listed among the candidates.
  EXPECT_EQ(c.status().message().find("organisation 1 (Org1)"),
            std::string::npos);
  ASSERT_OK_AND_ASSIGN(
      Combined ok, Combine({Approve({1, 1}), Approve({1, 2}), Approve({2, 1}),
                            Approve({3, 1})}));
  EXPECT_EQ(ok.report.refused.size(), 2u);
  EXPECT_TRUE(ok.file_key.ConstantTimeEquals(file_key_));
}

TEST_F(CombineTest, OnlyTheRequesterCombines) {
  const std::vector<v1::Approval> approvals = {Approve({2, 1}),
                                               Approve({3, 1})};
  EXPECT_EQ(Combine(approvals, {2, 1}).status().code(),
            StatusCode::kFailedPrecondition);
  // A reply key not derived from the requester's identity.
  request_.reply_key = Point::BaseMul(Scalar::Random());
  EXPECT_EQ(Combine(approvals).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(CombineTest, InconsistentRosterIsCaught) {
  // Organisation 2's editor 1 holds another share and the roster lists its
  // Y_oj: the proof verifies, but the verification shares no longer
  // interpolate to Y.
  Member& m = members_.at({2, 1});
  m.share = Scalar::Random();
  m.y_oj = Point::BaseMul(m.share);
  const CompressedPoint vs = m.y_oj.EncodeCompressed();
  roster_.body.mutable_organisations(1)
      ->mutable_editors(0)
      ->set_verification_share(std::string(AsStringView(vs)));
  StatusOr<Combined> c = Combine({Approve({2, 1}), Approve({3, 1})});
  EXPECT_EQ(c.status().code(), StatusCode::kInternal) << c.status().ToString();
  EXPECT_NE(c.status().message().find("roster inconsistent"),
            std::string::npos);
}

}  // namespace
}  // namespace conclave::quorum
