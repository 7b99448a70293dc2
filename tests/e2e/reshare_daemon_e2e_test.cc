// End to end (issue 9 headline): a 5/3 consortium (`conclave-ceremony
// simulate`) with conclaved and every organisation's witness; a submission;
// `simulate-reshare` to 6/4 (organisation 5 leaves, 6 and 7 join); the new
// witnesses configured and `conclave roster push`. Then the key is the same,
// the earlier submission opens with four new-epoch organisations and not
// with three, an old-epoch share is refused by `approve` before anything
// else, and an old-epoch approval is refused by the daemon.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/program.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::SpawnProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr int kPending = 7;

std::string LastLine(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

class ReshareDaemonE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-reshare-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WriteAll(dir_ / "pass.txt", "correct horse battery staple\n");
  }
  void TearDown() override {
    for (pid_t pid : pids_) Stop(pid);
    fs::remove_all(dir_);
  }
  std::string Pass() const { return (dir_ / "pass.txt").string(); }
  fs::path Sim(int epoch) const {
    return dir_ / ("epoch" + std::to_string(epoch));
  }
  std::string Roster(int epoch) const {
    return (Sim(epoch) / "consortium.roster").string();
  }

  static void Stop(pid_t pid) {
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
  }

  // Waits for `marker` in the file; the rest of its line, "" if the process
  // ended first.
  static std::string AwaitLine(pid_t pid, const fs::path& err,
                               const std::string& marker) {
    for (int i = 0; i < 3000; ++i) {
      const std::string e = ReadAll(err);
      const size_t at = e.find(marker);
      if (at != std::string::npos && e.find('\n', at) != std::string::npos) {
        return e.substr(at + marker.size(),
                        e.find('\n', at) - at - marker.size());
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  // Organisation `org`'s witness from `epoch`'s directory; its URL.
  std::string StartWitness(int epoch, int org) {
    const std::string o = std::to_string(org);
    const fs::path err = dir_ / ("witness" + o + ".err");
    const pid_t pid = SpawnProgram(
        CONCLAVE_WITNESS_PATH,
        {"--key", (Sim(epoch) / ("org" + o) / "witness.age").string(),
         "--state", (dir_ / ("witness" + o)).string(), "--listen",
         "127.0.0.1:0", "--passphrase-file", Pass(), "--roster", Roster(epoch)},
        dir_ / ("witness" + o + ".out"), err);
    EXPECT_GT(pid, 0);
    pids_.push_back(pid);
    const std::string port =
        AwaitLine(pid, err, "listening on http://127.0.0.1:");
    EXPECT_FALSE(port.empty()) << ReadAll(err);
    return o + "=http://127.0.0.1:" + port.substr(0, port.find(' '));
  }

  // conclaved on the data directory, always given epoch 1's roster file.
  void StartDaemon(const std::vector<std::string>& witnesses) {
    std::vector<std::string> args = {"--data",
                                     (dir_ / "data").string(),
                                     "--roster",
                                     Roster(1),
                                     "--log-key",
                                     (Sim(1) / "log.age").string(),
                                     "--passphrase-file",
                                     Pass(),
                                     "--listen",
                                     "127.0.0.1:0"};
    for (const std::string& w : witnesses) {
      args.push_back("--witness");
      args.push_back(w);
    }
    const fs::path err =
        dir_ / ("conclaved" + std::to_string(++starts_) + ".err");
    daemon_ = SpawnProgram(CONCLAVED_PATH, args, dir_ / "conclaved.out", err);
    ASSERT_GT(daemon_, 0);
    pids_.push_back(daemon_);
    const std::string rest =
        AwaitLine(daemon_, err, "conclaved: listening on ");
    ASSERT_FALSE(rest.empty()) << ReadAll(err);
    address_ = rest.substr(0, rest.find(' '));
  }

  Result Conclave(const std::vector<std::string>& args) {
    return RunProgram(dir_, CONCLAVE_CLI_PATH, args);
  }

  // conclave --server ADDR CMD... as org's editor 1 of `epoch` (share from
  // `share_epoch`, 0 for none), EXTRA...
  Result As(int epoch, int org, const std::vector<std::string>& cmd,
            const std::vector<std::string>& extra = {}, int share_epoch = 0,
            std::string state = "") {
    const std::string o = "org" + std::to_string(org);
    std::vector<std::string> a = {"--server", address_};
    a.insert(a.end(), cmd.begin(), cmd.end());
    for (const std::string& s :
         {std::string("--roster"), Roster(epoch), std::string("--identity"),
          (Sim(epoch) / o / "editor1" / "identity.age").string(),
          std::string("--passphrase-file"), Pass(), std::string("--state"),
          state.empty() ? (dir_ / ("state-" + o)).string() : state}) {
      a.push_back(s);
    }
    if (share_epoch != 0) {
      a.push_back("--share");
      a.push_back((Sim(share_epoch) / o / "editor1" / "share.age").string());
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return Conclave(a);
  }

  fs::path dir_;
  std::vector<pid_t> pids_;
  pid_t daemon_ = 0;
  int starts_ = 0;
  std::string address_;
};

TEST_F(ReshareDaemonE2eTest, FiveOfThreeToSixOfFourThroughTheDaemon) {
  const Result sim = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate", "--orgs", "5", "--threshold", "3", "--work-factor", "10",
       "--out", Sim(1).string(), "--passphrase-file", Pass()});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  std::vector<std::string> witnesses;
  for (int org = 1; org <= 5; ++org) witnesses.push_back(StartWitness(1, org));
  StartDaemon(witnesses);

  // A submission at epoch 1.
  std::string plain;
  while (plain.size() < 150 * 1024) plain += "the memo, before the change\n";
  WriteAll(dir_ / "memo.txt", plain);
  const Result enc =
      Conclave({"encrypt", "--roster", Roster(1), "-o",
                (dir_ / "memo.age").string(), (dir_ / "memo.txt").string()});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  const Result sub =
      Conclave({"--server", address_, "submit", (dir_ / "memo.age").string()});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const std::string id = LastLine(sub.out);

  // 5/3 → 6/4: organisation 5 leaves, two new ones join.
  const Result reshare =
      RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                 {"simulate-reshare", "--from", Sim(1).string(), "--orgs", "6",
                  "--leave", "5", "--threshold", "4", "--work-factor", "10",
                  "--out", Sim(2).string(), "--passphrase-file", Pass()});
  ASSERT_EQ(reshare.exit_code, 0) << reshare.err;
  // The key is unchanged: the same recipient.
  const Result r1 = Conclave(
      {"inspect", (dir_ / "memo.age").string(), "--roster", Roster(2)});
  EXPECT_EQ(r1.exit_code, 0) << r1.out << r1.err;

  // New organisations' witnesses, configured as the first ones; restart.
  Stop(daemon_);
  std::erase(pids_, daemon_);
  for (int org : {6, 7}) witnesses.push_back(StartWitness(2, org));
  StartDaemon(witnesses);

  // A request at epoch 1, left open: the push expires it.
  const Result q1 =
      As(1, 1, {"request"}, {"--submission-id", id, "--reason", "epoch one"});
  ASSERT_EQ(q1.exit_code, 0) << q1.err;

  const Result push = As(1, 1, {"roster", "push", Roster(2)});
  ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
  EXPECT_TRUE(Contains(push.out, "roster epoch 2 in force")) << push.out;
  EXPECT_TRUE(Contains(push.out, "1 open request(s) expired")) << push.out;
  const Result show =
      Conclave({"--server", address_, "roster", "show", "--roster", Roster(1)});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "epoch 2")) << show.out;

  // approve with an old-epoch share: refused before anything else (no
  // contact with the daemon: the fresh state directory is never created).
  const std::string fresh = (dir_ / "fresh-state").string();
  const Result old_share =
      As(2, 2, {"approve"}, {"--request-id", std::string(64, 'a'), "--yes"}, 1,
         fresh);
  EXPECT_NE(old_share.exit_code, 0);
  EXPECT_TRUE(Contains(old_share.err, "from roster epoch 1")) << old_share.err;
  EXPECT_TRUE(Contains(old_share.err, "at epoch 2")) << old_share.err;
  EXPECT_TRUE(Contains(old_share.err, "new share")) << old_share.err;
  EXPECT_FALSE(fs::exists(fresh));

  // The earlier submission, at epoch 2.
  const Result q =
      As(2, 1, {"request"}, {"--submission-id", id, "--reason", "epoch two"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const std::string rid = LastLine(q.out);
  for (int org : {1, 2, 6}) {
    const Result a = As(2, org, {"approve"}, {"--request-id", rid, "--yes"}, 2);
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }
  // Mixing: organisation 3 with its old share and roster is refused.
  const Result mixed = As(1, 3, {"approve"}, {"--request-id", rid, "--yes"}, 1);
  EXPECT_NE(mixed.exit_code, 0);
  EXPECT_TRUE(Contains(mixed.err, "epoch")) << mixed.err;
  // Three organisations of t' = 4: not enough.
  const Result early =
      As(2, 1, {"decrypt"},
         {"--request-id", rid, "-o", (dir_ / "early.txt").string()});
  EXPECT_EQ(early.exit_code, kPending) << early.err;
  EXPECT_FALSE(fs::exists(dir_ / "early.txt"));
  // The fourth new-epoch organisation: released, and the bytes match.
  const Result a7 = As(2, 7, {"approve"}, {"--request-id", rid, "--yes"}, 2);
  ASSERT_EQ(a7.exit_code, 0) << a7.err;
  for (int org : {1, 2, 6}) {
    const Result r = As(2, org, {"release"}, {}, 2);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Result out =
      As(2, 1, {"decrypt"},
         {"--request-id", rid, "-o", (dir_ / "out.txt").string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(ReadAll(dir_ / "out.txt"), plain);
}

}  // namespace
}  // namespace conclave
