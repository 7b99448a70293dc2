// conclaved's witness client against real witnesses (witness::Witness with
// persistent state in temp directories) served by in-process cpp-httplib
// servers on loopback ephemeral ports: m = 5 organisations, t = 3, so W = 4.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "audit/note.h"
#include "audit/settled.h"
#include "daemon/witness_client.h"
#include "witness/witness.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using audit::Hash;
using Kind = WitnessFailure::Kind;

constexpr char kOrigin[] = "log.consortium.example";
constexpr uint32_t kM = 5;
constexpr uint32_t kT = 3;

Ed25519PrivateKey CopyKey(const Ed25519PrivateKey& k) {
  return Ed25519PrivateKey::FromSeed(k.seed().span()).value();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A port on which nothing listens (bound, then closed).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One organisation's witness behind an HTTP server, with knobs to make it
// misbehave.
class TestWitness {
 public:
  // Rewrites the witness's reply (request body, reply).
  using Tamper = std::function<void(const std::string&, witness::HttpReply*)>;

  TestWitness(uint32_t org, const std::string& log_vkey, const fs::path& dir,
              std::string prefix = "")
      : org_(org), prefix_(std::move(prefix)), dir_(dir) {
    key_ = Ed25519PrivateKey::Generate();
    name_ = "witness.org" + std::to_string(org) + ".example";
    log_vkey_ = log_vkey;
    Open();
  }
  ~TestWitness() { Stop(); }

  void Open() {
    witness::WitnessConfig config;
    auto signer = audit::CosignatureV1Signer::Create(name_, CopyKey(key_));
    EXPECT_TRUE(signer.ok());
    config.signer = std::move(signer).value();
    config.clock = [] { return uint64_t{1700000000}; };
    if (!log_vkey_.empty()) {
      EXPECT_TRUE(config.AddLogVkey(log_vkey_).ok());
    }
    auto w = witness::Witness::Open(std::move(config), dir_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(w).value();
  }

  // On `port`, or an ephemeral one if 0.
  void Start(int port = 0) {
    server_ = std::make_unique<httplib::Server>();
    // Short, so that Stop() does not wait 5 s for idle keep-alive
    // connections.
    server_->set_keep_alive_timeout(1);
    server_->Post(prefix_ + "/add-checkpoint",
                  [this](const httplib::Request& req, httplib::Response& res) {
                    requests_.fetch_add(1);
                    {
                      std::lock_guard<std::mutex> l(mu_);
                      bodies_.push_back(req.body);
                    }
                    const int delay = delay_ms_.load();
                    if (delay > 0) {
                      std::unique_lock<std::mutex> l(mu_);
                      cv_.wait_for(l, std::chrono::milliseconds(delay),
                                   [this] { return stopping_; });
                    }
                    witness::HttpReply r = witness_->AddCheckpoint(req.body);
                    if (tamper_) tamper_(req.body, &r);
                    res.status = r.status;
                    res.set_content(r.body, r.content_type.c_str());
                  });
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      ASSERT_TRUE(server_->bind_to_port("127.0.0.1", port));
      port_ = port;
    }
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = false;
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + prefix_;
  }
  std::string Vkey() const { return witness_->vkey(); }
  uint64_t StoredSize() const {
    auto st = witness_->state();
    auto it = st.logs.find(kOrigin);
    return it == st.logs.end() ? 0 : it->second.size;
  }
  // A cosignature line by this witness's key over `text` (for tampering).
  std::string LineFor(const std::string& text) const {
    auto signer = audit::CosignatureV1Signer::Create(name_, CopyKey(key_));
    auto sig = (*signer)->SignAt(text, 1700000000);
    audit::NoteSignature s{name_, (*signer)->key_id(), *sig};
    return s.ToLine();
  }
  std::string LastBody() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_.empty() ? "" : bodies_.back();
  }

  uint32_t org_;
  std::string prefix_;
  fs::path dir_;
  Ed25519PrivateKey key_ = Ed25519PrivateKey::Generate();
  std::string name_;
  std::string log_vkey_;
  std::unique_ptr<witness::Witness> witness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> delay_ms_{0};
  std::atomic<int> requests_{0};
  Tamper tamper_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::string> bodies_;
};

