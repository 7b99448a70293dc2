// End-to-end tests of conclave-ceremony: the real binary runs a simulated
// ceremony (5 organisations, t = 3, editors 3:2,3:2,1:1,1:1,1:1, work
// factor 10); the outputs are then checked from outside: the roster
// verifies, sealed files open with the passphrase (and a wrong one is a
// clear error), every t-subset of organisations with k_o editors each
// recombines Y from the editors' shares and no smaller set does, drill files
// are valid drills listed in the roster, and `conclave encrypt --to
// DIR/consortium.pub` makes a submission that the recombined key opens.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/io.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "crypto/ed25519.h"
#include "keyceremony/roster.h"
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

// All k-subsets of `items`.
std::vector<std::vector<uint32_t>> Subsets(const std::vector<uint32_t>& items,
                                           size_t k) {
  std::vector<std::vector<uint32_t>> out;
  std::vector<bool> pick(items.size(), false);
  std::fill(pick.begin(), pick.begin() + static_cast<long>(k), true);
  do {
    std::vector<uint32_t> s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (pick[i]) s.push_back(items[i]);
    }
    out.push_back(s);
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return out;
}

std::vector<uint32_t> Range(uint32_t n) {
  std::vector<uint32_t> v;
  for (uint32_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

class CeremonyE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-ceremony-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    WriteAll(*scratch_ / "pass.txt", std::string(kPassphrase) + "\n");
    WriteAll(*scratch_ / "wrong.txt", "not the passphrase\n");
    out_ = new fs::path(*scratch_ / "ceremony");
    setup_ = new Result(RunProgram(
        *scratch_, CONCLAVE_CEREMONY_PATH,
        {"simulate", "--orgs", "5", "--threshold", "3", "--editors",
         "3:2,3:2,1:1,1:1,1:1", "--work-factor", "10", "--out", out_->string(),
         "--passphrase-file", (*scratch_ / "pass.txt").string()}));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
    delete out_;
    delete setup_;
  }
  void SetUp() override { ASSERT_EQ(setup_->exit_code, 0) << setup_->err; }

  static SecretBytes Pass() {
    return SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
  }
  static fs::path EditorDir(uint32_t o, uint32_t j) {
    return *out_ / ("org" + std::to_string(o)) / ("editor" + std::to_string(j));
  }
  static std::string Pass_file() { return (*scratch_ / "pass.txt").string(); }

  // Every editor's share, opened and checked against the roster.
  std::map<std::pair<uint32_t, uint32_t>, Scalar> OpenAllShares(
      const VerifiedRoster& roster) {
    std::map<std::pair<uint32_t, uint32_t>, Scalar> shares;
    for (const v1::RosterOrganisation& org : roster.body.organisations()) {
      for (const v1::RosterEditor& e : org.editors()) {
        StatusOr<OpenedSecret> opened = ReadSealedFile(
            EditorDir(org.id(), e.index()) / "share.age", Pass());
        EXPECT_TRUE(opened.ok()) << opened.status().ToString();
        if (!opened.ok()) continue;
        EXPECT_TRUE(opened->message().has_editor_share());
        const v1::EditorShare& s = opened->message().editor_share();
        EXPECT_EQ(s.org_id(), org.id());
        EXPECT_EQ(s.editor_index(), e.index());
        EXPECT_EQ(s.epoch(), 1u);
        EXPECT_TRUE(CheckEditorShare(s, roster).ok());
        StatusOr<Scalar> y = Scalar::FromBytes(AsBytes(s.share()));
        EXPECT_TRUE(y.ok());
        if (y.ok()) shares[{org.id(), e.index()}] = *y;
      }
    }
    return shares;
  }

  static fs::path* scratch_;
  static fs::path* out_;
  static Result* setup_;
};

fs::path* CeremonyE2eTest::scratch_ = nullptr;
fs::path* CeremonyE2eTest::out_ = nullptr;
Result* CeremonyE2eTest::setup_ = nullptr;

