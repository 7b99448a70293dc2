// End-to-end tests of the membership change as file rounds (conclave-ceremony
// reshare plan … finalize, docs/ceremony.md): the real binary takes a
// simulated 3/2 consortium (organisation 1 with two editors, k = 2) to 4/3:
// organisation 2 leaves, organisations 4 (two editors, k = 2) and 5 join
// with identities and witness keys made by `identity new` / `witness new`,
// dealt by the old quorum {1:1, 1:2, 3:1}. The new roster must pass `verify`
// and `verify-chain`, keep the consortium key, and its new shares must open
// the drill with quorums of 3 organisations (and not with 2). Negatives: a
// tampered dealing names its dealer and aborts, a dealing by an editor who is
// not in the plan's quorum is refused, a missing dealer aborts, a dealer not
// in the plan cannot deal, a certification that is missing is named, and a
// plan that strands a stored submission is refused unless forced. Then a
// refresh round trip on the same rounds.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "keyceremony/reshare.h"
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

// Old editors (all from simulate) and the quorum that deals.
const std::vector<std::pair<int, int>> kOldEditors = {
    {1, 1}, {1, 2}, {2, 1}, {3, 1}};
const std::vector<std::pair<int, int>> kDealers = {{1, 1}, {1, 2}, {3, 1}};
// The new committee's editors: continuing ones, then the new organisations.
const std::vector<std::pair<int, int>> kNewEditors = {{1, 1}, {1, 2}, {3, 1},
                                                      {4, 1}, {4, 2}, {5, 1}};

class ReshareRoundsE2eTest : public ::testing::Test {
 protected:
  // The consortium, the new organisations' keys, the plan and the dealings
  // are made once; every test works on its own copies from there.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-reshare-rounds-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    setup_error_ = new std::string;
    WriteAll(*scratch_ / "pass.txt", std::string(kPassphrase) + "\n");
    auto step = [](const std::vector<std::string>& args) {
      if (!setup_error_->empty()) return;
      const Result r = Run(WithPass(args));
      if (r.exit_code != 0) *setup_error_ = args[0] + ": " + r.err + r.out;
    };
    step({"simulate", "--orgs", "3", "--threshold", "2", "--editors",
          "2:2,1:1,1:1", "--work-factor", "10", "--out", P("d1")});
    for (int o : {4, 5}) {
      step({"witness", "new", "--org", std::to_string(o), "--out",
            P("in/org" + std::to_string(o)), "--work-factor", "10"});
    }
    for (const auto& [o, j] : kNewEditors) {
      if (o < 4) continue;
      step({"identity", "new", "--org", std::to_string(o), "--name",
            "Editor " + std::to_string(j) + " of " + std::to_string(o), "--out",
            P(IdDir(o, j)), "--work-factor", "10"});
    }
    if (!setup_error_->empty()) return;
    const Result plan =
        Run({"reshare", "plan", "--roster", Old(), "--kind", "reshare",
             "--threshold", "3", "--keep", "1,3", "--add-org",
             "2:" + P("in/org4") + ":Org Four", "--add-org",
             "1:" + P("in/org5") + ":Org Five", "--dealers", "1:1,1:2,3:1",
             "--out", P("plan.bin")});
    if (plan.exit_code != 0) {
      *setup_error_ = "plan: " + plan.err + plan.out;
      return;
    }
    plan_out_ = new std::string(plan.out);
    for (const auto& [o, j] : kDealers) {
      step({"reshare", "deal", "--roster", Old(), "--plan", P("plan.bin"),
            "--identity", P(IdDir(o, j) + "/identity.age"), "--share",
            P(OldDir(o, j) + "/share.age"), "--out", P("dealings")});
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
    delete setup_error_;
    delete plan_out_;
  }
  void SetUp() override { ASSERT_EQ(*setup_error_, ""); }