// The checkpoint text of a request body ("old", proof, "\n", note).
std::string TextOf(const std::string& body) {
  const size_t blank = body.find("\n\n");
  auto note = audit::ParseNote(body.substr(blank + 2));
  return note.ok() ? note->text : "";
}

// Flips one bit of the signature in a "— name base64\n" line.
std::string Forge(const std::string& line) {
  const size_t sp = line.rfind(' ');
  auto raw = audit::NoteBase64Decode(line.substr(sp + 1, line.size() - sp - 2));
  EXPECT_TRUE(raw.ok());
  Bytes b = *raw;
  b.back() ^= 0x01;
  return line.substr(0, sp + 1) + audit::NoteBase64Encode(b) + "\n";
}

class WitnessClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-wclient-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    log_key_ = Ed25519PrivateKey::Generate();
    auto log = audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                                  kOrigin, CopyKey(log_key_));
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    for (uint32_t org = 1; org <= kM; ++org) {
      witnesses_.push_back(std::make_unique<TestWitness>(
          org, log_->vkey(), root_ / ("w" + std::to_string(org))));
      entries_.push_back({org, witnesses_.back()->Vkey()});
    }
  }
  void TearDown() override {
    witnesses_.clear();
    fs::remove_all(root_);
  }

  void StartAll() {
    for (auto& w : witnesses_) w->Start();
  }

  void Grow(int n) {
    std::vector<Bytes> leaves;
    for (int i = 0; i < n; ++i) {
      leaves.push_back(ToBytes("leaf " + std::to_string(log_->Size() + i)));
    }
    ASSERT_TRUE(log_->AppendBatch(leaves).ok());
  }

  std::string Sign() { return log_->SignCheckpoint().value(); }

  // Endpoints for the given orgs (1-based); a dead port for those in `down`.
  std::vector<WitnessEndpoint> Endpoints(std::vector<uint32_t> orgs = {1, 2, 3,
                                                                       4, 5},
                                         std::vector<uint32_t> down = {}) {
    std::vector<WitnessEndpoint> eps;
    for (uint32_t org : orgs) {
      const bool is_down =
          std::find(down.begin(), down.end(), org) != down.end();
      eps.push_back({org, is_down
                              ? "http://127.0.0.1:" + std::to_string(DeadPort())
                              : witnesses_[org - 1]->Url()});
    }
    return eps;
  }

  std::unique_ptr<WitnessClient> Client(std::vector<WitnessEndpoint> eps,
                                        WitnessClientOptions o = Fast()) {
    auto c = WitnessClient::Create(kM, kT, entries_, log_->vkey(), eps, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  static WitnessClientOptions Fast() {
    WitnessClientOptions o;
    o.connect_timeout = std::chrono::milliseconds(1000);
    o.io_timeout = std::chrono::milliseconds(2000);
    o.deadline = std::chrono::milliseconds(4000);
    return o;
  }

  ProofSource Proofs() {
    return [this](uint64_t a, uint64_t b) {
      proof_calls_.emplace_back(a, b);
      return log_->ConsistencyProof(a, b);
    };
  }

  // What a client of the log would conclude from the result's note.
  void ExpectVerifies(const CosignResult& r, size_t cosigners) {
    auto log_key = audit::Ed25519NoteVerifier::FromVerifierKey(log_->vkey());
    auto roster = audit::WitnessRoster::Create(kM, kT, entries_);
    ASSERT_TRUE(roster.ok());
    auto c =
        audit::VerifyCosignedCheckpoint(r.note, kOrigin, **log_key, *roster);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->cosigners.size(), cosigners);
    EXPECT_EQ(audit::Settle(*c, {}, *roster).ok(), r.settled);
  }

  static const WitnessFailure* FailureFor(const CosignResult& r, uint32_t org) {
    for (const auto& f : r.failures) {
      if (f.org_id == org) return &f;
    }
    return nullptr;
  }

  fs::path root_;
  Ed25519PrivateKey log_key_ = Ed25519PrivateKey::Generate();
  std::unique_ptr<audit::Log> log_;
  std::vector<std::unique_ptr<TestWitness>> witnesses_;
  std::vector<audit::WitnessEntry> entries_;
  std::vector<std::pair<uint64_t, uint64_t>> proof_calls_;
};

