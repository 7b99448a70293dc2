// End-to-end tests of the multi-machine ceremony as file rounds
// (conclave-ceremony plan … drill, docs/ceremony.md): the real binary runs
// the whole ceremony for 3 organisations, t = 2, organisation 1 with two
// editors and k = 2, at work factor 10. The roster must pass `verify`, its
// consortium key must be what a quorum's recombined shares give, and the
// drill must pass. Negatives: a tampered round-1 file names its
// organisation, a missing endorsement is refused, a participant key that is
// not the plan's is refused, and the drill names a corrupted share or a
// share file of another holder. The per-holder drill (drill request /
// partial / combine, through quorum decryption) on simulate output proves
// every holder; names an altered, a wrong or a missing partial; refuses an
// identity, share or partial of another ceremony; and `drill partial`
// refuses a request for a real submission (made with `conclave encrypt`).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "conclave/v1/ceremony.pb.h"
#include "keyceremony/cocktail.h"
#include "keyceremony/roster.h"
#include "keyceremony/rounds.h"
#include "keyceremony/simulate.h"
#include "quorum/approval.h"
#include "quorum/drill.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "shares/shamir.h"
#include "tests/e2e/program.h"

extern char** environ;

namespace conclave::keyceremony {
namespace {

namespace fs = std::filesystem;

constexpr char kPassphrase[] = "correct horse battery staple";

using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

class CeremonyRoundsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-rounds-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WriteAll(dir_ / "pass.txt", std::string(kPassphrase) + "\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result Run(const std::vector<std::string>& args) {
    return RunProgram(dir_, CONCLAVE_CEREMONY_PATH, args);
  }

  // Runs a step that must succeed, with --passphrase-file when asked.
  void Ok(std::vector<std::string> args, bool pass = true) {
    if (pass) {
      args.push_back("--passphrase-file");
      args.push_back((dir_ / "pass.txt").string());
    }
    const Result r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err << r.out;
  }
  std::vector<std::string> Pass(std::vector<std::string> args) {
    args.push_back("--passphrase-file");
    args.push_back((dir_ / "pass.txt").string());
    return args;
  }

  std::string P(const std::string& rel) { return (dir_ / rel).string(); }

  // Keys, cards and the plan (no participant keys yet).
  void MakePlan() {
    Ok({"log-key", "new", "--origin", "example.org/log", "--out", P("log"),
        "--work-factor", "10"});
    for (int o = 1; o <= 3; ++o) {
      const std::string org = "in/org" + std::to_string(o);
      Ok({"witness", "new", "--org", std::to_string(o), "--out", P(org),
          "--work-factor", "10"});
      for (int j = 1; j <= (o == 1 ? 2 : 1); ++j) {
        Ok({"identity", "new", "--org", std::to_string(o), "--name",
            "Editor " + std::to_string(j) + " of " + std::to_string(o), "--out",
            P(org + "/editor" + std::to_string(j)), "--work-factor", "10"});
      }
    }
    Ok({"plan", "--threshold", "2", "--org", "2:" + P("in/org1") + ":Org One",
        "--org", "1:" + P("in/org2") + ":Org Two", "--org",
        "1:" + P("in/org3") + ":Org Three", "--log-vkey", P("log/log.vkey"),
        "--out", P("plan.bin")},
       false);
  }

  std::vector<std::string> Identities() {
    return {"in/org1/editor1", "in/org1/editor2", "in/org2/editor1",
            "in/org3/editor1"};
  }

  void ParticipantsAndEndorsements() {
    for (int o = 1; o <= 3; ++o) {
      Ok({"participant", "new", "--plan", P("plan.bin"), "--org",
          std::to_string(o), "--out", P("p" + std::to_string(o)),
          "--work-factor", "10"});
    }
    for (const std::string& id : Identities()) {
      Ok({"endorse", "--plan", P("plan.bin"), "--identity",
          P(id + "/identity.age")});
    }
  }

  void Round1All() {
    fs::create_directories(dir_ / "x");
    for (int o = 1; o <= 3; ++o) {
      const std::string s = std::to_string(o);
      Ok({"round1", "--plan", P("plan.bin"), "--participant",
          P("p" + s + "/participant.age"), "--out", P("x/o" + s + ".round1")});
    }
  }

