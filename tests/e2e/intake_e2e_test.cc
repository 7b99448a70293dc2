// End to end (issue 8): conclaved --intake with real witnesses; C++ plays
// the whistleblower's browser over HTTP (daemon/contact.h) and the editors
// use the real `conclave reply` and `conclave messages`:
//   upload with a contact → `conclave reply` → the whistleblower fetches
//   the status with their receipt and decrypts the reply with the reply
//   key → `messages --json` lists the thread → a reply to a submission
//   without a contact is refused with a clear message (exit 6).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "age/base64.h"
#include "crypto/random.h"
#include "daemon/contact.h"
#include "tests/e2e/conclaved_harness.h"
#include "tests/e2e/program.h"
#include "tests/quorum_fixture.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::ConclavedCluster;

constexpr int kRefused = 6;

class IntakeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-intake-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto c = ConclavedCluster::Create(
        {CONCLAVED_PATH, CONCLAVE_CEREMONY_PATH, CONCLAVE_WITNESS_PATH}, dir_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(c).value();
    ASSERT_TRUE(cluster_->StartWitnesses().ok());
    daemon_ = cluster_->StartDaemon(
        cluster_->DaemonArgs(dir_ / "data", {"--intake", "127.0.0.1:0"}));
    ASSERT_GT(daemon_.port, 0) << daemon_.err;
    // "conclaved: intake page on http://127.0.0.1:PORT/"
    const std::string marker = "intake page on http://127.0.0.1:";
    for (int i = 0; i < 3000 && intake_port_ == 0; ++i) {
      const std::string err = testing::ReadAll(daemon_.proc.err);
      const size_t at = err.find(marker);
      if (at != std::string::npos) {
        intake_port_ = std::stoi(err.substr(at + marker.size()));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    ASSERT_GT(intake_port_, 0) << testing::ReadAll(daemon_.proc.err);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", intake_port_);
  }
  void TearDown() override {
    if (cluster_ && daemon_.port > 0) cluster_->StopDaemon(&daemon_, SIGTERM);
    cluster_.reset();
    fs::remove_all(dir_);
  }

  json PostJson(const std::string& path, const json& body, int want) {
    auto r = http_->Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // Uploads in two chunks and finishes; the finish reply.
  json Upload(const Bytes& file, const json& finish) {
    json u = PostJson("/api/v1/uploads", {{"size", file.size()}}, 201);
    const std::string id = u["upload_id"];
    const size_t half = file.size() / 2;
    for (auto [off, n] :
         {std::pair<size_t, size_t>{0, half}, {half, file.size() - half}}) {
      auto r = http_->Put(
          ("/api/v1/uploads/" + id + "?offset=" + std::to_string(off)).c_str(),
          reinterpret_cast<const char*>(file.data()) + off, n,
          "application/octet-stream");
      EXPECT_TRUE(r && r->status == 200);
    }
    return PostJson("/api/v1/uploads/" + id + "/finish", finish, 200);
  }

  testing::ProgramResult Conclave(std::vector<std::string> args) {
    const fs::path ed = dir_ / "ceremony" / "org2" / "editor1";
    std::vector<std::string> all = {
        "--server", "127.0.0.1:" + std::to_string(daemon_.port)};
    all.insert(all.end(), args.begin(), args.end());
    for (const std::string& a : std::vector<std::string>{
             "--roster", cluster_->roster_path(), "--identity",
             (ed / "identity.age").string(), "--passphrase-file",
             cluster_->passphrase_path(), "--state",
             (dir_ / "state").string()}) {
      all.push_back(a);
    }
    return testing::RunProgram(dir_, CONCLAVE_CLI_PATH, all);
  }

  fs::path dir_;
  std::unique_ptr<ConclavedCluster> cluster_;
  testing::RunningDaemon daemon_;
  int intake_port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(IntakeE2eTest, ReplyReachesTheWhistleblowerThroughTheCli) {
  // The whistleblower: a receipt, its keys, a submission with a contact.
  const SecretBytes r = RandomBytes(daemon::kReceiptSize);
  auto keys = daemon::DeriveReceiptKeys(r.span());
  ASSERT_TRUE(keys.ok());
  auto sub = testing::MakeSubmission(cluster_->roster().consortium_key,
                                     AsBytes("the documents"), {});
  ASSERT_TRUE(sub.ok());
  json accepted =
      Upload(sub->file, {{"contact",
                          {{"lookup_id", HexEncode(keys->lookup_id)},
                           {"auth_key", HexEncode(keys->auth_key)},
                           {"reply_recipient", keys->reply_recipient}}}});
  ASSERT_EQ(accepted["submission_id"], sub->id);
  auto silent = testing::MakeSubmission(cluster_->roster().consortium_key,
                                        AsBytes("no receipt kept"), {});
  ASSERT_TRUE(silent.ok());
  Upload(silent->file, json::object());

  // The editor replies with the CLI.
  const std::string question = "Thank you. Can you tell us who else knows?";
  auto rep =
      Conclave({"reply", "--submission-id", sub->id, "--message", question});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.out.find("logged at leaf"), std::string::npos) << rep.out;

  // The whistleblower comes back with the receipt.
  json ch = PostJson("/api/v1/contact/challenge",
                     {{"lookup_id", HexEncode(keys->lookup_id)}}, 200);
  const Bytes challenge = testing::Hex(ch["challenge"].get<std::string>());
  json status = PostJson(
      "/api/v1/contact/status",
      {{"lookup_id", HexEncode(keys->lookup_id)},
       {"challenge", ch["challenge"]},
       {"signature", HexEncode(daemon::SignContactAuth(*keys, challenge))}},
      200);
  ASSERT_EQ(status["submissions"].size(), 1u) << status.dump();
  EXPECT_EQ(status["submissions"][0]["state"], "received");
  ASSERT_EQ(status["replies"].size(), 1u) << status.dump();
  Bytes ct;
  ASSERT_TRUE(age::Base64DecodePaddedAppend(
                  status["replies"][0]["message"].get<std::string>(), &ct)
                  .ok());
  auto text = daemon::DecryptReply(*keys, ct);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, question);
  // The data directory never holds the reply's text.
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "data")) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(testing::ReadAll(e.path()).find("who else knows"),
              std::string::npos)
        << e.path();
  }

  // messages --json lists the thread with the reply.
  auto msgs = Conclave({"messages", "--json"});
  ASSERT_EQ(msgs.exit_code, 0) << msgs.err;
  json threads = json::parse(msgs.out, nullptr, false);
  ASSERT_TRUE(threads.is_array()) << msgs.out;
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads[0]["first"]["submission_id"], sub->id);
  EXPECT_EQ(threads[0]["has_contact"], true);
  EXPECT_EQ(threads[0]["reply_recipient"], keys->reply_recipient);
  ASSERT_EQ(threads[0]["replies"].size(), 1u);
  EXPECT_EQ(threads[0]["replies"][0]["org_id"], 2);

  // No receipt kept: refused, with a message that says why.
  auto refused =
      Conclave({"reply", "--submission-id", silent->id, "--message", "hello?"});
  EXPECT_EQ(refused.exit_code, kRefused) << refused.err;
  EXPECT_NE(refused.err.find("no contact key"), std::string::npos)
      << refused.err;
  // Neither --message nor --message-file: usage.
  auto usage = Conclave({"reply", "--submission-id", sub->id});
  EXPECT_EQ(usage.exit_code, 1) << usage.err;
}

}  // namespace
}  // namespace conclave
