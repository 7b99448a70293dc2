#include "tests/daemon_fixture.h"

#include <gtest/gtest.h>

#include <chrono>

#include "audit/cosignature.h"
#include "crypto/ed25519.h"

// ThreadSanitizer (the tests that link this library): Debian's
// libcpp-httplib.so (the witnesses' HTTP servers and the witness client) is
// not instrumented, so TSan sees only the memcpy/memcmp it intercepts inside
// it and not that library's own synchronisation, and reports races whose
// every frame is in that library. Reports from conclave code, the store and
// the witness logic still count.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so\n";
}

namespace conclave::testing {

namespace fs = std::filesystem;

TestWitness::TestWitness(const Consortium& c, uint32_t org,
                         const fs::path& dir) {
  const v1::WitnessKey* wk = c.witness_key(org);
  EXPECT_NE(wk, nullptr);
  witness::WitnessConfig config;
  auto key = Ed25519PrivateKey::FromSeed(AsBytes(wk->ed25519_seed()));
  auto signer =
      audit::CosignatureV1Signer::Create(wk->name(), std::move(key).value());
  config.signer = std::move(signer).value();
  config.clock = [] { return kFixtureNow; };
  EXPECT_TRUE(config.AddLogVkey(c.roster().body.log_vkey()).ok());
  auto w = witness::Witness::Open(std::move(config), dir);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  witness_ = std::move(w).value();
  server_ = std::make_unique<httplib::Server>();
  // Idle keep-alive connections must not hold stop() up.
  server_->set_keep_alive_timeout(1);
  server_->Post("/add-checkpoint",
                [this](const httplib::Request& req, httplib::Response& res) {
                  witness::HttpReply r = witness_->AddCheckpoint(req.body);
                  res.status = r.status;
                  res.set_content(r.body, r.content_type.c_str());
                });
  port_ = server_->bind_to_any_port("127.0.0.1");
  EXPECT_GT(port_, 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TestWitness::~TestWitness() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string TestWitness::Url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void StartTestWitnesses(const Consortium& c, const fs::path& dir,
                        TestWitnesses* out, const std::set<uint32_t>& orgs) {
  for (uint32_t org : orgs) {
    out->emplace_back(org,
                      std::make_unique<TestWitness>(
                          c, org, dir / ("witness" + std::to_string(org))));
  }
}

StatusOr<daemon::DaemonOptions> ConsortiumDaemonOptions(
    const Consortium& c, const fs::path& data_dir,
    const TestWitnesses& witnesses, std::function<uint64_t()> clock) {
  daemon::DaemonOptions o;
  o.data_dir = data_dir;
  CONCLAVE_ASSIGN_OR_RETURN(
      o.roster, ReadBytesFromFile(c.dir() / "ceremony" / "consortium.roster"));
  o.log_key_origin = c.log_key().origin();
  o.log_key_seed = SecretBytes::CopyFrom(AsBytes(c.log_key().ed25519_seed()));
  for (const auto& [org, w] : witnesses) {
    o.witnesses.push_back({org, w->Url()});
  }
  o.clock = std::move(clock);
  o.settle_wait_ms = 10000;
  return o;
}

}  // namespace conclave::testing
