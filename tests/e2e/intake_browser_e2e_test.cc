// The intake page end to end (issue 8's headline test): a simulated
// consortium (5 organisations, t = 3, one editor each), every
// organisation's conclave-witness, conclaved with --intake on loopback, and
// headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
// web/tests/browser_flow.mjs) doing what a whistleblower does:
//   the page encrypts a file in the browser with one member excluded and
//   uploads it → the editors quorum-decrypt it through the daemon with the
//   `conclave` CLI and get the same bytes; the excluded member can neither
//   request nor vote → an editor replies with `conclave reply` → the
//   browser returns with the receipt, sees "opened after approval by 3
//   organisations" and reads the reply → a follow-up from the page is
//   linked to the first submission → a wrong receipt gets exactly the
//   refusal an unknown one gets → nothing under the daemon's data
//   directory contains the plaintext (a random marker is searched for in
//   every file).
// Fails, never skips, when node, web/node_modules or Chromium are missing.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/program.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::AwaitLine;
using testing::Contains;
using testing::IsHex64;
using testing::LastLine;
using testing::ReadAll;
using testing::RunProgram;
using testing::SpawnProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr char kPassphrase[] = "correct horse battery staple";
constexpr char kNotRecognised[] =
    "That receipt was not recognised. Check that you typed it exactly as it "
    "was shown.";
constexpr int kRefused = 6;  // cli/exit_codes.h

std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xff;
    s += "0123456789abcdef"[v >> 4];
    s += "0123456789abcdef"[v & 15];
  }
  return s;
}

// A well-formed receipt nobody was given: 26 Crockford symbols, the last
// one with its two padding bits zero.
std::string RandomReceipt() {
  static const char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 26; ++i) {
    if (i > 0 && i % 4 == 0) s += '-';
    s += i == 25 ? kAlphabet[(rd() % 8) * 4] : kAlphabet[rd() % 32];
  }
  return s;
}