// --- URLs and flags -------------------------------------------------------

TEST(WitnessUrlTest, AcceptsLoopbackHttpAndHttps) {
  auto u = ParseWitnessUrl("http://127.0.0.1:7380");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 7380);
  EXPECT_EQ(u->prefix, "");
  EXPECT_EQ(u->ToString(), "http://127.0.0.1:7380");

  u = ParseWitnessUrl("HTTP://localhost/witness/org1/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->prefix, "/witness/org1");
  EXPECT_EQ(u->ToString(), "http://localhost:80/witness/org1");

  u = ParseWitnessUrl("http://[::1]:9000/w");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->SchemeHostPort(), "http://[::1]:9000");

  u = ParseWitnessUrl("http://127.8.9.10:1");
  EXPECT_TRUE(u.ok());

  // Debian's cpp-httplib is built with OpenSSL: https works anywhere.
  u = ParseWitnessUrl("https://witness.org3.example/tlog");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->prefix, "/tlog");
}

TEST(WitnessUrlTest, RefusesPlainHttpOffLoopbackAndOddUrls) {
  auto u = ParseWitnessUrl("http://10.0.0.7:7380");
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(u.status().message(), "only to a loopback address"))
      << u.status().message();
  EXPECT_FALSE(ParseWitnessUrl("http://witness.example").ok());
  EXPECT_FALSE(ParseWitnessUrl("http://[::ffff:127.0.0.1]").ok());
  for (const char* bad : {
           "127.0.0.1:7380",                // no scheme
           "ftp://127.0.0.1",               // scheme
           "http://",                       // no host
           "http://127.0.0.1:",             // empty port
           "http://127.0.0.1:0",            // port 0
           "http://127.0.0.1:65536",        // port range
           "http://127.0.0.1:80a",          // port digits
           "http://user@127.0.0.1",         // user info
           "http://127.0.0.1/a?b=c",        // query
           "http://127.0.0.1/a#f",          // fragment
           "http://127.0.0.1/a b",          // space
           "http://[::1",                   // unterminated
           "http://[nope]:80",              // bad literal
           "https://exa_mple.org",          // host chars
           "https://witness.example/\x01",  // control
       }) {
    EXPECT_EQ(ParseWitnessUrl(bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(WitnessUrlTest, ParsesOrgEqualsUrlFlags) {
  auto e = ParseWitnessEndpoint("3=http://127.0.0.1:7383/");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->org_id, 3u);
  EXPECT_EQ(e->url, "http://127.0.0.1:7383");
  e = ParseWitnessEndpoint("4294967295=https://w.example");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->org_id, 4294967295u);
  for (const char* bad :
       {"http://127.0.0.1", "0=http://127.0.0.1", "03=http://127.0.0.1",
        "-1=http://127.0.0.1", "4294967296=http://127.0.0.1",
        "x=http://127.0.0.1", "=http://127.0.0.1", "1=http://192.168.1.1"}) {
    EXPECT_EQ(ParseWitnessEndpoint(bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(WitnessClientTest, CreateChecksEndpointsAgainstTheRoster) {
  StartAll();
  auto eps = Endpoints();
  eps.push_back({9, "http://127.0.0.1:1"});
  auto c = WitnessClient::Create(kM, kT, entries_, log_->vkey(), eps);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(c.status().message(), "organisation 9"));

  eps = Endpoints();
  eps.push_back({2, "http://127.0.0.1:1"});
  c = WitnessClient::Create(kM, kT, entries_, log_->vkey(), eps);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(c.status().message(), "more than once"));

  eps = {{1, "http://10.1.2.3:80"}};
  c = WitnessClient::Create(kM, kT, entries_, log_->vkey(), eps);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);

  // A witness vkey is not a log vkey.
  c = WitnessClient::Create(kM, kT, entries_, entries_[0].vkey, Endpoints());
  EXPECT_FALSE(c.ok());

  // Three URLs for W = 4: the client says nothing can settle.
  auto few = Client(Endpoints({1, 2, 3}));
  ASSERT_NE(few, nullptr);
  EXPECT_EQ(few->CheckCanSettle().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(few->CheckCanSettle().message(), "4 of 5"));
  EXPECT_TRUE(Client(Endpoints())->CheckCanSettle().ok());
  EXPECT_EQ(Client(Endpoints())->origin(), kOrigin);
}

// --- Cosigning ------------------------------------------------------------

TEST_F(WitnessClientTest, AllWitnessesUpSettlesThenAdvancesWithProofs) {
  StartAll();
  auto client = Client(Endpoints());
  ASSERT_NE(client, nullptr);
  Grow(10);
  auto r = client->Cosign(Sign(), 10, Proofs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->settled) << r->summary;
  ASSERT_TRUE(r->settled_checkpoint.has_value());
  EXPECT_EQ(r->settled_checkpoint->checkpoint().size, 10u);
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(r->failures.empty());
  EXPECT_EQ(r->summary, "settled: 5 of 5 organisations cosigned (4 needed)");
  ExpectVerifies(*r, 5);
  EXPECT_TRUE(proof_calls_.empty());  // "old 0", no proof
  EXPECT_TRUE(Contains(witnesses_[0]->LastBody(), "old 0\n\n"));
  for (uint32_t org = 1; org <= kM; ++org) {
    EXPECT_EQ(client->acknowledged_size(org), 10u);
    EXPECT_EQ(witnesses_[org - 1]->StoredSize(), 10u);
  }

  // The next checkpoint goes from 10 with a proof; one proof call per
  // witness, never concurrently (the log is not thread-safe).
  Grow(7);
  r = client->Cosign(Sign(), 17, Proofs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_EQ(proof_calls_.size(), 5u);
  for (const auto& pc : proof_calls_) {
    EXPECT_EQ(pc, std::make_pair(uint64_t{10}, uint64_t{17}));
  }
  EXPECT_TRUE(Contains(witnesses_[2]->LastBody(), "old 10\n"));
  ExpectVerifies(*r, 5);
  // Exactly one request per witness per checkpoint.
  for (auto& w : witnesses_) EXPECT_EQ(w->requests_.load(), 2);

  // Re-submitting the same size sends "old 17" and no proof.
  r = client->Cosign(Sign(), 17, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled);
  EXPECT_EQ(proof_calls_.size(), 5u);
}

TEST_F(WitnessClientTest, UrlPrefixIsHonoured) {
  witnesses_[0]->prefix_ = "/tlog/org1";
  StartAll();
  auto client = Client(Endpoints());
  Grow(3);
  auto r = client->Cosign(Sign(), 3, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cosigners.size(), 5u) << r->summary;
  EXPECT_EQ(witnesses_[0]->requests_.load(), 1);
}

TEST_F(WitnessClientTest, OneWitnessDownStillSettlesAndIsNamed) {
  StartAll();
  auto client = Client(Endpoints({1, 2, 3, 4, 5}, {2}));
  Grow(4);
  auto r = client->Cosign(Sign(), 4, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{1, 3, 4, 5}));
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].org_id, 2u);
  EXPECT_EQ(r->failures[0].kind, Kind::kUnreachable);
  EXPECT_TRUE(Contains(r->summary, "settled: 4 of 5"));
  EXPECT_TRUE(Contains(r->summary, "unreachable: org2 (connection failed"))
      << r->summary;
  EXPECT_EQ(client->acknowledged_size(2), 0u);
  ExpectVerifies(*r, 4);
}

