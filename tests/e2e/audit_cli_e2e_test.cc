// `conclave audit verify --full | list | show | report --offline` on real
// exports (issue 7): the quorum fixture's consortium (5 organisations,
// t = 3) and log operator write a log with a submission, requests, votes,
// releases and a withdrawal, cosigned by every organisation's witness
// (audit::Log::WriteExport), and the conclave binary reads it back. Then
// the same with tampered logs: a bad signature, a duplicate submission, a
// vote for a request that was never made, a leaves file changed after
// signing; and a reason carrying HTML and terminal escapes.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.h"
#include "crypto/hash.h"
#include "quorum/statements.h"
#include "tests/e2e/program.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"

namespace conclave::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

#ifndef CONCLAVE_CLI_PATH
#error "CONCLAVE_CLI_PATH must name the conclave binary"
#endif

constexpr char kEvilReason[] =
    "<script>alert(1)</script> and \x1b[2J a terminal reset";

class AuditCliE2eTest : public ConsortiumTest<AuditCliE2eTest> {
 protected:
  void SetUp() override {
    ConsortiumTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("audit-cli-e2e"));
    work_.emplace(std::move(d));
  }

  const fs::path& work() const { return work_->path(); }
  std::string Roster() const {
    return (c().dir() / "ceremony" / "consortium.roster").string();
  }

  ProgramResult Conclave(const std::vector<std::string>& args) {
    return RunProgram(work(), CONCLAVE_CLI_PATH, args);
  }

  // The operator's log as an export, cosigned by every witness.
  std::string Export(const std::string& name) {
    const fs::path dir = work() / name;
    StatusOr<std::string> note = op_->CosignedCheckpoint();
    EXPECT_TRUE(note.ok()) << note.status().ToString();
    Status s = op_->log().WriteExport(dir, *note);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return dir.string();
  }

  // The honest story; returns the first request's run.
  QuorumRun Story() {
    StatusOr<Submission> s = c().Submit(AsBytes(std::string_view("leak\n")));
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(op_->AppendSubmission(*s).ok());
    const std::vector<EditorRef> voters =
        c().QuorumOf(std::vector<uint32_t>{1, 3, 4});
    StatusOr<QuorumRun> run = RequestAndVote(c(), *op_, {1, 1}, *s, voters);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    StatusOr<std::vector<v1::Approval>> approvals =
        ReleaseAll(c(), *run, voters);
    EXPECT_TRUE(approvals.ok()) << approvals.status().ToString();
    for (const v1::Approval& a : *approvals) {
      EXPECT_TRUE(op_->AppendApproval(a).ok());
    }
    // A second request with a reason that is HTML and a terminal escape,
    // withdrawn by its requester.
    StatusOr<quorum::NewRequest> req =
        c().Request({2, 1}, s->header, kFixtureNow, kEvilReason);
    EXPECT_TRUE(req.ok()) << req.status().ToString();
    evil_index_ = *op_->AppendRequest(req->statement);
    StatusOr<quorum::VerifiedRequest> v = c().VerifyRequest(req->statement);
    const ConsortiumEditor* requester = c().FindEditor({2, 1});
    StatusOr<v1::SignedStatement> w = quorum::MakeWithdrawal(
        c().roster(), requester->keys(), *v, "no longer needed", kFixtureNow);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE(op_->AppendWithdrawal(*w).ok());
    evil_id_ = quorum::RequestIdHex(req->id);
    return *std::move(run);
  }

  std::optional<TempDir> work_;
  uint64_t evil_index_ = 0;
  std::string evil_id_;
};

