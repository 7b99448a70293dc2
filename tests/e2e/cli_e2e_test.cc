// End-to-end tests of the `conclave` binary: encrypt -> inspect -> decrypt
// (through the test-only full-key identity, in process), error paths, exit
// codes, and the guarantee that -o appears only when complete.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "age/age.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "tests/e2e/program.h"

extern char** environ;

namespace conclave::age {
namespace {

namespace fs = std::filesystem;

using testing::ReadAll;
using testing::RunProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    x_ = Scalar::Random();
    auto id = P256TagIdentity::FromScalar(x_);
    ASSERT_TRUE(id.ok());
    identity_.emplace(std::move(id).value());
    recipient_ = EncodeP256TagRecipient(identity_->recipient());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs conclave with args; stdin from `stdin_path` (or /dev/null).
  Result Run(const std::vector<std::string>& args,
             const std::string& stdin_path = "/dev/null") {
    return RunProgram(dir_, CONCLAVE_CLI_PATH, args, stdin_path);
  }

  // Decrypts with the full private key (test-only path).
  StatusOr<std::string> Decrypt(std::string_view file) {
    const Identity* ids[] = {&*identity_};
    CONCLAVE_ASSIGN_OR_RETURN(SecretBytes pt,
                              DecryptToMemory(AsBytes(file), ids));
    return std::string(pt.span().begin(), pt.span().end());
  }

  // Files in the directory other than the given ones (leftover temps).
  std::vector<std::string> Entries() {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(dir_)) {
      v.push_back(e.path().filename().string());
    }
    std::sort(v.begin(), v.end());
    return v;
  }

  static std::string Data(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + i / 65536);
    return s;
  }

  fs::path dir_;
  Scalar x_;
  std::optional<P256TagIdentity> identity_;
  std::string recipient_;
};

TEST_F(CliTest, EncryptInspectDecryptRoundTrip) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{65536}, size_t{3 << 20}}) {
    const std::string pt = Data(size);
    WriteAll(dir_ / "in.bin", pt);
    Result e = Run({"encrypt", "--to", recipient_, "-o",
                    (dir_ / "out.age").string(), (dir_ / "in.bin").string()});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, "");
    const std::string file = ReadAll(dir_ / "out.age");
    auto got = Decrypt(file);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, pt) << size;
    EXPECT_EQ(
        (fs::status(dir_ / "out.age").permissions() & fs::perms::group_all),
        fs::perms::none);

    Result i =
        Run({"inspect", (dir_ / "out.age").string(), "--to", recipient_});
    EXPECT_EQ(i.exit_code, 0) << i.out << i.err;
    MemoryReader in(AsBytes(file));
    auto h = ReadAgeFileHeader(in);
    ASSERT_TRUE(h.ok());
    auto info = ValidateSubmission(*h, identity_->recipient());
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_NE(i.out.find(info->id), std::string::npos) << i.out;
    EXPECT_NE(i.out.find("valid submission"), std::string::npos);
    EXPECT_NE(i.out.find(std::to_string(size) + " bytes of plaintext"),
              std::string::npos)
        << i.out;
  }
}

TEST_F(CliTest, StdinToStdoutAndRecipientFile) {
  const std::string pt = Data(200000);
  WriteAll(dir_ / "in.bin", pt);
  WriteAll(dir_ / "consortium.pub", recipient_ + "\n");
  Result e = Run({"encrypt", "--to", (dir_ / "consortium.pub").string()},
                 (dir_ / "in.bin").string());
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto got = Decrypt(e.out);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, pt);
  // inspect reading stdin.
  WriteAll(dir_ / "s.age", e.out);
  Result i = Run({"inspect", "-", "--to", recipient_, "--json"},
                 (dir_ / "s.age").string());
  EXPECT_EQ(i.exit_code, 0) << i.out << i.err;
  EXPECT_NE(i.out.find("\"valid\": true"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("\"plaintext_bytes\": 200000"), std::string::npos);
}