class IntakeBrowserE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclave-intake-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    pids_ = new std::vector<pid_t>();
    sim_ = new fs::path(*scratch_ / "ceremony");
    setup_ = new Result(testing::SimulateConsortium(
        CONCLAVE_CEREMONY_PATH, *scratch_, *sim_, kPassphrase));
  }
  static void TearDownTestSuite() {
    for (auto it = pids_->rbegin(); it != pids_->rend(); ++it) {
      kill(*it, SIGTERM);
      int status;
      waitpid(*it, &status, 0);
    }
    fs::remove_all(*scratch_);
    delete scratch_;
    delete sim_;
    delete setup_;
    delete pids_;
  }

  void SetUp() override {
    ASSERT_EQ(setup_->exit_code, 0) << setup_->err;
    // Everything the browser side needs, or the test fails here.
    ASSERT_TRUE(std::string(CONCLAVE_NODE_PATH) != "")
        << "node not found: install Node.js 20 (scripts/install-deps)";
    ASSERT_TRUE(fs::exists(CONCLAVE_NODE_PATH)) << CONCLAVE_NODE_PATH;
    ASSERT_TRUE(fs::exists(fs::path(CONCLAVE_WEB_DIR) / "node_modules" /
                           "playwright-core" / "package.json"))
        << "web/node_modules is missing: run `npm ci` in web/ (the ctest "
           "fixture web_npm_ci does)";
    ASSERT_TRUE(fs::exists(CONCLAVE_CHROMIUM))
        << "Chromium not found at " << CONCLAVE_CHROMIUM
        << ": install the Debian package chromium (scripts/install-deps)";
    dir_ = *scratch_ /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
  }

  static std::string Roster() {
    return (*scratch_ / "ceremony" / "consortium.roster").string();
  }
  static std::string Pass() { return (*scratch_ / "pass.txt").string(); }

  // Every witness and a conclaved serving gRPC and the intake page.
  void StartDaemon() {
    data_ = dir_ / "data";
    std::vector<std::string> args = {"--data",
                                     data_.string(),
                                     "--roster",
                                     Roster(),
                                     "--log-key",
                                     (*sim_ / "log.age").string(),
                                     "--passphrase-file",
                                     Pass(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--intake",
                                     "127.0.0.1:0"};
    for (int org = 1; org <= 5; ++org) {
      const std::string o = std::to_string(org);
      const fs::path err = dir_ / ("witness" + o + ".err");
      const pid_t pid = SpawnProgram(
          CONCLAVE_WITNESS_PATH,
          {"--key", (*sim_ / ("org" + o) / "witness.age").string(), "--state",
           (dir_ / ("witness" + o)).string(), "--listen", "127.0.0.1:0",
           "--passphrase-file", Pass(), "--roster", Roster()},
          dir_ / ("witness" + o + ".out"), err);
      ASSERT_GT(pid, 0);
      pids_->push_back(pid);
      const std::string port =
          AwaitLine(pid, err, "listening on http://127.0.0.1:");
      ASSERT_FALSE(port.empty()) << ReadAll(err);
      args.push_back("--witness");
      args.push_back(o + "=http://127.0.0.1:" + port.substr(0, port.find(' ')));
    }
    const fs::path err = dir_ / "conclaved.err";
    const pid_t pid =
        SpawnProgram(CONCLAVED_PATH, args, dir_ / "conclaved.out", err);
    ASSERT_GT(pid, 0);
    pids_->push_back(pid);
    const std::string rest = AwaitLine(pid, err, "conclaved: listening on ");
    ASSERT_FALSE(rest.empty()) << ReadAll(err);
    address_ = rest.substr(0, rest.find(' '));
    const std::string intake =
        AwaitLine(pid, err, "intake page on http://127.0.0.1:");
    ASSERT_FALSE(intake.empty()) << ReadAll(err);
    intake_port_ =
        std::stoi(intake.substr(0, intake.find_first_not_of("0123456789")));
    url_ = "http://127.0.0.1:" + std::to_string(intake_port_) + "/";
  }

  Result Conclave(const std::vector<std::string>& args) {
    return RunProgram(dir_, CONCLAVE_CLI_PATH, args);
  }

  // conclave --server ADDR CMD... as organisation `org`'s editor.
  Result As(int org, const std::vector<std::string>& cmd,
            const std::vector<std::string>& extra = {}, bool share = false) {
    const fs::path e = *sim_ / ("org" + std::to_string(org)) / "editor1";
    std::vector<std::string> a = {"--server", address_};
    a.insert(a.end(), cmd.begin(), cmd.end());
    for (const std::string& s :
         {std::string("--roster"), Roster(), std::string("--identity"),
          (e / "identity.age").string(), std::string("--passphrase-file"),
          Pass(), std::string("--state"),
          (dir_ / ("state-org" + std::to_string(org))).string()}) {
      a.push_back(s);
    }
    if (share) {
      a.push_back("--share");
      a.push_back((e / "share.age").string());
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return Conclave(a);
  }

  // node web/tests/browser_flow.mjs COMMAND --url URL ARGS --out F: the
  // JSON it wrote (null when it broke; the failure says why).
  json Browser(const std::string& command, std::vector<std::string> args) {
    const fs::path out = dir_ / ("browser-" + command + "-" +
                                 std::to_string(++browser_runs_) + ".json");
    std::vector<std::string> a = {
        (fs::path(CONCLAVE_WEB_DIR) / "tests" / "browser_flow.mjs").string(),
        command,
        "--url",
        url_,
        "--out",
        out.string()};
    a.insert(a.end(), args.begin(), args.end());
    const Result r = RunProgram(dir_, CONCLAVE_NODE_PATH, a);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    if (r.exit_code != 0 || !fs::exists(out)) return json();
    json j = json::parse(ReadAll(out), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << ReadAll(out);
    // The page talked to nobody but the daemon and raised no script errors.
    EXPECT_EQ(j.value("offsite", json::array()), json::array()) << j.dump(2);
    for (const json& e : j.value("console_errors", json::array())) {
      const std::string msg = e.get<std::string>();
      // Refusals the page shows arrive as 4xx responses, which Chromium
      // logs; anything else is a page error.
      EXPECT_TRUE(Contains(msg, "Failed to load resource")) << msg;
    }
    return j;
  }

  // Every regular file under `root` that contains `needle`.
  static std::vector<std::string> FilesContaining(const fs::path& root,
                                                  const std::string& needle) {
    std::vector<std::string> hits;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      if (Contains(ReadAll(entry.path()), needle)) {
        hits.push_back(entry.path().string());
      }
    }
    return hits;
  }

  static fs::path* scratch_;
  static fs::path* sim_;
  static Result* setup_;
  static std::vector<pid_t>* pids_;
  fs::path dir_, data_;
  std::string address_, url_;
  int intake_port_ = 0;
  int browser_runs_ = 0;
};

fs::path* IntakeBrowserE2eTest::scratch_ = nullptr;
fs::path* IntakeBrowserE2eTest::sim_ = nullptr;
Result* IntakeBrowserE2eTest::setup_ = nullptr;
std::vector<pid_t>* IntakeBrowserE2eTest::pids_ = nullptr;

TEST_F(IntakeBrowserE2eTest, WholeStoryFromTheBrowser) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());

  // The consortium as the page gets it, with the security headers.
  httplib::Client http("127.0.0.1", intake_port_);
  const auto page = http.Get("/");
  ASSERT_TRUE(page) << "intake page unreachable";
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(Contains(page->get_header_value("Content-Security-Policy"),
                       "default-src 'none'; script-src 'self'"));
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  EXPECT_FALSE(page->has_header("Set-Cookie"));
  const auto info = http.Get("/api/v1/consortium");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200) << info->body;
  const json consortium = json::parse(info->body, nullptr, false);
  ASSERT_FALSE(consortium.is_discarded()) << info->body;
  EXPECT_EQ(consortium.value("threshold", 0), 3);
  EXPECT_EQ(consortium.value("max_exclusions", 0), 2);
  std::string excluded_name;
  for (const json& o : consortium["organisations"]) {
    if (o.value("id", 0) == 5) excluded_name = o.value("name", "");
  }
  ASSERT_FALSE(excluded_name.empty()) << info->body;

  // The whistleblower's file, with a marker nobody could guess.
  const std::string marker = "MARKER-" + RandomHex(16);
  std::string plain;
  for (int i = 0; plain.size() < 300 * 1024; ++i) {
    plain +=
        "line " + std::to_string(i) + " of the leaked ledger " + marker + "\n";
  }
  WriteAll(dir_ / "ledger.txt", plain);

  // 1. Submit from the page with organisation 5 excluded.
  const json sent = Browser("submit", {"--file", (dir_ / "ledger.txt").string(),
                                       "--exclude", excluded_name});
  ASSERT_TRUE(sent.value("ok", false)) << sent.dump(2);
  const std::string sub = sent.value("submission_id", "");
  const std::string receipt = sent.value("receipt", "");
  ASSERT_TRUE(IsHex64(sub)) << sent.dump(2);
  ASSERT_EQ(receipt.size(), 32u) << sent.dump(2);
  EXPECT_TRUE(Contains(sent.value("acceptance", ""), sub)) << sent.dump(2);
  EXPECT_TRUE(Contains(sent.value("proof_file", ""), sub));
  EXPECT_FALSE(Contains(sent.value("proof_file", ""), receipt));
  {
    const Result s = As(3, {"submissions"}, {"--json"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(Contains(s.out, sub)) << s.out;
  }

  // 2. The excluded organisation can neither request nor vote.
  {
    const Result r =
        As(5, {"request"}, {"--submission-id", sub, "--reason", "curious"});
    EXPECT_EQ(r.exit_code, kRefused) << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, "exclude")) << r.err;
  }
  const Result req = As(1, {"request"},
                        {"--submission-id", sub, "--reason",
                         "verify the ledger", "--lifetime", "2d"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  const std::string q = LastLine(req.out);
  ASSERT_TRUE(IsHex64(q)) << req.out;
  {
    const Result a = As(5, {"approve"}, {"--request-id", q, "--yes"}, true);
    EXPECT_EQ(a.exit_code, kRefused) << a.out << a.err;
    EXPECT_TRUE(Contains(a.err, "excluded")) << a.err;
  }
  // While the request is open the page says so.
  {
    const json s = Browser("status", {"--receipt", receipt});
    ASSERT_TRUE(s.value("ok", false)) << s.dump(2);
    ASSERT_EQ(s["submissions"].size(), 1u) << s.dump(2);
    EXPECT_EQ(s["submissions"][0].value("state", ""), "request_open")
        << s.dump(2);
    EXPECT_TRUE(
        Contains(s["submissions"][0].value("text", ""), "being considered"));
  }

  // 3. Organisations 1, 2 and 3 approve and release; organisation 1
  //    decrypts: the bytes the browser encrypted.
  for (int org : {1, 2, 3}) {
    const Result a = As(org, {"approve"}, {"--request-id", q, "--yes"}, true);
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  }
  {
    // The third approval released at once; the first two release now.
    for (int org : {1, 2}) {
      const Result r = As(org, {"release"}, {}, true);
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    const Result x =
        As(1, {"decrypt"},
           {"--request-id", q, "-o", (dir_ / "opened.txt").string()});
    ASSERT_EQ(x.exit_code, 0) << x.err;
    EXPECT_TRUE(ReadAll(dir_ / "opened.txt") == plain)
        << "the quorum-decrypted bytes differ from what the browser encrypted";
  }

  // 4. An editor replies; the browser returns with the receipt (typed in
  //    lower case with spaces) and reads it.
  const std::string reply_text =
      "Thank you. Can you tell us who signed page 3? ✓";
  {
    const Result r =
        As(2, {"reply"}, {"--submission-id", sub, "--message", reply_text});
    // EXPECT, so the steps after the reply still run and report.
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_FALSE(Contains(r.out + r.err, reply_text));
  }
  {
    std::string typed;
    for (char c : receipt)
      typed += c == '-' ? ' ' : static_cast<char>(std::tolower(c));
    const json s = Browser("status", {"--receipt", typed});
    ASSERT_TRUE(s.value("ok", false)) << s.dump(2);
    ASSERT_EQ(s["submissions"].size(), 1u) << s.dump(2);
    EXPECT_EQ(s["submissions"][0].value("submission_id", ""), sub);
    EXPECT_EQ(s["submissions"][0].value("state", ""), "released") << s.dump(2);
    EXPECT_TRUE(Contains(s["submissions"][0].value("text", ""),
                         "Opened after approval by 3 organisations"))
        << s.dump(2);
    EXPECT_EQ(s["replies"].size(), 1u) << s.dump(2);
    if (s["replies"].size() == 1) {
      EXPECT_TRUE(s["replies"][0].value("decrypted", false)) << s.dump(2);
      EXPECT_EQ(s["replies"][0].value("text", ""), reply_text);
    }
  }

  // 5. A follow-up from the page, linked to the first submission.
  const std::string marker2 = "FOLLOWUP-" + RandomHex(16);
  {
    const json f =
        Browser("follow-up", {"--receipt", receipt, "--message",
                              "Page 3 was signed by the CFO. " + marker2});
    ASSERT_TRUE(f.value("ok", false)) << f.dump(2);
    const std::string fid = f.value("submission_id", "");
    EXPECT_TRUE(IsHex64(fid)) << f.dump(2);
    EXPECT_NE(fid, sub);
    ASSERT_EQ(f["submissions"].size(), 2u) << f.dump(2);
    EXPECT_EQ(f["submissions"][1].value("submission_id", ""), fid);
    EXPECT_EQ(f["submissions"][1].value("state", ""), "received");
    const Result m = As(4, {"messages"}, {"--submission-id", sub, "--json"});
    ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
    EXPECT_TRUE(Contains(m.out, fid)) << m.out;
    EXPECT_FALSE(Contains(m.out, marker2));
  }

  // 6. A receipt nobody was given gets the same refusal as any unknown one.
  {
    const json w = Browser("status", {"--receipt", RandomReceipt()});
    EXPECT_FALSE(w.value("ok", true)) << w.dump(2);
    EXPECT_EQ(w.value("error", ""), kNotRecognised) << w.dump(2);
    // One character changed in the real receipt: the same sentence.
    std::string near = receipt;
    near[0] = near[0] == 'A' ? 'B' : 'A';
    const json n = Browser("status", {"--receipt", near});
    EXPECT_FALSE(n.value("ok", true)) << n.dump(2);
    EXPECT_EQ(n.value("error", ""), kNotRecognised) << n.dump(2);
  }

  // 7. The daemon never stored or logged the plaintext, the reply text or
  //    the receipt.
  for (const std::string& needle :
       {marker, marker2, std::string("Can you tell us who signed"), receipt}) {
    EXPECT_EQ(FilesContaining(data_, needle), std::vector<std::string>{})
        << needle;
  }
}

}  // namespace
}  // namespace conclave
