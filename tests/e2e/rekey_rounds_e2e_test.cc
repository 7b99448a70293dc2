// End-to-end tests of the rekey as file rounds on separate machines
// (docs/ceremony.md, "Rekey on separate machines"; reshare.h "Rekey"): the
// real conclave-ceremony binary gives the same committee a NEW consortium
// key by a new COCKTAIL-DKG run as `plan --rekey-from` → participant new →
// endorse → round1 → round2 → finish → roster assemble/sign/finalize.
//   (a) ids 1..3 (a simulated 3/2 consortium): the DKG's roster is the new
//       roster; verify-chain checks rekey.record; the drill passes; Y
//       changed.
//   (b) ids {1, 3} (after `simulate-reshare --leave 2`): the DKG's roster
//       (ids = positions) is re-dealt to the ids with `reshare plan
//       --redeal` … `reshare finalize --dkg --previous`; verify-chain checks
//       the DKG and the re-deal; every new share verifies, the drill
//       passes, and an intermediate DKG share is refused by the new roster.
//   (c) negatives: a card whose keys are not the roster's is refused at
//       plan; a rekey roster of another roster is refused at finalize; a
//       re-deal plan made from another rekey's DKG roster is refused, and
//       so is the wrong flag for the roster (--roster for a re-deal plan).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "conclave/v1/ceremony.pb.h"
#include "keyceremony/roster.h"
#include "tests/e2e/program.h"

namespace conclave::keyceremony {
namespace {

namespace fs = std::filesystem;

using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;
using Editor = std::pair<int, int>;

constexpr char kPassphrase[] = "correct horse battery staple";

// d1: organisations 1..3, organisation 1 with two editors (k = 2).
const std::vector<int> kIds1 = {1, 2, 3};
const std::vector<Editor> kEditors1 = {{1, 1}, {1, 2}, {2, 1}, {3, 1}};
// d2: organisation 2 left, so the ids {1, 3} are not the positions 1..2.
const std::vector<int> kIds2 = {1, 3};
const std::vector<Editor> kEditors2 = {{1, 1}, {1, 2}, {3, 1}};

std::string EditorPath(const std::string& dir, int o, int j) {
  return dir + "/org" + std::to_string(o) + "/editor" + std::to_string(j);
}

class RekeyRoundsE2eTest : public ::testing::Test {
 protected:
  // The two consortia and both DKGs (rounds through `roster sign`) are made
  // once; each test finalizes or tampers from there.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-rekey-rounds-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    setup_error_ = new std::string;
    WriteAll(*scratch_ / "pass.txt", std::string(kPassphrase) + "\n");
    Step({"simulate", "--orgs", "3", "--threshold", "2", "--editors",
          "2:2,1:1,1:1", "--work-factor", "10", "--out", P("d1")});
    Step({"simulate-reshare", "--from", P("d1"), "--orgs", "2", "--leave", "2",
          "--threshold", "2", "--work-factor", "10", "--out", P("d2")});
    RunDkg("d1", kIds1, kEditors1, "k2");
    RunDkg("d2", kIds2, kEditors2, "j3");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
    delete setup_error_;
  }
  void SetUp() override { ASSERT_EQ(*setup_error_, ""); }

  static std::string P(const std::string& rel) {
    return (*scratch_ / rel).string();
  }
  static std::vector<std::string> WithPass(std::vector<std::string> args) {
    args.push_back("--passphrase-file");
    args.push_back(P("pass.txt"));
    return args;
  }
  static Result Run(const std::vector<std::string>& args) {
    return RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, args);
  }
  // A setup step: the first failure is kept for SetUp to report.
  static Result Step(const std::vector<std::string>& args, bool pass = true) {
    if (!setup_error_->empty()) return {};
    const Result r = Run(pass ? WithPass(args) : args);
    if (r.exit_code != 0) {
      *setup_error_ = args[0] + " " + (args.size() > 1 ? args[1] : "") + ": " +
                      r.err + r.out;
    }
    return r;
  }

