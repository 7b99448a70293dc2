// End-to-end tests of conclave-ceremony's one-process membership changes:
// simulate 5/3 (editors 3:2,3:2,1:1,1:1,1:1) → simulate-reshare to 6/4 with
// organisation 2 leaving → `verify` passes on the new roster, `verify-chain`
// passes on the chain and the reshare record, the key is unchanged, the
// drill of the new epoch opens both the new drill file and the one made
// before the reshare, every 4-subset recombines the key from the sealed
// new shares and no 3-subset does; an old share is refused against the new
// roster; then simulate-refresh and rekey on top, and the refusals (reused
// output, unknown --leave id, stranded submission without --force).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "age/p256tag.h"
#include "base/bytes.h"
#include "keyceremony/roster.h"
#include "sealed/sealed_file.h"
#include "shares/shamir.h"
#include "tests/e2e/program.h"

namespace conclave::keyceremony {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr char kPassphrase[] = "correct horse battery staple";

class ReshareCliE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-reshare-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    WriteAll(*scratch_ / "pass.txt", std::string(kPassphrase) + "\n");
    setup_ = new Result(
        Run({"simulate", "--orgs", "5", "--threshold", "3", "--editors",
             "3:2,3:2,1:1,1:1,1:1", "--work-factor", "10", "--out", Dir("d1"),
             "--passphrase-file", PassFile()}));
    if (setup_->exit_code != 0) return;
    *setup_ = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "6",
                   "--leave", "2", "--threshold", "4", "--work-factor", "10",
                   "--out", Dir("d2"), "--passphrase-file", PassFile()});
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
    delete setup_;
  }
  void SetUp() override { ASSERT_EQ(setup_->exit_code, 0) << setup_->err; }

  static std::string Dir(const std::string& name) {
    return (*scratch_ / name).string();
  }
  static std::string PassFile() { return (*scratch_ / "pass.txt").string(); }
  static Result Run(const std::vector<std::string>& args) {
    return RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, args);
  }
  static SecretBytes Pass() {
    return SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
  }

  static fs::path* scratch_;
  static Result* setup_;
};

fs::path* ReshareCliE2eTest::scratch_ = nullptr;
Result* ReshareCliE2eTest::setup_ = nullptr;

TEST_F(ReshareCliE2eTest, NewRosterVerifiesAndKeepsTheKey) {
  Result r = Run({"verify", Dir("d2") + "/consortium.roster"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "epoch 2, 6 organisations, threshold 4"));
  StatusOr<VerifiedRoster> a = ReadRosterFile(Dir("d1") + "/consortium.roster");
  StatusOr<VerifiedRoster> b = ReadRosterFile(Dir("d2") + "/consortium.roster");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->consortium_key, b->consortium_key);
  EXPECT_EQ(ReadAll(Dir("d1") + "/consortium.pub").substr(0, 70),
            ReadAll(Dir("d2") + "/consortium.pub").substr(0, 70));
  std::vector<uint32_t> ids;
  for (const auto& o : b->body.organisations()) ids.push_back(o.id());
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 3, 4, 5, 6, 7}));
  // Continuing organisations keep identities, witness and log keys.
  EXPECT_EQ(ReadAll(Dir("d1") + "/org3/editor1/editor.card"),
            ReadAll(Dir("d2") + "/org3/editor1/editor.card"));
  EXPECT_EQ(ReadAll(Dir("d1") + "/org1/witness.vkey"),
            ReadAll(Dir("d2") + "/org1/witness.vkey"));
  EXPECT_EQ(ReadAll(Dir("d1") + "/log.vkey"), ReadAll(Dir("d2") + "/log.vkey"));
  EXPECT_FALSE(fs::exists(Dir("d2") + "/org2"));

  r = Run({"verify-chain", "--dir", Dir("d2")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "reshare record OK"));
  EXPECT_TRUE(Contains(r.out, "chain OK: 2 roster(s)"));
  // A tampered chain file is refused.
  fs::create_directories(Dir("bad"));
  fs::copy(Dir("d2"), Dir("bad"), fs::copy_options::recursive);
  std::string rec = ReadAll(Dir("bad") + "/reshare.record");
  rec[rec.size() / 2] ^= 1;
  fs::remove(Dir("bad") + "/reshare.record");
  WriteAll(Dir("bad") + "/reshare.record", rec);
  r = Run({"verify-chain", "--dir", Dir("bad")});
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST_F(ReshareCliE2eTest, NewSharesRecombineAndOldOnesAreRefused) {
  StatusOr<VerifiedRoster> b = ReadRosterFile(Dir("d2") + "/consortium.roster");
  ASSERT_TRUE(b.ok());
  std::map<uint32_t, std::vector<NestedShare>> by_org;
  for (const auto& o : b->body.organisations()) {
    for (uint32_t j = 1; j <= o.editor_threshold(); ++j) {
      const std::string path = Dir("d2") + "/org" + std::to_string(o.id()) +
                               "/editor" + std::to_string(j) + "/share.age";
      StatusOr<OpenedSecret> s = ReadSealedFile(path, Pass());
      ASSERT_TRUE(s.ok()) << path;
      ASSERT_TRUE(CheckEditorShare(s->message().editor_share(), *b).ok());
      by_org[o.id()].push_back(
          {o.id(), j,
           *Scalar::FromBytes(AsBytes(s->message().editor_share().share()))});
    }
  }
  const std::vector<uint32_t> ids = {1, 3, 4, 5, 6, 7};
  for (size_t k : {3u, 4u}) {
    std::vector<bool> pick(ids.size(), false);
    std::fill(pick.begin(), pick.begin() + static_cast<long>(k), true);
    do {
      std::vector<NestedShare> q;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (pick[i])
          q.insert(q.end(), by_org[ids[i]].begin(), by_org[ids[i]].end());
      }
      StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(q);
      ASSERT_TRUE(x.ok());
      EXPECT_EQ(Point::BaseMul(*x) == b->consortium_key, k == 4);
    } while (std::prev_permutation(pick.begin(), pick.end()));
  }
  // verify --share refuses an epoch-1 share against the epoch-2 roster.
  Result r = Run({"verify", Dir("d2") + "/consortium.roster", "--share",
                  Dir("d1") + "/org3/editor1/share.age", "--passphrase-file",
                  PassFile()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "is for epoch 1, the roster is at epoch 2"))
      << r.err;
}