TEST_F(WitnessClientTest, TooFewWitnessesMeansNotSettledWithReasons) {
  StartAll();
  witnesses_[4]->delay_ms_ = 3000;  // org5 answers too late
  WitnessClientOptions o = Fast();
  o.io_timeout = std::chrono::milliseconds(300);
  auto client = Client(Endpoints({1, 2, 3, 4, 5}, {3}), o);
  Grow(6);
  auto r = client->Cosign(Sign(), 6, Proofs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->settled);
  EXPECT_FALSE(r->settled_checkpoint.has_value());
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{1, 2, 4}));
  ASSERT_EQ(r->failures.size(), 2u);
  EXPECT_EQ(r->failures[0].org_id, 3u);
  EXPECT_EQ(r->failures[1].org_id, 5u);
  EXPECT_TRUE(Contains(r->failures[1].reason, "timeout")) << r->summary;
  EXPECT_TRUE(Contains(r->summary,
                       "not settled: 3 of 5 organisations cosigned (4 "
                       "needed); unreachable: org3 (connection failed"))
      << r->summary;
  EXPECT_TRUE(Contains(r->summary, "org5 (timeout: no answer within 300 ms)"))
      << r->summary;
  // The note still carries the three valid cosignatures (served, but not as
  // settled).
  ExpectVerifies(*r, 3);
}