  // The DKG of a rekey of FROM (its editors bring their cards from FROM)
  // through the file rounds, up to a roster signed by every editor in OUT.
  // Participant keys, round files and finish outputs go to OUT-*; the
  // finish output of organisation ID is OUT-finID/editorJ/share.age.
  static void RunDkg(const std::string& from, const std::vector<int>& ids,
                     const std::vector<Editor>& editors,
                     const std::string& out) {
    const Result plan = Step({"plan", "--rekey-from", P(from), "--cards",
                              P(from), "--out", P(out + ".plan")},
                             false);
    if (!setup_error_->empty()) return;
    if (!Contains(plan.out, "REKEY plan written")) {
      *setup_error_ = "plan: " + plan.out;
      return;
    }
    for (int o : ids) {
      const std::string part = out + "-part" + std::to_string(o);
      Step({"participant", "new", "--plan", P(out + ".plan"), "--org",
            std::to_string(o), "--out", P(part), "--work-factor", "10"});
    }
    for (const auto& [o, j] : editors) {
      Step({"endorse", "--plan", P(out + ".plan"), "--identity",
            P(EditorPath(from, o, j) + "/identity.age")});
    }
    fs::create_directories(*scratch_ / (out + "-r1"));
    fs::create_directories(*scratch_ / (out + "-r2"));
    for (int o : ids) {
      Step({"round1", "--plan", P(out + ".plan"), "--participant",
            P(out + "-part" + std::to_string(o) + "/participant.age"), "--out",
            P(out + "-r1/org" + std::to_string(o) + ".round1")});
    }
    for (int o : ids) {
      Step({"round2", "--plan", P(out + ".plan"), "--participant",
            P(out + "-part" + std::to_string(o) + "/participant.age"),
            "--round1", P(out + "-r1"), "--out",
            P(out + "-r2/org" + std::to_string(o) + ".round2")});
    }
    std::string finish;
    for (int o : ids) {
      const std::string fin = out + "-fin" + std::to_string(o);
      const Result r =
          Step({"finish", "--plan", P(out + ".plan"), "--participant",
                P(out + "-part" + std::to_string(o) + "/participant.age"),
                "--round1", P(out + "-r1"), "--round2", P(out + "-r2"), "--out",
                P(fin), "--work-factor", "10"});
      finish_out_[out].push_back(r.out);
      finish += (finish.empty() ? "" : ",") + P(fin);
    }
    Step({"roster", "assemble", "--plan", P(out + ".plan"), "--round1",
          P(out + "-r1"), "--round2", P(out + "-r2"), "--finish", finish,
          "--out", P(out)});
    for (const auto& [o, j] : editors) {
      Step({"roster", "sign", "--dir", P(out), "--identity",
            P(EditorPath(from, o, j) + "/identity.age")});
    }
  }

  // DIR/orgO/editorJ/{identity.age, share.age} for `drill --dir DIR`.
  static void LayOutForDrill(const std::string& dir, const std::string& from,
                             const std::vector<Editor>& editors,
                             const std::string& shares_of) {
    for (const auto& [o, j] : editors) {
      const fs::path d = *scratch_ / EditorPath(dir, o, j);
      fs::create_directories(d);
      fs::copy_file(*scratch_ / EditorPath(from, o, j) / "identity.age",
                    d / "identity.age");
      if (!shares_of.empty()) {
        fs::copy_file(*scratch_ / (shares_of + std::to_string(o)) /
                          ("editor" + std::to_string(j)) / "share.age",
                      d / "share.age");
      }
    }
  }

  static Point KeyOf(const std::string& roster) {
    StatusOr<VerifiedRoster> r = ReadRosterFile(P(roster));
    EXPECT_TRUE(r.ok()) << roster << ": " << r.status().message();
    return r.ok() ? r->consortium_key : Point::Infinity();
  }