TEST_F(ReshareCliE2eTest, DrillOfTheNewEpochOpensOldAndNewDrillFiles) {
  Result r =
      Run({"drill", "--dir", Dir("d2"), "--passphrase-file", PassFile()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "drill passed"));
  EXPECT_TRUE(fs::exists(Dir("d2") + "/drill/epoch1-drill-1.age"));
}

TEST_F(ReshareCliE2eTest, RefreshAndRekeyFollow) {
  Result r = Run({"simulate-refresh", "--from", Dir("d2"), "--out", Dir("d3"),
                  "--work-factor", "10", "--passphrase-file", PassFile()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"verify-chain", "--dir", Dir("d3")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "epoch 3 (refresh)"));
  // After a departure the ids are not COCKTAIL's positions 1..m: the rekey
  // runs the DKG at the positions and re-deals to the ids.
  r = Run({"rekey", "--from", Dir("d3"), "--out", Dir("d4"), "--work-factor",
           "10", "--passphrase-file", PassFile()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"verify-chain", "--dir", Dir("d4")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "epoch 4 (rekey)")) << r.out;
  EXPECT_TRUE(
      Contains(r.out, "rekey record OK (DKG, then re-dealt to the ids)"))
      << r.out;
  EXPECT_NE(ReadAll(Dir("d3") + "/consortium.pub").substr(0, 70),
            ReadAll(Dir("d4") + "/consortium.pub").substr(0, 70));
  r = Run({"drill", "--dir", Dir("d4"), "--passphrase-file", PassFile()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // With ids 1..m the DKG's roster is the new roster.
  r = Run({"rekey", "--from", Dir("d1"), "--out", Dir("k2"), "--work-factor",
           "10", "--passphrase-file", PassFile()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"verify-chain", "--dir", Dir("k2")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "epoch 2 (rekey)"));
  EXPECT_TRUE(Contains(r.out, "rekey record OK\n")) << r.out;
  EXPECT_NE(ReadAll(Dir("d1") + "/consortium.pub").substr(0, 70),
            ReadAll(Dir("k2") + "/consortium.pub").substr(0, 70));
  r = Run({"drill", "--dir", Dir("k2"), "--passphrase-file", PassFile()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ReshareCliE2eTest, Refusals) {
  // Never overwrite.
  Result r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "6",
                  "--threshold", "4", "--work-factor", "10", "--out", Dir("d2"),
                  "--passphrase-file", PassFile()});
  EXPECT_EQ(r.exit_code, 3);
  r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "6", "--leave",
           "9", "--threshold", "4", "--out", Dir("x1"), "--passphrase-file",
           PassFile()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--leave 9")) << r.err;
  r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "6",
           "--threshold", "7", "--out", Dir("x2"), "--passphrase-file",
           PassFile()});
  EXPECT_EQ(r.exit_code, 1);
  // A submission excluding organisations 1 and 3 (made with conclave
  // encrypt) would keep only 3 < 4 organisations of 1,3,4,5,6 with 5
  // leaving: refused unless forced.
  fs::create_directories(Dir("subs"));
  Result enc = RunProgram(
      *scratch_, CONCLAVE_CLI_PATH,
      {"encrypt", "--to", Dir("d1") + "/consortium.pub", "--exclude", "1",
       "--exclude", "3", "-q", "-o", Dir("subs") + "/s.age", PassFile()});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "5", "--leave",
           "5", "--threshold", "4", "--work-factor", "10", "--out", Dir("x3"),
           "--submissions", Dir("subs"), "--passphrase-file", PassFile()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "would be left with fewer than t' = 4")) << r.err;
  EXPECT_FALSE(fs::exists(Dir("x3")));
  r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "5", "--leave",
           "5", "--threshold", "4", "--work-factor", "10", "--out", Dir("x4"),
           "--submissions", Dir("subs"), "--force", "--passphrase-file",
           PassFile()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "FORCED"));
  // With t' = 3 nothing is stranded.
  r = Run({"simulate-reshare", "--from", Dir("d1"), "--orgs", "5", "--leave",
           "5", "--threshold", "3", "--work-factor", "10", "--out", Dir("x5"),
           "--submissions", Dir("subs"), "--passphrase-file", PassFile()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ReshareCliE2eTest, HelpTeaches) {
  for (const char* cmd :
       {"simulate-reshare", "simulate-refresh", "rekey", "verify-chain"}) {
    Result r = Run({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_TRUE(Contains(r.out, "Example")) << cmd;
  }
  Result r = Run({"simulate-reshare", "--help"});
  EXPECT_TRUE(Contains(r.out, "destroy")) << r.out;
}

}  // namespace
}  // namespace conclave::keyceremony