  void Rest() {
    for (int o = 1; o <= 3; ++o) {
      const std::string s = std::to_string(o);
      Ok({"round2", "--plan", P("plan.bin"), "--participant",
          P("p" + s + "/participant.age"), "--round1", P("x"), "--out",
          P("x/o" + s + ".round2")});
    }
    for (int o = 1; o <= 3; ++o) {
      const std::string s = std::to_string(o);
      Ok({"finish", "--plan", P("plan.bin"), "--participant",
          P("p" + s + "/participant.age"), "--round1", P("x"), "--round2",
          P("x"), "--out", P("cer/org" + s), "--work-factor", "10"});
      // The participant key is erased.
      EXPECT_FALSE(fs::exists(dir_ / ("p" + s) / "participant.age"));
    }
    Ok({"roster", "assemble", "--plan", P("plan.bin"), "--round1", P("x"),
        "--round2", P("x"), "--finish", P("cer/org1"), "--finish",
        P("cer/org2"), "--finish", P("cer/org3"), "--out", P("cer")},
       false);
    for (const std::string& id : Identities()) {
      Ok({"roster", "sign", "--dir", P("cer"), "--identity",
          P(id + "/identity.age")});
    }
    Ok({"roster", "finalize", "--dir", P("cer")}, false);
  }

  StatusOr<v1::EditorShare> OpenShare(const std::string& rel) {
    CONCLAVE_ASSIGN_OR_RETURN(
        OpenedSecret s, ReadSealedFile(dir_ / rel, SecretBytes::CopyFrom(
                                                       AsBytes(kPassphrase))));
    return s.message().editor_share();
  }

  fs::path dir_;
};

TEST_F(CeremonyRoundsE2eTest, WholeCeremonyVerifiesRecombinesAndDrills) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  ASSERT_NO_FATAL_FAILURE(ParticipantsAndEndorsements());
  ASSERT_NO_FATAL_FAILURE(Round1All());
  ASSERT_NO_FATAL_FAILURE(Rest());

  const Result v = Run({"verify", P("cer/consortium.roster")});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_TRUE(Contains(v.out, "COCKTAIL-DKG")) << v.out;

  StatusOr<VerifiedRoster> roster =
      ReadRosterFile(dir_ / "cer/consortium.roster");
  ASSERT_TRUE(roster.ok()) << roster.status().message();
  EXPECT_EQ(roster->body.threshold(), 2u);
  ASSERT_EQ(roster->body.organisations_size(), 3);
  EXPECT_EQ(roster->body.organisations(0).editor_threshold(), 2u);
  EXPECT_EQ(roster->body.organisations(0).editors_size(), 2);
  // Every editor signed epoch 1.
  v1::Roster raw;
  ASSERT_TRUE(raw.ParseFromString(ReadAll(dir_ / "cer/consortium.roster")));
  EXPECT_EQ(raw.signatures_size(), 4);
  EXPECT_TRUE(Contains(ReadAll(dir_ / "cer/consortium.pub"), "age1tag1"));

  // Any t = 2 organisations, with k_o editors each, recombine x with x·G = Y;
  // one organisation alone, or organisation 1 with one editor, does not.
  std::map<std::pair<uint32_t, uint32_t>, Scalar> shares;
  for (const auto& [o, j] : std::vector<std::pair<uint32_t, uint32_t>>{
           {1, 1}, {1, 2}, {2, 1}, {3, 1}}) {
    StatusOr<v1::EditorShare> es =
        OpenShare("cer/org" + std::to_string(o) + "/editor" +
                  std::to_string(j) + "/share.age");
    ASSERT_TRUE(es.ok()) << es.status().message();
    EXPECT_TRUE(CheckEditorShare(*es, *roster).ok());
    StatusOr<Scalar> v = Scalar::FromBytes(AsBytes(es->share()));
    ASSERT_TRUE(v.ok());
    shares.emplace(std::make_pair(o, j), std::move(v).value());
  }
  auto combine = [&](std::vector<std::pair<uint32_t, uint32_t>> who) {
    std::vector<NestedShare> ns;
    for (const auto& [o, j] : who) ns.push_back({o, j, shares.at({o, j})});
    StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(ns);
    return x.ok() && Point::BaseMul(*x) == roster->consortium_key;
  };
  EXPECT_TRUE(combine({{1, 1}, {1, 2}, {2, 1}}));
  EXPECT_TRUE(combine({{1, 1}, {1, 2}, {3, 1}}));
  EXPECT_TRUE(combine({{2, 1}, {3, 1}}));
  EXPECT_FALSE(combine({{1, 1}, {2, 1}}));  // org 1 needs both editors
  EXPECT_FALSE(combine({{3, 1}}));

  // The COCKTAIL record is kept and matches the roster.
  v1::CocktailRecord record;
  ASSERT_TRUE(record.ParseFromString(ReadAll(dir_ / "cer/cocktail.record")));
  EXPECT_TRUE(CheckCocktailRecord(record, *roster).ok());