  static fs::path* scratch_;
  static std::string* setup_error_;
  static inline std::map<std::string, std::vector<std::string>> finish_out_;
};

fs::path* RekeyRoundsE2eTest::scratch_ = nullptr;
std::string* RekeyRoundsE2eTest::setup_error_ = nullptr;

// (a) Ids 1..3: the DKG's roster is the rekey roster.
TEST_F(RekeyRoundsE2eTest, IdsArePositionsNewKeyDrillPasses) {
  for (const std::string& out : finish_out_["k2"]) {
    EXPECT_TRUE(Contains(out, "NEW shares of epoch 2")) << out;
    EXPECT_FALSE(Contains(out, "INTERMEDIATE")) << out;
  }
  // A rekey roster is not finalized without the roster it continues.
  const Result bare = Run({"roster", "finalize", "--dir", P("k2")});
  EXPECT_EQ(bare.exit_code, 1) << bare.err;
  EXPECT_TRUE(Contains(bare.err, "give --previous DIR")) << bare.err;

  const Result fin =
      Run({"roster", "finalize", "--dir", P("k2"), "--previous", P("d1")});
  ASSERT_EQ(fin.exit_code, 0) << fin.err << fin.out;
  EXPECT_TRUE(Contains(fin.out, "rekey roster of epoch 2 verified")) << fin.out;
  EXPECT_TRUE(Contains(fin.out,
                       "DESTROY THE INTERMEDIATE SHARES AND THE OLD "
                       "SHARES"))
      << fin.out;
  EXPECT_TRUE(fs::exists(*scratch_ / "k2/chain/epoch-1.roster"));

  const Result chain = Run({"verify-chain", "--dir", P("k2")});
  EXPECT_EQ(chain.exit_code, 0) << chain.err << chain.out;
  EXPECT_TRUE(Contains(chain.out, "epoch 2 (rekey): 3 organisations, t = 2"))
      << chain.out;
  EXPECT_TRUE(Contains(chain.out, "rekey record OK\n")) << chain.out;
  EXPECT_FALSE(Contains(chain.out, "re-dealt")) << chain.out;

  EXPECT_NE(KeyOf("k2/consortium.roster"), KeyOf("d1/consortium.roster"));
  StatusOr<VerifiedRoster> r2 = ReadRosterFile(P("k2/consortium.roster"));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->body.epoch(), 2u);
  EXPECT_EQ(r2->body.change().kind(), v1::MEMBERSHIP_CHANGE_REKEY);

  LayOutForDrill("k2", "d1", kEditors1, "k2-fin");
  const Result d = Run(WithPass({"drill", "--dir", P("k2")}));
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "shares checked: 4")) << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;
  // An old share does not fit the new roster.
  const Result old =
      Run(WithPass({"verify", P("k2/consortium.roster"), "--share",
                    P(EditorPath("d1", 2, 1) + "/share.age")}));
  EXPECT_EQ(old.exit_code, 2) << old.err;
}