TEST_F(CeremonyE2eTest, LayoutAndVerify) {
  for (const char* f : {"consortium.pub", "consortium.roster", "log.age",
                        "log.vkey", "drill/drill-1.age", "cocktail.record"}) {
    EXPECT_TRUE(fs::is_regular_file(*out_ / f)) << f;
  }
  const uint32_t editors[] = {3, 3, 1, 1, 1};
  for (uint32_t o = 1; o <= 5; ++o) {
    const fs::path org = *out_ / ("org" + std::to_string(o));
    EXPECT_TRUE(fs::is_regular_file(org / "witness.age")) << o;
    for (uint32_t j = 1; j <= editors[o - 1]; ++j) {
      for (const char* f : {"identity.age", "share.age", "editor.card"}) {
        EXPECT_TRUE(fs::is_regular_file(EditorDir(o, j) / f)) << o << j << f;
      }
      // Sealed files are private.
      EXPECT_EQ(fs::status(EditorDir(o, j) / "share.age").permissions() &
                    (fs::perms::group_all | fs::perms::others_all),
                fs::perms::none);
    }
    EXPECT_FALSE(
        fs::exists(org / ("editor" + std::to_string(editors[o - 1] + 1))));
  }
  EXPECT_FALSE(fs::exists(*out_ / "org6"));

  const Result v =
      RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", (*out_ / "consortium.roster").string()});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_TRUE(Contains(v.out,
                       "roster OK: epoch 1, 5 organisations, "
                       "threshold 3 (COCKTAIL-DKG)"))
      << v.out;
  EXPECT_TRUE(Contains(v.out, "organisation 1 (Organisation 1): 2 of 3"));

  StatusOr<VerifiedRoster> roster = ReadRosterFile(*out_ / "consortium.roster");
  ASSERT_TRUE(roster.ok()) << roster.status().ToString();
  EXPECT_TRUE(Contains(v.out, HexEncode(roster->fingerprint)));
  EXPECT_EQ(roster->body.transcript_hash().size(), 32u);
  // consortium.pub: the age1tag1 recipient of Y on the first line.
  const std::string pub = ReadAll(*out_ / "consortium.pub");
  const std::string first = pub.substr(0, pub.find('\n'));
  EXPECT_EQ(first, age::EncodeP256TagRecipient(roster->consortium_key));
  EXPECT_TRUE(first.starts_with("age1tag1"));
}

