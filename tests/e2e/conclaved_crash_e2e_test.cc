// SIGKILL during load (issue 7, Tests): the real conclaved with every
// organisation's conclave-witness on loopback; client threads keep
// submitting small files and running whole stories (request, votes from
// three organisations, evidence, releases, approvals) while the daemon is
// killed with SIGKILL at random moments and restarted on the same --data.
//
// The daemon acknowledges an operation with an OK reply (a submission's
// leaf index, a statement's leaf index; ALREADY_EXISTS for a resent
// submission also says "held at leaf N"). Every acknowledged operation
// must survive every kill:
//  - after each kill the data directory is opened directly (daemon::Store:
//    PRAGMA integrity_check, the log's hashes, every blob against its
//    hash) and every acknowledged record is found at its leaf index;
//  - after the restart, through the API: the settled checkpoint verified
//    against the roster and proven consistent with the one verified before
//    the kill; GetLeaves extending the leaves verified so far (from 0 at
//    the first check) to its root; each acknowledged leaf index holding
//    exactly that operation; ListSubmissions listing every acknowledged
//    submission; GetSubmissionFile byte-identical (the new ones at each
//    restart plus a sample of the older, all of them at the end);
//    GetRequest showing every acknowledged request, vote and approval, and
//    the release once acknowledged approvals complete the quorum.
// Operations sent but not acknowledged may or may not be there, but
// whatever is there must be something a client sent, byte for byte (no
// phantom or torn records).
//
// A client that lost its reply resends the same statement bytes in a new
// signed call (new nonce), as a real client would: the daemon answers
// "duplicate" if the first one had committed.
//
// CONCLAVE_SOAK_KILLS (default 5) sets the number of kills, so `make soak`
// (issue 10) can run the same loop hundreds of times (each check reads
// only what is new since the last one, plus samples); CONCLAVE_CRASH_SEED
// sets the seed of the random choices (kill moments, contents, voters;
// printed at the start; thread timing still varies);
// CONCLAVE_CRASH_CLIENTS sets the client threads (default 4: two run whole
// stories, two only submit).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/settled.h"
#include "base/bytes.h"
#include "conclave/v1/daemon.grpc.pb.h"
#include "crypto/hash.h"
#include "daemon/store.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "tests/e2e/conclaved_harness.h"
#include "tests/e2e/program.h"
#include "tests/quorum_fixture.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::ConclavedClient;
using testing::ConclavedCluster;
using testing::EditorRef;
using testing::RunningDaemon;

uint64_t Now() { return static_cast<uint64_t>(std::time(nullptr)); }

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::atoi(v);
}

std::string Who(EditorRef e) {
  return std::to_string(e.org_id) + "/" + std::to_string(e.editor_index);
}

std::string GrpcText(const grpc::Status& s) {
  return std::to_string(static_cast<int>(s.error_code())) + " " +
         s.error_message();
}

// ---- What the clients sent and what the daemon acknowledged ----

struct Posted {
  std::string bytes;  // the statement or approval exactly as posted
  std::optional<uint64_t> acked_leaf;
};

struct RequestEntry {
  v1::SignedStatement statement;
  std::string submission_id;
  std::optional<uint64_t> acked_leaf;
  std::map<EditorRef, Posted> votes;
  std::map<EditorRef, Posted> approvals;
};

struct SentFile {
  Sha256Digest hash{};
  uint64_t size = 0;
};

struct Ledger {
  // Every submission sent: its SHA-256 and size (a file that comes back
  // with the same SHA-256 is byte-identical; the bytes are not kept, so a
  // soak run's ledger stays small).
  std::map<std::string, SentFile> files;
  std::map<std::string, uint64_t> subs_acked;  // id -> leaf index
  std::map<quorum::RequestId, RequestEntry> requests;

  std::optional<uint64_t> MaxAckedLeaf() const {
    std::optional<uint64_t> m;
    auto see = [&](const std::optional<uint64_t>& l) {
      if (l && (!m || *l > *m)) m = l;
    };
    for (const auto& [id, leaf] : subs_acked) see(leaf);
    for (const auto& [id, r] : requests) {
      see(r.acked_leaf);
      for (const auto& [e, v] : r.votes) see(v.acked_leaf);
      for (const auto& [e, a] : r.approvals) see(a.acked_leaf);
    }
    return m;
  }
  size_t AckedCount() const {
    size_t n = subs_acked.size();
    for (const auto& [id, r] : requests) {
      n += r.acked_leaf.has_value();
      for (const auto& [e, v] : r.votes) n += v.acked_leaf.has_value();
      for (const auto& [e, a] : r.approvals) n += a.acked_leaf.has_value();
    }
    return n;
  }
};

// "… (leaf N)" in an ALREADY_EXISTS message.
std::optional<uint64_t> LeafInMessage(const std::string& m) {
  const size_t at = m.find("(leaf ");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(m.c_str() + at + 6, nullptr, 10);
}

// ---- The load: client threads against whichever daemon is serving ----

class Load {
 public:
  explicit Load(const ConclavedCluster& cluster) : cluster_(cluster) {}
  ~Load() { Stop(); }

  // The daemon serves on `port` (0: it is down).
  void SetPort(int port) {
    {
      std::lock_guard<std::mutex> lock(port_mu_);
      port_ = port;
      ++generation_;
    }
    port_cv_.notify_all();
  }