  static std::string P(const std::string& rel) {
    return (*scratch_ / rel).string();
  }
  static std::string Old() { return P("d1/consortium.roster"); }
  static std::string OldDir(int o, int j) {
    return "d1/org" + std::to_string(o) + "/editor" + std::to_string(j);
  }
  // Where an editor's identity lives: continuing editors keep theirs.
  static std::string IdDir(int o, int j) {
    return (o >= 4 ? "in/org" : "d1/org") + std::to_string(o) + "/editor" +
           std::to_string(j);
  }
  static std::vector<std::string> WithPass(std::vector<std::string> args) {
    args.push_back("--passphrase-file");
    args.push_back(P("pass.txt"));
    return args;
  }
  static Result Run(const std::vector<std::string>& args) {
    return RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, args);
  }
  static SecretBytes Pass() {
    return SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
  }

  // `reshare receive` for new editor (o, j) into OUT/orgO/editorJ.
  static Result Receive(int o, int j, const std::string& dealings,
                        const std::string& out, const std::string& certs,
                        const std::string& plan = "plan.bin",
                        const std::string& roster = "",
                        const std::string& old_share = "") {
    std::vector<std::string> args = {
        "reshare",
        "receive",
        "--roster",
        roster.empty() ? Old() : roster,
        "--plan",
        P(plan),
        "--dealings",
        P(dealings),
        "--identity",
        P(IdDir(o, j) + "/identity.age"),
        "--out",
        P(out + "/org" + std::to_string(o) + "/editor" + std::to_string(j) +
          "/share.age"),
        "--certifications",
        P(certs),
        "--work-factor",
        "10"};
    if (!old_share.empty()) {
      args.push_back("--share");
      args.push_back(P(old_share));
    }
    return Run(WithPass(args));
  }

  // A copy of the dealings directory to tamper with.
  static void CopyDealings(const std::string& to) {
    fs::create_directories(*scratch_ / to);
    for (const auto& e : fs::directory_iterator(*scratch_ / "dealings")) {
      fs::copy_file(e.path(), *scratch_ / to / e.path().filename());
    }
  }

  static Scalar ShareOf(const std::string& path) {
    StatusOr<OpenedSecret> s = ReadSealedFile(P(path), Pass());
    EXPECT_TRUE(s.ok()) << path << ": " << s.status().message();
    if (!s.ok()) return Scalar();
    StatusOr<Scalar> v =
        Scalar::FromBytes(AsBytes(s->message().editor_share().share()));
    EXPECT_TRUE(v.ok());
    return v.ok() ? std::move(v).value() : Scalar();
  }

  static fs::path* scratch_;
  static std::string* setup_error_;
  static std::string* plan_out_;
};

fs::path* ReshareRoundsE2eTest::scratch_ = nullptr;
std::string* ReshareRoundsE2eTest::setup_error_ = nullptr;
std::string* ReshareRoundsE2eTest::plan_out_ = nullptr;

