// End to end (issue 9 headline): a 5/3 consortium (`conclave-ceremony
// simulate`) with conclaved and every organisation's witness; a submission;
// `simulate-reshare` to 6/4 (organisation 5 leaves, 6 and 7 join); the new
// witnesses configured and `conclave roster push`. Then the key is the same,
// the earlier submission opens with four new-epoch organisations and not
// with three, an old-epoch share is refused by `approve` before anything
// else, and an old-epoch approval is refused by the daemon; clients settle
// the checkpoint straddling the push at once, and an export spanning both
// epochs settles only under epoch 2's witnesses. A second test rekeys 3/2
// (two keys in one log, old submissions under the old key's last roster,
// which the clients pick from the daemon's chain), refreshes and rekeys
// again; a third rekeys after a departure (the DKG re-dealt to the ids).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/cosignature.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "conclave/v1/sealed.pb.h"
#include "crypto/ed25519.h"
#include "sealed/sealed_file.h"
#include "tests/e2e/program.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::LastLine;
using testing::ReadAll;
using testing::RunProgram;
using testing::SpawnProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr int kPending = 7;

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

  // Waits (up to 30 s) for `marker` in the file; the rest of its line, ""
  // if the process ended first.
  static std::string AwaitLine(pid_t pid, const fs::path& err,
                               const std::string& marker) {
    return testing::AwaitLine(pid, err, marker, 3000);
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

  // The daemon's progress text for request `rid` (`requests --json` as
  // org 1 of `epoch`); "" if it is not listed.
  std::string Progress(int epoch, const std::string& rid) {
    const Result list = As(epoch, 1, {"requests"}, {"--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    const nlohmann::json j = nlohmann::json::parse(list.out, nullptr, false);
    if (!j.is_array()) return "";
    for (const nlohmann::json& r : j) {
      if (r.value("request_id", "") == rid) return r.value("progress", "");
    }
    return "";
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
  // Right after the push the checkpoint straddling it is settled under the
  // new roster: a client with the epoch-2 roster only (a new organisation,
  // first contact) and one with a checkpoint kept from epoch 1 both see it.
  const Result list6 = As(2, 6, {"requests"});
  EXPECT_EQ(list6.exit_code, 0) << list6.out << list6.err;
  const Result list1 = As(2, 1, {"requests"});
  EXPECT_EQ(list1.exit_code, 0) << list1.out << list1.err;
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

  // The export spans both epochs: its checkpoint is settled under epoch
  // 2's roster (the roster in force at its size), whichever roster is given.
  const fs::path exp = dir_ / "export";
  const Result ex = As(2, 1, {"audit", "export"}, {"-o", exp.string()});
  ASSERT_EQ(ex.exit_code, 0) << ex.out << ex.err;
  for (int epoch : {1, 2}) {
    const Result v = Conclave({"audit", "verify", "--offline", exp.string(),
                               "--roster", Roster(epoch), "--full"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
  // The same checkpoint with other cosignatures (docs/audit-log.md
  // "Settlement across roster epochs"). Organisations 1, 2, 3 and the
  // departed 5 make W = 4 of epoch 1, but epoch 2 (W = 5) knows no witness
  // of 5: not settled. Five of epoch 2's organisations: settled.
  const std::string note = ReadAll(exp / "checkpoint");
  // Organisation `org`'s witness signer, from epoch 1's sealed key.
  auto witness = [&](int org) -> std::unique_ptr<audit::CosignatureV1Signer> {
    StatusOr<OpenedSecret> wk = ReadSealedFile(
        Sim(1) / ("org" + std::to_string(org)) / "witness.age",
        SecretBytes::CopyFrom(AsBytes("correct horse battery staple")));
    EXPECT_TRUE(wk.ok()) << wk.status().message();
    if (!wk.ok()) return nullptr;
    const v1::WitnessKey& k = wk->message().witness_key();
    StatusOr<Ed25519PrivateKey> key =
        Ed25519PrivateKey::FromSeed(AsBytes(k.ed25519_seed()));
    EXPECT_TRUE(key.ok()) << key.status().message();
    if (!key.ok()) return nullptr;
    StatusOr<std::unique_ptr<audit::CosignatureV1Signer>> signer =
        audit::CosignatureV1Signer::Create(k.name(), std::move(key).value());
    EXPECT_TRUE(signer.ok()) << signer.status().message();
    return signer.ok() ? std::move(signer).value() : nullptr;
  };
  // The export's note keeping the log's signature and the cosignatures of
  // `keep`, plus, with `add_org5`, a fresh one by organisation 5's witness.
  auto recosigned = [&](const std::set<std::string>& keep, bool add_org5) {
    StatusOr<audit::Note> n = audit::ParseNote(note);
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (!n.ok()) return std::string();
    std::vector<audit::NoteSignature> sigs;
    for (const audit::NoteSignature& sig : n->signatures) {
      if (!sig.name.starts_with("witness-") || keep.contains(sig.name)) {
        sigs.push_back(sig);
      }
    }
    if (add_org5) {
      const std::unique_ptr<audit::CosignatureV1Signer> w5 = witness(5);
      if (w5 == nullptr) return std::string();
      StatusOr<Bytes> sig = w5->Sign(n->text);
      EXPECT_TRUE(sig.ok()) << sig.status().message();
      if (!sig.ok()) return std::string();
      sigs.push_back({w5->name(), w5->key_id(), *sig});
    }
    n->signatures = std::move(sigs);
    StatusOr<std::string> out = audit::FormatNote(*n);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? *out : std::string();
  };
  // Control: 1, 2, 3 and 5 do settle it under epoch 1's rule given by hand
  // (m = 5, t = 3, those witnesses): only the roster in force refuses it.
  {
    WriteAll(
        exp / "checkpoint",
        recosigned({"witness-org1", "witness-org2", "witness-org3"}, true));
    std::vector<std::string> args = {"audit",       "verify",
                                     "--offline",   exp.string(),
                                     "--log-vkey",  (exp / "log.vkey").string(),
                                     "--members",   "5",
                                     "--threshold", "3"};
    for (int org : {1, 2, 3, 5}) {
      const std::unique_ptr<audit::CosignatureV1Signer> w = witness(org);
      ASSERT_NE(w, nullptr);
      args.push_back("--witness");
      args.push_back(std::to_string(org) + "=" + w->Verifier()->vkey());
    }
    const Result v = Conclave(args);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }
  struct Case {
    const char* what;
    std::set<std::string> keep;
    bool add_org5;
    bool settled;
  };
  const Case cases[] = {
      {"old roster's quorum with the departed organisation 5",
       {"witness-org1", "witness-org2", "witness-org3"},
       true,
       false},
      {"only the departed organisation 5", {}, true, false},
      {"four of the old roster, all still members (W = 5 now)",
       {"witness-org1", "witness-org2", "witness-org3", "witness-org4"},
       false,
       false},
      {"five of the new roster",
       {"witness-org1", "witness-org2", "witness-org3", "witness-org6",
        "witness-org7"},
       false,
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string cosigned = recosigned(c.keep, c.add_org5);
    ASSERT_FALSE(cosigned.empty());
    WriteAll(exp / "checkpoint", cosigned);
    for (int epoch : {1, 2}) {
      const Result v = Conclave({"audit", "verify", "--offline", exp.string(),
                                 "--roster", Roster(epoch)});
      if (c.settled) {
        EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
      } else {
        EXPECT_NE(v.exit_code, 0) << v.out << v.err;
        EXPECT_TRUE(Contains(v.err, "not settled")) << v.out << v.err;
        EXPECT_TRUE(Contains(v.err, "of 5 organisations")) << v.err;
      }
    }
  }
}

// The rekey that matters most: after a departure (brief §9; docs/protocol.md
// "Rekey: a new DKG at positions, re-dealt to the ids"). 3/2, organisation 2
// leaves and 4 joins (ids 1, 3, 4), then `rekey`: the DKG runs at positions
// 1..3 and is re-dealt to the ids. The daemon takes the REKEY roster, and a
// submission to the new key excluding organisation 1 opens with 3 and 4 at
// their permanent ids, one of them not being enough.
TEST_F(ReshareDaemonE2eTest, RekeyAfterADepartureOpensAtThePermanentIds) {
  const Result sim = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
       "--out", Sim(1).string(), "--passphrase-file", Pass()});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const Result reshare =
      RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                 {"simulate-reshare", "--from", Sim(1).string(), "--orgs", "3",
                  "--leave", "2", "--threshold", "2", "--work-factor", "10",
                  "--out", Sim(2).string(), "--passphrase-file", Pass()});
  ASSERT_EQ(reshare.exit_code, 0) << reshare.err;
  const Result rekey =
      RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                 {"rekey", "--from", Sim(2).string(), "--out", Sim(3).string(),
                  "--work-factor", "10", "--passphrase-file", Pass()});
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  const Result chain = RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                                  {"verify-chain", "--dir", Sim(3).string()});
  ASSERT_EQ(chain.exit_code, 0) << chain.err;
  EXPECT_TRUE(Contains(chain.out, "re-dealt to the ids")) << chain.out;

  std::vector<std::string> witnesses;
  for (int org : {1, 2, 3}) witnesses.push_back(StartWitness(1, org));
  witnesses.push_back(StartWitness(2, 4));
  StartDaemon(witnesses);
  const Result push2 = As(1, 1, {"roster", "push", Roster(2)});
  ASSERT_EQ(push2.exit_code, 0) << push2.out << push2.err;
  const Result push3 = As(2, 1, {"roster", "push", Roster(3)});
  ASSERT_EQ(push3.exit_code, 0) << push3.out << push3.err;
  EXPECT_TRUE(Contains(push3.out, "roster epoch 3 in force")) << push3.out;

  std::string plain;
  while (plain.size() < 70 * 1024) plain += "after the rekey, not for org 1\n";
  WriteAll(dir_ / "c.txt", plain);
  const Result enc =
      Conclave({"encrypt", "--roster", Roster(3), "--exclude", "1", "-o",
                (dir_ / "c.age").string(), (dir_ / "c.txt").string()});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  const Result sub =
      Conclave({"--server", address_, "submit", (dir_ / "c.age").string()});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  const Result q = As(3, 3, {"request"},
                      {"--submission-id", LastLine(sub.out), "--reason", "C"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const std::string rid = LastLine(q.out);
  // The excluded organisation cannot take part.
  const Result excluded =
      As(3, 1, {"approve"}, {"--request-id", rid, "--yes"}, 3);
  EXPECT_NE(excluded.exit_code, 0) << excluded.out;
  EXPECT_TRUE(Contains(excluded.err, "is excluded from submission"))
      << excluded.err;
  const Result a3 = As(3, 3, {"approve"}, {"--request-id", rid, "--yes"}, 3);
  ASSERT_EQ(a3.exit_code, 0) << a3.err;
  const Result early =
      As(3, 3, {"decrypt"}, {"--request-id", rid, "-o", (dir_ / "e").string()});
  EXPECT_EQ(early.exit_code, kPending) << early.err;
  EXPECT_FALSE(fs::exists(dir_ / "e"));
  const Result a4 = As(3, 4, {"approve"}, {"--request-id", rid, "--yes"}, 3);
  ASSERT_EQ(a4.exit_code, 0) << a4.err;
  for (int org : {3, 4}) {
    const Result r = As(3, org, {"release"}, {"--request-id", rid}, 3);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Result out = As(3, 3, {"decrypt"},
                        {"--request-id", rid, "-o", (dir_ / "c.out").string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(ReadAll(dir_ / "c.out"), plain);
  const Result audit = As(3, 3, {"audit", "verify"}, {"--full"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
}

// Rekey (docs/protocol.md "Rekey: two keys in one log", docs/operations.md
// "Rekeying"): 3/2, a submission A; `conclave-ceremony rekey` and `roster
// push`; then B only to the new key (a file to the old one is refused with
// the retired-key message), A opens with the old shares under the old key's
// last roster — picked from the daemon's chain by request, approve, release
// and decrypt given the current roster, or named with --roster OLD — B with
// the new shares; an old share for B, a foreign share and (after a refresh
// and a second rekey) a reshared-away share are refused before any vote,
// and `audit verify --full` passes over all keys.
TEST_F(ReshareDaemonE2eTest, RekeyKeepsOldSubmissionsUnderTheOldKey) {
  const Result sim = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
       "--out", Sim(1).string(), "--passphrase-file", Pass()});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  std::vector<std::string> witnesses;
  for (int org = 1; org <= 3; ++org) witnesses.push_back(StartWitness(1, org));
  StartDaemon(witnesses);

  // Encrypts `text` to `epoch`'s recipient as NAME.age; submits it.
  auto submit = [&](const std::string& name, const std::string& text,
                    int epoch) {
    WriteAll(dir_ / (name + ".txt"), text);
    const Result enc = Conclave({"encrypt", "--roster", Roster(epoch), "-o",
                                 (dir_ / (name + ".age")).string(),
                                 (dir_ / (name + ".txt")).string()});
    EXPECT_EQ(enc.exit_code, 0) << enc.err;
    return Conclave(
        {"--server", address_, "submit", (dir_ / (name + ".age")).string()});
  };
  const std::string text_a = "A: the memo under the first key\n";
  const Result sub_a = submit("a", text_a, 1);
  ASSERT_EQ(sub_a.exit_code, 0) << sub_a.err;
  const std::string id_a = LastLine(sub_a.out);

  const Result rekey =
      RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                 {"rekey", "--from", Sim(1).string(), "--out", Sim(2).string(),
                  "--work-factor", "10", "--passphrase-file", Pass()});
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  // A new key: A's file is not to the new recipient.
  const Result insp =
      Conclave({"inspect", (dir_ / "a.age").string(), "--roster", Roster(2)});
  EXPECT_NE(insp.exit_code, 0) << insp.out;

  const Result push = As(1, 1, {"roster", "push", Roster(2)});
  ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
  EXPECT_TRUE(Contains(push.out, "roster epoch 2 in force")) << push.out;

  // Right after the push the checkpoint straddling it is settled for a
  // client of either roster (docs/audit-log.md "Settlement across roster
  // epochs"): `requests` works at once.
  for (int epoch : {1, 2}) {
    const Result list =
        As(epoch, 2, {"requests"}, {}, 0,
           (dir_ / ("list-state" + std::to_string(epoch))).string());
    EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  }

  // New submissions only to the new key.
  const Result stale = submit("stale", "to the retired key\n", 1);
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_TRUE(Contains(stale.err, "retired-key")) << stale.err;
  EXPECT_TRUE(Contains(stale.err, "roster epoch 1")) << stale.err;
  const std::string text_b = "B: the memo under the new key\n";
  const Result sub_b = submit("b", text_b, 2);
  ASSERT_EQ(sub_b.exit_code, 0) << sub_b.err;
  const std::string id_b = LastLine(sub_b.out);

  // A: `request` with the current roster picks the old key's last roster.
  const Result qa =
      As(2, 1, {"request"}, {"--submission-id", id_a, "--reason", "old A"});
  ASSERT_EQ(qa.exit_code, 0) << qa.err;
  EXPECT_TRUE(Contains(qa.err, "roster epoch 1")) << qa.err;
  const std::string rid_a = LastLine(qa.out);
  // B's request, open meanwhile: a request of the other key.
  const Result qb =
      As(2, 1, {"request"}, {"--submission-id", id_b, "--reason", "new B"});
  ASSERT_EQ(qb.exit_code, 0) << qb.err;
  const std::string rid_b = LastLine(qb.out);

  // approve and release with the CURRENT roster and the old shares (no
  // --roster OLD anywhere): the old key's last roster is taken from the
  // daemon's verified chain, and a note says so. Organisation 1 votes
  // first (no quorum yet: its vote stands); organisation 2 completes the
  // quorum and releases at once.
  for (int org : {1, 2}) {
    const Result a =
        As(2, org, {"approve"}, {"--request-id", rid_a, "--yes", "--json"}, 1);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_TRUE(Contains(a.err, "using the roster of epoch 1")) << a.err;
    EXPECT_TRUE(Contains(a.err, "rekeyed at epoch 2")) << a.err;
    EXPECT_TRUE(Contains(a.out, "\"roster_epoch\": 1")) << a.out;
  }
  // Organisation 1 releases over every open request: B's (of the other
  // key) is not this share's, skipped rather than failed.
  const Result rel1 = As(2, 1, {"release"}, {}, 1);
  EXPECT_EQ(rel1.exit_code, 0) << rel1.out << rel1.err;
  EXPECT_TRUE(Contains(rel1.err, "using the roster of epoch 1")) << rel1.err;
  EXPECT_TRUE(Contains(rel1.out, rid_a + "  released")) << rel1.out;
  EXPECT_FALSE(Contains(rel1.out, rid_b)) << rel1.out;
  const Result out_a =
      As(2, 1, {"decrypt"},
         {"--request-id", rid_a, "-o", (dir_ / "a.out").string()});
  ASSERT_EQ(out_a.exit_code, 0) << out_a.err;
  EXPECT_TRUE(Contains(out_a.err, "using the roster of epoch 1")) << out_a.err;
  EXPECT_EQ(ReadAll(dir_ / "a.out"), text_a);

  // --roster OLD given by hand still works (the ceremony keeps it in
  // DIR2/chain/): a second request for A, all under epoch 1.
  EXPECT_EQ(ReadAll(Sim(2) / "chain" / "epoch-1.roster"), ReadAll(Roster(1)));
  const Result qa2 =
      As(1, 2, {"request"}, {"--submission-id", id_a, "--reason", "A again"});
  ASSERT_EQ(qa2.exit_code, 0) << qa2.err;
  const std::string rid_a2 = LastLine(qa2.out);
  for (int org : {2, 3}) {
    const Result a =
        As(1, org, {"approve"}, {"--request-id", rid_a2, "--yes"}, 1);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_FALSE(Contains(a.err, "using the roster")) << a.err;
  }
  for (int org : {2, 3}) {
    const Result r = As(1, org, {"release"}, {"--request-id", rid_a2}, 1);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Result out_a2 =
      As(1, 2, {"decrypt"},
         {"--request-id", rid_a2, "-o", (dir_ / "a2.out").string()});
  ASSERT_EQ(out_a2.exit_code, 0) << out_a2.err;
  EXPECT_EQ(ReadAll(dir_ / "a2.out"), text_a);

  // Offline (release --bundle, no daemon to read the chain from): the old
  // share with the current roster is refused as before, naming --roster.
  const Result offline = Conclave(
      {"release", "--bundle", (dir_ / "no.bundle").string(), "-o",
       (dir_ / "no.approval").string(), "--roster", Roster(2), "--identity",
       (Sim(2) / "org1" / "editor1" / "identity.age").string(),
       "--passphrase-file", Pass(), "--share",
       (Sim(1) / "org1" / "editor1" / "share.age").string()});
  EXPECT_NE(offline.exit_code, 0);
  EXPECT_TRUE(Contains(offline.err, "before the rekey")) << offline.err;
  EXPECT_TRUE(Contains(offline.err, "--roster")) << offline.err;

  // B: the new roster and the new shares.
  // An old share for B: its roster (epoch 1) is picked, and B's request is
  // not under it: refused before any vote or release.
  const Result old_b =
      As(2, 3, {"approve"}, {"--request-id", rid_b, "--yes"}, 1);
  EXPECT_NE(old_b.exit_code, 0);
  EXPECT_TRUE(Contains(old_b.err, "using the roster of epoch 1")) << old_b.err;
  EXPECT_TRUE(Contains(old_b.err, "names epoch 2")) << old_b.err;
  const Result old_rel = As(2, 3, {"release"}, {"--request-id", rid_b}, 1);
  EXPECT_NE(old_rel.exit_code, 0);
  EXPECT_TRUE(Contains(old_rel.out, "names epoch 2")) << old_rel.out;
  // A share of another consortium (its epoch-1 key is not this chain's):
  // refused before anything is signed or kept.
  const Result other_sim = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
       "--out", (dir_ / "other").string(), "--passphrase-file", Pass()});
  ASSERT_EQ(other_sim.exit_code, 0) << other_sim.err;
  const std::string fresh_b = (dir_ / "fresh-state-b").string();
  const Result foreign = Conclave(
      {"--server", address_, "approve", "--roster", Roster(2), "--identity",
       (Sim(2) / "org3" / "editor1" / "identity.age").string(),
       "--passphrase-file", Pass(), "--state", fresh_b, "--share",
       (dir_ / "other" / "org3" / "editor1" / "share.age").string(),
       "--request-id", rid_b, "--yes"});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_TRUE(Contains(foreign.err, "not a share of this consortium"))
      << foreign.err;
  EXPECT_FALSE(fs::exists(fresh_b));
  // A new share with the old roster: refused at once, naming the roster.
  const Result stale_roster =
      As(1, 3, {"approve"}, {"--request-id", rid_b, "--yes"}, 2, fresh_b);
  EXPECT_NE(stale_roster.exit_code, 0);
  EXPECT_TRUE(Contains(stale_roster.err, "give --roster of epoch 2"))
      << stale_roster.err;
  EXPECT_FALSE(fs::exists(fresh_b));
  // With the old roster too: the request is not of that key's roster.
  const Result old_b1 =
      As(1, 3, {"approve"}, {"--request-id", rid_b, "--yes"}, 1);
  EXPECT_NE(old_b1.exit_code, 0);
  // None of these voted: the daemon counts nothing for B yet.
  const std::string progress_b = Progress(2, rid_b);
  EXPECT_TRUE(progress_b.starts_with("0 of 2 organisations")) << progress_b;
  for (int org : {2, 3}) {
    const Result a =
        As(2, org, {"approve"}, {"--request-id", rid_b, "--yes"}, 2);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_FALSE(Contains(a.err, "using the roster")) << a.err;
  }
  for (int org : {2, 3}) {
    const Result r = As(2, org, {"release"}, {"--request-id", rid_b}, 2);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  const Result out_b =
      As(2, 1, {"decrypt"},
         {"--request-id", rid_b, "-o", (dir_ / "b.out").string()});
  ASSERT_EQ(out_b.exit_code, 0) << out_b.err;
  EXPECT_EQ(ReadAll(dir_ / "b.out"), text_b);

  // Key B is refreshed (epoch 3, same key) and then replaced by a rekey
  // (epoch 4). B's last roster is now epoch 3: an epoch-2 share of B is
  // refused with the current roster (it must be destroyed) before anything
  // is signed; epoch-3 shares with the current roster open B.
  const Result refresh = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate-refresh", "--from", Sim(2).string(), "--out", Sim(3).string(),
       "--work-factor", "10", "--passphrase-file", Pass()});
  ASSERT_EQ(refresh.exit_code, 0) << refresh.err;
  const Result push3 = As(2, 1, {"roster", "push", Roster(3)});
  ASSERT_EQ(push3.exit_code, 0) << push3.out << push3.err;
  const Result rekey4 =
      RunProgram(dir_, CONCLAVE_CEREMONY_PATH,
                 {"rekey", "--from", Sim(3).string(), "--out", Sim(4).string(),
                  "--work-factor", "10", "--passphrase-file", Pass()});
  ASSERT_EQ(rekey4.exit_code, 0) << rekey4.err;
  const Result push4 = As(3, 1, {"roster", "push", Roster(4)});
  ASSERT_EQ(push4.exit_code, 0) << push4.out << push4.err;

  const Result qb2 =
      As(4, 1, {"request"}, {"--submission-id", id_b, "--reason", "B again"});
  ASSERT_EQ(qb2.exit_code, 0) << qb2.err;
  EXPECT_TRUE(Contains(qb2.err, "roster epoch 3")) << qb2.err;
  const std::string rid_b2 = LastLine(qb2.out);
  const std::string fresh_4 = (dir_ / "fresh-state-4").string();
  for (const char* cmd : {"approve", "release"}) {
    SCOPED_TRACE(cmd);
    std::vector<std::string> extra = {"--request-id", rid_b2};
    if (std::string(cmd) == "approve") extra.push_back("--yes");
    const Result reshared = As(4, 2, {cmd}, extra, 2, fresh_4);
    EXPECT_NE(reshared.exit_code, 0);
    EXPECT_TRUE(Contains(reshared.err, "from roster epoch 2")) << reshared.err;
    EXPECT_TRUE(Contains(reshared.err, "replaced at epoch 3")) << reshared.err;
    EXPECT_TRUE(Contains(reshared.err, "must be destroyed")) << reshared.err;
    EXPECT_FALSE(fs::exists(fresh_4));
  }
  const std::string before = Progress(4, rid_b2);
  EXPECT_TRUE(before.starts_with("0 of 2 organisations")) << before;
  EXPECT_FALSE(Contains(before, "editors approved")) << before;
  // Organisation 2 votes without a share (the request names epoch 3: that
  // roster is used), organisation 3 with its epoch-3 share completes the
  // quorum and releases at once, then organisation 2 releases with its
  // epoch-3 share — all with the current roster.
  const Result vote2 = As(4, 2, {"approve"}, {"--request-id", rid_b2, "--yes"});
  ASSERT_EQ(vote2.exit_code, 0) << vote2.err;
  EXPECT_TRUE(Contains(vote2.err, "using the roster of epoch 3")) << vote2.err;
  const Result a3 = As(4, 3, {"approve"}, {"--request-id", rid_b2, "--yes"}, 3);
  ASSERT_EQ(a3.exit_code, 0) << a3.err;
  EXPECT_TRUE(Contains(a3.err, "using the roster of epoch 3")) << a3.err;
  EXPECT_TRUE(Contains(a3.err, "rekeyed at epoch 4")) << a3.err;
  EXPECT_TRUE(Contains(a3.err, "partial decryption released")) << a3.err;
  const Result r2 = As(4, 2, {"release"}, {"--request-id", rid_b2}, 3);
  EXPECT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_TRUE(Contains(r2.out, "released")) << r2.out;
  const Result out_b2 =
      As(4, 1, {"decrypt"},
         {"--request-id", rid_b2, "-o", (dir_ / "b2.out").string()});
  ASSERT_EQ(out_b2.exit_code, 0) << out_b2.err;
  EXPECT_EQ(ReadAll(dir_ / "b2.out"), text_b);

  // The whole log, three keys, every statement against the roster it names;
  // with the first or the last roster pinned.
  for (int epoch : {1, 4}) {
    const Result audit =
        As(epoch, 1, {"audit", "verify", "--full"}, {}, 0,
           (dir_ / ("audit-state" + std::to_string(epoch))).string());
    EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  }
}

}  // namespace
}  // namespace conclave