TEST_F(WitnessClientTest, MissingUrlsAreReportedAsNoEndpoint) {
  StartAll();
  auto client = Client(Endpoints({1, 2, 3}));
  Grow(2);
  auto r = client->Cosign(Sign(), 2, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->settled);
  ASSERT_EQ(r->failures.size(), 2u);
  EXPECT_EQ(r->failures[0].kind, Kind::kNoEndpoint);
  EXPECT_TRUE(Contains(r->summary,
                       "no witness URL: org4 (no --witness URL "
                       "configured), org5"))
      << r->summary;
}

TEST_F(WitnessClientTest, ForgedCosignatureIsIgnoredAndNamed) {
  StartAll();
  // org2 returns its line with one bit flipped.
  witnesses_[1]->tamper_ = [](const std::string&, witness::HttpReply* r) {
    r->body = Forge(r->body);
  };
  // org4 returns a valid line plus a forged copy: counted, and named.
  witnesses_[3]->tamper_ = [this](const std::string& req,
                                  witness::HttpReply* r) {
    r->body += Forge(witnesses_[3]->LineFor(TextOf(req)));
  };
  auto client = Client(Endpoints());
  Grow(5);
  const std::string note = Sign();
  auto r = client->Cosign(note, 5, Proofs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{1, 3, 4, 5}));
  EXPECT_TRUE(r->settled);
  const WitnessFailure* f2 = FailureFor(*r, 2);
  ASSERT_NE(f2, nullptr);
  EXPECT_EQ(f2->kind, Kind::kBadCosignature);
  EXPECT_TRUE(Contains(f2->reason, "do not verify under its roster key"))
      << f2->reason;
  const WitnessFailure* f4 = FailureFor(*r, 4);
  ASSERT_NE(f4, nullptr);
  EXPECT_TRUE(Contains(f4->reason, "ignored 1 cosignature line")) << f4->reason;
  EXPECT_TRUE(Contains(r->summary, "bad cosignature: org2")) << r->summary;
  // The forged lines are not in the note; a strict verifier accepts it.
  EXPECT_FALSE(Contains(r->note, "witness.org2.example"));
  ExpectVerifies(*r, 4);
  // A witness whose answer did not verify is not believed to have moved.
  EXPECT_EQ(client->acknowledged_size(2), 0u);
}