TEST_F(CeremonyE2eTest, EveryQuorumRecombinesYAndNoSmallerSetDoes) {
  StatusOr<VerifiedRoster> roster = ReadRosterFile(*out_ / "consortium.roster");
  ASSERT_TRUE(roster.ok());
  const Point& y = roster->consortium_key;
  const auto shares = OpenAllShares(*roster);
  ASSERT_EQ(shares.size(), 9u);
  OrgThresholds k;
  std::map<uint32_t, uint32_t> n;
  for (const v1::RosterOrganisation& org : roster->body.organisations()) {
    k[org.id()] = org.editor_threshold();
    n[org.id()] = org.editor_count();
  }
  auto points_for = [&](const NestedSelection& sel) {
    std::vector<NestedPoint> pts;
    for (const auto& [o, js] : sel) {
      for (uint32_t j : js) {
        pts.push_back({o, j, Point::BaseMul(shares.at({o, j}))});
      }
    }
    return pts;
  };

  // Every t-subset of organisations, and within each organisation every
  // k_o-subset of its editors.
  size_t quorums = 0;
  for (const std::vector<uint32_t>& orgs : Subsets(Range(5), 3)) {
    std::vector<NestedSelection> selections = {{}};
    for (uint32_t o : orgs) {
      std::vector<NestedSelection> next;
      for (const NestedSelection& partial : selections) {
        for (const std::vector<uint32_t>& eds : Subsets(Range(n[o]), k[o])) {
          NestedSelection s = partial;
          s[o] = eds;
          next.push_back(s);
        }
      }
      selections = next;
    }
    for (const NestedSelection& sel : selections) {
      StatusOr<Point> got =
          NestedInterpolatePointsAtZero(points_for(sel), 3, k);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, y);
      ++quorums;
    }
  }
  // 3-subsets of 5 organisations: 3 hold both organisations 1 and 2 (3·3
  // editor pairs), 6 hold one of them (3 pairs), 1 holds neither.
  EXPECT_EQ(quorums, 3u * 9 + 6u * 3 + 1u);

  // t - 1 organisations (with k_o editors each) never give Y.
  for (const std::vector<uint32_t>& orgs : Subsets(Range(5), 2)) {
    NestedSelection sel;
    for (uint32_t o : orgs) sel[o] = Range(k[o]);
    StatusOr<Point> got = NestedInterpolatePointsAtZero(points_for(sel));
    ASSERT_TRUE(got.ok());
    EXPECT_NE(*got, y);
    EXPECT_FALSE(NestedInterpolatePointsAtZero(points_for(sel), 3, k).ok());
  }
  // t organisations, but one of them with only k_o - 1 editors.
  for (uint32_t short_org : {1u, 2u}) {
    for (uint32_t j = 1; j <= 3; ++j) {
      NestedSelection sel;
      for (uint32_t o : {1u, 2u, 3u}) sel[o] = Range(k[o]);
      sel[short_org] = {j};
      StatusOr<Point> got = NestedInterpolatePointsAtZero(points_for(sel));
      ASSERT_TRUE(got.ok());
      EXPECT_NE(*got, y) << short_org << "/" << j;
      EXPECT_FALSE(NestedInterpolatePointsAtZero(points_for(sel), 3, k).ok());
    }
  }
}

TEST_F(CeremonyE2eTest, SealedFilesOpenAndMatchTheRoster) {
  StatusOr<VerifiedRoster> roster = ReadRosterFile(*out_ / "consortium.roster");
  ASSERT_TRUE(roster.ok());
  for (const v1::RosterOrganisation& org : roster->body.organisations()) {
    StatusOr<OpenedSecret> w = ReadSealedFile(
        *out_ / ("org" + std::to_string(org.id())) / "witness.age", Pass());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(w->message().has_witness_key());
    const v1::WitnessKey& wk = w->message().witness_key();
    EXPECT_EQ(wk.org_id(), org.id());
    StatusOr<Ed25519PrivateKey> wkey =
        Ed25519PrivateKey::FromSeed(AsBytes(wk.ed25519_seed()));
    ASSERT_TRUE(wkey.ok());
    EXPECT_EQ(audit::EncodeVerifierKey(wk.name(), audit::kSigTypeCosignatureV1,
                                       wkey->public_key()),
              org.witness_vkey());
    for (const v1::RosterEditor& e : org.editors()) {
      StatusOr<OpenedSecret> id = ReadSealedFile(
          EditorDir(org.id(), e.index()) / "identity.age", Pass());
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_TRUE(id->message().has_editor_identity());
      const v1::EditorIdentity& ei = id->message().editor_identity();
      EXPECT_EQ(ei.org_id(), org.id());
      EXPECT_EQ(ei.editor_index(), e.index());
      EXPECT_EQ(ei.name(), e.name());
      StatusOr<Ed25519PrivateKey> sk =
          Ed25519PrivateKey::FromSeed(AsBytes(ei.ed25519_seed()));
      ASSERT_TRUE(sk.ok());
      EXPECT_EQ(std::string(sk->public_key().begin(), sk->public_key().end()),
                e.ed25519_public_key());
      StatusOr<Scalar> d = Scalar::FromBytes(AsBytes(ei.p256_private_key()));
      ASSERT_TRUE(d.ok());
      const CompressedPoint pk = Point::BaseMul(*d).EncodeCompressed();
      EXPECT_EQ(std::string(pk.begin(), pk.end()), e.p256_public_key());
    }
  }
  StatusOr<OpenedSecret> log = ReadSealedFile(*out_ / "log.age", Pass());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log->message().has_log_key());
  StatusOr<Ed25519PrivateKey> lk = Ed25519PrivateKey::FromSeed(
      AsBytes(log->message().log_key().ed25519_seed()));
  ASSERT_TRUE(lk.ok());
  EXPECT_EQ(audit::EncodeVerifierKey(log->message().log_key().origin(),
                                     audit::kSigTypeEd25519, lk->public_key()),
            roster->body.log_vkey());
}