  void Start(int clients, uint64_t seed) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, i, seed] { Worker(i, seed + 7919 * i); });
    }
  }
  void Stop() {
    stop_.store(true);
    port_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  Ledger Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ledger_;
  }
  // Lookups in the live ledger: what has been sent so far (a record the
  // daemon holds must be one of these).
  std::optional<SentFile> Sent(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ledger_.files.find(id);
    if (it == ledger_.files.end()) return std::nullopt;
    return it->second;
  }
  std::optional<RequestEntry> SentRequest(const quorum::RequestId& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ledger_.requests.find(id);
    if (it == ledger_.requests.end()) return std::nullopt;
    return it->second;
  }
  bool SentStatement(const std::string& bytes) const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_statements_.count(Sha256(AsBytes(bytes))) > 0;
  }

  std::vector<std::string> Errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  uint64_t max_settled_seen() const { return max_settled_seen_.load(); }
  // Operations in flight at a kill: resent and found committed, or
  // resent and committed then (the first attempt had not committed).
  uint64_t recovered_duplicates() const { return recovered_dups_.load(); }
  uint64_t resent_fresh() const { return resent_fresh_.load(); }
  uint64_t transient_errors() const { return transient_.load(); }
  uint64_t stories_done() const { return stories_done_.load(); }
  uint64_t releases() const { return releases_.load(); }

 private:
  struct Conn {
    uint64_t generation = 0;
    std::unique_ptr<ConclavedClient> client;
  };

  void Error(std::string e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (errors_.size() < 50) errors_.push_back(std::move(e));
  }

  static bool Transient(const grpc::Status& s) {
    switch (s.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:  // killed, or not up yet
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::CANCELLED:
      case grpc::StatusCode::UNKNOWN:  // the stream broke mid-call
        return true;
      case grpc::StatusCode::FAILED_PRECONDITION:
        // After a restart the settled checkpoint is settled again.
        return s.error_message().find("latest settled checkpoint has") !=
                   std::string::npos ||
               s.error_message().find("no settled checkpoint covers") !=
                   std::string::npos;
      default:
        return false;
    }
  }

  // Runs `op` against the serving daemon until it answers with anything
  // but a transient error (the load's stop ends it with CANCELLED).
  grpc::Status Retry(Conn& conn,
                     const std::function<grpc::Status(ConclavedClient&)>& op,
                     bool* retried = nullptr) {
    const auto give_up = Clock::now() + std::chrono::seconds(90);
    grpc::Status s;
    for (int attempt = 0;; ++attempt) {
      if (stop_.load())
        return grpc::Status(grpc::StatusCode::CANCELLED, "stop");
      {
        std::unique_lock<std::mutex> lock(port_mu_);
        port_cv_.wait(lock, [&] { return stop_.load() || port_ != 0; });
        if (stop_.load()) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "stop");
        }
        if (!conn.client || conn.generation != generation_) {
          conn.client = std::make_unique<ConclavedClient>(cluster_, port_);
          conn.client->timeout = std::chrono::seconds(20);
          conn.generation = generation_;
        }
      }
      s = op(*conn.client);
      if (s.ok() || !Transient(s)) {
        if (retried) *retried = attempt > 0;
        return s;
      }
      transient_.fetch_add(1);
      if (Clock::now() > give_up) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // The settled checkpoint once it has more than `leaf` leaves.
  std::optional<audit::Checkpoint> SettledPast(Conn& conn, uint64_t leaf) {
    const auto until = Clock::now() + std::chrono::seconds(60);
    while (!stop_.load() && Clock::now() < until) {
      audit::Checkpoint cp;
      const grpc::Status s =
          Retry(conn, [&](ConclavedClient& c) { return c.Settled(&cp); });
      if (!s.ok()) {
        if (s.error_code() != grpc::StatusCode::CANCELLED) {
          Error("GetCheckpoint: " + GrpcText(s));
        }
        return std::nullopt;
      }
      uint64_t seen = max_settled_seen_.load();
      while (cp.size > seen &&
             !max_settled_seen_.compare_exchange_weak(seen, cp.size)) {
      }
      if (cp.size > leaf) return cp;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    if (!stop_.load()) Error("no settled checkpoint past leaf " + Str(leaf));
    return std::nullopt;
  }

  static std::string Str(uint64_t v) { return std::to_string(v); }

  // A new small submission; its header and id once acknowledged.
  std::optional<testing::Submission> Submit(Conn& conn, std::mt19937_64& rng,
                                            int worker) {
    const size_t size = 64 + rng() % 4000;
    std::string plaintext = "worker " + std::to_string(worker) + " memo ";
    while (plaintext.size() < size)
      plaintext += static_cast<char>('a' + rng() % 26);
    auto sub = testing::MakeSubmission(cluster_.roster().consortium_key,
                                       AsBytes(std::string_view(plaintext)));
    if (!sub.ok()) {
      Error("MakeSubmission: " + sub.status().ToString());
      return std::nullopt;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ledger_.files[sub->id] = {Sha256(sub->file), sub->file.size()};
    }
    v1::SubmitReply reply;
    bool retried = false;
    const grpc::Status s = Retry(
        conn,
        [&](ConclavedClient& c) {
          reply.Clear();
          return c.Submit(sub->file, &reply, 1024);
        },
        &retried);
    std::optional<uint64_t> leaf;
    if (s.ok()) {
      if (reply.submission_id() != sub->id) {
        Error("Submit acknowledged id " + reply.submission_id() +
              " for submission " + sub->id);
        return std::nullopt;
      }
      leaf = reply.leaf_index();
      if (retried) resent_fresh_.fetch_add(1);
    } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS && retried) {
      // The first upload committed before the kill: the daemon says where.
      leaf = LeafInMessage(s.error_message());
      if (!leaf) Error("ALREADY_EXISTS without a leaf: " + s.error_message());
      recovered_dups_.fetch_add(1);
    } else {
      if (s.error_code() != grpc::StatusCode::CANCELLED) {
        Error("Submit " + sub->id + ": " + GrpcText(s));
      }
      return std::nullopt;
    }
    if (!leaf) return std::nullopt;
    std::lock_guard<std::mutex> lock(mu_);
    ledger_.subs_acked[sub->id] = *leaf;
    return std::move(sub).value();
  }

  // Posts `bytes` (already in the ledger) until acknowledged; the reply.
  std::optional<v1::PostReply> Post(
      Conn& conn, const std::string& what,
      const std::function<grpc::Status(ConclavedClient&, v1::PostReply*)>& op) {
    v1::PostReply reply;
    bool retried = false;
    const grpc::Status s = Retry(
        conn,
        [&](ConclavedClient& c) {
          reply.Clear();
          return op(c, &reply);
        },
        &retried);
    if (!s.ok()) {
      if (s.error_code() != grpc::StatusCode::CANCELLED) {
        Error(what + ": " + GrpcText(s));
      }
      return std::nullopt;
    }
    if (retried) {
      (reply.duplicate() ? recovered_dups_ : resent_fresh_).fetch_add(1);
    }
    return reply;
  }

  void Story(Conn& conn, std::mt19937_64& rng, int worker) {
    auto sub = Submit(conn, rng, worker);
    if (!sub) return;
    const std::vector<EditorRef> editors = cluster_.editors();
    const EditorRef requester = editors[rng() % editors.size()];
    quorum::RequestOptions ro;
    ro.reason = "crash test, worker " + std::to_string(worker);
    ro.now_unix = Now();
    auto made = quorum::MakeRequest(cluster_.roster(), cluster_.keys(requester),
                                    sub->header, ro);
    if (!made.ok()) return Error("MakeRequest: " + made.status().ToString());
    auto verified = quorum::VerifyRequest(cluster_.roster(), made->statement);
    if (!verified.ok()) {
      return Error("VerifyRequest: " + verified.status().ToString());
    }
    const quorum::RequestId id = made->id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      RequestEntry& r = ledger_.requests[id];
      r.statement = made->statement;
      r.submission_id = sub->id;
      sent_statements_.insert(
          Sha256(AsBytes(made->statement.SerializeAsString())));
    }
    auto posted = Post(
        conn, "PostRequest", [&](ConclavedClient& c, v1::PostReply* reply) {
          return c.PostRequest(requester, made->statement, reply);
        });
    if (!posted) return;
    const uint64_t request_leaf = posted->leaf_index();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ledger_.requests[id].acked_leaf = request_leaf;
    }

    // Three organisations (organisation 1 needs both its editors).
    std::vector<uint32_t> orgs = {1, 2, 3, 4, 5};
    std::shuffle(orgs.begin(), orgs.end(), rng);
    orgs.resize(3);
    std::vector<EditorRef> voters;
    for (uint32_t o : orgs) {
      for (const EditorRef& e : cluster_.QuorumOf(o)) voters.push_back(e);
    }
    uint64_t last_vote_leaf = request_leaf;
    for (const EditorRef& v : voters) {
      auto seen = SettledPast(conn, request_leaf);
      if (!seen) return;
      quorum::VoteOptions vo;
      vo.checkpoint_size = seen->size;
      vo.checkpoint_root = ToBytes(seen->root_hash);
      vo.comment = "approve";
      vo.now_unix = Now();
      auto vote =
          quorum::MakeVote(cluster_.roster(), cluster_.keys(v), *verified, vo);
      if (!vote.ok()) return Error("MakeVote: " + vote.status().ToString());
      {
        std::lock_guard<std::mutex> lock(mu_);
        ledger_.requests[id].votes[v].bytes = vote->SerializeAsString();
        sent_statements_.insert(Sha256(AsBytes(vote->SerializeAsString())));
      }
      auto r = Post(conn, "PostVote by " + Who(v),
                    [&](ConclavedClient& c, v1::PostReply* reply) {
                      return c.PostVote(v, *vote, reply);
                    });
      if (!r) return;
      last_vote_leaf = std::max(last_vote_leaf, r->leaf_index());
      std::lock_guard<std::mutex> lock(mu_);
      ledger_.requests[id].votes[v].acked_leaf = r->leaf_index();
    }

    // The evidence from a settled checkpoint that shows every vote; each
    // voter checks it and releases.
    std::vector<std::pair<EditorRef, v1::Approval>> approvals;
    for (int tries = 0; approvals.empty(); ++tries) {
      if (!SettledPast(conn, last_vote_leaf)) return;
      v1::LogEvidence evidence;
      const grpc::Status s = Retry(conn, [&](ConclavedClient& c) {
        evidence.Clear();
        return c.GetEvidence(id, &evidence);
      });
      if (!s.ok()) {
        if (s.error_code() != grpc::StatusCode::CANCELLED) {
          Error("GetEvidence: " + GrpcText(s));
        }
        return;
      }
      Status first_refusal;
      for (const EditorRef& v : voters) {
        quorum::ReleaseInput in;
        in.roster = &cluster_.roster();
        in.releaser = &cluster_.keys(v);
        in.share = &cluster_.share(v);
        in.request = &made->statement;
        in.evidence = &evidence;
        in.now_unix = Now();
        auto release = quorum::ReleasePartial(in);
        if (!release.ok()) {
          first_refusal = release.status();
          approvals.clear();
          break;
        }
        approvals.emplace_back(v, release->approval);
      }
      if (!first_refusal.ok()) {
        // A daemon restarted from an older settled checkpoint can serve
        // evidence that does not show the last votes yet: fetch again.
        if (tries >= 20) {
          return Error("ReleasePartial: " + first_refusal.ToString());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    for (const auto& [v, approval] : approvals) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ledger_.requests[id].approvals[v].bytes = approval.SerializeAsString();
        sent_statements_.insert(Sha256(AsBytes(approval.SerializeAsString())));
      }
      auto r = Post(conn, "PostApproval by " + Who(v),
                    // Explicit captures: clang 14 cannot capture structured
                    // bindings by default.
                    [&v = v, &approval = approval](ConclavedClient& c,
                                                   v1::PostReply* reply) {
                      return c.PostApproval(v, approval, reply);
                    });
      if (!r) return;
      if (r->status().find("request released") != std::string::npos) {
        releases_.fetch_add(1);
      }
      std::lock_guard<std::mutex> lock(mu_);
      ledger_.requests[id].approvals[v].acked_leaf = r->leaf_index();
    }
    stories_done_.fetch_add(1);
  }

  void Worker(int worker, uint64_t seed) {
    std::mt19937_64 rng(seed);
    Conn conn;
    // Odd workers only submit: they do not wait for settled checkpoints
    // as statements do, so kills also land in the middle of writes.
    const bool submit_only = worker % 2 == 1;
    while (!stop_.load()) {
      if (submit_only || rng() % 3 == 0) {
        Submit(conn, rng, worker);
        // Paced, or the submissions swamp the checks.
        if (submit_only) {
          std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
        }
      } else {
        Story(conn, rng, worker);
      }
    }
  }

  const ConclavedCluster& cluster_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;

  std::mutex port_mu_;
  std::condition_variable port_cv_;
  int port_ = 0;
  uint64_t generation_ = 0;

  mutable std::mutex mu_;
  Ledger ledger_;
  std::set<Sha256Digest> sent_statements_;  // SHA-256 of each
  std::vector<std::string> errors_;

  std::atomic<uint64_t> max_settled_seen_{0};
  std::atomic<uint64_t> recovered_dups_{0};
  std::atomic<uint64_t> resent_fresh_{0};
  std::atomic<uint64_t> transient_{0};
  std::atomic<uint64_t> stories_done_{0};
  std::atomic<uint64_t> releases_{0};
};

