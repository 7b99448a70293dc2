// The secret canary (issue 10, secret hygiene): a simulated ceremony with a
// passphrase file, then the whole online story through the real programs on
// loopback (every organisation's conclave-witness, conclaved, and conclave
// for encrypt, submit, request, approve, release, decrypt). Every program's
// argv, stdout and stderr is recorded, and then none of them, nor any file
// under the daemon's data directory, the witnesses' state or the editors'
// client state, may contain a secret: any editor's share y_oj, identity keys
// (Ed25519 seed, P-256 private key), the witness keys or the log key — as
// raw bytes, lowercase or uppercase hex, or base64 (padded or not).
//
// The secrets are read back the way a test may: the sealed files opened
// with the known passphrase through the library.
//
// While they run, conclaved, every conclave-witness and a waiting
// `conclave approve --wait` (which holds an identity and a share) must have
// core dumps off: /proc/PID/limits "Max core file size 0 0". (Whether the
// process is also non-dumpable, PR_SET_DUMPABLE 0, cannot be read from
// outside it; base/hardening.cc sets both in one call.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "sealed/sealed_file.h"
#include "tests/e2e/program.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using testing::AwaitLine;
using testing::Contains;
using testing::ReadAll;
using testing::WriteAll;

constexpr char kPassphrase[] = "correct horse battery staple";

std::string Base64(const std::string& in, bool pad) {
  static const char* k =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v =
        (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    if (pad) out += "=";
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(ch));
  return s;
}

// A secret and every form it is looked for in.
struct Canary {
  std::string what;  // e.g. "share of organisation 2 editor 1"
  std::vector<std::string> forms;
};

Canary MakeCanary(std::string what, const std::string& raw) {
  Canary c{std::move(what), {}};
  const std::string hex = HexEncode(AsBytes(raw));
  c.forms = {raw, hex, Upper(hex), Base64(raw, true), Base64(raw, false)};
  return c;
}

// Where a canary was found (empty: nowhere).
std::string FindCanary(const std::vector<Canary>& canaries,
                       const std::string& where, const std::string& text) {
  for (const Canary& c : canaries) {
    for (size_t i = 0; i < c.forms.size(); ++i) {
      if (text.find(c.forms[i]) != std::string::npos) {
        static const char* kForm[] = {"raw", "hex", "HEX", "base64",
                                      "base64 (unpadded)"};
        return c.what + " (" + kForm[i] + ") in " + where;
      }
    }
  }
  return "";
}

class SecretCanaryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-canary-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    pass_ = (dir_ / "pass.txt").string();
    WriteAll(pass_, std::string(kPassphrase) + "\n");
    sim_ = dir_ / "ceremony";
  }
  void TearDown() override {
    for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) {
      kill(*it, SIGTERM);
      int status;
      waitpid(*it, &status, 0);
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Every program run goes through here: its argv is recorded, its stdout
  // and stderr are kept in files under dir_/runs.
  pid_t Spawn(const std::string& program, const std::vector<std::string>& args,
              std::string* out_path = nullptr,
              std::string* err_path = nullptr) {
    const std::string n = std::to_string(runs_++);
    fs::create_directories(dir_ / "runs");
    const fs::path out = dir_ / "runs" / (n + ".out");
    const fs::path err = dir_ / "runs" / (n + ".err");
    std::string argv = program;
    for (const std::string& a : args) argv += " " + a;
    argvs_.push_back(argv);
    if (out_path) *out_path = out.string();
    if (err_path) *err_path = err.string();
    return testing::SpawnProgram(program, args, out, err);
  }
  struct Run {
    int exit_code = -1;
    std::string out, err;
  };
  Run RunToEnd(const std::string& program,
               const std::vector<std::string>& args) {
    std::string out, err;
    const pid_t pid = Spawn(program, args, &out, &err);
    Run r;
    if (pid <= 0) return r;
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  // "Max core file size" soft and hard limits are both 0.
  static ::testing::AssertionResult CoreDumpsOff(pid_t pid,
                                                 const std::string& who) {
    const std::string limits =
        ReadAll("/proc/" + std::to_string(pid) + "/limits");
    const size_t at = limits.find("Max core file size");
    if (at == std::string::npos) {
      return ::testing::AssertionFailure()
             << who << ": no core limit in /proc/" << pid << "/limits";
    }
    std::string line = limits.substr(at, limits.find('\n', at) - at);
    std::vector<std::string> words;
    std::string w;
    for (char ch : line.substr(18)) {
      if (ch == ' ') {
        if (!w.empty()) words.push_back(w);
        w.clear();
      } else {
        w += ch;
      }
    }
    if (!w.empty()) words.push_back(w);
    if (words.size() < 2 || words[0] != "0" || words[1] != "0") {
      return ::testing::AssertionFailure()
             << who << " (pid " << pid << ") may dump core: " << line;
    }
    return ::testing::AssertionSuccess();
  }

  std::string Roster() const { return (sim_ / "consortium.roster").string(); }
  std::vector<std::string> Editor(int org, bool share) const {
    const fs::path e = sim_ / ("org" + std::to_string(org)) / "editor1";
    std::vector<std::string> a = {
        "--roster",
        Roster(),
        "--identity",
        (e / "identity.age").string(),
        "--passphrase-file",
        pass_,
        "--state",
        (dir_ / "state" / ("org" + std::to_string(org))).string()};
    if (share) {
      a.push_back("--share");
      a.push_back((e / "share.age").string());
    }
    return a;
  }
  std::vector<std::string> As(int org, std::vector<std::string> cmd,
                              const std::vector<std::string>& extra,
                              bool share) const {
    std::vector<std::string> a = {"--server", address_};
    a.insert(a.end(), cmd.begin(), cmd.end());
    for (const std::string& e : Editor(org, share)) a.push_back(e);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  fs::path dir_, sim_;
  std::string pass_;
  std::string address_;
  int runs_ = 0;
  std::vector<std::string> argvs_;
  std::vector<pid_t> pids_;
};

TEST_F(SecretCanaryE2eTest, NoSecretInOutputArgvOrDaemonFiles) {
  // The ceremony.
  const Run sim =
      RunToEnd(CONCLAVE_CEREMONY_PATH,
               {"simulate", "--orgs", "5", "--threshold", "3", "--work-factor",
                "10", "--out", sim_.string(), "--passphrase-file", pass_});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;

  // The secrets, read back through the library.
  std::vector<Canary> canaries;
  const SecretBytes passphrase = SecretBytes::CopyFrom(AsBytes(kPassphrase));
  for (int o = 1; o <= 5; ++o) {
    const fs::path org = sim_ / ("org" + std::to_string(o));
    const std::string who = "organisation " + std::to_string(o);
    {
      auto share = ReadSealedFile(org / "editor1" / "share.age", passphrase);
      ASSERT_TRUE(share.ok()) << share.status().ToString();
      const std::string& y = share->message().editor_share().share();
      ASSERT_EQ(y.size(), 32u);
      canaries.push_back(MakeCanary("share of " + who + " editor 1", y));
    }
    {
      auto id = ReadSealedFile(org / "editor1" / "identity.age", passphrase);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      const v1::EditorIdentity& i = id->message().editor_identity();
      canaries.push_back(MakeCanary(
          "Ed25519 identity key of " + who + " editor 1", i.ed25519_seed()));
      canaries.push_back(MakeCanary(
          "P-256 identity key of " + who + " editor 1", i.p256_private_key()));
    }
    {
      auto w = ReadSealedFile(org / "witness.age", passphrase);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      canaries.push_back(MakeCanary("witness key of " + who,
                                    w->message().witness_key().ed25519_seed()));
    }
  }
  {
    auto log = ReadSealedFile(sim_ / "log.age", passphrase);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    canaries.push_back(
        MakeCanary("log key", log->message().log_key().ed25519_seed()));
  }
  ASSERT_EQ(canaries.size(), 5u * 4 + 1);
  // The finder finds what it should (a control for the search below).
  for (size_t f = 0; f < canaries[0].forms.size(); ++f) {
    EXPECT_FALSE(
        FindCanary(canaries, "control", "log: " + canaries[0].forms[f] + "\n")
            .empty());
  }

  // Witnesses and conclaved.
  std::vector<std::string> daemon_args = {"--data",
                                          (dir_ / "data").string(),
                                          "--roster",
                                          Roster(),
                                          "--log-key",
                                          (sim_ / "log.age").string(),
                                          "--passphrase-file",
                                          pass_,
                                          "--listen",
                                          "127.0.0.1:0"};
  std::map<pid_t, std::string> holders;  // long-running, holding a secret
  for (int o = 1; o <= 5; ++o) {
    const std::string s = std::to_string(o);
    std::string err;
    const pid_t pid = Spawn(
        CONCLAVE_WITNESS_PATH,
        {"--key", (sim_ / ("org" + s) / "witness.age").string(), "--state",
         (dir_ / "witnesses" / ("org" + s)).string(), "--listen", "127.0.0.1:0",
         "--passphrase-file", pass_, "--roster", Roster()},
        nullptr, &err);
    ASSERT_GT(pid, 0);
    pids_.push_back(pid);
    holders[pid] = "conclave-witness of organisation " + s;
    const std::string port =
        AwaitLine(pid, err, "listening on http://127.0.0.1:");
    ASSERT_FALSE(port.empty()) << ReadAll(err);
    daemon_args.push_back("--witness");
    daemon_args.push_back(
        s + "=http://127.0.0.1:" + port.substr(0, port.find(' ')));
  }
  {
    std::string err;
    const pid_t pid = Spawn(CONCLAVED_PATH, daemon_args, nullptr, &err);
    ASSERT_GT(pid, 0);
    pids_.push_back(pid);
    holders[pid] = "conclaved";
    const std::string rest = AwaitLine(pid, err, "conclaved: listening on ");
    ASSERT_FALSE(rest.empty()) << ReadAll(err);
    address_ = rest.substr(0, rest.find(' '));
  }

  // Submit.
  const std::string plain = "the canary's memo\n";
  WriteAll(dir_ / "memo.txt", plain);
  ASSERT_EQ(RunToEnd(CONCLAVE_CLI_PATH, {"encrypt", "--roster", Roster(), "-o",
                                         (dir_ / "memo.age").string(),
                                         (dir_ / "memo.txt").string()})
                .exit_code,
            0);
  const Run submitted =
      RunToEnd(CONCLAVE_CLI_PATH, {"submit", (dir_ / "memo.age").string(),
                                   "--server", address_, "--roster", Roster()});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::string sub = submitted.out;
  while (!sub.empty() && sub.back() == '\n') sub.pop_back();
  sub = sub.substr(sub.rfind('\n') + 1);

  // Request by organisation 1.
  const Run req = RunToEnd(
      CONCLAVE_CLI_PATH,
      As(1, {"request"},
         {"--submission-id", sub, "--reason", "canary", "--lifetime", "2d"},
         false));
  ASSERT_EQ(req.exit_code, 0) << req.err;
  std::string q = req.out;
  while (!q.empty() && q.back() == '\n') q.pop_back();
  q = q.substr(q.rfind('\n') + 1);

  // Organisation 1 approves; organisation 2 approves and waits (a CLI
  // process holding an identity and a share while it runs).
  ASSERT_EQ(RunToEnd(CONCLAVE_CLI_PATH,
                     As(1, {"approve"}, {"--request-id", q, "--yes"}, true))
                .exit_code,
            0);
  std::string wait_err;
  const pid_t waiter = Spawn(
      CONCLAVE_CLI_PATH,
      As(2, {"approve"},
         {"--request-id", q, "--yes", "--wait", "--wait-timeout", "5m"}, true),
      nullptr, &wait_err);
  ASSERT_GT(waiter, 0);
  ASSERT_FALSE(AwaitLine(waiter, wait_err, "waiting:").empty())
      << ReadAll(wait_err);
  EXPECT_TRUE(CoreDumpsOff(waiter, "conclave approve --wait"));
  for (const auto& [pid, who] : holders) EXPECT_TRUE(CoreDumpsOff(pid, who));

  // Organisation 3 completes the quorum; everyone releases; 1 decrypts.
  ASSERT_EQ(RunToEnd(CONCLAVE_CLI_PATH,
                     As(3, {"approve"}, {"--request-id", q, "--yes"}, true))
                .exit_code,
            0);
  {
    int status = 0;
    waitpid(waiter, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << ReadAll(wait_err);
  }
  for (int o : {1, 2, 3}) {
    const Run r = RunToEnd(CONCLAVE_CLI_PATH,
                           As(o, {"release"}, {"--request-id", q}, true));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Run dec = RunToEnd(
      CONCLAVE_CLI_PATH,
      As(1, {"decrypt"},
         {"--request-id", q, "-o", (dir_ / "memo.out").string()}, false));
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_EQ(ReadAll(dir_ / "memo.out"), plain);

  // A failing command's error messages too: a wrong passphrase, a share
  // given as the identity.
  {
    WriteAll(dir_ / "wrong.txt", "wrong\n");
    std::vector<std::string> a = As(4, {"requests"}, {}, true);
    for (std::string& s : a) {
      if (s == pass_) s = (dir_ / "wrong.txt").string();
    }
    EXPECT_NE(RunToEnd(CONCLAVE_CLI_PATH, a).exit_code, 0);
    std::vector<std::string> b = As(4, {"requests"}, {}, false);
    for (std::string& s : b) {
      if (Contains(s, "identity.age")) {
        s = (sim_ / "org4" / "editor1" / "share.age").string();
      }
    }
    EXPECT_NE(RunToEnd(CONCLAVE_CLI_PATH, b).exit_code, 0);
  }

  // Stop the servers (their last words are logged too).
  for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) {
    kill(*it, SIGTERM);
    int status;
    waitpid(*it, &status, 0);
  }
  pids_.clear();

  // Look everywhere.
  size_t looked = 0;
  for (const std::string& argv : argvs_) {
    const std::string hit = FindCanary(canaries, "argv: " + argv, argv);
    EXPECT_TRUE(hit.empty()) << hit;
    ++looked;
  }
  for (const fs::path& root :
       {dir_ / "runs", dir_ / "data", dir_ / "witnesses", dir_ / "state"}) {
    ASSERT_TRUE(fs::exists(root)) << root;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      const std::string hit =
          FindCanary(canaries, e.path().string(), ReadAll(e.path()));
      EXPECT_TRUE(hit.empty()) << hit;
      ++looked;
    }
  }
  // The outputs were really captured (the daemon logs, the approvals).
  EXPECT_GT(looked, 30u);
  std::printf(
      "canary: %zu secrets in 5 forms each, %zu argv lines and "
      "files checked\n",
      canaries.size(), looked);
}

}  // namespace
}  // namespace conclave