TEST_F(CeremonyE2eTest, WrongPassphraseIsAClearError) {
  const SecretBytes wrong =
      SecretBytes::CopyFrom(AsBytes(std::string_view("not the passphrase")));
  StatusOr<OpenedSecret> s =
      ReadSealedFile(EditorDir(1, 1) / "share.age", wrong);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(s.status().message(), "passphrase"));

  const std::string share = (EditorDir(1, 1) / "share.age").string();
  Result r = RunProgram(
      *scratch_, CONCLAVE_CEREMONY_PATH,
      {"verify", (*out_ / "consortium.roster").string(), "--share", share,
       "--passphrase-file", (*scratch_ / "wrong.txt").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "passphrase")) << r.err;
  EXPECT_TRUE(Contains(r.err, "share.age")) << r.err;
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", (*out_ / "consortium.roster").string(), "--share",
                  share, "--passphrase-file", Pass_file()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "share OK: organisation 1 editor 1")) << r.out;
  // A share checked against another consortium's roster is refused.
  const fs::path other = *scratch_ / "other";
  ASSERT_EQ(RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                       {"dealer", "--orgs", "2", "--threshold", "1",
                        "--work-factor", "10", "--out", other.string(),
                        "--passphrase-file", Pass_file()})
                .exit_code,
            0);
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", (other / "consortium.roster").string(), "--share",
                  share, "--passphrase-file", Pass_file()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "another consortium key")) << r.err;
}

// An independent age implementation (Go age, given the passphrase on a
// pseudo-terminal through script(1), since age reads passphrases only from a
// terminal) opens a sealed share; its plaintext is the SealedSecret we read.
// Fails, never skips, without age or script.
TEST_F(CeremonyE2eTest, IndependentAgeOpensSealedFiles) {
  const std::string age_bin = CONCLAVE_AGE_BIN,
                    script_bin = CONCLAVE_SCRIPT_BIN;
  ASSERT_FALSE(age_bin.empty() || age_bin.ends_with("NOTFOUND"))
      << "the age command (filippo.io/age) is needed for this test";
  ASSERT_FALSE(script_bin.empty() || script_bin.ends_with("NOTFOUND"))
      << "script(1) is needed for this test";
  const fs::path sealed = EditorDir(2, 3) / "share.age";
  const fs::path plain = *scratch_ / "age-plain.bin";
  Result r = RunProgram(
      *scratch_, script_bin,
      {"-qec", age_bin + " -d -o " + plain.string() + " " + sealed.string(),
       "/dev/null"},
      Pass_file());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  v1::SealedSecret from_age;
  ASSERT_TRUE(from_age.ParseFromString(ReadAll(plain)));
  StatusOr<OpenedSecret> ours = ReadSealedFile(sealed, Pass());
  ASSERT_TRUE(ours.ok());
  ASSERT_TRUE(from_age.has_editor_share());
  EXPECT_EQ(from_age.editor_share().share(),
            ours->message().editor_share().share());
  EXPECT_EQ(from_age.editor_share().org_id(), 2u);
  EXPECT_EQ(from_age.editor_share().editor_index(), 3u);
  fs::remove(plain);
  // And age refuses the wrong passphrase.
  r = RunProgram(
      *scratch_, script_bin,
      {"-qec", age_bin + " -d -o " + plain.string() + " " + sealed.string(),
       "/dev/null"},
      (*scratch_ / "wrong.txt").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(plain));
}