TEST_F(ReshareRoundsE2eTest, FourOfThreeKeepsTheKeyAndTheDrillPasses) {
  EXPECT_TRUE(Contains(*plan_out_, "organisation 2 (Organisation 2) LEAVES"))
      << *plan_out_;
  EXPECT_TRUE(Contains(*plan_out_,
                       "organisation 4 (Org Four), NEW: k' = 2 of "
                       "2 editors"))
      << *plan_out_;
  EXPECT_TRUE(Contains(*plan_out_,
                       "dealers (the old quorum, "
                       "organisation:editor): 1:1, 1:2, 3:1"))
      << *plan_out_;
  for (const auto& [o, j] : kNewEditors) {
    const Result r = Receive(o, j, "dealings", "d2", "certs");
    ASSERT_EQ(r.exit_code, 0) << o << ":" << j << " " << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, "all 3 dealings verified")) << r.out;
    // The one-laptop drill finds each editor's identity next to their share.
    fs::copy_file(
        *scratch_ / IdDir(o, j) / "identity.age",
        *scratch_ /
            ("d2/org" + std::to_string(o) + "/editor" + std::to_string(j)) /
            "identity.age");
  }
  // Finish before every certification is in: the missing one is named.
  {
    fs::create_directories(*scratch_ / "certs-partial");
    for (const auto& e : fs::directory_iterator(*scratch_ / "certs")) {
      if (e.path().filename() != "org5-editor1.cert") {
        fs::copy_file(e.path(),
                      *scratch_ / "certs-partial" / e.path().filename());
      }
    }
    const Result r =
        Run({"reshare", "finish", "--roster", Old(), "--plan", P("plan.bin"),
             "--dealings", P("dealings"), "--certifications",
             P("certs-partial"), "--out", P("d2-partial")});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err,
                         "no certification yet from:\n  organisation 5 "
                         "editor 1"))
        << r.err;
  }
  const Result fin = Run({"reshare", "finish", "--roster", Old(), "--plan",
                          P("plan.bin"), "--dealings", P("dealings"),
                          "--certifications", P("certs"), "--out", P("d2")});
  ASSERT_EQ(fin.exit_code, 0) << fin.err << fin.out;

  // Not final before everyone signed.
  {
    const Result early =
        Run({"reshare", "finalize", "--roster", Old(), "--dir", P("d2")});
    EXPECT_NE(early.exit_code, 0);
  }
  // Every dealer and every new editor signs (continuing dealers both ways).
  for (const auto& [o, j] : kNewEditors) {
    const Result r =
        Run(WithPass({"reshare", "sign", "--roster", Old(), "--dir", P("d2"),
                      "--identity", P(IdDir(o, j) + "/identity.age")}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, "signed as new organisation " +
                                    std::to_string(o) + " editor " +
                                    std::to_string(j)))
        << r.out;
    if (o == 1 || o == 3) {
      EXPECT_TRUE(Contains(r.out, "signed and certified as dealer")) << r.out;
    }
  }
  // An editor of the departing organisation is neither.
  {
    const Result r =
        Run(WithPass({"reshare", "sign", "--roster", Old(), "--dir", P("d2"),
                      "--identity", P(OldDir(2, 1) + "/identity.age")}));
    EXPECT_EQ(r.exit_code, 3) << r.err;  // NOT_FOUND
    EXPECT_TRUE(Contains(r.err,
                         "neither an editor of the new roster nor a "
                         "dealer"))
        << r.err;
  }
  const Result final_r =
      Run({"reshare", "finalize", "--roster", Old(), "--dir", P("d2")});
  ASSERT_EQ(final_r.exit_code, 0) << final_r.err << final_r.out;
  EXPECT_TRUE(Contains(final_r.out,
                       "signed by all 6 new editors and all 3 "
                       "dealers"))
      << final_r.out;
  EXPECT_TRUE(Contains(final_r.out, "OLD SHARES MUST BE DESTROYED"));

  // verify and verify-chain.
  const Result v = Run({"verify", P("d2/consortium.roster")});
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  const Result chain = Run({"verify-chain", "--dir", P("d2")});
  EXPECT_EQ(chain.exit_code, 0) << chain.err << chain.out;
  EXPECT_TRUE(Contains(chain.out, "epoch 2 (reshare): 4 organisations, t = 3"))
      << chain.out;
  EXPECT_TRUE(Contains(chain.out, "reshare record OK")) << chain.out;

  // The key is unchanged.
  StatusOr<VerifiedRoster> r1 = ReadRosterFile(P("d1/consortium.roster"));
  StatusOr<VerifiedRoster> r2 = ReadRosterFile(P("d2/consortium.roster"));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r2->consortium_key, r1->consortium_key);
  EXPECT_EQ(ReadAll(*scratch_ / "d1/consortium.pub").substr(0, 60),
            ReadAll(*scratch_ / "d2/consortium.pub").substr(0, 60));
  EXPECT_EQ(r2->body.epoch(), 2u);
  EXPECT_EQ(FindOrganisation(r2->body, 2), nullptr);

  // New shares: three organisations recombine to Y, two do not, and an old
  // share does not mix with new ones.
  std::map<std::pair<int, int>, Scalar> s;
  for (const auto& [o, j] : kNewEditors) {
    s.emplace(std::make_pair(o, j),
              ShareOf("d2/org" + std::to_string(o) + "/editor" +
                      std::to_string(j) + "/share.age"));
  }
  auto opens = [&](const std::vector<std::pair<int, int>>& who,
                   const Scalar* old_org3 = nullptr) {
    std::vector<NestedShare> ns;
    for (const auto& [o, j] : who) {
      const Scalar& v = (o == 3 && old_org3) ? *old_org3 : s.at({o, j});
      ns.push_back({static_cast<uint32_t>(o), static_cast<uint32_t>(j), v});
    }
    StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(ns);
    return x.ok() && Point::BaseMul(*x) == r2->consortium_key;
  };
  EXPECT_TRUE(opens({{3, 1}, {4, 1}, {4, 2}, {5, 1}}));
  EXPECT_TRUE(opens({{1, 1}, {1, 2}, {3, 1}, {5, 1}}));
  EXPECT_FALSE(opens({{4, 1}, {4, 2}, {5, 1}}));  // two organisations
  const Scalar old3 = ShareOf(OldDir(3, 1) + "/share.age");
  EXPECT_FALSE(opens({{3, 1}, {4, 1}, {4, 2}, {5, 1}}, &old3));

  // The drill through the threshold path: every new holder proven, quorums
  // of three new-epoch organisations open the drill file.
  const Result d = Run(WithPass({"drill", "--dir", P("d2")}));
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "shares checked: 6")) << d.out;
  EXPECT_TRUE(Contains(d.out, "proven: organisation 5 editor 1")) << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;
}