TEST_F(WitnessClientTest, AnotherOrganisationsCosignatureDoesNotCount) {
  StartAll();
  // org4's server answers with org1's (valid) cosignature only, and org5
  // with a line from an unknown key plus garbage.
  witnesses_[3]->tamper_ = [this](const std::string& req,
                                  witness::HttpReply* r) {
    r->body = witnesses_[0]->LineFor(TextOf(req));
  };
  auto stranger = audit::CosignatureV1Signer::Create(
      "witness.stranger.example", Ed25519PrivateKey::Generate());
  ASSERT_TRUE(stranger.ok());
  witnesses_[4]->tamper_ = [&](const std::string& req, witness::HttpReply* r) {
    auto sig = (*stranger)->SignAt(TextOf(req), 1700000000);
    r->body = audit::NoteSignature{"witness.stranger.example",
                                   (*stranger)->key_id(), *sig}
                  .ToLine() +
              "not a signature line\n";
  };
  auto client = Client(Endpoints());
  Grow(5);
  auto r = client->Cosign(Sign(), 5, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_FALSE(r->settled);
  ASSERT_NE(FailureFor(*r, 4), nullptr);
  EXPECT_TRUE(Contains(FailureFor(*r, 4)->reason,
                       "another organisation's witness key"));
  ASSERT_NE(FailureFor(*r, 5), nullptr);
  EXPECT_TRUE(Contains(FailureFor(*r, 5)->reason, "unknown keys"));
  EXPECT_TRUE(Contains(FailureFor(*r, 5)->reason, "1 malformed line"));
  EXPECT_FALSE(Contains(r->note, "stranger"));
  ExpectVerifies(*r, 3);
}

TEST_F(WitnessClientTest, ConflictRecoveryAfterRestartUsesTheWitnessSize) {
  StartAll();
  Grow(8);
  // A first daemon process gets every witness to 8.
  ASSERT_TRUE(Client(Endpoints())->Cosign(Sign(), 8, Proofs()).ok());
  // A restarted daemon starts from "old 0": each witness answers 409 "8",
  // and the client retries once with the proof 8 -> 20.
  proof_calls_.clear();
  auto client = Client(Endpoints());
  Grow(12);
  auto r = client->Cosign(Sign(), 20, Proofs());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_EQ(r->cosigners.size(), 5u);
  EXPECT_EQ(proof_calls_.size(), 5u);
  for (const auto& pc : proof_calls_) {
    EXPECT_EQ(pc, std::make_pair(uint64_t{8}, uint64_t{20}));
  }
  for (auto& w : witnesses_) {
    EXPECT_EQ(w->requests_.load(), 3);  // 200, then 409 + 200
    EXPECT_EQ(w->StoredSize(), 20u);
  }
  ExpectVerifies(*r, 5);
}

TEST_F(WitnessClientTest, ConflictAtTheSameSizeNeedsNoProof) {
  StartAll();
  Grow(8);
  ASSERT_TRUE(Client(Endpoints())->Cosign(Sign(), 8, Proofs()).ok());
  // Restarted at the same size: 409 "8", then "old 8" with no proof.
  auto r = Client(Endpoints())->Cosign(Sign(), 8, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_TRUE(proof_calls_.empty());
  EXPECT_TRUE(Contains(witnesses_[0]->LastBody(), "old 8\n\n"));
}

TEST_F(WitnessClientTest, LaggingWitnessGetsAProofFromItsOwnSize) {
  StartAll();
  auto client = Client(Endpoints());
  Grow(10);
  ASSERT_TRUE(client->Cosign(Sign(), 10, Proofs()).ok());
  // org1 is down while the log moves to 20.
  const int port = witnesses_[0]->port_;
  witnesses_[0]->Stop();
  Grow(10);
  auto r = client->Cosign(Sign(), 20, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_EQ(client->acknowledged_size(1), 10u);
  EXPECT_EQ(client->acknowledged_size(2), 20u);
  // Back up on the same address: at 30 it gets "old 10" and the proof
  // 10 -> 30, the others 20 -> 30.
  witnesses_[0]->Start(port);
  proof_calls_.clear();
  Grow(10);
  r = client->Cosign(Sign(), 30, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cosigners.size(), 5u) << r->summary;
  std::sort(proof_calls_.begin(), proof_calls_.end());
  ASSERT_EQ(proof_calls_.size(), 5u);
  EXPECT_EQ(proof_calls_[0], std::make_pair(uint64_t{10}, uint64_t{30}));
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(proof_calls_[i], std::make_pair(uint64_t{20}, uint64_t{30}));
  }
  EXPECT_TRUE(Contains(witnesses_[0]->LastBody(), "old 10\n"));
  EXPECT_EQ(witnesses_[0]->StoredSize(), 30u);
  EXPECT_EQ(witnesses_[0]->requests_.load(), 2);  // no 409 needed
  ExpectVerifies(*r, 5);
}

TEST_F(WitnessClientTest, WitnessRestoredFromAnOldBackupIsCaughtUp) {
  StartAll();
  auto client = Client(Endpoints());
  Grow(10);
  ASSERT_TRUE(client->Cosign(Sign(), 10, Proofs()).ok());
  // Save org2's state at 10, advance everyone to 20, then restore org2's
  // old state: the client believes 20, the witness is at 10.
  const fs::path state = witnesses_[1]->dir_ / "state";
  const fs::path saved = root_ / "org2.state";
  fs::copy_file(state, saved);
  Grow(10);
  ASSERT_TRUE(client->Cosign(Sign(), 20, Proofs()).ok());
  EXPECT_EQ(client->acknowledged_size(2), 20u);
  const int port = witnesses_[1]->port_;
  witnesses_[1]->Stop();
  witnesses_[1]->witness_.reset();
  fs::copy_file(saved, state, fs::copy_options::overwrite_existing);
  witnesses_[1]->Open();
  witnesses_[1]->Start(port);
  ASSERT_EQ(witnesses_[1]->StoredSize(), 10u);
  // At 25: "old 20" -> 409 "10" -> "old 10" with the proof 10 -> 25.
  Grow(5);
  proof_calls_.clear();
  auto r = client->Cosign(Sign(), 25, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled) << r->summary;
  EXPECT_EQ(r->cosigners.size(), 5u) << r->summary;
  std::sort(proof_calls_.begin(), proof_calls_.end());
  ASSERT_EQ(proof_calls_.size(), 6u);
  EXPECT_EQ(proof_calls_[0], std::make_pair(uint64_t{10}, uint64_t{25}));
  EXPECT_EQ(client->acknowledged_size(2), 25u);
  EXPECT_EQ(witnesses_[1]->StoredSize(), 25u);
  ExpectVerifies(*r, 5);
}

TEST_F(WitnessClientTest, WitnessAheadOfTheLogIsInconsistent) {
  StartAll();
  Grow(10);
  const std::string note10 = Sign();
  Grow(20);
  // Every witness is at 30.
  ASSERT_TRUE(Client(Endpoints())->Cosign(Sign(), 30, Proofs()).ok());
  // A (restored, rolled back) daemon now asks for 10: 409 "30" is beyond.
  auto r = Client(Endpoints())->Cosign(note10, 10, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->settled);
  EXPECT_TRUE(r->cosigners.empty());
  ASSERT_EQ(r->failures.size(), 5u);
  EXPECT_EQ(r->failures[0].kind, Kind::kInconsistent);
  EXPECT_TRUE(Contains(r->failures[0].reason, "beyond this checkpoint"))
      << r->failures[0].reason;
  EXPECT_TRUE(Contains(r->summary, "inconsistent: org1")) << r->summary;
}

TEST_F(WitnessClientTest, BadProofIsReportedAsInconsistent) {
  StartAll();
  auto client = Client(Endpoints());
  Grow(4);
  ASSERT_TRUE(client->Cosign(Sign(), 4, Proofs()).ok());
  Grow(4);
  auto wrong = [this](uint64_t a, uint64_t b) -> StatusOr<std::vector<Hash>> {
    auto p = log_->ConsistencyProof(a, b);
    if (p.ok() && !p->empty()) (*p)[0][0] ^= 1;
    return p;
  };
  auto r = client->Cosign(Sign(), 8, wrong);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->settled);
  ASSERT_EQ(r->failures.size(), 5u);
  EXPECT_EQ(r->failures[0].kind, Kind::kInconsistent);
  EXPECT_TRUE(Contains(r->failures[0].reason, "HTTP 422")) << r->summary;
  EXPECT_EQ(client->acknowledged_size(1), 4u);  // unchanged

  // A proof source that fails is a local error, and nothing is sent.
  auto broken = [](uint64_t, uint64_t) -> StatusOr<std::vector<Hash>> {
    return DataLossError("disk on fire");
  };
  const int before = witnesses_[0]->requests_.load();
  r = client->Cosign(Sign(), 8, broken);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failures[0].kind, Kind::kLocal);
  EXPECT_TRUE(Contains(r->failures[0].reason, "disk on fire"));
  EXPECT_EQ(witnesses_[0]->requests_.load(), before);
}