TEST_F(CeremonyE2eTest, DrillFilesAreListedDrills) {
  StatusOr<VerifiedRoster> roster = ReadRosterFile(*out_ / "consortium.roster");
  ASSERT_TRUE(roster.ok());
  ASSERT_EQ(roster->body.drill_submission_ids_size(), 1);
  const std::string file = ReadAll(*out_ / "drill" / "drill-1.age");
  age::MemoryReader reader(AsBytes(file));
  StatusOr<age::Header> header = age::ReadAgeFileHeader(reader);
  ASSERT_TRUE(header.ok());
  StatusOr<age::SubmissionInfo> info = age::ValidateSubmission(
      *header, roster->consortium_key,
      {.allow_drill = true, .max_exclusions = std::nullopt});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->kind, SenderProofKind::kDrill);
  EXPECT_EQ(info->id, roster->body.drill_submission_ids(0));
  // Intake refuses drills.
  EXPECT_EQ(
      age::ValidateSubmission(*header, roster->consortium_key).status().code(),
      StatusCode::kPermissionDenied);
}

// `conclave encrypt --to DIR/consortium.pub` on the ceremony's output; a
// quorum's shares (recombined here, test-only) open it and the drill file.
TEST_F(CeremonyE2eTest, ConclaveEncryptToTheConsortium) {
  const std::string plaintext = "a document for the consortium\n";
  WriteAll(*scratch_ / "doc.txt", plaintext);
  const fs::path sub = *scratch_ / "doc.age";
  Result r = RunProgram(*scratch_, CONCLAVE_CLI_PATH,
                        {"encrypt", "--to", (*out_ / "consortium.pub").string(),
                         "-o", sub.string(), (*scratch_ / "doc.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  StatusOr<VerifiedRoster> roster = ReadRosterFile(*out_ / "consortium.roster");
  ASSERT_TRUE(roster.ok());
  const auto shares = OpenAllShares(*roster);
  OrgThresholds k;
  for (const v1::RosterOrganisation& org : roster->body.organisations()) {
    k[org.id()] = org.editor_threshold();
  }
  // Organisations 1, 2, 5 with editors {2,3}, {1,3}, {1}.
  std::vector<NestedShare> quorum = {{1, 2, shares.at({1, 2})},
                                     {1, 3, shares.at({1, 3})},
                                     {2, 1, shares.at({2, 1})},
                                     {2, 3, shares.at({2, 3})},
                                     {5, 1, shares.at({5, 1})}};
  StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(quorum, 3, k);
  ASSERT_TRUE(x.ok());
  ASSERT_EQ(Point::BaseMul(*x), roster->consortium_key);
  StatusOr<age::P256TagIdentity> id = age::P256TagIdentity::FromScalar(*x);
  ASSERT_TRUE(id.ok());
  const age::Identity* ids[] = {&*id};
  StatusOr<SecretBytes> got = age::DecryptToMemory(AsBytes(ReadAll(sub)), ids);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsStringView(got->span()), plaintext);
  StatusOr<SecretBytes> drill = age::DecryptToMemory(
      AsBytes(ReadAll(*out_ / "drill" / "drill-1.age")), ids);
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  EXPECT_TRUE(Contains(std::string(AsStringView(drill->span())),
                       "Conclave drill file 1"));
}

TEST_F(CeremonyE2eTest, CocktailRecordChecks) {
  const std::string roster = (*out_ / "consortium.roster").string();
  const fs::path record_path = *out_ / "cocktail.record";
  Result r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                        {"verify", roster, "--cocktail", record_path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "COCKTAIL record OK: 5 CertEq signatures"))
      << r.out;

  v1::CocktailRecord record;
  ASSERT_TRUE(record.ParseFromString(ReadAll(record_path)));
  const fs::path bad = *scratch_ / "bad.record";
  // A CertEq signature altered: the culprit's position is named.
  v1::CocktailRecord changed = record;
  changed.mutable_certeq_signatures(3)->back() ^= 1;
  WriteAll(bad, changed.SerializeAsString());
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", roster, "--cocktail", bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "CertEq signature of position 4")) << r.err;
  // A signature missing.
  changed = record;
  changed.mutable_certeq_signatures()->RemoveLast();
  WriteAll(bad, changed.SerializeAsString());
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", roster, "--cocktail", bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "4 CertEq signatures, expected 5")) << r.err;
  // The transcript altered (it no longer hashes to the roster's hash).
  changed = record;
  changed.mutable_transcript()->back() ^= 1;
  WriteAll(bad, changed.SerializeAsString());
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", roster, "--cocktail", bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "not the roster's transcript hash")) << r.err;
  // A dealer roster has no COCKTAIL record.
  const fs::path dealer = *scratch_ / "dealer-for-record";
  ASSERT_EQ(RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                       {"dealer", "--orgs", "2", "--threshold", "2",
                        "--work-factor", "10", "--out", dealer.string(),
                        "--passphrase-file", Pass_file()})
                .exit_code,
            0);
  EXPECT_FALSE(fs::exists(dealer / "cocktail.record"));
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", (dealer / "consortium.roster").string(),
                  "--cocktail", record_path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "not made by COCKTAIL-DKG")) << r.err;
}