// ---- The checks ----

// What a leaf is, compactly, for the checks of acknowledged leaf indices:
// "submission ID", or the kind and SHA-256 of the statement's bytes.
std::string StatementIdentity(std::string_view kind, std::string_view bytes) {
  return std::string(kind) + " " + HexEncode(Sha256(AsBytes(bytes)));
}

std::string LeafIdentity(const v1::LogLeaf& leaf) {
  switch (leaf.entry_case()) {
    case v1::LogLeaf::kSubmission:
      return "submission " + leaf.submission().submission_id();
    case v1::LogLeaf::kRequest:
      return StatementIdentity("request", leaf.request().SerializeAsString());
    case v1::LogLeaf::kVote:
      return StatementIdentity("vote", leaf.vote().SerializeAsString());
    case v1::LogLeaf::kApproval:
      return StatementIdentity("approval", leaf.approval().SerializeAsString());
    default:
      return "other " + std::to_string(leaf.entry_case());
  }
}

// Organisations whose k_o editors all appear in `editors`.
uint32_t CompleteOrgs(const keyceremony::VerifiedRoster& roster,
                      const std::set<EditorRef>& editors) {
  std::map<uint32_t, uint32_t> count;
  for (const EditorRef& e : editors) ++count[e.org_id];
  uint32_t n = 0;
  for (const auto& [org, k] : count) {
    const v1::RosterOrganisation* o =
        keyceremony::FindOrganisation(roster.body, org);
    if (o != nullptr && k >= o->editor_threshold()) ++n;
  }
  return n;
}

class ConclavedCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclaved-crash-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto cluster = ConclavedCluster::Create(
        {CONCLAVED_PATH, CONCLAVE_CEREMONY_PATH, CONCLAVE_WITNESS_PATH}, dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = std::move(cluster).value();
    ASSERT_TRUE(cluster_->StartWitnesses().ok());
  }
  void TearDown() override {
    load_.reset();
    cluster_.reset();  // kills what is still running
    if (HasFailure()) {
      std::printf("kept %s (data, daemon and witness logs) for inspection\n",
                  dir_.c_str());
    } else {
      fs::remove_all(dir_);
    }
  }

  const keyceremony::VerifiedRoster& roster() const {
    return cluster_->roster();
  }

  // The crashed (or stopped) data directory opened directly: integrity,
  // and every acknowledged operation in the records and at its leaf.
  // `verify_blobs` rehashes every stored blob, which grows with the run;
  // a soak does it every few kills (rows, leaves and the tree every time).
  void CheckStore(const Ledger& acked, const std::string& when,
                  bool verify_blobs = true) {
    SCOPED_TRACE(when);
    auto store = daemon::Store::Open(data_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const Status integrity = (*store)->CheckIntegrity(verify_blobs);
    ASSERT_TRUE(integrity.ok()) << integrity.ToString();
    const uint64_t size = (*store)->LogSize();
    auto leaf_at = [&](uint64_t i) -> std::optional<v1::LogLeaf> {
      if (i >= size) return std::nullopt;
      auto bytes = (*store)->LogLeaf(i);
      if (!bytes.ok()) return std::nullopt;
      auto leaf = quorum::ParseLogLeaf(*bytes);
      if (!leaf.ok()) return std::nullopt;
      return *leaf;
    };
    for (const auto& [id, leaf] : acked.subs_acked) {
      auto rec = (*store)->GetSubmission(id);
      ASSERT_TRUE(rec.ok()) << "acknowledged submission " << id
                            << " missing: " << rec.status().ToString();
      EXPECT_EQ(rec->leaf_index, leaf) << id;
      const SentFile& file = acked.files.at(id);
      EXPECT_EQ(rec->size, file.size) << id;
      EXPECT_EQ(rec->file_hash, file.hash) << id;
      auto l = leaf_at(leaf);
      ASSERT_TRUE(l.has_value()) << "leaf " << leaf << " of " << size;
      EXPECT_EQ(l->submission().submission_id(), id) << "leaf " << leaf;
    }
    for (const auto& [id, r] : acked.requests) {
      if (!r.acked_leaf) continue;
      const std::string hex = quorum::RequestIdHex(id);
      auto rec = (*store)->GetRequest(id);
      ASSERT_TRUE(rec.ok()) << "acknowledged request " << hex << " missing";
      EXPECT_EQ(rec->leaf_index, *r.acked_leaf) << hex;
      EXPECT_EQ(AsString(rec->statement), r.statement.SerializeAsString());
      auto l = leaf_at(*r.acked_leaf);
      ASSERT_TRUE(l.has_value());
      EXPECT_EQ(l->request().SerializeAsString(),
                r.statement.SerializeAsString())
          << "leaf " << *r.acked_leaf;
      auto votes = (*store)->ListVotes(id);
      ASSERT_TRUE(votes.ok());
      for (const auto& [e, v] : r.votes) {
        if (!v.acked_leaf) continue;
        const auto it =
            std::find_if(votes->begin(), votes->end(), [&e = e](const auto& h) {
              return h.org_id == e.org_id && h.editor_index == e.editor_index;
            });
        ASSERT_NE(it, votes->end())
            << "acknowledged vote by " << Who(e) << " on " << hex << " missing";
        EXPECT_EQ(AsString(it->statement), v.bytes);
        EXPECT_EQ(it->leaf_index, *v.acked_leaf);
        auto vl = leaf_at(*v.acked_leaf);
        ASSERT_TRUE(vl.has_value());
        EXPECT_EQ(vl->vote().SerializeAsString(), v.bytes);
      }
      auto approvals = (*store)->ListApprovals(id);
      ASSERT_TRUE(approvals.ok());
      for (const auto& [e, a] : r.approvals) {
        if (!a.acked_leaf) continue;
        const auto it = std::find_if(
            approvals->begin(), approvals->end(), [&e = e](const auto& h) {
              return h.org_id == e.org_id && h.editor_index == e.editor_index;
            });
        ASSERT_NE(it, approvals->end()) << "acknowledged approval by " << Who(e)
                                        << " on " << hex << " missing";
        EXPECT_EQ(AsString(it->approval), a.bytes);
        EXPECT_EQ(it->leaf_index, *a.acked_leaf);
        auto al = leaf_at(*a.acked_leaf);
        ASSERT_TRUE(al.has_value());
        EXPECT_EQ(al->approval().SerializeAsString(), a.bytes);
      }
    }
  }

  // Through the restarted daemon's API: the settled log, the submissions
  // and the requests. `full` downloads every submission (otherwise the new
  // ones and a sample of the older).
  void CheckApi(int port, const Ledger& acked, bool full,
                const std::string& when) {
    SCOPED_TRACE(when);
    ConclavedClient c(*cluster_, port);
    c.timeout = std::chrono::seconds(60);

    // A settled checkpoint covering every acknowledged leaf and at least
    // as large as the last one verified, with the consistency proof from
    // that one.
    const uint64_t need = acked.MaxAckedLeaf().value_or(0);
    const uint64_t old_size = verified_.size;
    audit::Checkpoint cp;
    v1::CheckpointReply reply;
    const auto until = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < until) {
      const grpc::Status s = c.Settled(&cp);
      ASSERT_TRUE(s.ok()) << GrpcText(s);
      if (cp.size > need && cp.size >= old_size) {
        const grpc::Status g = c.GetCheckpoint(old_size, &reply);
        ASSERT_TRUE(g.ok()) << GrpcText(g);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GT(cp.size, need) << "no settled checkpoint covers leaf " << need;
    auto verified = testing::VerifySettled(roster(), reply.checkpoint());
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    cp = *verified;
    ASSERT_GE(cp.size, old_size);
    if (old_size > 0) {
      std::vector<audit::Hash> proof;
      for (const std::string& h : reply.consistency_proof()) {
        ASSERT_EQ(h.size(), audit::Hash().size());
        audit::Hash hash;
        std::copy(h.begin(), h.end(), hash.begin());
        proof.push_back(hash);
      }
      const Status consistent = audit::CheckConsistent(verified_, cp, proof);
      EXPECT_TRUE(consistent.ok()) << "settled " << old_size << " -> "
                                   << cp.size << ": " << consistent.ToString();
    }

    // GetLeaves from where the last check stopped: appended to the leaves
    // verified then, they reproduce the new settled root (so the earlier
    // ones are unchanged too).
    std::vector<Bytes> leaves;
    for (uint64_t at = old_size; at < cp.size;) {
      v1::LeavesReply lr;
      const grpc::Status ls = c.GetLeaves(at, cp.size, &lr);
      ASSERT_TRUE(ls.ok()) << GrpcText(ls);
      ASSERT_GT(lr.leaves_size(), 0) << "GetLeaves returned nothing at " << at;
      for (const std::string& l : lr.leaves()) leaves.push_back(ToBytes(l));
      at += lr.leaves_size();
    }
    ASSERT_EQ(old_size + leaves.size(), cp.size);
    for (size_t k = 0; k < leaves.size(); ++k) {
      const uint64_t i = old_size + k;
      range_.AppendLeaf(leaves[k]);
      auto leaf = quorum::ParseLogLeaf(leaves[k]);
      ASSERT_TRUE(leaf.ok())
          << "leaf " << i << ": " << leaf.status().ToString();
      // Whatever the log holds was sent by a client, byte for byte.
      switch (leaf->entry_case()) {
        case v1::LogLeaf::kSubmission: {
          auto file = load_->Sent(leaf->submission().submission_id());
          ASSERT_TRUE(file.has_value())
              << "leaf " << i << ": a submission no client sent";
          EXPECT_EQ(leaf->submission().file_hash(), AsString(file->hash));
          EXPECT_EQ(leaf->submission().size(), file->size);
          break;
        }
        case v1::LogLeaf::kRequest:
          EXPECT_TRUE(load_->SentStatement(leaf->request().SerializeAsString()))
              << "leaf " << i << ": a request no client sent";
          break;
        case v1::LogLeaf::kVote:
          EXPECT_TRUE(load_->SentStatement(leaf->vote().SerializeAsString()))
              << "leaf " << i << ": a vote no client sent";
          break;
        case v1::LogLeaf::kApproval:
          EXPECT_TRUE(
              load_->SentStatement(leaf->approval().SerializeAsString()))
              << "leaf " << i << ": an approval no client sent";
          break;
        case v1::LogLeaf::kRoster:
        case v1::LogLeaf::kDaemonStarted:
          break;
        default:
          ADD_FAILURE() << "leaf " << i << ": unexpected entry "
                        << leaf->entry_case();
      }
      leaf_ids_.push_back(LeafIdentity(*leaf));
    }
    ASSERT_EQ(range_.size(), cp.size);
    ASSERT_EQ(range_.Root(), cp.root_hash)
        << "GetLeaves does not reproduce the settled root at size " << cp.size;
    verified_ = cp;

    // Submissions: listed, at their leaves, files byte-identical. Between
    // kills the listings are read from the previous check's log size on
    // (older entries are checked in the store after every kill and at
    // their verified leaves here), so a soak's checks stay short.
    const uint64_t list_from = full ? 0 : listed_up_to_;
    listed_up_to_ = verified_.size;
    std::map<std::string, v1::SubmissionInfo> listed;
    for (uint64_t start = list_from;;) {
      v1::SubmissionList list;
      const grpc::Status s = c.ListSubmissions(start, 1000, &list);
      ASSERT_TRUE(s.ok()) << GrpcText(s);
      if (list.submissions_size() == 0) break;
      for (const v1::SubmissionInfo& info : list.submissions()) {
        listed[info.submission_id()] = info;
        start = info.leaf_index() + 1;
      }
    }
    for (const auto& [id, info] : listed) {
      auto file = load_->Sent(id);
      ASSERT_TRUE(file.has_value())
          << "listed submission no client sent: " << id;
      EXPECT_EQ(info.size(), file->size) << id;
    }
    std::vector<std::string> older;
    for (const auto& [id, leaf] : acked.subs_acked) {
      if (leaf >= list_from) {
        auto it = listed.find(id);
        ASSERT_NE(it, listed.end()) << "acknowledged submission " << id
                                    << " (leaf " << leaf << ") is not listed";
        EXPECT_EQ(it->second.leaf_index(), leaf) << id;
      }
      ASSERT_LT(leaf, leaf_ids_.size());
      EXPECT_EQ(leaf_ids_[leaf], "submission " + id) << "leaf " << leaf;
      if (full || !downloaded_.count(id)) {
        Bytes got;
        const grpc::Status s = c.GetSubmissionFile(id, &got);
        ASSERT_TRUE(s.ok()) << id << ": " << GrpcText(s);
        EXPECT_EQ(got.size(), acked.files.at(id).size) << "submission " << id;
        EXPECT_EQ(Sha256(got), acked.files.at(id).hash) << "submission " << id;
        downloaded_.insert(id);
      } else {
        older.push_back(id);
      }
    }
    std::shuffle(older.begin(), older.end(), rng_);
    for (size_t i = 0; i < older.size() && i < 16; ++i) {
      Bytes got;
      const grpc::Status s = c.GetSubmissionFile(older[i], &got);
      ASSERT_TRUE(s.ok()) << older[i] << ": " << GrpcText(s);
      EXPECT_EQ(Sha256(got), acked.files.at(older[i]).hash)
          << "submission " << older[i];
    }

    // Requests: each listed one was sent; each acknowledged one is there
    // with every acknowledged vote and approval, at their leaves.
    for (uint64_t start = list_from;;) {
      v1::RequestList list;
      const grpc::Status s = c.ListRequests(start, 1000, &list);
      ASSERT_TRUE(s.ok()) << GrpcText(s);
      if (list.requests_size() == 0) break;
      for (const v1::RequestInfo& info : list.requests()) {
        quorum::RequestId id{};
        ASSERT_EQ(info.request_id().size(), id.size());
        std::copy(info.request_id().begin(), info.request_id().end(),
                  id.begin());
        auto sent = load_->SentRequest(id);
        ASSERT_TRUE(sent.has_value())
            << "listed request no client sent: " << quorum::RequestIdHex(id);
        EXPECT_EQ(info.request().SerializeAsString(),
                  sent->statement.SerializeAsString());
        start = info.leaf_index() + 1;
      }
    }
    // Every request is checked in the store after each kill (CheckStore);
    // through the API, GetRequest (a signed call) is asked for the requests
    // that changed since the last check and a random sample of the others,
    // so that a long soak's checks do not grow with its whole history.
    std::vector<quorum::RequestId> unchanged;
    std::set<quorum::RequestId> to_check;
    for (const auto& [id, r] : acked.requests) {
      size_t acks = r.acked_leaf.has_value();
      for (const auto& [e, v] : r.votes) acks += v.acked_leaf.has_value();
      for (const auto& [e, a] : r.approvals) acks += a.acked_leaf.has_value();
      auto [it, fresh] = request_acks_checked_.try_emplace(id, acks);
      if (full || fresh || it->second != acks) {
        to_check.insert(id);
        it->second = acks;
      } else {
        unchanged.push_back(id);
      }
    }
    std::shuffle(unchanged.begin(), unchanged.end(), rng_);
    for (size_t i = 0; i < unchanged.size() && i < 16; ++i) {
      to_check.insert(unchanged[i]);
    }
    for (const auto& [id, r] : acked.requests) {
      if (!to_check.count(id)) continue;
      const std::string hex = quorum::RequestIdHex(id);
      v1::RequestInfo info;
      const grpc::Status s = c.GetRequest(id, &info);
      if (!r.acked_leaf) {
        // Sent, never acknowledged: either absent or exactly as sent.
        if (s.error_code() == grpc::StatusCode::NOT_FOUND) continue;
      }
      ASSERT_TRUE(s.ok()) << "request " << hex << ": " << GrpcText(s);
      if (r.acked_leaf) {
        EXPECT_EQ(info.leaf_index(), *r.acked_leaf) << hex;
        ASSERT_LT(*r.acked_leaf, leaf_ids_.size());
        EXPECT_EQ(leaf_ids_[*r.acked_leaf],
                  StatementIdentity("request", r.statement.SerializeAsString()))
            << "leaf " << *r.acked_leaf;
      }
      EXPECT_EQ(info.request().SerializeAsString(),
                r.statement.SerializeAsString())
          << hex;
      ASSERT_EQ(info.votes_size(), info.vote_leaf_indices_size());
      std::map<EditorRef, std::pair<std::string, uint64_t>> votes;
      for (int i = 0; i < info.votes_size(); ++i) {
        const v1::SignedStatement& v = info.votes(i);
        votes[{v.org_id(), v.editor_index()}] = {v.SerializeAsString(),
                                                 info.vote_leaf_indices(i)};
        EXPECT_TRUE(load_->SentStatement(v.SerializeAsString()))
            << "a vote no client sent on " << hex;
      }
      for (const auto& [e, v] : r.votes) {
        if (!v.acked_leaf) continue;
        auto it = votes.find(e);
        ASSERT_NE(it, votes.end())
            << "acknowledged vote by " << Who(e) << " on " << hex << " missing";
        EXPECT_EQ(it->second.first, v.bytes);
        EXPECT_EQ(it->second.second, *v.acked_leaf);
        ASSERT_LT(*v.acked_leaf, leaf_ids_.size());
        EXPECT_EQ(leaf_ids_[*v.acked_leaf], StatementIdentity("vote", v.bytes))
            << "leaf " << *v.acked_leaf;
      }
      std::set<EditorRef> present, acked_approvers;
      std::map<EditorRef, std::string> approvals;
      for (const v1::Approval& a : info.approvals()) {
        EXPECT_TRUE(load_->SentStatement(a.SerializeAsString()))
            << "an approval no client sent on " << hex;
        auto body = quorum::VerifyApprovalStatement(roster(), a);
        ASSERT_TRUE(body.ok()) << body.status().ToString();
        const EditorRef e{body->org_id(), body->editor_index()};
        present.insert(e);
        approvals[e] = a.SerializeAsString();
      }
      for (const auto& [e, a] : r.approvals) {
        if (!a.acked_leaf) continue;
        acked_approvers.insert(e);
        auto it = approvals.find(e);
        ASSERT_NE(it, approvals.end()) << "acknowledged approval by " << Who(e)
                                       << " on " << hex << " missing";
        EXPECT_EQ(it->second, a.bytes);
        ASSERT_LT(*a.acked_leaf, leaf_ids_.size());
        EXPECT_EQ(leaf_ids_[*a.acked_leaf],
                  StatementIdentity("approval", a.bytes))
            << "leaf " << *a.acked_leaf;
      }
      const uint32_t t = roster().body.threshold();
      if (CompleteOrgs(roster(), acked_approvers) >= t) {
        EXPECT_EQ(info.state(), v1::REQUEST_STATE_RELEASED) << hex;
      }
      // GetRequest reads the state before the approvals, so a released
      // request shows a complete set; an open one can show a complete set
      // only while an approval commits concurrently (checked when quiet).
      if (info.state() == v1::REQUEST_STATE_RELEASED) {
        EXPECT_GE(CompleteOrgs(roster(), present), t) << hex;
      } else {
        EXPECT_EQ(info.state(), v1::REQUEST_STATE_OPEN) << hex;
        if (full) {
          EXPECT_LT(CompleteOrgs(roster(), present), t) << hex;
        }
      }
    }
  }

  fs::path dir_;
  fs::path data_;
  std::unique_ptr<ConclavedCluster> cluster_;
  std::unique_ptr<Load> load_;
  // The log as verified so far: the last settled checkpoint, the compact
  // range of its leaves and what each leaf is (LeafIdentity).
  audit::Checkpoint verified_;
  audit::CompactRange range_;
  std::vector<std::string> leaf_ids_;
  std::set<std::string> downloaded_;
  // Per request: how many of its operations were acknowledged when the API
  // last checked it.
  std::map<quorum::RequestId, size_t> request_acks_checked_;
  // The log size up to which the listings were read at the last check.
  uint64_t listed_up_to_ = 0;
  std::mt19937_64 rng_;
};

TEST_F(ConclavedCrashTest, SigkillUnderLoadLosesNothingAcknowledged) {
  const int kills = std::max(1, EnvInt("CONCLAVE_SOAK_KILLS", 5));
  const int clients = std::max(1, EnvInt("CONCLAVE_CRASH_CLIENTS", 4));
  const uint64_t seed =
      std::getenv("CONCLAVE_CRASH_SEED")
          ? std::strtoull(std::getenv("CONCLAVE_CRASH_SEED"), nullptr, 10)
          : std::random_device()();
  std::printf("crash test: %d kills, %d clients, CONCLAVE_CRASH_SEED=%llu\n",
              kills, clients, static_cast<unsigned long long>(seed));
  rng_.seed(seed);
  data_ = dir_ / "data";
  // Every client is 127.0.0.1: lift the per-address submission limit.
  const std::vector<std::string> args =
      cluster_->DaemonArgs(data_, {"--submissions-per-minute", "1000000"});

  RunningDaemon d = cluster_->StartDaemon(args);
  ASSERT_GT(d.port, 0) << d.err;
  load_ = std::make_unique<Load>(*cluster_);
  load_->SetPort(d.port);
  load_->Start(clients, seed);

  size_t kills_with_new_acks = 0;
  size_t acked_before = 0;
  uint64_t settled_regressions = 0;
  for (int k = 1; k <= kills; ++k) {
    // A random moment under load.
    std::uniform_int_distribution<int> ms(300, 2500);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng_)));
    const uint64_t settled_seen = load_->max_settled_seen();
    load_->SetPort(0);
    ASSERT_EQ(cluster_->StopDaemon(&d, SIGKILL), -SIGKILL) << d.err;
    const Ledger acked = load_->Snapshot();
    const std::string when = "after kill " + std::to_string(k);
    if (acked.AckedCount() > acked_before) ++kills_with_new_acks;
    acked_before = acked.AckedCount();

    // The crashed directory as it is, then through the restarted daemon.
    CheckStore(acked, when + " (store opened directly)",
               /*verify_blobs=*/k % 25 == 0 || k == kills);
    if (HasFatalFailure()) break;
    d = cluster_->StartDaemon(args);
    ASSERT_GT(d.port, 0) << "restart " << k << ": " << d.err;
    // A settled checkpoint reloaded smaller than one clients were already
    // served would make them suspect a fork (GetCheckpoint from_size);
    // counted, see the report at the end.
    const size_t at = d.err.find("loaded settled checkpoint of size ");
    const uint64_t loaded =
        at == std::string::npos
            ? 0
            : std::strtoull(d.err.c_str() + at + 34, nullptr, 10);
    if (loaded < settled_seen) ++settled_regressions;
    load_->SetPort(d.port);
    const auto check_start = Clock::now();
    CheckApi(d.port, acked, /*full=*/false, when);
    const double check_s =
        std::chrono::duration<double>(Clock::now() - check_start).count();
    if (HasFatalFailure()) break;
    std::printf(
        "kill %d: %zu operations acknowledged so far, %llu stories "
        "complete, %llu released, %llu resends found committed, settled "
        "size %llu; checked in %.1f s\n",
        k, acked.AckedCount(),
        static_cast<unsigned long long>(load_->stories_done()),
        static_cast<unsigned long long>(load_->releases()),
        static_cast<unsigned long long>(load_->recovered_duplicates()),
        static_cast<unsigned long long>(verified_.size), check_s);
    std::fflush(stdout);
  }

  // Quiesce, check everything through the API, stop cleanly and check the
  // directory once more.
  load_->Stop();
  const Ledger final_ledger = load_->Snapshot();
  if (!HasFatalFailure()) {
    CheckApi(d.port, final_ledger, /*full=*/true, "final");
  }
  if (d.proc.pid > 0) {  // not after a failed check between kill and restart
    EXPECT_EQ(cluster_->StopDaemon(&d, SIGTERM), 0) << d.err;
  }
  if (!HasFatalFailure()) CheckStore(final_ledger, "after SIGTERM");

  for (const std::string& e : load_->Errors()) ADD_FAILURE() << "client: " << e;
  // The load must have done something worth checking.
  EXPECT_GT(final_ledger.subs_acked.size(), 0u);
  EXPECT_GT(load_->stories_done(), 0u);
  EXPECT_GT(kills_with_new_acks, 0u);
  std::printf(
      "crash test done: %zu submissions and %zu requests acknowledged, %llu "
      "stories complete (%llu released), %llu transient client errors; "
      "operations in flight at a kill: %llu found committed when resent, "
      "%llu not committed before it; %llu restarts reloaded a smaller "
      "settled checkpoint than clients had seen\n",
      final_ledger.subs_acked.size(), final_ledger.requests.size(),
      static_cast<unsigned long long>(load_->stories_done()),
      static_cast<unsigned long long>(load_->releases()),
      static_cast<unsigned long long>(load_->transient_errors()),
      static_cast<unsigned long long>(load_->recovered_duplicates()),
      static_cast<unsigned long long>(load_->resent_fresh()),
      static_cast<unsigned long long>(settled_regressions));
}

}  // namespace
}  // namespace conclave