TEST_F(WitnessClientTest, WitnessThatDoesNotKnowTheLogIsRefused) {
  // org3's witness serves another log only.
  witnesses_[2]->witness_.reset();
  witnesses_[2]->log_vkey_.clear();
  witnesses_[2]->dir_ = root_ / "w3b";
  witnesses_[2]->Open();
  entries_[2].vkey = witnesses_[2]->Vkey();
  StartAll();
  auto client = Client(Endpoints());
  Grow(3);
  auto r = client->Cosign(Sign(), 3, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled);
  const WitnessFailure* f = FailureFor(*r, 3);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind, Kind::kRefused);
  EXPECT_TRUE(Contains(f->reason, "HTTP 404")) << f->reason;
  EXPECT_TRUE(Contains(r->summary, "refused: org3 (HTTP 404")) << r->summary;
}

TEST_F(WitnessClientTest, DeadlineBoundsTheWholeCall) {
  StartAll();
  // Two witnesses hang far longer than the deadline; per-read timeouts are
  // long, so only the deadline can cut them off.
  witnesses_[0]->delay_ms_ = 10000;
  witnesses_[1]->delay_ms_ = 10000;
  WitnessClientOptions o = Fast();
  o.io_timeout = std::chrono::milliseconds(20000);
  o.deadline = std::chrono::milliseconds(500);
  auto client = Client(Endpoints(), o);
  Grow(3);
  const auto start = std::chrono::steady_clock::now();
  auto r = client->Cosign(Sign(), 3, Proofs());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok());
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_FALSE(r->settled);
  EXPECT_EQ(r->cosigners, (std::vector<uint32_t>{3, 4, 5}));
  ASSERT_NE(FailureFor(*r, 1), nullptr);
  EXPECT_TRUE(Contains(FailureFor(*r, 1)->reason, "500 ms deadline"))
      << r->summary;
  // The client is usable afterwards (fresh connections).
  witnesses_[0]->delay_ms_ = 0;
  witnesses_[1]->delay_ms_ = 0;
  Grow(1);
  r = client->Cosign(Sign(), 4, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settled) << r->summary;
}

