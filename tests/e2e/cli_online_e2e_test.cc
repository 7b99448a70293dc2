// End to end: the editors' workflow through the real programs on loopback
// (issue 7): one `conclave-ceremony simulate` (5 organisations, t = 3, one
// editor each, work factor 10), every organisation's `conclave-witness`,
// `conclaved`, and `conclave` for every step:
//   submit → request → approve (two organisations: release and decrypt
//   refused as waiting) → third approval releases → the others release →
//   decrypt → the bytes match;
//   the air-gapped path: request export → release --bundle (offline) →
//   approval upload;
//   an excluded organisation's editor can neither request nor approve;
//   a forked log (a second daemon with the same log key and roster but
//   another history) and a rolled-back one are refused, with fork evidence
//   kept in the client state.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "audit/client_state.h"
#include "cli/client.h"
#include "cli/online_commands.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "tests/e2e/program.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::Contains;
using testing::IsHex64;
using testing::LastLine;
using testing::ReadAll;
using testing::RunProgram;
using testing::SpawnProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr char kPassphrase[] = "correct horse battery staple";

// Exit codes (cli/exit_codes.h).
constexpr int kUsage = 1;
constexpr int kBadInput = 2;
constexpr int kUnreachable = 5;
constexpr int kRefused = 6;
constexpr int kPending = 7;
constexpr int kFork = 8;

// Some bytes that span several 64 KiB STREAM chunks.
std::string Plaintext(const std::string& tag) {
  std::string s;
  for (int i = 0; s.size() < 200 * 1024; ++i) {
    s += tag + " line " + std::to_string(i) + "\n";
  }
  return s;
}

struct Daemon {
  std::string address;  // 127.0.0.1:PORT
  fs::path dir;
  std::vector<pid_t> pids;  // witnesses, then conclaved
};

