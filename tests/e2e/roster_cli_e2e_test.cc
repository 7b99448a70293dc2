// End to end: the programs that take --roster, on the roster of one real
// `conclave-ceremony simulate` run (5 organisations, t = 3, work factor 10):
// conclave encrypt (names, the m − t limit, a tampered roster), conclave
// inspect (names, the limit), conclave audit verify --offline --roster (an
// export of the roster's log cosigned by the roster's witnesses) and
// conclave-witness --roster.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "age/age.h"
#include "age/submission.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"
#include "sealed/sealed_file.h"
#include "tests/e2e/program.h"

extern char** environ;

namespace conclave {
namespace {

namespace fs = std::filesystem;

constexpr char kPassphrase[] = "correct horse battery staple";

using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

using testing::SpawnProgram;

// The files in `dir` (to check that a refused command left nothing).
std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Ed25519PrivateKey SeedKey(const std::string& seed) {
  return Ed25519PrivateKey::FromSeed(AsBytes(seed)).value();
}

class RosterCliE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-roster-cli-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    sim_ = new fs::path(*scratch_ / "ceremony");
    setup_ = new Result(testing::SimulateConsortium(
        CONCLAVE_CEREMONY_PATH, *scratch_, *sim_, kPassphrase));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
    delete sim_;
    delete setup_;
  }
  void SetUp() override {
    ASSERT_EQ(setup_->exit_code, 0) << setup_->err;
    char tmpl[] = "/tmp/conclave-roster-cli-case-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WriteAll(dir_ / "in.txt", "the documents\n");
  }
  void TearDown() override {
    for (pid_t pid : witnesses_) {
      kill(pid, SIGTERM);
      int status;
      waitpid(pid, &status, 0);
    }
    fs::remove_all(dir_);
  }

  static std::string Roster() { return (*sim_ / "consortium.roster").string(); }
  static SecretBytes Pass() {
    return SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
  }
  static keyceremony::VerifiedRoster Verified() {
    return keyceremony::ReadRosterFile(Roster()).value();
  }

  Result Conclave(const std::vector<std::string>& args) {
    return RunProgram(dir_, CONCLAVE_CLI_PATH, args);
  }

  // The roster with organisation 2 renamed, signatures kept.
  fs::path TamperedRoster() {
    v1::Roster roster;
    EXPECT_TRUE(roster.ParseFromString(ReadAll(Roster())));
    v1::RosterBody body;
    EXPECT_TRUE(body.ParseFromString(roster.signed_()));
    body.mutable_organisations(1)->set_name("Mallory's Organisation");
    std::string signed_body;
    EXPECT_TRUE(body.SerializeToString(&signed_body));
    roster.set_signed_(signed_body);
    const fs::path p = *scratch_ / "tampered.roster";
    WriteAll(p, roster.SerializeAsString());
    return p;
  }