TEST_F(WitnessClientTest,
       IdleKeepAliveConnectionsThatTheWitnessClosedAreReplaced) {
  StartAll();  // the test servers drop idle connections after 1 s
  auto client = Client(Endpoints());
  Grow(2);
  ASSERT_TRUE(client->Cosign(Sign(), 2, Proofs()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Grow(2);
  auto r = client->Cosign(Sign(), 4, Proofs());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cosigners.size(), 5u) << r->summary;
  EXPECT_TRUE(r->failures.empty()) << r->summary;
}

TEST_F(WitnessClientTest, RefusesNotesThatAreNotThisLogsCheckpoint) {
  StartAll();
  auto client = Client(Endpoints());
  Grow(3);
  const std::string note = Sign();
  EXPECT_EQ(client->Cosign(note, 4, Proofs()).status().code(),
            StatusCode::kInvalidArgument);
  // Signed by another key under the same origin.
  auto other =
      audit::Ed25519NoteSigner::Create(kOrigin, Ed25519PrivateKey::Generate());
  auto parsed = audit::ParseNote(note);
  const audit::NoteSigner* signers[] = {other->get()};
  auto forged = audit::SignNote(parsed->text, signers);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(client->Cosign(*forged, 3, Proofs()).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(client->Cosign("garbage", 3, Proofs()).status().code(),
            StatusCode::kInvalidArgument);
  for (auto& w : witnesses_) EXPECT_EQ(w->requests_.load(), 0);
}

}  // namespace
}  // namespace conclave::daemon