  // The drill passes: every share, every quorum. The one-laptop drill finds
  // each editor's identity next to their share.
  for (const std::string& id : Identities()) {
    fs::copy_file(dir_ / id / "identity.age",
                  dir_ / ("cer" + id.substr(2)) / "identity.age");
  }
  const Result d = Run(Pass({"drill", "--dir", P("cer")}));
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "shares checked: 4; quorum openings: 3"))
      << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;

  // Signing twice is refused.
  const Result again =
      Run(Pass({"roster", "sign", "--dir", P("cer"), "--identity",
                P("in/org1/editor1/identity.age")}));
  EXPECT_EQ(again.exit_code, 3) << again.err;  // ALREADY_EXISTS
}

TEST_F(CeremonyRoundsE2eTest, FinalizeRefusesARosterMissingASignature) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  ASSERT_NO_FATAL_FAILURE(ParticipantsAndEndorsements());
  ASSERT_NO_FATAL_FAILURE(Round1All());
  for (int o = 1; o <= 3; ++o) {
    const std::string s = std::to_string(o);
    Ok({"round2", "--plan", P("plan.bin"), "--participant",
        P("p" + s + "/participant.age"), "--round1", P("x"), "--out",
        P("x/o" + s + ".round2")});
  }
  for (int o = 1; o <= 3; ++o) {
    const std::string s = std::to_string(o);
    Ok({"finish", "--plan", P("plan.bin"), "--participant",
        P("p" + s + "/participant.age"), "--round1", P("x"), "--round2", P("x"),
        "--out", P("cer/org" + s), "--work-factor", "10"});
  }
  // A finish file whose editor split does not match its commitments is
  // refused at assembly, naming the organisation.
  const std::string good = ReadAll(dir_ / "cer/org2/org2.finish");
  v1::FinishFile bad;
  ASSERT_TRUE(bad.ParseFromString(good));
  v1::FinishFile other;
  ASSERT_TRUE(other.ParseFromString(ReadAll(dir_ / "cer/org3/org3.finish")));
  bad.set_editor_verification_shares(0, other.editor_verification_shares(0));
  WriteAll(dir_ / "cer/org2/org2.finish", bad.SerializeAsString());
  const Result a =
      Run({"roster", "assemble", "--plan", P("plan.bin"), "--round1", P("x"),
           "--round2", P("x"), "--finish", P("cer/org1"), "--finish",
           P("cer/org2"), "--finish", P("cer/org3"), "--out", P("cer")});
  EXPECT_EQ(a.exit_code, 2) << a.err;
  EXPECT_TRUE(Contains(a.err, "FAULT: organisation 2")) << a.err;
  EXPECT_FALSE(fs::exists(dir_ / "cer/roster.unsigned"));
  WriteAll(dir_ / "cer/org2/org2.finish", good);
  Ok({"roster", "assemble", "--plan", P("plan.bin"), "--round1", P("x"),
      "--round2", P("x"), "--finish", P("cer/org1"), "--finish", P("cer/org2"),
      "--finish", P("cer/org3"), "--out", P("cer")},
     false);
  for (const std::string& id : Identities()) {
    if (id == "in/org1/editor2") continue;
    Ok({"roster", "sign", "--dir", P("cer"), "--identity",
        P(id + "/identity.age")});
  }
  const Result f = Run({"roster", "finalize", "--dir", P("cer")});
  EXPECT_EQ(f.exit_code, 2) << f.err;
  EXPECT_FALSE(fs::exists(dir_ / "cer/consortium.roster"));
}

