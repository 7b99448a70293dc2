#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/file_util.h"
#include "crypto/random.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;

// Work factor 10 keeps the tests fast; the default (18) is for real files.
constexpr int kTestWorkFactor = 10;

class SealedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sealed_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static v1::SealedSecret WitnessSecret() {
    v1::SealedSecret s;
    s.mutable_witness_key()->set_org_id(3);
    s.mutable_witness_key()->set_name("witness.org3.example");
    s.mutable_witness_key()->set_ed25519_seed(std::string(32, '\x5a'));
    return s;
  }

  static SecretBytes Pass(std::string_view p) {
    return SecretBytes::CopyFrom(AsBytes(p));
  }

  fs::path dir_;
};

TEST_F(SealedFileTest, RoundTrip) {
  const fs::path path = dir_ / "witness.age";
  ASSERT_TRUE(WriteSealedFile(path, WitnessSecret(), Pass("correct horse"),
                              kTestWorkFactor)
                  .ok());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto opened = ReadSealedFile(path, Pass("correct horse"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const auto& key = opened->message().witness_key();
  EXPECT_EQ(key.org_id(), 3u);
  EXPECT_EQ(key.name(), "witness.org3.example");
  EXPECT_EQ(key.ed25519_seed(), std::string(32, '\x5a'));
}

TEST_F(SealedFileTest, WrongPassphraseIsAClearError) {
  const fs::path path = dir_ / "witness.age";
  ASSERT_TRUE(
      WriteSealedFile(path, WitnessSecret(), Pass("right"), kTestWorkFactor)
          .ok());
  auto opened = ReadSealedFile(path, Pass("wrong"));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(opened.status().message().find("passphrase does not open"),
            std::string::npos);
}

TEST_F(SealedFileTest, NeverOverwrites) {
  const fs::path path = dir_ / "witness.age";
  ASSERT_TRUE(
      WriteSealedFile(path, WitnessSecret(), Pass("a"), kTestWorkFactor).ok());
  Status again =
      WriteSealedFile(path, WitnessSecret(), Pass("b"), kTestWorkFactor);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  // The original still opens with its passphrase.
  EXPECT_TRUE(ReadSealedFile(path, Pass("a")).ok());
}

TEST_F(SealedFileTest, TruncatedAndTamperedFilesAreRefused) {
  const fs::path path = dir_ / "witness.age";
  ASSERT_TRUE(
      WriteSealedFile(path, WitnessSecret(), Pass("p"), kTestWorkFactor).ok());
  auto bytes = ReadFileBytes(path, 1 << 20);
  ASSERT_TRUE(bytes.ok());
  for (size_t cut :
       {size_t{0}, size_t{10}, bytes->size() / 2, bytes->size() - 1}) {
    const fs::path cut_path = dir_ / ("cut" + std::to_string(cut));
    ASSERT_TRUE(
        WriteFileAtomically(cut_path, ByteSpan(bytes->data(), cut)).ok());
    auto opened = ReadSealedFile(cut_path, Pass("p"));
    EXPECT_FALSE(opened.ok()) << "cut at " << cut;
  }
  Bytes flipped = *bytes;
  flipped.back() ^= 1;
  ASSERT_TRUE(WriteFileAtomically(dir_ / "flipped", flipped).ok());
  auto opened = ReadSealedFile(dir_ / "flipped", Pass("p"));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SealedFileTest, NotASealedFile) {
  ASSERT_TRUE(WriteFileAtomically(dir_ / "note.txt", AsBytes("hello\n")).ok());
  auto opened = ReadSealedFile(dir_ / "note.txt", Pass("p"));
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("not a sealed Conclave file"),
            std::string::npos);
  EXPECT_EQ(ReadSealedFile(dir_ / "missing", Pass("p")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(SealedFileTest, EmptySecretIsRefused) {
  EXPECT_EQ(WriteSealedFile(dir_ / "x", v1::SealedSecret(), Pass("p"),
                            kTestWorkFactor)
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(CleanseMessageTest, WipesEveryStringThenClears) {
  v1::SealedSecret s;
  s.mutable_log_key()->set_origin("conclave.example/log");
  s.mutable_log_key()->set_ed25519_seed(std::string(32, '\x77'));
  WipeStringFields(&s);
  EXPECT_EQ(s.log_key().ed25519_seed(), std::string(32, '\0'));
  EXPECT_EQ(s.log_key().origin(), std::string(20, '\0'));
  CleanseMessage(&s);
  EXPECT_FALSE(s.has_log_key());
}

TEST_F(SealedFileTest, PassphraseFileFirstLine) {
  ASSERT_TRUE(
      WriteFileAtomically(dir_ / "pass", AsBytes("s3cret\r\nrest\n")).ok());
  auto p = ReadPassphraseFile((dir_ / "pass").string());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->ConstantTimeEquals(Pass("s3cret")));
  ASSERT_TRUE(WriteFileAtomically(dir_ / "empty", AsBytes("\nx\n")).ok());
  EXPECT_EQ(ReadPassphraseFile((dir_ / "empty").string()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace conclave