TEST_F(ReshareRoundsE2eTest, TamperedDealingNamesTheDealerAndAborts) {
  CopyDealings("tampered");
  const fs::path f = *scratch_ / "tampered/org1-editor2.dealing";
  std::string bytes = ReadAll(f);
  bytes.back() ^= 0x01;  // the signature is the last field
  fs::remove(f);
  WriteAll(f, bytes);
  const Result r = Receive(4, 1, "tampered", "t-out", "t-certs");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "dealer organisation 1 editor 2")) << r.err;
  EXPECT_TRUE(Contains(r.err, "COMPLAINT")) << r.err;
  EXPECT_TRUE(Contains(r.err, "new quorum")) << r.err;
  EXPECT_FALSE(fs::exists(*scratch_ / "t-out/org4/editor1/share.age"));
  EXPECT_FALSE(fs::exists(*scratch_ / "t-certs"));

  // A commitment changed and re-signed by the dealer: the constant term is
  // no longer their verification share; still named.
  v1::ReshareDealing dealing;
  ASSERT_TRUE(dealing.ParseFromString(
      ReadAll(*scratch_ / "dealings/org3-editor1.dealing")));
  v1::ReshareDealingBody body;
  ASSERT_TRUE(body.ParseFromString(dealing.signed_()));
  *body.mutable_commitments()->mutable_consortium_commitments(0) =
      body.commitments().consortium_commitments(1);
  StatusOr<OpenedSecret> id =
      ReadSealedFile(P(OldDir(3, 1) + "/identity.age"), Pass());
  ASSERT_TRUE(id.ok());
  StatusOr<Ed25519PrivateKey> key = Ed25519PrivateKey::FromSeed(
      AsBytes(id->message().editor_identity().ed25519_seed()));
  ASSERT_TRUE(key.ok());
  body.SerializeToString(dealing.mutable_signed_());
  const Ed25519Signature sig = key->Sign(
      DomainSeparatedMessage(kReshareDealingDst, AsBytes(dealing.signed_())));
  dealing.set_signature(std::string(sig.begin(), sig.end()));
  CopyDealings("resigned");
  fs::remove(*scratch_ / "resigned/org3-editor1.dealing");
  WriteAll(*scratch_ / "resigned/org3-editor1.dealing",
           dealing.SerializeAsString());
  const Result r2 = Receive(5, 1, "resigned", "t-out", "t-certs");
  EXPECT_EQ(r2.exit_code, 2) << r2.err;
  EXPECT_TRUE(Contains(r2.err, "dealer organisation 3 editor 1")) << r2.err;
  EXPECT_TRUE(Contains(r2.err, "COMPLAINT")) << r2.err;
}