TEST_F(CeremonyRoundsE2eTest, TamperedRound1FileNamesItsOrganisation) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  ASSERT_NO_FATAL_FAILURE(ParticipantsAndEndorsements());
  ASSERT_NO_FATAL_FAILURE(Round1All());
  // Flip one byte inside organisation 2's round-1 message.
  v1::Round1File file;
  ASSERT_TRUE(file.ParseFromString(ReadAll(dir_ / "x/o2.round1")));
  std::string msg = file.message();
  msg[40] ^= 0x01;
  file.set_message(msg);
  WriteAll(dir_ / "x/o2.round1", file.SerializeAsString());

  const Result r = Run(Pass({"round2", "--plan", P("plan.bin"), "--participant",
                             P("p1/participant.age"), "--round1", P("x"),
                             "--out", P("x/o1.round2")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "organisation 2")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x/o1.round2"));
  const std::string evidence = ReadAll(dir_ / "x/o1.round2.evidence.txt");
  EXPECT_TRUE(Contains(evidence, "organisation 2")) << evidence;
}

// A round-1 file correctly signed by organisation 2 whose share ciphertext
// for organisation 1 is corrupted: COCKTAIL's own checks at organisation 1
// blame organisation 2 (decryption failure), and the evidence file says so.
TEST_F(CeremonyRoundsE2eTest, BadShareCiphertextBlamesTheSender) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  ASSERT_NO_FATAL_FAILURE(ParticipantsAndEndorsements());
  ASSERT_NO_FATAL_FAILURE(Round1All());
  StatusOr<OpenedSecret> key = ReadSealedFile(
      dir_ / "p2/participant.age", SecretBytes::CopyFrom(AsBytes(kPassphrase)));
  ASSERT_TRUE(key.ok()) << key.status().message();
  StatusOr<Scalar> d = Scalar::FromBytes(
      AsBytes(key->message().participant_key().private_key()));
  ASSERT_TRUE(d.ok());
  v1::Round1File file;
  ASSERT_TRUE(file.ParseFromString(ReadAll(dir_ / "x/o2.round1")));
  StatusOr<cocktail::Round1Message> msg =
      cocktail::DecodeRound1Message(AsBytes(file.message()), 3, 2);
  ASSERT_TRUE(msg.ok());
  msg->ciphertexts[0][3] ^= 0x80;  // c_{2,1}
  const Bytes encoded = cocktail::EncodeRound1Message(*msg);
  Bytes statement(file.plan_fingerprint().begin(),
                  file.plan_fingerprint().end());
  for (uint8_t b : {0, 0, 0, 2}) statement.push_back(b);
  statement.insert(statement.end(), encoded.begin(), encoded.end());
  StatusOr<Bytes> sig = cocktail::SchnorrSign(
      *d, DomainSeparatedMessage(kRound1FileDst, statement));
  ASSERT_TRUE(sig.ok());
  file.set_message(std::string(encoded.begin(), encoded.end()));
  file.set_signature(std::string(sig->begin(), sig->end()));
  WriteAll(dir_ / "x/o2.round1", file.SerializeAsString());

  const Result r = Run(Pass({"round2", "--plan", P("plan.bin"), "--participant",
                             P("p1/participant.age"), "--round1", P("x"),
                             "--out", P("x/o1.round2")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "FAULT: organisation 2")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x/o1.round2"));
  const std::string evidence = ReadAll(dir_ / "x/o1.round2.evidence.txt");
  EXPECT_TRUE(Contains(evidence, "culprit: organisation 2")) << evidence;
  EXPECT_TRUE(Contains(evidence, "reporter: organisation 1")) << evidence;
  // Organisation 3 received an intact share from 2 and certifies.
  const Result ok3 = Run(Pass({"round2", "--plan", P("plan.bin"),
                               "--participant", P("p3/participant.age"),
                               "--round1", P("x"), "--out", P("x/o3.round2")}));
  EXPECT_EQ(ok3.exit_code, 0) << ok3.err;
}

TEST_F(CeremonyRoundsE2eTest, MissingEndorsementIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  for (int o = 1; o <= 3; ++o) {
    Ok({"participant", "new", "--plan", P("plan.bin"), "--org",
        std::to_string(o), "--out", P("p" + std::to_string(o)), "--work-factor",
        "10"});
  }
  for (const std::string& id : Identities()) {
    if (id == "in/org1/editor2") continue;  // this editor does not endorse
    Ok({"endorse", "--plan", P("plan.bin"), "--identity",
        P(id + "/identity.age")});
  }
  const Result r =
      Run(Pass({"round1", "--plan", P("plan.bin"), "--participant",
                P("p1/participant.age"), "--out", P("o1.round1")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "organisation 1: editor 2")) << r.err;
  EXPECT_TRUE(Contains(r.err, "has not endorsed")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "o1.round1"));

  // An endorsement whose signature was altered is refused as well.
  v1::CeremonyPlan plan;
  ASSERT_TRUE(plan.ParseFromString(ReadAll(dir_ / "plan.bin")));
  std::string sig = plan.participants(0).endorsements(0).signature();
  sig[5] ^= 0x01;
  plan.mutable_participants(0)->mutable_endorsements(0)->set_signature(sig);
  WriteAll(dir_ / "plan.bin", plan.SerializeAsString());
  const Result bad =
      Run(Pass({"round1", "--plan", P("plan.bin"), "--participant",
                P("p2/participant.age"), "--out", P("o2.round1")}));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "does not verify")) << bad.err;
}