// (b) Ids {1, 3}: the DKG roster, then the re-deal to the ids.
TEST_F(RekeyRoundsE2eTest, RedealToTheIdsThroughFileRounds) {
  for (const std::string& out : finish_out_["j3"]) {
    EXPECT_TRUE(Contains(out, "THESE SHARES ARE INTERMEDIATE")) << out;
  }
  const Result fin =
      Run({"roster", "finalize", "--dir", P("j3"), "--previous", P("d2")});
  ASSERT_EQ(fin.exit_code, 0) << fin.err << fin.out;
  EXPECT_TRUE(Contains(fin.out, "DKG roster of the rekey verified")) << fin.out;
  EXPECT_TRUE(Contains(fin.out, "reshare plan --redeal")) << fin.out;
  EXPECT_TRUE(fs::exists(*scratch_ / "j3/dkg.roster"));
  EXPECT_FALSE(fs::exists(*scratch_ / "j3/consortium.roster"));

  const Result plan =
      Run({"reshare", "plan", "--redeal", "--dkg", P("j3/dkg.roster"),
           "--previous", P("d2"), "--out", P("rd.plan")});
  ASSERT_EQ(plan.exit_code, 0) << plan.err << plan.out;
  EXPECT_TRUE(
      Contains(plan.out, "DKG position 2 -> organisation 3 (Organisation 3)"))
      << plan.out;
  EXPECT_TRUE(Contains(plan.out, "1:1, 1:2, 2:1")) << plan.out;

  // The dealers deal their intermediate shares (DKG position 2 is
  // organisation 3, whose finish output is j3-fin3).
  for (const auto& [o, j] : kEditors2) {
    const Result r = Run(WithPass(
        {"reshare", "deal", "--dkg", P("j3/dkg.roster"), "--plan", P("rd.plan"),
         "--identity", P(EditorPath("d2", o, j) + "/identity.age"), "--share",
         P("j3-fin" + std::to_string(o) + "/editor" + std::to_string(j) +
           "/share.age"),
         "--out", P("rd-dealings")}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  // The wrong flag for the roster is named.
  {
    const Result r = Run(
        WithPass({"reshare", "receive", "--roster", P("d2/consortium.roster"),
                  "--plan", P("rd.plan"), "--dealings", P("rd-dealings"),
                  "--identity", P(EditorPath("d2", 1, 1) + "/identity.age"),
                  "--out", P("wrong/share.age"), "--certifications",
                  P("wrong-certs"), "--work-factor", "10"}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err,
                         "is a rekey re-deal plan: give the rekey's "
                         "DKG roster with --dkg"))
        << r.err;
  }
  for (const auto& [o, j] : kEditors2) {
    const Result r = Run(
        WithPass({"reshare", "receive", "--dkg", P("j3/dkg.roster"), "--plan",
                  P("rd.plan"), "--dealings", P("rd-dealings"), "--identity",
                  P(EditorPath("d2", o, j) + "/identity.age"), "--out",
                  P(EditorPath("d3", o, j) + "/share.age"), "--certifications",
                  P("rd-certs"), "--work-factor", "10"}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, "all 3 dealings verified")) << r.out;
  }
  const Result finish =
      Run({"reshare", "finish", "--dkg", P("j3/dkg.roster"), "--plan",
           P("rd.plan"), "--dealings", P("rd-dealings"), "--certifications",
           P("rd-certs"), "--out", P("d3"), "--shred"});
  ASSERT_EQ(finish.exit_code, 0) << finish.err << finish.out;
  EXPECT_FALSE(fs::exists(*scratch_ / "d3/reshare.record"));
  for (const auto& [o, j] : kEditors2) {
    const Result r = Run(WithPass(
        {"reshare", "sign", "--dkg", P("j3/dkg.roster"), "--dir", P("d3"),
         "--identity", P(EditorPath("d2", o, j) + "/identity.age")}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, "signed as new organisation " +
                                    std::to_string(o) + " editor " +
                                    std::to_string(j)))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "certified the re-deal as dealer")) << r.out;
  }
  // The final check needs the roster before the rekey.
  {
    const Result r = Run(
        {"reshare", "finalize", "--dkg", P("j3/dkg.roster"), "--dir", P("d3")});
    EXPECT_EQ(r.exit_code, 1) << r.err;
  }
  const Result final_r =
      Run({"reshare", "finalize", "--dkg", P("j3/dkg.roster"), "--previous",
           P("d2"), "--dir", P("d3")});
  ASSERT_EQ(final_r.exit_code, 0) << final_r.err << final_r.out;
  EXPECT_TRUE(Contains(final_r.out, "rekey roster of epoch 3 verified"))
      << final_r.out;
  EXPECT_TRUE(Contains(final_r.out,
                       "DESTROY THE INTERMEDIATE SHARES AND THE OLD SHARES"))
      << final_r.out;

  const Result chain = Run({"verify-chain", "--dir", P("d3")});
  EXPECT_EQ(chain.exit_code, 0) << chain.err << chain.out;
  EXPECT_TRUE(Contains(chain.out, "epoch 3 (rekey): 2 organisations, t = 2"))
      << chain.out;
  EXPECT_TRUE(
      Contains(chain.out, "rekey record OK (DKG, then re-dealt to the ids)"))
      << chain.out;

  const Point y3 = KeyOf("d3/consortium.roster");
  EXPECT_NE(y3, KeyOf("d2/consortium.roster"));
  EXPECT_EQ(y3, KeyOf("j3/dkg.roster"));
  StatusOr<VerifiedRoster> r3 = ReadRosterFile(P("d3/consortium.roster"));
  ASSERT_TRUE(r3.ok());
  ASSERT_EQ(r3->body.organisations_size(), 2);
  EXPECT_EQ(r3->body.organisations(1).id(), 3u);
  EXPECT_EQ(r3->body.organisations(1).cocktail_position(), 2u);
  // A rekey names no dealers and carries no dealer signatures.
  EXPECT_EQ(r3->body.change().dealers_size(), 0);
  v1::Roster final_msg;
  ASSERT_TRUE(
      final_msg.ParseFromString(ReadAll(*scratch_ / "d3/consortium.roster")));
  EXPECT_EQ(final_msg.dealer_signatures_size(), 0);

  // Every new share verifies against the new roster.
  std::vector<std::string> verify = {"verify", P("d3/consortium.roster")};
  for (const auto& [o, j] : kEditors2) {
    verify.push_back("--share");
    verify.push_back(P(EditorPath("d3", o, j) + "/share.age"));
  }
  const Result v = Run(WithPass(verify));
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  EXPECT_TRUE(Contains(v.out, "share OK: organisation 3 editor 1")) << v.out;
  // The intermediate DKG shares are refused: position 2 is no organisation
  // of the roster, and position 1's share is not organisation 1's.
  for (const char* share :
       {"j3-fin3/editor1/share.age", "j3-fin1/editor1/share.age"}) {
    const Result r = Run(
        WithPass({"verify", P("d3/consortium.roster"), "--share", P(share)}));
    EXPECT_EQ(r.exit_code, 2) << share << ": " << r.err;
  }

  LayOutForDrill("d3", "d2", kEditors2, "");
  const Result d = Run(WithPass({"drill", "--dir", P("d3")}));
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "shares checked: 3")) << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;
}