TEST_F(CliTest, ArmorAndExclusions) {
  WriteAll(dir_ / "in.txt", "hello conclave\n");
  Result e =
      Run({"encrypt", "--to", recipient_, "--armor", "--exclude", "7", "-x",
           "3", "-o", (dir_ / "out.txt").string(), (dir_ / "in.txt").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const std::string file = ReadAll(dir_ / "out.txt");
  EXPECT_EQ(file.rfind("-----BEGIN AGE ENCRYPTED FILE-----", 0), 0u);
  auto got = Decrypt(file);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello conclave\n");
  Result i = Run({"inspect", (dir_ / "out.txt").string(), "--to", recipient_});
  EXPECT_EQ(i.exit_code, 0) << i.out;
  EXPECT_NE(i.out.find("3, 7"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("ASCII-armored"), std::string::npos) << i.out;
}

TEST_F(CliTest, LargeArmoredRoundTrip) {
  const std::string pt = Data((5 << 20) + 123);  // many batches
  WriteAll(dir_ / "in.bin", pt);
  Result e = Run({"encrypt", "--to", recipient_, "-a", "-o",
                  (dir_ / "out.txt").string(), (dir_ / "in.bin").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto got = Decrypt(ReadAll(dir_ / "out.txt"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == pt);
}

TEST_F(CliTest, BadExclusionsAreUsageErrorsAndCreateNothing) {
  WriteAll(dir_ / "in.txt", "x");
  for (const char* bad : {"0", "01", "+1", "-1", "4294967296", "abc", ""}) {
    Result e = Run({"encrypt", "--to", recipient_, "--exclude", bad, "-o",
                    (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
    EXPECT_EQ(e.exit_code, 1) << bad << ": " << e.err;
    EXPECT_NE(e.err.find("--exclude"), std::string::npos) << e.err;
  }
  Result dup = Run({"encrypt", "--to", recipient_, "-x", "2", "-x", "2", "-o",
                    (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(dup.exit_code, 1) << dup.err;
  EXPECT_EQ(Entries(), std::vector<std::string>{"in.txt"});
}

TEST_F(CliTest, MalformedRecipientFailsCleanlyWithoutOutput) {
  WriteAll(dir_ / "in.txt", "secret");
  const std::string bad_checksum = recipient_.substr(0, recipient_.size() - 1) +
                                   (recipient_.back() == 'q' ? "p" : "q");
  for (const std::string& bad :
       {std::string("age1tag1notakey"), bad_checksum,
        std::string("age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs32"
                    "90gq")}) {
    Result e = Run({"encrypt", "--to", bad, "-o", (dir_ / "out.age").string(),
                    (dir_ / "in.txt").string()});
    EXPECT_EQ(e.exit_code, 2) << bad << ": " << e.err;
    EXPECT_FALSE(e.err.empty());
    EXPECT_EQ(e.err.find('\n'), e.err.size() - 1) << "one line: " << e.err;
  }
  // A recipient file that does not exist: I/O error.
  Result e = Run({"encrypt", "--to", (dir_ / "missing.pub").string(), "-o",
                  (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_NE(e.exit_code, 0);
  EXPECT_EQ(Entries(), std::vector<std::string>{"in.txt"});
}

TEST_F(CliTest, OutputMayNotBeTheInput) {
  WriteAll(dir_ / "f", "plain");
  Result e = Run({"encrypt", "--to", recipient_, "-o", (dir_ / "f").string(),
                  (dir_ / "f").string()});
  EXPECT_EQ(e.exit_code, 1) << e.err;
  EXPECT_EQ(ReadAll(dir_ / "f"), "plain");
  EXPECT_EQ(Entries(), std::vector<std::string>{"f"});
}

TEST_F(CliTest, IoErrorsLeaveNoOutput) {
  Result e = Run({"encrypt", "--to", recipient_, "-o",
                  (dir_ / "out.age").string(), (dir_ / "nope").string()});
  EXPECT_EQ(e.exit_code, 3) << e.err;
  // Reading a directory fails.
  fs::create_directory(dir_ / "sub");
  e = Run({"encrypt", "--to", recipient_, "-o", (dir_ / "out.age").string(),
           (dir_ / "sub").string()});
  EXPECT_EQ(e.exit_code, 3) << e.err;
  // Output into a missing directory.
  WriteAll(dir_ / "in.txt", "x");
  e = Run({"encrypt", "--to", recipient_, "-o",
           (dir_ / "no" / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(e.exit_code, 3) << e.err;
  EXPECT_EQ(Entries(), (std::vector<std::string>{"in.txt", "sub"}));
}

// Encryption killed midway (input still streaming from a pipe): the output
// never appears and the temporary file is removed (SIGTERM, SIGINT).
TEST_F(CliTest, KilledMidwayLeavesNothing) {
  for (int sig : {SIGTERM, SIGINT}) {
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    const fs::path out = dir_ / "out.age";
    std::vector<std::string> all = {CONCLAVE_CLI_PATH, "encrypt", "--to",
                                    recipient_,        "-o",      out.string()};
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[0], 0);
    posix_spawn_file_actions_addclose(&fa, pipefd[1]);
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, CONCLAVE_CLI_PATH, &fa, nullptr, argv.data(),
                          environ),
              0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[0]);
    const std::string chunk = Data(1 << 20);
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(write(pipefd[1], chunk.data(), chunk.size()),
                static_cast<ssize_t>(chunk.size()));
    }
    // Wait until the temporary file exists and has data.
    bool saw_temp = false;
    for (int i = 0; i < 200 && !saw_temp; ++i) {
      for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().filename().string().find(".conclave-tmp-") !=
                std::string::npos &&
            fs::file_size(e.path()) > 0) {
          saw_temp = true;
        }
      }
      if (!saw_temp) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(saw_temp);
    EXPECT_FALSE(fs::exists(out));
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    close(pipefd[1]);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(Entries().empty()) << Entries().front();
  }
}

TEST_F(CliTest, OutputAppearsOnlyWhenComplete) {
  // While the input is still open the output must not exist; once the input
  // ends it appears, complete.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const fs::path out = dir_ / "out.age";
  std::vector<std::string> all = {CONCLAVE_CLI_PATH, "encrypt", "--to",
                                  recipient_,        "-o",      out.string()};
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[0], 0);
  posix_spawn_file_actions_addclose(&fa, pipefd[1]);
  pid_t pid;
  ASSERT_EQ(
      posix_spawn(&pid, CONCLAVE_CLI_PATH, &fa, nullptr, argv.data(), environ),
      0);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[0]);
  const std::string data = Data(2 << 20);
  ASSERT_EQ(write(pipefd[1], data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(out));
  close(pipefd[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto got = Decrypt(ReadAll(out));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.age"});
}

TEST_F(CliTest, InspectReportsPlainP256TagAndGarbage) {
  auto plain = P256TagRecipient::Create(identity_->recipient());
  ASSERT_TRUE(plain.ok());
  const Recipient* rs[] = {&*plain};
  auto file = EncryptToMemory(rs, AsBytes("hi"));
  ASSERT_TRUE(file.ok());
  WriteAll(dir_ / "plain.age", std::string(file->begin(), file->end()));
  Result i =
      Run({"inspect", (dir_ / "plain.age").string(), "--to", recipient_});
  EXPECT_EQ(i.exit_code, 2) << i.out;
  EXPECT_NE(i.out.find("plain-p256tag"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("NOT a valid submission"), std::string::npos);

  WriteAll(dir_ / "junk", "this is not an age file\n");
  i = Run({"inspect", (dir_ / "junk").string()});
  EXPECT_EQ(i.exit_code, 2);
  EXPECT_NE(i.err.find("not a readable age file"), std::string::npos) << i.err;

  i = Run({"inspect", (dir_ / "junk").string(), "--json"});
  EXPECT_EQ(i.exit_code, 2);
  EXPECT_NE(i.out.find("\"error\""), std::string::npos) << i.out;

  i = Run({"inspect", (dir_ / "missing").string()});
  EXPECT_EQ(i.exit_code, 3);
}

TEST_F(CliTest, InspectWithAnotherKeyOrNoKey) {
  WriteAll(dir_ / "in.txt", "x");
  ASSERT_EQ(Run({"encrypt", "--to", recipient_, "-o", (dir_ / "a.age").string(),
                 (dir_ / "in.txt").string()})
                .exit_code,
            0);
  const std::string other =
      EncodeP256TagRecipient(Point::BaseMul(Scalar::Random()));
  Result i = Run({"inspect", (dir_ / "a.age").string(), "--to", other});
  EXPECT_EQ(i.exit_code, 2);
  EXPECT_NE(i.out.find("NO, addressed to another key"), std::string::npos)
      << i.out;
  i = Run({"inspect", (dir_ / "a.age").string()});
  EXPECT_EQ(i.exit_code, 0) << i.out;
  EXPECT_NE(i.out.find("cannot check without --to"), std::string::npos)
      << i.out;
  // A truncated payload is reported.
  std::string f = ReadAll(dir_ / "a.age");
  WriteAll(dir_ / "t.age", f.substr(0, f.size() - 20));
  i = Run({"inspect", (dir_ / "t.age").string(), "--to", recipient_});
  EXPECT_EQ(i.exit_code, 2) << i.out;
  EXPECT_NE(i.out.find("truncated"), std::string::npos) << i.out;
}

TEST_F(CliTest, HelpAndUsage) {
  Result h = Run({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Examples:"), std::string::npos);
  EXPECT_NE(h.out.find("Exit codes:"), std::string::npos);
  h = Run({"encrypt", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--exclude"), std::string::npos);
  EXPECT_NE(h.out.find("--roster"), std::string::npos);
  EXPECT_NE(h.out.find("at most m - t organisations may be excluded"),
            std::string::npos)
      << h.out;
  EXPECT_NE(h.out.find("Examples:"), std::string::npos);
  h = Run({"inspect", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--roster"), std::string::npos);
  h = Run({"audit", "verify", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--roster"), std::string::npos);
  // A roster that cannot be read: encrypt leaves nothing behind.
  WriteAll(dir_ / "in.txt", "x");
  Result nr =
      Run({"encrypt", "--roster", (dir_ / "missing.roster").string(), "-o",
           (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(nr.exit_code, 2) << nr.err;
  EXPECT_NE(nr.err.find("missing.roster"), std::string::npos) << nr.err;
  EXPECT_FALSE(fs::exists(dir_ / "out.age"));
  EXPECT_EQ(Run({}).exit_code, 1);
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 1);
  EXPECT_EQ(Run({"encrypt", "--bogus"}).exit_code, 1);
  Result no_to = Run({"encrypt"});
  EXPECT_EQ(no_to.exit_code, 1);
  EXPECT_NE(no_to.err.find("--to"), std::string::npos);
  EXPECT_NE(no_to.err.find("--roster"), std::string::npos);
  EXPECT_EQ(Run({"inspect"}).exit_code, 1);
  EXPECT_EQ(Run({"encrypt", "--to", recipient_, "a", "b"}).exit_code, 1);
}

}  // namespace
}  // namespace conclave::age