TEST_F(CeremonyRoundsE2eTest, ParticipantKeyNotInThePlanIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakePlan());
  // A second key for organisation 1 made against a copy of the same plan:
  // it names the right plan but is not the key the editors endorsed.
  fs::copy_file(dir_ / "plan.bin", dir_ / "plan-copy.bin");
  Ok({"participant", "new", "--plan", P("plan-copy.bin"), "--org", "1", "--out",
      P("rogue"), "--work-factor", "10"});
  ASSERT_NO_FATAL_FAILURE(ParticipantsAndEndorsements());
  const Result r =
      Run(Pass({"round1", "--plan", P("plan.bin"), "--participant",
                P("rogue/participant.age"), "--out", P("o1.round1")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "not the plan's participant key")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "o1.round1"));
  // A second participant key for the same organisation is refused too.
  const Result twice =
      Run(Pass({"participant", "new", "--plan", P("plan.bin"), "--org", "1",
                "--out", P("again"), "--work-factor", "10"}));
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "again/participant.age"));
}

TEST_F(CeremonyRoundsE2eTest, DrillNamesACorruptedShareOnSimulateOutput) {
  Ok({"simulate", "--orgs", "3", "--threshold", "2", "--editors", "2:2,1:1,1:1",
      "--work-factor", "10", "--out", P("sim")});
  const Result good = Run(Pass({"drill", "--dir", P("sim")}));
  ASSERT_EQ(good.exit_code, 0) << good.err << good.out;
  EXPECT_TRUE(Contains(good.out, "requester: organisation 1 editor 1"))
      << good.out;
  EXPECT_TRUE(Contains(good.out, "shares checked: 4; quorum openings: 3"))
      << good.out;
  EXPECT_TRUE(Contains(good.out, "drill passed")) << good.out;

  // Replace organisation 1 editor 2's share with a wrong value that still
  // claims the right verification share.
  StatusOr<v1::EditorShare> es = OpenShare("sim/org1/editor2/share.age");
  ASSERT_TRUE(es.ok());
  StatusOr<Point> y = Point::DecodeCompressed(AsBytes(es->consortium_key()));
  StatusOr<Point> y_oj =
      Point::DecodeCompressed(AsBytes(es->verification_share()));
  ASSERT_TRUE(y.ok() && y_oj.ok());
  fs::rename(dir_ / "sim/org1/editor2/share.age", dir_ / "good-share.age");
  ASSERT_TRUE(SealEditorShare(dir_ / "sim/org1/editor2/share.age", *y, 1,
                              Share{2, Scalar::Random()}, *y_oj,
                              SecretBytes::CopyFrom(AsBytes(kPassphrase)), 10)
                  .ok());
  const Result bad = Run(Pass({"drill", "--dir", P("sim")}));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_TRUE(Contains(bad.err, "organisation 1 editor 2")) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "does not match its verification share"))
      << bad.err;
  EXPECT_FALSE(Contains(bad.err, "organisation 2 editor 1")) << bad.err;
  EXPECT_FALSE(Contains(bad.out, "proven: organisation 1 editor 2"));
  EXPECT_FALSE(Contains(bad.out, "drill passed"));

  // Organisation 1 editor 2's share file replaced by editor 1's: named.
  fs::remove(dir_ / "sim/org1/editor2/share.age");
  fs::copy_file(dir_ / "sim/org1/editor1/share.age",
                dir_ / "sim/org1/editor2/share.age");
  const Result swapped = Run(Pass({"drill", "--dir", P("sim")}));
  EXPECT_EQ(swapped.exit_code, 2) << swapped.out;
  EXPECT_TRUE(Contains(swapped.err, "organisation 1 editor 2")) << swapped.err;
  EXPECT_FALSE(Contains(swapped.err, "organisation 3 editor 1")) << swapped.err;
  EXPECT_FALSE(Contains(swapped.out, "drill passed"));

  // A missing identity is named too.
  fs::remove(dir_ / "sim/org1/editor2/share.age");
  fs::rename(dir_ / "good-share.age", dir_ / "sim/org1/editor2/share.age");
  fs::remove(dir_ / "sim/org3/editor1/identity.age");
  const Result no_id = Run(Pass({"drill", "--dir", P("sim")}));
  EXPECT_EQ(no_id.exit_code, 2) << no_id.out;
  EXPECT_TRUE(Contains(no_id.err, "organisation 3 editor 1")) << no_id.err;
  EXPECT_TRUE(Contains(no_id.err, "no identity.age")) << no_id.err;
  EXPECT_TRUE(Contains(no_id.out, "proven: organisation 1 editor 2"))
      << no_id.out;
}