  // The roster's log (the key in DIR/log.age) with `n` leaves.
  std::unique_ptr<audit::Log> RosterLog(int n) {
    StatusOr<OpenedSecret> opened = ReadSealedFile(*sim_ / "log.age", Pass());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    const v1::LogKey& lk = opened->message().log_key();
    auto log = audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                                  lk.origin(), SeedKey(lk.ed25519_seed()))
                   .value();
    std::vector<Bytes> leaves;
    for (int i = 0; i < n; ++i) {
      leaves.push_back(ToBytes("event #" + std::to_string(i)));
    }
    EXPECT_TRUE(log->AppendBatch(leaves).ok());
    return log;
  }

  // Organisation `org`'s witness signer from DIR/orgN/witness.age.
  static std::unique_ptr<audit::CosignatureV1Signer> OrgWitness(int org) {
    StatusOr<OpenedSecret> opened = ReadSealedFile(
        *sim_ / ("org" + std::to_string(org)) / "witness.age", Pass());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    const v1::WitnessKey& wk = opened->message().witness_key();
    EXPECT_EQ(wk.org_id(), static_cast<uint32_t>(org));
    return audit::CosignatureV1Signer::Create(wk.name(),
                                              SeedKey(wk.ed25519_seed()))
        .value();
  }

  // An export of `log`'s current checkpoint cosigned by `orgs`' witnesses.
  fs::path CosignedExport(const audit::Log& log, const std::vector<int>& orgs,
                          const std::string& name) {
    const audit::Note note =
        audit::ParseNote(log.SignCheckpoint().value()).value();
    std::vector<std::unique_ptr<audit::CosignatureV1Signer>> owned;
    std::vector<const audit::NoteSigner*> signers;
    for (int org : orgs) {
      owned.push_back(OrgWitness(org));
      signers.push_back(owned.back().get());
    }
    const std::string cosigned =
        audit::SignNote(note.text, signers, note.signatures).value();
    const fs::path d = dir_ / name;
    EXPECT_TRUE(log.WriteExport(d, cosigned).ok());
    return d;
  }

  // Starts conclave-witness; returns its port, or 0 with its exit code and
  // stderr in *exit_code / *err when it stopped.
  int StartWitness(const std::vector<std::string>& args, int* exit_code,
                   std::string* err) {
    const fs::path err_path =
        dir_ / ("witness" + std::to_string(witnesses_.size()) + ".err");
    const pid_t pid = SpawnProgram(CONCLAVE_WITNESS_PATH, args,
                                   dir_ / "witness.out", err_path);
    if (pid < 0) return 0;
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 1000; ++i) {
      const std::string e = ReadAll(err_path);
      const size_t at = e.find(marker);
      if (at != std::string::npos && e.find(" as ", at) != std::string::npos) {
        witnesses_.push_back(pid);
        return std::stoi(e.substr(at + marker.size()));
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        *err = ReadAll(err_path);
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    witnesses_.push_back(pid);
    ADD_FAILURE() << "witness did not start: " << ReadAll(err_path);
    return 0;
  }

  static fs::path* scratch_;
  static fs::path* sim_;
  static Result* setup_;
  fs::path dir_;
  std::vector<pid_t> witnesses_;
};

fs::path* RosterCliE2eTest::scratch_ = nullptr;
fs::path* RosterCliE2eTest::sim_ = nullptr;
Result* RosterCliE2eTest::setup_ = nullptr;

// ---- The shared lookups (keyceremony/roster_members.h) ----