TEST_F(ReshareRoundsE2eTest, DealingFromOutsideTheQuorumIsRefused) {
  // The departing organisation's editor cannot deal under this plan.
  const Result deal = Run(
      WithPass({"reshare", "deal", "--roster", Old(), "--plan", P("plan.bin"),
                "--identity", P(OldDir(2, 1) + "/identity.age"), "--share",
                P(OldDir(2, 1) + "/share.age"), "--out", P("outsider")}));
  EXPECT_EQ(deal.exit_code, 2) << deal.err;
  EXPECT_TRUE(Contains(deal.err, "organisation 2 editor 1 is not a dealer"))
      << deal.err;

  // A well-signed dealing by that editor, for this plan, slipped in anyway.
  v1::ReshareDealing dealing;
  ASSERT_TRUE(dealing.ParseFromString(
      ReadAll(*scratch_ / "dealings/org3-editor1.dealing")));
  v1::ReshareDealingBody body;
  ASSERT_TRUE(body.ParseFromString(dealing.signed_()));
  body.mutable_commitments()->set_org_id(2);
  body.mutable_commitments()->set_editor_index(1);
  StatusOr<OpenedSecret> id =
      ReadSealedFile(P(OldDir(2, 1) + "/identity.age"), Pass());
  ASSERT_TRUE(id.ok());
  StatusOr<Ed25519PrivateKey> key = Ed25519PrivateKey::FromSeed(
      AsBytes(id->message().editor_identity().ed25519_seed()));
  ASSERT_TRUE(key.ok());
  body.SerializeToString(dealing.mutable_signed_());
  const Ed25519Signature sig = key->Sign(
      DomainSeparatedMessage(kReshareDealingDst, AsBytes(dealing.signed_())));
  dealing.set_signature(std::string(sig.begin(), sig.end()));
  CopyDealings("extra");
  WriteAll(*scratch_ / "extra/org2-editor1.dealing",
           dealing.SerializeAsString());
  const Result r = Receive(1, 1, "extra", "e-out", "e-certs");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "dealer organisation 2 editor 1 is not in the "
                       "agreed quorum"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "COMPLAINT")) << r.err;
  // finish refuses the same directory.
  const Result fin =
      Run({"reshare", "finish", "--roster", Old(), "--plan", P("plan.bin"),
           "--dealings", P("extra"), "--certifications", P("e-certs"), "--out",
           P("e-roster")});
  EXPECT_EQ(fin.exit_code, 2) << fin.err;
  EXPECT_TRUE(Contains(fin.err, "not in the agreed quorum")) << fin.err;
}

TEST_F(ReshareRoundsE2eTest, MissingDealerAborts) {
  CopyDealings("missing");
  fs::remove(*scratch_ / "missing/org3-editor1.dealing");
  const Result r = Receive(4, 2, "missing", "m-out", "m-certs");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "dealer organisation 3 editor 1 of the agreed "
                       "quorum has not dealt"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "COMPLAINT")) << r.err;
  EXPECT_FALSE(fs::exists(*scratch_ / "m-out/org4/editor2/share.age"));
}

TEST_F(ReshareRoundsE2eTest, StrandingPlanRefusedUnlessForced) {
  // Stored submissions as `conclave submissions --json` prints them: one
  // excludes organisation 1, which t' = 4 of {1, 3, 4, 5} cannot afford.
  WriteAll(*scratch_ / "subs.json",
           R"([{"submission_id":"aa11","leaf_index":3,"received_unix":1,)"
           R"("size":10,"excluded_orgs":[1],"header_hash":"00"},)"
           R"({"submission_id":"bb22","leaf_index":4,"received_unix":1,)"
           R"("size":10,"excluded_orgs":[],"header_hash":"00"}])");
  std::vector<std::string> args = {
      "reshare",       "plan",
      "--roster",      Old(),
      "--kind",        "reshare",
      "--threshold",   "4",
      "--keep",        "1,3",
      "--add-org",     "2:" + P("in/org4") + ":Org Four",
      "--add-org",     "1:" + P("in/org5") + ":Org Five",
      "--submissions", P("subs.json"),
      "--out",         P("strand.plan")};
  const Result refused = Run(args);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "1 stored submission(s)")) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "aa11")) << refused.err;
  EXPECT_FALSE(Contains(refused.err, "bb22")) << refused.err;
  EXPECT_FALSE(fs::exists(*scratch_ / "strand.plan"));
  // t' = 3 strands nothing.
  std::vector<std::string> fine = args;
  fine[7] = "3";
  fine.back() = P("fine.plan");
  const Result ok = Run(fine);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  args.push_back("--force");
  const Result forced = Run(args);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(Contains(forced.out, "FORCED: submission aa11 will be stranded"))
      << forced.out;
  // A card made for an id already used is refused with the id to use.
  const Result reused =
      Run({"reshare", "plan", "--roster", Old(), "--kind", "reshare",
           "--threshold", "2", "--keep", "1,3", "--add-org",
           "1:" + P("d1/org2") + ":Again", "--out", P("reused.plan")});
  EXPECT_EQ(reused.exit_code, 2) << reused.err;
  EXPECT_TRUE(Contains(reused.err, "new organisations take ids from 4"))
      << reused.err;
}