// (c) A card whose keys are not the roster's editor's is refused at plan.
TEST_F(RekeyRoundsE2eTest, ForeignCardRefusedAtPlan) {
  // Every card of d1, but organisation 3's editor brings a new identity.
  for (const auto& [o, j] : kEditors1) {
    const fs::path d = *scratch_ / EditorPath("cards", o, j);
    fs::create_directories(d);
    if (o == 3) continue;
    fs::copy_file(*scratch_ / EditorPath("d1", o, j) / "editor.card",
                  d / "editor.card");
  }
  fs::remove_all(*scratch_ / EditorPath("cards", 3, 1));
  const Result id = Run(
      WithPass({"identity", "new", "--org", "3", "--name", "Impostor", "--out",
                P(EditorPath("cards", 3, 1)), "--work-factor", "10"}));
  ASSERT_EQ(id.exit_code, 0) << id.err;
  const Result r = Run({"plan", "--rekey-from", P("d1"), "--cards", P("cards"),
                        "--out", P("bad.plan")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "is not the card of editor 1")) << r.err;
  EXPECT_TRUE(Contains(r.err, "of organisation 3")) << r.err;
  EXPECT_FALSE(fs::exists(*scratch_ / "bad.plan"));
  // A rekey plan takes t and the organisations from the roster.
  const Result mixed = Run({"plan", "--rekey-from", P("d1"), "--cards", P("d1"),
                            "--threshold", "1", "--out", P("mixed.plan")});
  EXPECT_EQ(mixed.exit_code, 1) << mixed.err;
}