TEST_F(RosterCliE2eTest, MemberLookups) {
  const keyceremony::VerifiedRoster r = Verified();
  EXPECT_EQ(keyceremony::MaxExclusions(r.body), 2u);
  EXPECT_EQ(keyceremony::ResolveOrganisation(r.body, "3").value(), 3u);
  EXPECT_EQ(keyceremony::ResolveOrganisation(r.body, "Organisation 4").value(),
            4u);
  EXPECT_EQ(keyceremony::ResolveOrganisation(r.body, "ORGANISATION 5").value(),
            5u);
  EXPECT_EQ(keyceremony::ResolveOrganisation(r.body, "9").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(keyceremony::ResolveOrganisation(r.body, "03").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(keyceremony::OrganisationLabel(r.body, 2), "2 (Organisation 2)");
  EXPECT_EQ(keyceremony::OrganisationLabel(r.body, 9), "9 (not in the roster)");
  const std::vector<std::string> two = {"organisation 5", "1"};
  EXPECT_EQ(keyceremony::ResolveExclusions(r.body, two).value(),
            (std::vector<uint32_t>{1, 5}));
  const std::vector<std::string> dup = {"Organisation 1", "1"};
  EXPECT_EQ(keyceremony::ResolveExclusions(r.body, dup).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<std::string> three = {"1", "2", "3"};
  EXPECT_EQ(keyceremony::ResolveExclusions(r.body, three).status().code(),
            StatusCode::kPermissionDenied);
  const auto w = keyceremony::RosterWitnesses(r.body);
  ASSERT_EQ(w.size(), 5u);
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(w[i].org_id, i + 1);
    EXPECT_EQ(w[i].vkey,
              r.body.organisations(static_cast<int>(i)).witness_vkey());
  }

  // An ambiguous case-insensitive name: two organisations differ only in
  // case (lookups only; such a body is not a signed roster).
  v1::RosterBody body = r.body;
  body.mutable_organisations(0)->set_name("Acme");
  body.mutable_organisations(1)->set_name("ACME");
  EXPECT_EQ(keyceremony::ResolveOrganisation(body, "ACME").value(), 2u);
  const StatusOr<uint32_t> amb = keyceremony::ResolveOrganisation(body, "acme");
  EXPECT_EQ(amb.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(amb.status().message(), "ambiguous"))
      << amb.status().message();
}

// ---- conclave encrypt ----

TEST_F(RosterCliE2eTest, EncryptWithRosterAndNames) {
  const fs::path out = dir_ / "out.age";
  Result r = Conclave({"encrypt", "--roster", Roster(), "--exclude",
                       "Organisation 2", "--exclude", "organisation 4", "-q",
                       "-o", out.string(), (dir_ / "in.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The file is a valid submission to the roster's key under the intake
  // policy, excluding 2 and 4.
  const keyceremony::VerifiedRoster roster = Verified();
  const int fd = open(out.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  age::FdReader in(fd);
  StatusOr<age::Header> header = age::ReadAgeFileHeader(in);
  close(fd);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  StatusOr<age::SubmissionInfo> info = age::ValidateSubmission(
      *header, roster.consortium_key,
      {.allow_drill = false,
       .max_exclusions = keyceremony::MaxExclusions(roster.body)});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->excluded_orgs, (std::vector<uint32_t>{2, 4}));

  // --to with the same key is accepted alongside --roster.
  r = Conclave({"encrypt", "--roster", Roster(), "--to",
                (*sim_ / "consortium.pub").string(), "-x", "5", "-q", "-o",
                (dir_ / "out2.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Without --roster a name is refused, and says why.
  r = Conclave({"encrypt", "--to", (*sim_ / "consortium.pub").string(), "-x",
                "Organisation 2", "-o", (dir_ / "out3.age").string(),
                (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "names need --roster")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out3.age"));
}

TEST_F(RosterCliE2eTest, EncryptUnknownNameListsMembers) {
  Result r = Conclave({"encrypt", "--roster", Roster(), "--exclude",
                       "Organisation Nine", "-o", (dir_ / "out.age").string(),
                       (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "no organisation named \"Organisation Nine\""))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "1 (Organisation 1)")) << r.err;
  EXPECT_TRUE(Contains(r.err, "5 (Organisation 5)")) << r.err;
  // An id that is not a member is refused too.
  r = Conclave({"encrypt", "--roster", Roster(), "--exclude", "6", "-o",
                (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "organisation id 6 is not in the roster"))
      << r.err;
  EXPECT_EQ(Listing(dir_), (std::vector<std::string>{"in.txt"}));
}

TEST_F(RosterCliE2eTest, EncryptTooManyExclusions) {
  Result r = Conclave(
      {"encrypt", "--roster", Roster(), "-x", "1", "-x", "Organisation 2", "-x",
       "3", "-o", (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err,
                       "at most m − t = 2 organisations may be excluded, or "
                       "no quorum could open it"))
      << r.err;
  // The same organisation twice, by id and by name.
  r = Conclave({"encrypt", "--roster", Roster(), "-x", "2", "-x",
                "Organisation 2", "-o", (dir_ / "out.age").string(),
                (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "excluded twice")) << r.err;
  EXPECT_EQ(Listing(dir_), (std::vector<std::string>{"in.txt"}));
}

TEST_F(RosterCliE2eTest, EncryptToAnotherKeyThanTheRoster) {
  // Another consortium's key.
  const std::string other =
      age::EncodeP256TagRecipient(Point::BaseMul(Scalar::Random()));
  Result r =
      Conclave({"encrypt", "--roster", Roster(), "--to", other, "-o",
                (dir_ / "out.age").string(), (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "is not the consortium key of roster")) << r.err;
  EXPECT_EQ(Listing(dir_), (std::vector<std::string>{"in.txt"}));
}

TEST_F(RosterCliE2eTest, TamperedRosterRefusedBeforeAnythingIsWritten) {
  const std::string bad = TamperedRoster().string();
  Result r =
      Conclave({"encrypt", "--roster", bad, "-o", (dir_ / "out.age").string(),
                (dir_ / "in.txt").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "roster " + bad)) << r.err;
  EXPECT_EQ(Listing(dir_), (std::vector<std::string>{"in.txt"}));
  // inspect, audit verify and the witness refuse it too.
  ASSERT_EQ(Conclave({"encrypt", "--roster", Roster(), "-q", "-o",
                      (dir_ / "good.age").string(), (dir_ / "in.txt").string()})
                .exit_code,
            0);
  r = Conclave({"inspect", (dir_ / "good.age").string(), "--roster", bad});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "roster " + bad)) << r.err;
  auto log = RosterLog(3);
  const fs::path exp = CosignedExport(*log, {1, 2, 3, 4}, "export");
  r = Conclave({"audit", "verify", "--offline", exp.string(), "--roster", bad});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "roster " + bad)) << r.err;
  int code = -1;
  std::string err;
  EXPECT_EQ(StartWitness({"--key", (*sim_ / "org1" / "witness.age").string(),
                          "--state", (dir_ / "wstate").string(), "--listen",
                          "127.0.0.1:0", "--passphrase-file",
                          (*scratch_ / "pass.txt").string(), "--roster", bad},
                         &code, &err),
            0);
  EXPECT_EQ(code, 2) << err;
  EXPECT_TRUE(Contains(err, "roster " + bad)) << err;
}

// ---- conclave inspect ----

TEST_F(RosterCliE2eTest, InspectShowsNamesAndAppliesTheLimit) {
  ASSERT_EQ(
      Conclave({"encrypt", "--roster", Roster(), "-x", "Organisation 3", "-q",
                "-o", (dir_ / "one.age").string(), (dir_ / "in.txt").string()})
          .exit_code,
      0);
  Result r =
      Conclave({"inspect", (dir_ / "one.age").string(), "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "excluded orgs:   3 (Organisation 3)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "at most m - t = 2")) << r.out;
  EXPECT_TRUE(Contains(r.out, "yes, addressed to this key")) << r.out;
  EXPECT_TRUE(Contains(r.out, "a valid submission")) << r.out;
  r = Conclave(
      {"inspect", (dir_ / "one.age").string(), "--roster", Roster(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "\"excluded_names\": [\n    \"Organisation 3\""))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "\"max_exclusions\": 2")) << r.out;

  // Three exclusions, made without the roster (ids only): inspect with the
  // roster reports the intake policy's refusal.
  ASSERT_EQ(
      Conclave({"encrypt", "--to", (*sim_ / "consortium.pub").string(), "-x",
                "1", "-x", "2", "-x", "3", "-q", "-o",
                (dir_ / "three.age").string(), (dir_ / "in.txt").string()})
          .exit_code,
      0);
  r = Conclave(
      {"inspect", (dir_ / "three.age").string(), "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Contains(r.out, "NOT a valid submission")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "1 (Organisation 1), 2 (Organisation 2), 3 "
                       "(Organisation 3)"))
      << r.out;
  // With --to only (no policy), the same file is described as valid.
  r = Conclave({"inspect", (dir_ / "three.age").string(), "--to",
                (*sim_ / "consortium.pub").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // --to and --roster together: a usage error.
  r = Conclave({"inspect", (dir_ / "one.age").string(), "--roster", Roster(),
                "--to", (*sim_ / "consortium.pub").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "not both")) << r.err;
}

// ---- conclave audit verify --roster ----

TEST_F(RosterCliE2eTest, AuditVerifyWithRosterSettlesWithFourOfFive) {
  auto log = RosterLog(30);
  ASSERT_NE(log, nullptr);
  const fs::path four = CosignedExport(*log, {1, 2, 4, 5}, "four");
  Result r = Conclave(
      {"audit", "verify", "--offline", four.string(), "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out,
                       "cosigned by organisations 1, 2, 4, 5; W = 4: "
                       "settled"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "(pinned)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "roster:")) << r.out;

  const fs::path three = CosignedExport(*log, {1, 3, 5}, "three");
  r = Conclave(
      {"audit", "verify", "--offline", three.string(), "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "not settled: 3 of 4")) << r.err;

  // Another log under the same origin: the roster's log key refuses it.
  StatusOr<OpenedSecret> opened = ReadSealedFile(*sim_ / "log.age", Pass());
  ASSERT_TRUE(opened.ok());
  auto impostor =
      audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                         opened->message().log_key().origin(),
                         Ed25519PrivateKey::Generate())
          .value();
  ASSERT_TRUE(impostor->AppendBatch(std::vector<Bytes>{ToBytes("x")}).ok());
  ASSERT_TRUE(
      impostor
          ->WriteExport(dir_ / "impostor", impostor->SignCheckpoint().value())
          .ok());
  r = Conclave({"audit", "verify", "--offline", (dir_ / "impostor").string(),
                "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;

  // --roster conflicts with the hand-given alternatives.
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{
           {"--log-vkey", log->vkey()},
           {"--members", "5"},
           {"--threshold", "3"},
           {"--witness",
            "1=" + Verified().body.organisations(0).witness_vkey()}}) {
    std::vector<std::string> a = {"audit",       "verify",   "--offline",
                                  four.string(), "--roster", Roster()};
    a.insert(a.end(), extra.begin(), extra.end());
    r = Conclave(a);
    EXPECT_EQ(r.exit_code, 1) << extra[0];
    EXPECT_TRUE(Contains(r.err, "--roster and " + extra[0] + " conflict"))
        << r.err;
  }
}

// ---- conclave-witness --roster ----

TEST_F(RosterCliE2eTest, WitnessServesTheRostersLogOnly) {
  const std::vector<std::string> base = {
      "--key",
      (*sim_ / "org1" / "witness.age").string(),
      "--state",
      (dir_ / "wstate").string(),
      "--listen",
      "127.0.0.1:0",
      "--passphrase-file",
      (*scratch_ / "pass.txt").string()};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--roster", Roster()});
  int code = -1;
  std::string err;
  const int port = StartWitness(args, &code, &err);
  ASSERT_GT(port, 0) << err;

  auto log = RosterLog(7);
  httplib::Client c("127.0.0.1", port);
  auto res = c.Post("/add-checkpoint",
                    "old 0\n\n" + log->SignCheckpoint().value(), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  // The cosignature verifies under the roster's witness key for org 1.
  auto verifier = audit::CosignatureV1Verifier::FromVerifierKey(
                      Verified().body.organisations(0).witness_vkey())
                      .value();
  const audit::Note n =
      audit::ParseNote(
          audit::AppendSignatureLines(log->SignCheckpoint().value(), res->body)
              .value())
          .value();
  bool found = false;
  for (const auto& s : n.signatures) {
    if (s.key_id == verifier->key_id() && s.name == verifier->name()) {
      found = verifier->Verify(n.text, s.signature).ok();
    }
  }
  EXPECT_TRUE(found);

  // Another log key under the roster log's origin: 403.
  StatusOr<OpenedSecret> opened = ReadSealedFile(*sim_ / "log.age", Pass());
  ASSERT_TRUE(opened.ok());
  auto impostor =
      audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                         opened->message().log_key().origin(),
                         Ed25519PrivateKey::Generate())
          .value();
  ASSERT_TRUE(
      impostor->AppendBatch(std::vector<Bytes>{ToBytes("a"), ToBytes("b")})
          .ok());
  res = c.Post("/add-checkpoint",
               "old 0\n\n" + impostor->SignCheckpoint().value(), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403) << res->body;

  // --roster with --log-vkey: a usage error.
  args = base;
  args[3] = (dir_ / "wstate2").string();
  args.insert(args.end(), {"--roster", Roster(), "--log-vkey", log->vkey()});
  EXPECT_EQ(StartWitness(args, &code, &err), 0);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(Contains(err, "--roster and --log-vkey conflict")) << err;

  // A witness key that is not organisation 2's roster witness key.
  args = base;
  args[1] = (*sim_ / "org1" / "witness.age").string();
  args[3] = (dir_ / "wstate3").string();
  const fs::path foreign = dir_ / "foreign.age";
  {
    const Ed25519PrivateKey k = Ed25519PrivateKey::Generate();
    v1::SealedSecret s;
    s.mutable_witness_key()->set_org_id(2);
    s.mutable_witness_key()->set_name("witness.org2.example");
    s.mutable_witness_key()->set_ed25519_seed(k.seed().data(), k.seed().size());
    ASSERT_TRUE(WriteSealedFile(foreign, s, Pass(), /*work_factor=*/10).ok());
  }
  args[1] = foreign.string();
  args.insert(args.end(), {"--roster", Roster()});
  EXPECT_EQ(StartWitness(args, &code, &err), 0);
  EXPECT_EQ(code, 2);
  EXPECT_TRUE(Contains(err,
                       "is not the witness key the roster records for "
                       "organisation 2 (Organisation 2)"))
      << err;
}

}  // namespace
}  // namespace conclave