TEST_F(CeremonyE2eTest, TamperedRosterFailsVerify) {
  const std::string good = ReadAll(*out_ / "consortium.roster");
  StatusOr<VerifiedRoster> roster = VerifyEncodedRoster(AsBytes(good));
  ASSERT_TRUE(roster.ok());
  // Flip one byte of the consortium key inside the signed body.
  const std::string& y = roster->body.consortium_key();
  const size_t at = good.find(y);
  ASSERT_NE(at, std::string::npos);
  std::string bad = good;
  bad[at + 5] ^= 0x01;
  const fs::path path = *scratch_ / "tampered.roster";
  WriteAll(path, bad);
  Result r =
      RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, {"verify", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "does not verify")) << r.err;
  EXPECT_TRUE(Contains(r.err, "organisation 1 editor 1")) << r.err;
  // Garbage and a missing file.
  WriteAll(path, "garbage");
  EXPECT_EQ(
      RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, {"verify", path.string()})
          .exit_code,
      2);
  EXPECT_EQ(RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                       {"verify", (*scratch_ / "absent").string()})
                .exit_code,
            3);
}

TEST_F(CeremonyE2eTest, DealerOutputsVerify) {
  const fs::path dir = *scratch_ / "dealer";
  Result r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                        {"dealer", "--orgs", "4", "--threshold", "2",
                         "--editors", "2:1", "--work-factor", "10", "--out",
                         dir.string(), "--passphrase-file", Pass_file()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"verify", (dir / "consortium.roster").string(), "--share",
                  (dir / "org4" / "editor2" / "share.age").string(),
                  "--passphrase-file", Pass_file()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "TRUSTED DEALER")) << r.out;
}