// (c) A rekey roster of another roster is refused at finalize.
TEST_F(RekeyRoundsE2eTest, RekeyOfAnotherRosterRefusedAtFinalize) {
  for (const auto& [dir, wrong] :
       std::vector<std::pair<std::string, std::string>>{{"k2", "d2"},
                                                        {"j3", "d1"}}) {
    const Result r =
        Run({"roster", "finalize", "--dir", P(dir), "--previous", P(wrong)});
    EXPECT_EQ(r.exit_code, 2) << dir << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "continues another roster")) << r.err;
    EXPECT_TRUE(Contains(r.err, "Nothing written")) << r.err;
  }
}

// (c) A re-deal plan from the DKG roster of another rekey is refused.
TEST_F(RekeyRoundsE2eTest, RedealPlanOfAnotherRekeyRefused) {
  // Another rekey of d2 (one process): its DKG roster is a valid one, but
  // not ours.
  const Result other = Run(WithPass({"rekey", "--from", P("d2"), "--out",
                                     P("other"), "--work-factor", "10"}));
  ASSERT_EQ(other.exit_code, 0) << other.err << other.out;
  v1::RekeyRecord record;
  ASSERT_TRUE(
      record.ParseFromString(ReadAll(*scratch_ / "other/rekey.record")));
  ASSERT_TRUE(record.has_dkg_roster());
  fs::create_directories(*scratch_ / "other-dkg");
  WriteAll(*scratch_ / "other-dkg/dkg.roster",
           record.dkg_roster().SerializeAsString());
  const Result plan =
      Run({"reshare", "plan", "--redeal", "--dkg", P("other-dkg"), "--previous",
           P("d2"), "--out", P("other.plan")});
  ASSERT_EQ(plan.exit_code, 0) << plan.err << plan.out;

  // Our DKG roster (finalized here if no other test did it yet).
  if (!fs::exists(*scratch_ / "j3/dkg.roster")) {
    const Result fin =
        Run({"roster", "finalize", "--dir", P("j3"), "--previous", P("d2")});
    ASSERT_EQ(fin.exit_code, 0) << fin.err;
  }
  const Result deal =
      Run(WithPass({"reshare", "deal", "--dkg", P("j3/dkg.roster"), "--plan",
                    P("other.plan"), "--identity",
                    P(EditorPath("d2", 1, 1) + "/identity.age"), "--share",
                    P("j3-fin1/editor1/share.age"), "--out", P("x-dealings")}));
  EXPECT_EQ(deal.exit_code, 2) << deal.err;
  EXPECT_TRUE(Contains(deal.err, "was made from another DKG roster"))
      << deal.err;
  EXPECT_FALSE(fs::exists(*scratch_ / "x-dealings"));

  // A DKG roster of a rekey of another roster is refused at the plan.
  const Result wrong_prev =
      Run({"reshare", "plan", "--redeal", "--dkg", P("j3/dkg.roster"),
           "--previous", P("d1"), "--out", P("wrong.plan")});
  EXPECT_EQ(wrong_prev.exit_code, 2) << wrong_prev.err;
  EXPECT_TRUE(Contains(wrong_prev.err, "a rekey of another roster"))
      << wrong_prev.err;
  // The roster in force is not a DKG roster.
  const Result not_dkg =
      Run({"reshare", "plan", "--redeal", "--dkg", P("d2/consortium.roster"),
           "--previous", P("d2"), "--out", P("nd.plan")});
  EXPECT_EQ(not_dkg.exit_code, 2) << not_dkg.err;
  EXPECT_TRUE(Contains(not_dkg.err, "is not a rekey's DKG roster"))
      << not_dkg.err;
}

}  // namespace
}  // namespace conclave::keyceremony