TEST_F(ReshareRoundsE2eTest, RefreshRoundTrip) {
  const Result plan = Run({"reshare", "plan", "--roster", Old(), "--kind",
                           "refresh", "--out", P("refresh.plan")});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(Contains(plan.out, "refresh to epoch 2: t' = 2 of 3"))
      << plan.out;
  // Default dealers: the first t organisations, their first k_o editors.
  EXPECT_TRUE(Contains(plan.out, "organisation:editor): 1:1, 1:2, 2:1"))
      << plan.out;
  for (const auto& [o, j] :
       std::vector<std::pair<int, int>>{{1, 1}, {1, 2}, {2, 1}}) {
    const Result r = Run(WithPass(
        {"reshare", "deal", "--roster", Old(), "--plan", P("refresh.plan"),
         "--identity", P(OldDir(o, j) + "/identity.age"), "--share",
         P(OldDir(o, j) + "/share.age"), "--out", P("rf-dealings")}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // A refresh adds to the current share: without it, refused.
  {
    const Result r =
        Receive(1, 1, "rf-dealings", "d3", "rf-certs", "refresh.plan");
    EXPECT_EQ(r.exit_code, 1) << r.err;
  }
  for (const auto& [o, j] : kOldEditors) {
    const Result r = Run(
        WithPass({"reshare", "receive", "--roster", Old(), "--plan",
                  P("refresh.plan"), "--dealings", P("rf-dealings"),
                  "--identity", P(OldDir(o, j) + "/identity.age"), "--share",
                  P(OldDir(o, j) + "/share.age"), "--out",
                  P("d3/org" + std::to_string(o) + "/editor" +
                    std::to_string(j) + "/share.age"),
                  "--certifications", P("rf-certs"), "--work-factor", "10"}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    fs::copy_file(
        *scratch_ / OldDir(o, j) / "identity.age",
        *scratch_ /
            ("d3/org" + std::to_string(o) + "/editor" + std::to_string(j)) /
            "identity.age");
  }
  const Result fin =
      Run({"reshare", "finish", "--roster", Old(), "--plan", P("refresh.plan"),
           "--dealings", P("rf-dealings"), "--certifications", P("rf-certs"),
           "--out", P("d3"), "--shred"});
  ASSERT_EQ(fin.exit_code, 0) << fin.err << fin.out;
  EXPECT_FALSE(fs::exists(*scratch_ / "rf-dealings/org1-editor1.dealing"));
  for (const auto& [o, j] : kOldEditors) {
    const Result r =
        Run(WithPass({"reshare", "sign", "--roster", Old(), "--dir", P("d3"),
                      "--identity", P(OldDir(o, j) + "/identity.age")}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const Result again =
      Run(WithPass({"reshare", "sign", "--roster", Old(), "--dir", P("d3"),
                    "--identity", P(OldDir(1, 1) + "/identity.age")}));
  EXPECT_EQ(again.exit_code, 3) << again.err;  // ALREADY_EXISTS
  const Result final_r =
      Run({"reshare", "finalize", "--roster", Old(), "--dir", P("d3")});
  ASSERT_EQ(final_r.exit_code, 0) << final_r.err << final_r.out;
  const Result chain = Run({"verify-chain", "--dir", P("d3")});
  EXPECT_EQ(chain.exit_code, 0) << chain.err << chain.out;
  EXPECT_TRUE(Contains(chain.out, "epoch 2 (refresh): 3 organisations, t = 2"))
      << chain.out;

  StatusOr<VerifiedRoster> r1 = ReadRosterFile(P("d1/consortium.roster"));
  StatusOr<VerifiedRoster> r3 = ReadRosterFile(P("d3/consortium.roster"));
  ASSERT_TRUE(r1.ok() && r3.ok());
  EXPECT_EQ(r3->consortium_key, r1->consortium_key);
  // Every share changed; new shares open, old and new do not mix.
  const Scalar old21 = ShareOf(OldDir(2, 1) + "/share.age");
  const Scalar new21 = ShareOf("d3/org2/editor1/share.age");
  EXPECT_NE(Point::BaseMul(old21), Point::BaseMul(new21));
  const Scalar new31 = ShareOf("d3/org3/editor1/share.age");
  auto opens = [&](const Scalar& a, const Scalar& b) {
    std::vector<NestedShare> ns = {{2, 1, a}, {3, 1, b}};
    StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(ns);
    return x.ok() && Point::BaseMul(*x) == r1->consortium_key;
  };
  EXPECT_TRUE(opens(new21, new31));
  EXPECT_FALSE(opens(old21, new31));
  const Result d = Run(WithPass({"drill", "--dir", P("d3")}));
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_TRUE(Contains(d.out, "drill passed")) << d.out;
}

}  // namespace
}  // namespace conclave::keyceremony