TEST_F(CeremonyE2eTest, SingleKeyCommands) {
  const fs::path dir = *scratch_ / "single";
  Result r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                        {"identity", "new", "--org", "3", "--name", "Ana Silva",
                         "--out", (dir / "ana").string(), "--work-factor", "10",
                         "--passphrase-file", Pass_file()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::PublicCard card;
  ASSERT_TRUE(card.ParseFromString(ReadAll(dir / "ana" / "editor.card")));
  StatusOr<v1::PublicCardBody> body = VerifyPublicCard(card);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->org_id(), 3u);
  EXPECT_EQ(body->name(), "Ana Silva");
  StatusOr<OpenedSecret> id =
      ReadSealedFile(dir / "ana" / "identity.age", Pass());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->message().editor_identity().name(), "Ana Silva");
  // Never overwritten.
  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"identity", "new", "--org", "3", "--name", "Ana Silva",
                  "--out", (dir / "ana").string(), "--work-factor", "10",
                  "--passphrase-file", Pass_file()});
  EXPECT_EQ(r.exit_code, 3) << r.err;

  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"witness", "new", "--org", "3", "--out", (dir / "w").string(),
                  "--work-factor", "10", "--passphrase-file", Pass_file()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("witness-org3+")) << r.out;
  EXPECT_EQ(ReadAll(dir / "w" / "witness.vkey"), r.out);
  StatusOr<audit::VerifierKey> wv =
      audit::ParseVerifierKey(r.out.substr(0, r.out.size() - 1));
  ASSERT_TRUE(wv.ok());
  EXPECT_EQ(wv->sig_type, audit::kSigTypeCosignatureV1);

  r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH,
                 {"log-key", "new", "--origin", "log.example.org", "--out",
                  (dir / "l").string(), "--work-factor", "10",
                  "--passphrase-file", Pass_file()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  StatusOr<audit::VerifierKey> lv =
      audit::ParseVerifierKey(r.out.substr(0, r.out.size() - 1));
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ(lv->sig_type, audit::kSigTypeEd25519);
  EXPECT_EQ(lv->name, "log.example.org");
}

TEST_F(CeremonyE2eTest, UsageErrorsAndHelp) {
  const std::string pf = Pass_file();
  const std::string out = (*scratch_ / "usage").string();
  struct Case {
    std::vector<std::string> args;
    int code;
  };
  const std::vector<Case> cases = {
      {{}, 1},
      {{"frobnicate"}, 1},
      {{"identity"}, 1},
      {{"simulate", "--orgs", "3", "--threshold", "4", "--out", out,
        "--passphrase-file", pf},
       1},
      {{"simulate", "--orgs", "3", "--threshold", "2", "--passphrase-file", pf},
       1},
      {{"simulate", "--orgs", "3", "--threshold", "2", "--editors", "2:3",
        "--out", out, "--passphrase-file", pf},
       1},
      {{"simulate", "--orgs", "3", "--threshold", "2", "--editors", "1:1,1:1",
        "--out", out, "--passphrase-file", pf},
       1},
      {{"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "9",
        "--out", out, "--passphrase-file", pf},
       1},
      {{"simulate", "--orgs", "3", "--threshold", "2", "--bogus"}, 1},
      // Without a terminal and without --passphrase-file: a clear refusal.
      {{"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
        "--out", out},
       2},
      {{"identity", "new", "--org", "0", "--name", "x", "--out", out}, 1},
      // An existing, non-empty output directory is never reused.
      {{"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
        "--out", out_->string(), "--passphrase-file", pf},
       3},
  };
  for (const Case& c : cases) {
    Result r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(r.exit_code, c.code) << joined << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  EXPECT_FALSE(fs::exists(*scratch_ / "usage" / "consortium.roster"));
  for (const std::vector<std::string>& help :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"identity", "new", "--help"},
                                             {"witness", "new", "--help"},
                                             {"log-key", "new", "--help"},
                                             {"simulate", "--help"},
                                             {"dealer", "--help"},
                                             {"verify", "--help"}}) {
    Result r = RunProgram(*scratch_, CONCLAVE_CEREMONY_PATH, help);
    EXPECT_EQ(r.exit_code, 0) << help[0];
    EXPECT_TRUE(Contains(r.out, "Exit codes")) << help[0];
    EXPECT_TRUE(Contains(r.out, "xample")) << help[0];  // shows an example
  }
}

}  // namespace
}  // namespace conclave::keyceremony