// The per-holder drill (docs/ceremony.md §11a): organisation 1 editor 1
// runs `drill request`, every holder `drill partial` on their own identity
// and share, the requester `drill combine`.
class PerHolderDrillTest : public CeremonyRoundsE2eTest {
 protected:
  void SetUp() override {
    CeremonyRoundsE2eTest::SetUp();
    Ok({"simulate", "--orgs", "5", "--threshold", "3", "--editors",
        "3:2,3:2,1:1,1:1,1:1", "--work-factor", "10", "--out", P("sim")});
    fs::create_directories(dir_ / "partials");
  }
  static std::string Holder(int o, int j) {
    return "organisation " + std::to_string(o) + " editor " + std::to_string(j);
  }
  std::string HolderFile(int o, int j, const std::string& file,
                         const std::string& ceremony = "sim") {
    return P(ceremony + "/org" + std::to_string(o) + "/editor" +
             std::to_string(j) + "/" + file);
  }
  std::string PartialPath(int o, int j) {
    return P("partials/org" + std::to_string(o) + "-editor" +
             std::to_string(j) + ".partial");
  }
  void MakeRequests() {
    Ok({"drill", "request", "--roster", P("sim/consortium.roster"),
        "--identity", HolderFile(1, 1, "identity.age"), "--drill",
        P("sim/drill"), "--out", P("drill.requests")});
  }
  Result Partial(int o, int j, const std::string& requests,
                 const std::string& out) {
    return Run(Pass({"drill", "partial", "--roster", P("sim/consortium.roster"),
                     "--identity", HolderFile(o, j, "identity.age"), "--share",
                     HolderFile(o, j, "share.age"), "--requests", requests,
                     "--out", out}));
  }
  void MakePartials() {
    MakeRequests();
    for (const auto& [o, j] : kHolders) {
      const Result r = Partial(o, j, P("drill.requests"), PartialPath(o, j));
      ASSERT_EQ(r.exit_code, 0) << Holder(o, j) << ": " << r.err << r.out;
    }
  }
  Result Combine() {
    return Run(Pass({"drill", "combine", "--roster", P("sim/consortium.roster"),
                     "--identity", HolderFile(1, 1, "identity.age"),
                     "--requests", P("drill.requests"), "--drill",
                     P("sim/drill"), "--partials", P("partials")}));
  }
  StatusOr<VerifiedRoster> Roster() {
    return ReadRosterFile(dir_ / "sim/consortium.roster");
  }
  StatusOr<quorum::EditorKeys> Keys(const VerifiedRoster& roster, int o,
                                    int j) {
    CONCLAVE_ASSIGN_OR_RETURN(
        OpenedSecret id,
        ReadSealedFile(HolderFile(o, j, "identity.age"),
                       SecretBytes::CopyFrom(AsBytes(kPassphrase))));
    return quorum::EditorKeys::FromIdentity(id.message().editor_identity(),
                                            roster);
  }
  static constexpr std::pair<int, int> kHolders[] = {
      {1, 1}, {1, 2}, {1, 3}, {2, 1}, {2, 2}, {2, 3}, {3, 1}, {4, 1}, {5, 1}};
};

TEST_F(PerHolderDrillTest, EveryHolderIsProven) {
  ASSERT_NO_FATAL_FAILURE(MakePartials());
  const Result r = Combine();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(Contains(r.out, "drill passed: every holder proven")) << r.out;
  EXPECT_TRUE(Contains(r.out, "partials checked: 9")) << r.out;
  EXPECT_TRUE(Contains(r.out, "requester: " + Holder(1, 1))) << r.out;
  for (const auto& [o, j] : kHolders) {
    EXPECT_TRUE(Contains(r.out, "proven: " + Holder(o, j))) << r.out;
  }
  // The partials are approvals of the drill requests, one per drill file.
  v1::ApprovalSet set;
  ASSERT_TRUE(set.ParseFromString(ReadAll(PartialPath(2, 3))));
  EXPECT_EQ(set.approvals_size(), 1);
  v1::RequestSet requests;
  ASSERT_TRUE(requests.ParseFromString(ReadAll(dir_ / "drill.requests")));
  EXPECT_EQ(requests.requests_size(), 1);
  // Only the requester combines: another editor's identity cannot open the
  // approvals sealed to the requester's reply key.
  const Result other = Run(Pass(
      {"drill", "combine", "--roster", P("sim/consortium.roster"), "--identity",
       HolderFile(2, 1, "identity.age"), "--requests", P("drill.requests"),
       "--drill", P("sim/drill"), "--partials", P("partials")}));
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_TRUE(Contains(other.err, "only the requester")) << other.err;
  // The one-laptop drill still passes on the same directory.
  const Result d = Run(Pass({"drill", "--dir", P("sim")}));
  ASSERT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;
}