TEST_F(AuditCliE2eTest, HonestLogVerifiesListsShowsAndReports) {
  const QuorumRun run = Story();
  const std::string dir = Export("export");
  const std::string request_id = quorum::RequestIdHex(run.request.id);
  const uint64_t size = op().size();
  ASSERT_EQ(size, 12u);  // submission, 2 requests, 4 votes, 4 releases, 1 w.

  ProgramResult r = Conclave(
      {"audit", "verify", "--offline", dir, "--roster", Roster(), "--full"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "0 problem(s)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "4 vote")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "OK: the export verifies, and so does every "
                       "statement in it"))
      << r.out;

  r = Conclave({"audit", "verify", "--offline", dir, "--roster", Roster(),
                "--full", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_TRUE(j["settled"].get<bool>());
  EXPECT_EQ(j["full"]["problems"].size(), 0u);
  EXPECT_EQ(j["full"]["counts"]["approval"].get<int>(), 4);

  // list: every leaf, who, ids, reasons; the escape sequence is escaped.
  r = Conclave({"audit", "list", "--offline", dir, "--roster", Roster()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "12 leaves, checkpoint verified")) << r.out;
  EXPECT_TRUE(Contains(r.out, request_id)) << r.out;
  EXPECT_TRUE(Contains(r.out, quorum::EditorLabel(c().roster().body, 1, 1)));
  EXPECT_TRUE(Contains(r.out, "vote: approve"));
  EXPECT_TRUE(Contains(r.out, "\"fixture request\""));
  EXPECT_TRUE(Contains(r.out, "2025-10-09 08:53:20 UTC"));
  EXPECT_TRUE(Contains(r.out, "\\x1b[2J")) << r.out;
  EXPECT_FALSE(Contains(r.out, "\x1b")) << "raw escape reached the terminal";
  EXPECT_TRUE(Contains(r.out, request_id + " (leaf 1): released")) << r.out;
  EXPECT_TRUE(Contains(r.out, evil_id_ + " (leaf " +
                                  std::to_string(evil_index_) + "): withdrawn"))
      << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;

  r = Conclave(
      {"audit", "list", "--offline", dir, "--roster", Roster(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  ASSERT_EQ(j["events"].size(), size);
  EXPECT_EQ(j["events"][1]["kind"], "request");
  EXPECT_EQ(j["events"][1]["request_id"], request_id);
  EXPECT_EQ(j["events"][1]["signature"], "verified");
  EXPECT_EQ(j["events"][evil_index_]["text"], kEvilReason);
  EXPECT_EQ(j["requests"][0]["state"], "released");
  EXPECT_TRUE(j["requests"][0]["quorum_complete"].get<bool>());
  EXPECT_EQ(j["members"].size(), 9u);

  // show: one leaf in full.
  r = Conclave({"audit", "show", std::to_string(run.request_index), "--offline",
                dir, "--roster", Roster()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "request checks")) << r.out;
  EXPECT_TRUE(Contains(r.out, "verified (Ed25519, conclave/v1/request"));
  EXPECT_TRUE(Contains(r.out, "reply public key"));
  EXPECT_TRUE(Contains(r.out, "\n       problems ")) << r.out;
  EXPECT_TRUE(Contains(r.out, " none\n")) << r.out;
  r = Conclave(
      {"audit", "show", "3", "--offline", dir, "--roster", Roster(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["kind"], "vote");
  EXPECT_FALSE(j["details"].empty());
  r = Conclave({"audit", "show", "12", "--offline", dir, "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "there is no leaf 12")) << r.err;
  r = Conclave({"audit", "show", "x1", "--offline", dir, "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 1);

  // report: one self-contained page, written atomically.
  const fs::path html = work() / "report.html";
  r = Conclave({"audit", "report", "--offline", dir, "--roster", Roster(), "-o",
                html.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "2 request(s), 0 problem(s)")) << r.out;
  const std::string page = ReadAll(html);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_FALSE(Contains(page, "<script"));
  EXPECT_TRUE(Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Contains(page, request_id));
  EXPECT_TRUE(Contains(page, "Activity per member"));
  EXPECT_FALSE(fs::exists(html.string() + ".tmp"));
}

TEST_F(AuditCliE2eTest, ProblemsAreFlaggedWithTheirLeaf) {
  const QuorumRun run = Story();
  // A vote with a broken signature; the same submission again; a vote for
  // a request that was never made.
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement vote,
                       c().Vote({5, 1}, run.verified, run.seen, kFixtureNow));
  std::string sig = vote.signature();
  sig[0] ^= 0x40;
  vote.set_signature(sig);
  const uint64_t bad = *op().AppendVote(vote);
  ASSERT_OK_AND_ASSIGN(Submission again,
                       c().Submit(AsBytes(std::string_view("second\n"))));
  ASSERT_OK(op().AppendSubmission(again));
  const uint64_t dup = *op().AppendSubmission(again);
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint seen, op().Checkpoint());
  const quorum::RequestId ghost = Sha256(AsBytes(std::string_view("ghost")));
  ASSERT_OK_AND_ASSIGN(v1::SignedStatement gv,
                       c().HandSignedVote({3, 1}, ghost, seen, kFixtureNow));
  const uint64_t unknown = *op().AppendVote(gv);
  const std::string dir = Export("tampered");

  // The tree and checkpoint are fine: plain verify passes...
  ProgramResult r =
      Conclave({"audit", "verify", "--offline", dir, "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // ... --full does not, and names each leaf.
  r = Conclave(
      {"audit", "verify", "--offline", dir, "--roster", Roster(), "--full"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Contains(r.out, "3 problem(s)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "leaf " + std::to_string(bad)) &&
              Contains(r.out, "bad-signature"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "duplicate-submission: submission id " +
                                  again.id + " was already received"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "unknown-request")) << r.out;
  EXPECT_TRUE(Contains(r.err, "3 problem(s) in the log's leaves")) << r.err;

  r = Conclave({"audit", "verify", "--offline", dir, "--roster", Roster(),
                "--full", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  json j = json::parse(r.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  ASSERT_EQ(j["full"]["problems"].size(), 3u);
  EXPECT_EQ(j["full"]["problems"][0]["index"].get<uint64_t>(), bad);
  EXPECT_EQ(j["full"]["problems"][0]["kind"], "bad-signature");
  EXPECT_EQ(j["full"]["problems"][1]["index"].get<uint64_t>(), dup);
  EXPECT_EQ(j["full"]["problems"][2]["index"].get<uint64_t>(), unknown);

  // list still shows the log, flags the leaves and warns on stderr.
  r = Conclave({"audit", "list", "--offline", dir, "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "PROBLEM      bad-signature")) << r.out;
  EXPECT_TRUE(Contains(r.err, "3 problem(s)")) << r.err;
  r = Conclave({"audit", "show", std::to_string(bad), "--offline", dir,
                "--roster", Roster()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.out, " BAD: the signature of organisation 5 editor 1"))
      << r.out;
}

// The reading commands verify the export first: a changed leaf stops them
// before anything is listed.
TEST_F(AuditCliE2eTest, ChangedExportIsRefusedBeforeListing) {
  Story();
  const std::string dir = Export("changed");
  std::string leaves = ReadAll(fs::path(dir) / "leaves");
  const size_t at = leaves.find("no longer needed");
  ASSERT_NE(at, std::string::npos);
  leaves[at] = 'N';
  WriteAll(fs::path(dir) / "leaves", leaves);
  for (const char* sub : {"list", "report", "show"}) {
    std::vector<std::string> a = {"audit", sub,        "--offline",
                                  dir,     "--roster", Roster()};
    if (std::string(sub) == "show") a.push_back("0");
    if (std::string(sub) == "report") {
      a.push_back("-o");
      a.push_back((work() / "r.html").string());
    }
    ProgramResult r = Conclave(a);
    EXPECT_EQ(r.exit_code, 2) << sub << ": " << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, "leaf-changed")) << sub << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << sub << ": " << r.out;
  }
  EXPECT_FALSE(fs::exists(work() / "r.html"));
  ProgramResult r = Conclave({"audit", "verify", "--offline", dir, "--roster",
                              Roster(), "--full", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(json::parse(r.out)["problem"], "leaf-changed");
}

TEST_F(AuditCliE2eTest, UsageErrors) {
  Story();
  const std::string dir = Export("usage");
  struct Case {
    std::vector<std::string> args;
    std::string words;
  };
  const std::vector<Case> cases = {
      {{"audit", "list", "--offline", dir}, "--roster R is required"},
      {{"audit", "verify", "--offline", dir, "--full"},
       "--full needs --roster"},
      {{"audit", "list", "--offline", dir, "--roster", Roster(), "--identity",
        "id.age"},
       "--identity is for the online form"},
      {{"audit", "report", "--offline", dir, "--roster", Roster()},
       "-o FILE.html is required"},
      {{"audit", "export", "--offline", dir, "--roster", Roster(), "-o", "x"},
       "export reads the daemon's log"},
      {{"audit", "show", "--offline", dir, "--roster", Roster()},
       "which leaf?"},
      {{"audit", "frobnicate"}, "unknown subcommand"},
  };
  for (const Case& k : cases) {
    ProgramResult r = Conclave(k.args);
    EXPECT_EQ(r.exit_code, 1) << k.args[1] << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, k.words)) << r.err;
  }
  // The help of each reading command names both forms.
  for (const char* sub : {"verify", "list", "show", "report", "export"}) {
    ProgramResult r = Conclave({"audit", sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_TRUE(Contains(r.out, "--offline")) << sub;
    EXPECT_TRUE(Contains(r.out, "--server")) << sub;
  }
}

}  // namespace
}  // namespace conclave::testing