// Waits (up to a minute) until `text` appears in the file.
bool AwaitText(const fs::path& file, const std::string& text) {
  for (int i = 0; i < 6000; ++i) {
    if (Contains(ReadAll(file), text)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class CliOnlineE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-cli-online-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    pids_ = new std::vector<pid_t>();
    sim_ = new fs::path(*scratch_ / "ceremony");
    setup_ = new Result(testing::SimulateConsortium(
        CONCLAVE_CEREMONY_PATH, *scratch_, *sim_, kPassphrase));
  }
  static void TearDownTestSuite() {
    for (pid_t pid : *pids_) {
      kill(pid, SIGTERM);
      int status;
      waitpid(pid, &status, 0);
    }
    fs::remove_all(*scratch_);
    delete scratch_;
    delete sim_;
    delete setup_;
    delete pids_;
    delete main_;
    main_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(setup_->exit_code, 0) << setup_->err;
    char tmpl[] = "/tmp/conclave-cli-online-case-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Roster() { return (*sim_ / "consortium.roster").string(); }
  static std::string Pass() { return (*scratch_ / "pass.txt").string(); }

  // Waits (up to 30 s) for `marker` in the file; returns the text after
  // it, or "" when the process ended first.
  static std::string AwaitLine(pid_t pid, const fs::path& err,
                               const std::string& marker) {
    return testing::AwaitLine(pid, err, marker, 3000);
  }

  // Witnesses for `orgs` (fresh state under `dir`) and a conclaved.
  static Daemon StartDaemon(const fs::path& dir, std::vector<int> orgs,
                            const std::vector<std::string>& extra = {}) {
    Daemon d;
    d.dir = dir;
    fs::create_directories(dir);
    std::vector<std::string> args = {"--data",
                                     (dir / "data").string(),
                                     "--roster",
                                     Roster(),
                                     "--log-key",
                                     (*sim_ / "log.age").string(),
                                     "--passphrase-file",
                                     Pass(),
                                     "--listen",
                                     "127.0.0.1:0"};
    for (int org : orgs) {
      const std::string o = std::to_string(org);
      const fs::path err = dir / ("witness" + o + ".err");
      const pid_t pid = SpawnProgram(
          CONCLAVE_WITNESS_PATH,
          {"--key", (*sim_ / ("org" + o) / "witness.age").string(), "--state",
           (dir / ("witness" + o)).string(), "--listen", "127.0.0.1:0",
           "--passphrase-file", Pass(), "--roster", Roster()},
          dir / ("witness" + o + ".out"), err);
      EXPECT_GT(pid, 0);
      if (pid <= 0) return d;
      pids_->push_back(pid);
      d.pids.push_back(pid);
      const std::string port =
          AwaitLine(pid, err, "listening on http://127.0.0.1:");
      EXPECT_FALSE(port.empty()) << ReadAll(err);
      args.push_back("--witness");
      args.push_back(o + "=http://127.0.0.1:" + port.substr(0, port.find(' ')));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    const fs::path err = dir / "conclaved.err";
    const pid_t pid =
        SpawnProgram(CONCLAVED_PATH, args, dir / "conclaved.out", err);
    EXPECT_GT(pid, 0);
    if (pid <= 0) return d;
    pids_->push_back(pid);
    d.pids.push_back(pid);
    const std::string rest = AwaitLine(pid, err, "conclaved: listening on ");
    EXPECT_FALSE(rest.empty()) << ReadAll(err);
    d.address = rest.substr(0, rest.find(' '));
    return d;
  }

  static void StopDaemon(const Daemon& d) {
    for (auto it = d.pids.rbegin(); it != d.pids.rend(); ++it) {
      kill(*it, SIGTERM);
      int status;
      waitpid(*it, &status, 0);
      std::erase(*pids_, *it);
    }
  }

  // The suite's daemon with every organisation's witness.
  static const Daemon& Main() {
    if (main_ == nullptr) {
      main_ = new Daemon(StartDaemon(*scratch_ / "main", {1, 2, 3, 4, 5}));
    }
    return *main_;
  }

  Result Conclave(const std::vector<std::string>& args) {
    return RunProgram(dir_, CONCLAVE_CLI_PATH, args);
  }

  // --roster, --identity, --passphrase-file and the editor's own state.
  std::vector<std::string> Editor(int org, bool share = false) {
    const fs::path e = *sim_ / ("org" + std::to_string(org)) / "editor1";
    std::vector<std::string> a = {
        "--roster",
        Roster(),
        "--identity",
        (e / "identity.age").string(),
        "--passphrase-file",
        Pass(),
        "--state",
        (*scratch_ / ("state-org" + std::to_string(org))).string()};
    if (share) {
      a.push_back("--share");
      a.push_back((e / "share.age").string());
    }
    return a;
  }

  // conclave --server ADDR CMD... EDITOR-ARGS... EXTRA...
  Result As(const Daemon& d, int org, const std::vector<std::string>& cmd,
            const std::vector<std::string>& extra = {}, bool share = false) {
    std::vector<std::string> a = {"--server", d.address};
    a.insert(a.end(), cmd.begin(), cmd.end());
    const std::vector<std::string> e = Editor(org, share);
    a.insert(a.end(), e.begin(), e.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return Conclave(a);
  }

  // Encrypts `plain` to the consortium (excluding `exclude`) and submits it
  // (--server after the command this time); returns the id.
  std::string Submit(const Daemon& d, const std::string& plain,
                     const std::string& name,
                     const std::vector<std::string>& exclude = {}) {
    WriteAll(dir_ / (name + ".txt"), plain);
    std::vector<std::string> enc = {"encrypt", "--roster", Roster(), "-o",
                                    (dir_ / (name + ".age")).string()};
    for (const std::string& x : exclude) {
      enc.push_back("--exclude");
      enc.push_back(x);
    }
    enc.push_back((dir_ / (name + ".txt")).string());
    const Result e = Conclave(enc);
    EXPECT_EQ(e.exit_code, 0) << e.err;
    const Result s = Conclave({"submit", (dir_ / (name + ".age")).string(),
                               "--server", d.address, "--roster", Roster()});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    const std::string id = LastLine(s.out);
    EXPECT_TRUE(IsHex64(id)) << s.out;
    EXPECT_TRUE(Contains(s.out, "conclave submission acceptance v1\n"))
        << s.out;
    EXPECT_TRUE(Contains(s.err, "receipt verified against the roster"))
        << s.err;
    return id;
  }

  std::string Request(const Daemon& d, int org, const std::string& sub) {
    const Result r =
        As(d, org, {"request"},
           {"--submission-id", sub, "--reason",
            "check the documents before publication", "--lifetime", "2d"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string q = LastLine(r.out);
    EXPECT_TRUE(IsHex64(q)) << r.out;
    return q;
  }

  json RequestsJson(const Daemon& d, int org) {
    const Result r = As(d, org, {"requests"}, {"--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  static std::string StateOf(const json& list, const std::string& q) {
    for (const json& j : list) {
      if (j.value("request_id", "") == q) return j.value("state", "");
    }
    return "";
  }

  static fs::path* scratch_;
  static fs::path* sim_;
  static Result* setup_;
  static std::vector<pid_t>* pids_;
  static Daemon* main_;
  fs::path dir_;
};

fs::path* CliOnlineE2eTest::scratch_ = nullptr;
fs::path* CliOnlineE2eTest::sim_ = nullptr;
Result* CliOnlineE2eTest::setup_ = nullptr;
std::vector<pid_t>* CliOnlineE2eTest::pids_ = nullptr;
Daemon* CliOnlineE2eTest::main_ = nullptr;

TEST_F(CliOnlineE2eTest, WholeStoryThroughTheDaemon) {
  const Daemon& d = Main();
  ASSERT_FALSE(d.address.empty());
  const std::string plain = Plaintext("the leaked memo");
  const std::string sub = Submit(d, plain, "memo");

  // The same file again: the daemon refuses a known id.
  {
    const Result again = Conclave(
        {"--server", d.address, "submit", (dir_ / "memo.age").string()});
    EXPECT_EQ(again.exit_code, kRefused) << again.err;
  }
  {
    const Result s = As(d, 3, {"submissions"}, {"--json"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(Contains(s.out, sub)) << s.out;
  }

  const std::string q = Request(d, 1, sub);
  EXPECT_EQ(StateOf(RequestsJson(d, 4), q), "open");

  // Organisation 1 approves and releases nothing yet: no quorum.
  {
    const Result a = As(d, 1, {"approve"}, {"--request-id", q, "--yes"}, true);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_TRUE(Contains(a.out, "check the documents before publication"))
        << a.out;
    EXPECT_TRUE(Contains(a.err, "approval logged at leaf")) << a.err;
    EXPECT_TRUE(Contains(a.err, "no quorum yet")) << a.err;
  }
  // Organisation 2 approves and stays (--wait) until the quorum is there.
  std::vector<std::string> waiting = {"--server", d.address, "approve"};
  for (const std::string& a : Editor(2, true)) waiting.push_back(a);
  for (const char* a :
       {"--request-id", q.c_str(), "--yes", "--wait", "--wait-timeout", "5m"}) {
    waiting.push_back(a);
  }
  const fs::path wait_err = dir_ / "wait.err";
  const pid_t waiter =
      SpawnProgram(CONCLAVE_CLI_PATH, waiting, dir_ / "wait.out", wait_err);
  ASSERT_GT(waiter, 0);
  EXPECT_FALSE(AwaitLine(waiter, wait_err, "waiting:").empty())
      << ReadAll(wait_err);

  // Two organisations of three: release and decrypt wait (exit 7).
  {
    const Result r = As(d, 1, {"release"}, {"--request-id", q}, true);
    EXPECT_EQ(r.exit_code, kPending) << r.out << r.err;
    EXPECT_TRUE(Contains(r.out, "waiting")) << r.out;
    const Result x =
        As(d, 1, {"decrypt"},
           {"--request-id", q, "-o", (dir_ / "early.txt").string()});
    EXPECT_EQ(x.exit_code, kPending) << x.err;
    EXPECT_TRUE(Contains(x.err, "do not reach the quorum")) << x.err;
    EXPECT_FALSE(fs::exists(dir_ / "early.txt"));
  }
  // Only the requester can decrypt.
  {
    const Result x = As(d, 2, {"decrypt"},
                        {"--request-id", q, "-o", (dir_ / "x.txt").string()});
    EXPECT_EQ(x.exit_code, kRefused) << x.err;
    EXPECT_TRUE(Contains(x.err, "only the requester")) << x.err;
  }

  // The third organisation completes the quorum and releases at once.
  {
    const Result a =
        As(d, 3, {"approve"}, {"--request-id", q, "--yes", "--json"}, true);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const json j = json::parse(a.out, nullptr, false);
    EXPECT_EQ(j.value("released", false), true) << a.out;
  }
  // The waiting approver sees the quorum and releases.
  {
    int status = 0;
    ASSERT_EQ(waitpid(waiter, &status, 0), waiter);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << ReadAll(wait_err);
    EXPECT_TRUE(Contains(ReadAll(wait_err), "partial decryption released"))
        << ReadAll(wait_err);
  }
  // Organisation 1 releases its pending partial.
  {
    const Result r = As(d, 1, {"release"}, {}, true);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(Contains(r.out, q + "  released")) << r.out;
    const Result again = As(d, 1, {"release"}, {}, true);
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_TRUE(Contains(again.out, "Nothing to release")) << again.out;
  }
  EXPECT_EQ(StateOf(RequestsJson(d, 5), q), "released");

  // The requester decrypts.
  {
    const Result x = As(d, 1, {"decrypt"},
                        {"--request-id", q, "-o", (dir_ / "out.txt").string()});
    ASSERT_EQ(x.exit_code, 0) << x.err;
    EXPECT_EQ(ReadAll(dir_ / "out.txt"), plain);
  }
  // A vote after release changes nothing.
  {
    const Result a = As(d, 4, {"approve"}, {"--request-id", q, "--yes"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
    EXPECT_TRUE(Contains(a.err, "already released")) << a.err;
  }
}

TEST_F(CliOnlineE2eTest, AirGappedBundlePath) {
  const Daemon& d = Main();
  ASSERT_FALSE(d.address.empty());
  const std::string plain = Plaintext("the air-gapped path");
  const std::string sub = Submit(d, plain, "gap");
  const std::string q = Request(d, 2, sub);

  // Organisations 1 and 3 vote with their shares online; organisation 4
  // votes online (identity only) and releases on its offline machine.
  for (int org : {1, 3}) {
    const Result a =
        As(d, org, {"approve"}, {"--request-id", q, "--yes"}, true);
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }
  {
    const Result a = As(d, 4, {"approve"}, {"--request-id", q, "--yes"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_TRUE(Contains(a.err, "no --share: vote only")) << a.err;
  }
  const fs::path bundle = dir_ / "request.bundle";
  {
    const Result e = As(d, 4, {"request", "export"},
                        {"--request-id", q, "-o", bundle.string(), "--wait",
                         "--wait-timeout", "2m"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    ASSERT_TRUE(fs::exists(bundle));
  }

  const fs::path e4 = *sim_ / "org4" / "editor1";
  const std::vector<std::string> offline = {"release",
                                            "--bundle",
                                            bundle.string(),
                                            "--roster",
                                            Roster(),
                                            "--identity",
                                            (e4 / "identity.age").string(),
                                            "--share",
                                            (e4 / "share.age").string(),
                                            "--passphrase-file",
                                            Pass()};
  // Offline means offline.
  {
    std::vector<std::string> a = offline;
    a.insert(a.end(), {"-o", (dir_ / "x.bin").string(), "--server", d.address});
    const Result r = Conclave(a);
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
  }
  // A tampered bundle is refused and leaves nothing.
  {
    std::string b = ReadAll(bundle);
    ASSERT_GT(b.size(), 100u);
    b[b.size() - 20] ^= 0x01;
    WriteAll(dir_ / "tampered.bundle", b);
    std::vector<std::string> a = offline;
    a[2] = (dir_ / "tampered.bundle").string();
    a.insert(a.end(), {"-o", (dir_ / "bad.bin").string()});
    const Result r = Conclave(a);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_FALSE(fs::exists(dir_ / "bad.bin"));
  }
  const fs::path approval = dir_ / "approval.bin";
  {
    std::vector<std::string> a = offline;
    a.insert(a.end(), {"-o", approval.string()});
    const Result r = Conclave(a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::exists(approval));
  }
  // Any member may carry it to the daemon.
  {
    const Result u = As(d, 5, {"approval", "upload", approval.string()});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_TRUE(Contains(u.out, "organisation 4 editor 1")) << u.out;
  }
  for (int org : {1, 3}) {
    const Result r = As(d, org, {"release"}, {"--request-id", q}, true);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Result x = As(d, 2, {"decrypt"},
                      {"--request-id", q, "-o", (dir_ / "out.txt").string()});
  ASSERT_EQ(x.exit_code, 0) << x.err;
  EXPECT_EQ(ReadAll(dir_ / "out.txt"), plain);
}

TEST_F(CliOnlineE2eTest, ExcludedOrganisationCannotRequestOrApprove) {
  const Daemon& d = Main();
  ASSERT_FALSE(d.address.empty());
  const std::string sub = Submit(d, "not for organisation 5\n", "ex", {"5"});
  {
    const Result r =
        As(d, 5, {"request"}, {"--submission-id", sub, "--reason", "curious"});
    EXPECT_EQ(r.exit_code, kRefused) << r.err;
    EXPECT_TRUE(Contains(r.err, "exclude")) << r.err;
  }
  const std::string q = Request(d, 1, sub);
  {
    const Result a = As(d, 5, {"approve"}, {"--request-id", q, "--yes"}, true);
    EXPECT_EQ(a.exit_code, kRefused) << a.err;
    EXPECT_TRUE(Contains(a.err, "excluded")) << a.err;
  }
  // The requester withdraws; approvals are then refused.
  {
    const Result w =
        As(d, 1, {"withdraw"}, {"--request-id", q, "--reason", "wrong file"});
    EXPECT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(StateOf(RequestsJson(d, 2), q), "withdrawn");
    const Result a = As(d, 2, {"approve"}, {"--request-id", q, "--yes"});
    EXPECT_EQ(a.exit_code, kRefused) << a.err;
  }
}

TEST_F(CliOnlineE2eTest, ForkedOrRolledBackLogIsRefusedWithEvidence) {
  // Two daemons with the same log key and roster but different histories
  // (each with witnesses of its own: the real ones would refuse the fork).
  const Daemon a = StartDaemon(dir_ / "a", {1, 2, 3, 4});
  const Daemon b = StartDaemon(dir_ / "b", {1, 2, 3, 4});
  ASSERT_FALSE(a.address.empty());
  ASSERT_FALSE(b.address.empty());
  Submit(a, "history A\n", "a1");
  Submit(b, "history B, one\n", "b1");
  Submit(b, "history B, two\n", "b2");
  // Both settled their whole history (A: 3 leaves, B: 4).
  ASSERT_TRUE(AwaitText(a.dir / "conclaved.err", "checkpoint 3 settled"))
      << ReadAll(a.dir / "conclaved.err");
  ASSERT_TRUE(AwaitText(b.dir / "conclaved.err", "checkpoint 4 settled"))
      << ReadAll(b.dir / "conclaved.err");

  const fs::path state = dir_ / "state";
  auto submissions = [&](const Daemon& d, const fs::path& st) {
    std::vector<std::string> args = {"submissions", "--server", d.address};
    std::vector<std::string> e = Editor(1);
    e.back() = st.string();  // --state
    args.insert(args.end(), e.begin(), e.end());
    return Conclave(args);
  };
  {
    const Result r = submissions(a, state);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  {
    const Result r = submissions(b, state);
    EXPECT_EQ(r.exit_code, kFork) << r.err;
    EXPECT_TRUE(Contains(r.err, "fork")) << r.err;
  }
  // The evidence is in the state directory and verifies on its own.
  const keyceremony::VerifiedRoster roster =
      keyceremony::ReadRosterFile(Roster()).value();
  const quorum::RosterLogKeys keys = quorum::LogKeysFromRoster(roster).value();
  audit::ClientState cs = audit::ClientState::Open(state).value();
  const std::optional<audit::ForkEvidence> fork = cs.Fork(keys.origin).value();
  ASSERT_TRUE(fork.has_value());
  EXPECT_TRUE(audit::VerifyForkEvidence(*fork, *keys.log_key).ok());
  // Once on record, the client refuses the log everywhere.
  {
    const Result r = submissions(a, state);
    EXPECT_EQ(r.exit_code, kFork) << r.err;
    EXPECT_TRUE(Contains(r.err, "on record")) << r.err;
  }
  // A client that saw B's longer history is shown A's shorter one.
  const fs::path state2 = dir_ / "state2";
  ASSERT_EQ(submissions(b, state2).exit_code, 0);
  {
    const Result r = submissions(a, state2);
    EXPECT_EQ(r.exit_code, kFork) << r.err;
    EXPECT_TRUE(Contains(r.err, "rolled back")) << r.err;
  }
  StopDaemon(a);
  StopDaemon(b);
}

TEST_F(CliOnlineE2eTest, AddressesAndUsage) {
  ASSERT_FALSE(Main().address.empty());
  WriteAll(dir_ / "f.age", "x");
  // Plain gRPC only on loopback or a unix socket.
  {
    const Result r = Conclave(
        {"submit", (dir_ / "f.age").string(), "--server", "192.0.2.7:7300"});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_TRUE(Contains(r.err, "--tls-ca")) << r.err;
  }
  // Nothing listens there.
  {
    const Result r = Conclave({"--server", "127.0.0.1:1", "submissions"});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;  // no --roster
    std::vector<std::string> a = {"--server", "127.0.0.1:1", "submissions"};
    for (const std::string& e : Editor(1)) a.push_back(e);
    const Result u = Conclave(a);
    EXPECT_EQ(u.exit_code, kUnreachable) << u.err;
    EXPECT_TRUE(Contains(u.err, "cannot reach the daemon")) << u.err;
  }
  // Not an age file.
  {
    const Result r = Conclave(
        {"--server", Main().address, "submit", (dir_ / "f.age").string()});
    EXPECT_EQ(r.exit_code, kBadInput) << r.err;
  }
  {
    const Result r = Conclave({"approval"});
    EXPECT_EQ(r.exit_code, kUsage);
    const Result h = Conclave({"approve", "--help"});
    EXPECT_EQ(h.exit_code, 0);
    EXPECT_TRUE(Contains(h.out, "--share-passphrase-file")) << h.out;
    EXPECT_TRUE(Contains(h.out, "Exit codes:")) << h.out;
  }
}

TEST_F(CliOnlineE2eTest, TlsChannel) {
  // A self-signed certificate for 127.0.0.1, which is also the CA.
  const fs::path cert = dir_ / "cert.pem", key = dir_ / "key.pem";
  const Result gen = RunProgram(
      dir_, CONCLAVE_OPENSSL_BIN,
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", key.string(), "-out", cert.string(), "-days", "1",
       "-subj", "/CN=conclave test", "-addext",
       "subjectAltName=IP:127.0.0.1,DNS:localhost"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const Daemon d =
      StartDaemon(dir_ / "tls", {1, 2, 3, 4},
                  {"--tls-cert", cert.string(), "--tls-key", key.string()});
  ASSERT_FALSE(d.address.empty());
  std::vector<std::string> args = {"submissions", "--server", d.address};
  for (const std::string& e : Editor(2)) args.push_back(e);
  // Another log history than the suite's daemon: a state of its own (the
  // shared one would rightly call it a fork).
  args.back() = (dir_ / "tls-state").string();
  {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--tls-ca", cert.string()});
    const Result r = Conclave(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(Contains(r.out, "No submissions")) << r.out;
  }
  // Plain gRPC to a TLS server does not get through.
  {
    const Result r = Conclave(args);
    EXPECT_EQ(r.exit_code, kUnreachable) << r.err;
  }
  // Another CA's certificate is refused.
  {
    const fs::path other = dir_ / "other.pem", okey = dir_ / "other.key";
    ASSERT_EQ(RunProgram(
                  dir_, CONCLAVE_OPENSSL_BIN,
                  {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                   okey.string(), "-out", other.string(), "-days", "1", "-subj",
                   "/CN=mallory", "-addext", "subjectAltName=IP:127.0.0.1"})
                  .exit_code,
              0);
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--tls-ca", other.string()});
    const Result r = Conclave(a);
    EXPECT_EQ(r.exit_code, kUnreachable) << r.err;
  }
  StopDaemon(d);
}

// ---- The command-line pieces, in process ----

TEST(CliOnlineArgsTest, Durations) {
  EXPECT_EQ(cli::ParseDuration("3600").value(), 3600u);
  EXPECT_EQ(cli::ParseDuration("7d").value(), 7u * 86400);
  EXPECT_EQ(cli::ParseDuration("1d12h").value(), 86400u + 12 * 3600);
  EXPECT_EQ(cli::ParseDuration("90m").value(), 5400u);
  EXPECT_EQ(cli::ParseDuration("45s").value(), 45u);
  for (const char* bad :
       {"", "d", "7x", "1h30", "-1h", "1.5h", "h1", "99999999999999999999"}) {
    EXPECT_FALSE(cli::ParseDuration(bad).ok()) << bad;
  }
}

TEST(CliOnlineArgsTest, GlobalOptionsMoveAfterTheCommand) {
  std::vector<std::string> in = {"conclave",   "--server", "127.0.0.1:1",
                                 "--state=/s", "request",  "export",
                                 "-o",         "B"};
  std::vector<char*> argv;
  for (std::string& a : in) argv.push_back(a.data());
  const std::vector<std::string> out =
      cli::HoistGlobalOptions(static_cast<int>(argv.size()), argv.data())
          .value();
  EXPECT_EQ(
      out, (std::vector<std::string>{"conclave", "request", "export", "-o", "B",
                                     "--server", "127.0.0.1:1", "--state=/s"}));
  std::vector<std::string> dangling = {"conclave", "--server"};
  std::vector<char*> argv2;
  for (std::string& a : dangling) argv2.push_back(a.data());
  EXPECT_FALSE(cli::HoistGlobalOptions(2, argv2.data()).ok());
}

TEST(CliOnlineArgsTest, PlainChannelsOnlyToLoopbackOrUnix) {
  auto check = [](std::string addr, std::optional<std::string> ca = {}) {
    cli::ServerOptions o;
    o.address = std::move(addr);
    o.tls_ca = std::move(ca);
    return cli::CheckServerAddress(o);
  };
  EXPECT_TRUE(check("127.0.0.1:7300").ok());
  EXPECT_TRUE(check("127.8.9.10:7300").ok());
  EXPECT_TRUE(check("localhost:7300").ok());
  EXPECT_TRUE(check("[::1]:7300").ok());
  EXPECT_TRUE(check("unix:/run/conclave/api.sock").ok());
  EXPECT_FALSE(check("192.0.2.1:7300").ok());
  EXPECT_FALSE(check("daemon.example:7300").ok());
  EXPECT_FALSE(check("[2001:db8::1]:7300").ok());
  EXPECT_TRUE(check("daemon.example:7300", "ca.pem").ok());
  EXPECT_FALSE(check("").ok());
  EXPECT_FALSE(check("unix:").ok());
  EXPECT_FALSE(check("127.0.0.1").ok());
  EXPECT_FALSE(check("::1:7300").ok());
  EXPECT_FALSE(check("127.0.0.1:99999").ok());
}

}  // namespace
}  // namespace conclave