TEST_F(PerHolderDrillTest, AlteredPartialIsNamedAndFails) {
  ASSERT_NO_FATAL_FAILURE(MakePartials());
  // Organisation 2 editor 3's sealed partial altered on the way.
  v1::ApprovalSet p;
  ASSERT_TRUE(p.ParseFromString(ReadAll(PartialPath(2, 3))));
  ASSERT_GT(p.approvals_size(), 0);
  std::string ct = p.approvals(0).ciphertext();
  ct[70] ^= 1;
  p.mutable_approvals(0)->set_ciphertext(ct);
  WriteAll(PartialPath(2, 3), p.SerializeAsString());
  const Result r = Combine();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, Holder(2, 3))) << r.err;
  EXPECT_TRUE(Contains(r.err, "ciphertext")) << r.err;
  EXPECT_FALSE(Contains(r.err, Holder(2, 1))) << r.err;
  EXPECT_FALSE(Contains(r.out, "proven: " + Holder(2, 3))) << r.out;
  EXPECT_TRUE(Contains(r.out, "proven: " + Holder(2, 1))) << r.out;
  EXPECT_FALSE(Contains(r.out, "drill passed"));
}

TEST_F(PerHolderDrillTest, WrongPartialDecryptionIsNamedAndFails) {
  ASSERT_NO_FATAL_FAILURE(MakePartials());
  // Organisation 2 editor 3 signs an approval whose D is not y_23·R (a
  // broken machine or a bad share): the DLEQ proof fails and names them.
  StatusOr<VerifiedRoster> roster = Roster();
  ASSERT_TRUE(roster.ok()) << roster.status().message();
  StatusOr<quorum::EditorKeys> keys = Keys(*roster, 2, 3);
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  v1::RequestSet requests;
  ASSERT_TRUE(requests.ParseFromString(ReadAll(dir_ / "drill.requests")));
  StatusOr<quorum::VerifiedRequest> request =
      quorum::VerifyRequest(*roster, requests.requests(0));
  ASSERT_TRUE(request.ok()) << request.status().message();
  quorum::PartialDecryption wrong;
  wrong.d = Point::BaseMul(Scalar::Random());
  const quorum::ApprovalAddress address{.request_id = request->id,
                                        .org_id = 2,
                                        .editor_index = 3,
                                        .epoch = request->body.epoch()};
  StatusOr<Bytes> ct = quorum::SealPartial(wrong, request->reply_key, address);
  ASSERT_TRUE(ct.ok()) << ct.status().message();
  v1::ApprovalBody body;
  body.set_request_id(AsString(request->id));
  body.set_header_hash(AsString(request->submission.header_hash));
  body.set_org_id(2);
  body.set_editor_index(3);
  body.set_epoch(request->body.epoch());
  body.set_ciphertext_hash(AsString(Sha256(*ct)));
  v1::ApprovalSet set;
  v1::Approval* a = set.add_approvals();
  *a->mutable_statement() = quorum::SignStatement(
      quorum::kApprovalStatementDst, ToBytes(body.SerializeAsString()), *keys);
  a->set_ciphertext(AsString(*ct));
  fs::remove(PartialPath(2, 3));
  WriteAll(PartialPath(2, 3), set.SerializeAsString());
  const Result r = Combine();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, Holder(2, 3) + " (")) << r.err;
  EXPECT_TRUE(Contains(r.err, "does not verify")) << r.err;
  EXPECT_FALSE(Contains(r.err, Holder(2, 1))) << r.err;
  EXPECT_FALSE(Contains(r.out, "proven: " + Holder(2, 3))) << r.out;
  EXPECT_TRUE(Contains(r.out, "proven: " + Holder(2, 2))) << r.out;
  EXPECT_FALSE(Contains(r.out, "drill passed"));
}

TEST_F(PerHolderDrillTest, MissingPartialFails) {
  ASSERT_NO_FATAL_FAILURE(MakePartials());
  fs::remove(PartialPath(4, 1));
  const Result r = Combine();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, Holder(4, 1) + " (")) << r.err;
  EXPECT_TRUE(Contains(r.err, "no verified partial")) << r.err;
  EXPECT_FALSE(Contains(r.out, "proven: " + Holder(4, 1))) << r.out;
  EXPECT_TRUE(Contains(r.out, "proven: " + Holder(5, 1))) << r.out;
  EXPECT_FALSE(Contains(r.out, "drill passed"));
}

TEST_F(PerHolderDrillTest, IdentityShareOrPartialOfAnotherCeremonyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakePartials());
  Ok({"simulate", "--orgs", "5", "--threshold", "3", "--editors",
      "3:2,3:2,1:1,1:1,1:1", "--work-factor", "10", "--out", P("other")});
  // An identity of another ceremony is not an editor of this roster.
  Result mk =
      Run(Pass({"drill", "partial", "--roster", P("sim/consortium.roster"),
                "--identity", HolderFile(3, 1, "identity.age", "other"),
                "--share", HolderFile(3, 1, "share.age", "other"), "--requests",
                P("drill.requests"), "--out", P("x.partial")}));
  EXPECT_EQ(mk.exit_code, 2) << mk.out;
  EXPECT_TRUE(Contains(mk.err, "does not match the keys")) << mk.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.partial"));
  // A share of another ceremony does not release under this roster.
  mk = Run(Pass({"drill", "partial", "--roster", P("sim/consortium.roster"),
                 "--identity", HolderFile(3, 1, "identity.age"), "--share",
                 HolderFile(3, 1, "share.age", "other"), "--requests",
                 P("drill.requests"), "--out", P("x.partial")}));
  EXPECT_EQ(mk.exit_code, 2) << mk.out;
  EXPECT_TRUE(Contains(mk.err, "another consortium key")) << mk.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.partial"));
  // Requests of another ceremony are refused before any passphrase.
  Ok({"drill", "request", "--roster", P("other/consortium.roster"),
      "--identity", HolderFile(1, 1, "identity.age", "other"), "--drill",
      P("other/drill"), "--out", P("other.requests")});
  mk = Partial(3, 1, P("other.requests"), P("x.partial"));
  EXPECT_EQ(mk.exit_code, 2) << mk.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.partial"));
  // A partial made in the other ceremony is refused by this one's combine
  // and its holder named.
  fs::remove(PartialPath(3, 1));
  Ok({"drill", "partial", "--roster", P("other/consortium.roster"),
      "--identity", HolderFile(3, 1, "identity.age", "other"), "--share",
      HolderFile(3, 1, "share.age", "other"), "--requests", P("other.requests"),
      "--out", PartialPath(3, 1)});
  const Result r = Combine();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, Holder(3, 1))) << r.err;
  EXPECT_TRUE(Contains(r.err, "another roster")) << r.err;
  EXPECT_FALSE(Contains(r.out, "proven: " + Holder(3, 1))) << r.out;
  EXPECT_FALSE(Contains(r.out, "drill passed"));
}

TEST_F(PerHolderDrillTest, RequestForARealSubmissionIsRefused) {
  // A real submission, made as a whistleblower makes it.
  WriteAll(dir_ / "doc.txt", "not a drill\n");
  const Result e = RunProgram(dir_, CONCLAVE_CLI_PATH,
                              {"encrypt", "--to", P("sim/consortium.pub"), "-o",
                               P("real.age"), P("doc.txt")});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  // `drill request` will not ask for it.
  const Result req =
      Run(Pass({"drill", "request", "--roster", P("sim/consortium.roster"),
                "--identity", HolderFile(1, 1, "identity.age"), "--drill",
                P("real.age"), "--out", P("real.requests")}));
  EXPECT_EQ(req.exit_code, 2) << req.out;
  EXPECT_TRUE(Contains(req.err, "not a drill file")) << req.err;
  EXPECT_FALSE(fs::exists(dir_ / "real.requests"));

  // A properly signed request for it, slipped into the drill's request set
  // after the drill requests, is refused by `drill partial`.
  ASSERT_NO_FATAL_FAILURE(MakeRequests());
  StatusOr<VerifiedRoster> roster = Roster();
  ASSERT_TRUE(roster.ok()) << roster.status().message();
  StatusOr<quorum::EditorKeys> keys = Keys(*roster, 1, 1);
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  const std::string real = ReadAll(dir_ / "real.age");
  StatusOr<quorum::NewRequest> request = quorum::MakeRequest(
      *roster, *keys, AsBytes(real),
      {.reason = "ceremony drill",
       .now_unix = static_cast<uint64_t>(std::time(nullptr))});
  ASSERT_TRUE(request.ok()) << request.status().message();
  v1::RequestSet set;
  ASSERT_TRUE(set.ParseFromString(ReadAll(dir_ / "drill.requests")));
  *set.add_requests() = request->statement;
  WriteAll(dir_ / "mixed.requests", set.SerializeAsString());
  Result r = Partial(2, 1, P("mixed.requests"), PartialPath(2, 1));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Contains(r.err, "not a drill file of this roster")) << r.err;
  EXPECT_TRUE(Contains(r.err, quorum::RequestIdHex(request->id))) << r.err;
  EXPECT_FALSE(fs::exists(PartialPath(2, 1)));
  // And alone.
  v1::RequestSet alone;
  *alone.add_requests() = request->statement;
  WriteAll(dir_ / "real.requests", alone.SerializeAsString());
  r = Partial(2, 1, P("real.requests"), PartialPath(2, 1));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Contains(r.err, "audit log")) << r.err;
  EXPECT_FALSE(fs::exists(PartialPath(2, 1)));
}

}  // namespace
}  // namespace conclave::keyceremony
