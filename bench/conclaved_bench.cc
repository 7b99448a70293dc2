// conclaved's performance (issue 7, "Performance"): the real daemon with
// every organisation's conclave-witness on loopback, fsync on (SQLite WAL,
// synchronous=FULL; blobs temp → fsync → rename → fsync dir), on a
// `conclave-ceremony simulate` consortium (5 organisations, t = 3, W = 4).
//
//  (a) submissions of 1 MiB: one client after another (latency p50/p99)
//      and 4 clients at once (throughput);
//  (b) vote round trip: PostVote until its reply, which comes once a
//      settled checkpoint (4 witnesses' cosignatures) covers the vote's
//      leaf, or after the daemon's settle wait (2 s); the table says which;
//      target p99 < 20 ms;
//  (c) 100 concurrent clients, each with its own channel and connection,
//      running a mixed script (submit, request, checkpoint, three votes,
//      request, lists, leaves, download): errors and throughput.
//
// A plain timed program (the daemon runs in its own process, so Google
// Benchmark's loop adds nothing). Scratch files go under
// $CONCLAVE_BENCH_DIR (default /tmp); flags: --submissions N, --votes N,
// --clients N, --rounds N.
#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "crypto/random.h"
#include "quorum/statements.h"
#include "tests/e2e/conclaved_harness.h"
#include "tests/quorum_fixture.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::ConclavedClient;
using testing::ConclavedCluster;
using testing::EditorRef;

uint64_t Now() { return static_cast<uint64_t>(std::time(nullptr)); }

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The p-th percentile (nearest rank) of `v` in milliseconds.
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string FsType(const fs::path& p) {
  struct statfs s {};
  if (statfs(p.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x794c7630:
      return "overlayfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx",
                    static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "conclaved_bench: %s\n", why.c_str());
  std::exit(1);
}

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    Die(what + ": " + std::to_string(static_cast<int>(s.error_code())) + " " +
        s.error_message());
  }
}

template <typename T>
T Value(StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + v.status().ToString());
  return std::move(v).value();
}

void Row(const char* what, const std::string& value) {
  std::printf("| %-52s | %s |\n", what, value.c_str());
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// The settled checkpoint once it has more than `leaf` leaves.
audit::Checkpoint SettledPast(ConclavedClient& c, uint64_t leaf) {
  for (int i = 0; i < 600; ++i) {
    audit::Checkpoint cp;
    Check(c.Settled(&cp), "GetCheckpoint");
    if (cp.size > leaf) return cp;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Die("no settled checkpoint past leaf " + std::to_string(leaf));
}

struct Options {
  int submissions = 40;  // 1 MiB each, sequential; as many again 4 at once
  int votes = 200;
  int clients = 100;
  int rounds = 3;  // scripts per client in (c)
};

// (a) 1 MiB submissions.
void BenchSubmissions(const ConclavedCluster& cluster, int port,
                      const Options& o) {
  const size_t kSize = size_t{1} << 20;
  auto make = [&](int n) {
    std::vector<testing::Submission> subs;
    Bytes plaintext(kSize);
    for (int i = 0; i < n; ++i) {
      FillRandom(plaintext);
      subs.push_back(Value(
          testing::MakeSubmission(cluster.roster().consortium_key, plaintext),
          "MakeSubmission"));
    }
    return subs;
  };
  // One client, one after another.
  std::vector<testing::Submission> subs = make(o.submissions);
  ConclavedClient c(cluster, port);
  std::vector<double> lat;
  const auto t0 = Clock::now();
  for (const testing::Submission& s : subs) {
    v1::SubmitReply reply;
    const auto a = Clock::now();
    Check(c.Submit(s.file, &reply), "Submit");
    lat.push_back(Ms(Clock::now() - a));
  }
  const double seq_s = Ms(Clock::now() - t0) / 1000.0;

  // Four clients at once, each with its own connection.
  subs = make(o.submissions);
  std::vector<double> lat4;
  std::mutex mu;
  std::atomic<int> next{0};
  const auto t1 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      ConclavedClient cw(cluster, port);
      for (int i; (i = next.fetch_add(1)) < o.submissions;) {
        v1::SubmitReply reply;
        const auto a = Clock::now();
        Check(cw.Submit(subs[i].file, &reply), "Submit");
        const double ms = Ms(Clock::now() - a);
        std::lock_guard<std::mutex> lock(mu);
        lat4.push_back(ms);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double par_s = Ms(Clock::now() - t1) / 1000.0;

  std::printf(
      "\n(a) submissions of 1 MiB plaintext (age file %zu bytes), streamed "
      "in 256 KiB chunks\n\n",
      subs[0].file.size());
  Row("measure", "value");
  Row("----", "----");
  Row("1 client: submissions/s", Fmt("%.1f", o.submissions / seq_s));
  Row("1 client: latency p50 (ms)", Fmt("%.1f", Percentile(lat, 50)));
  Row("1 client: latency p99 (ms)", Fmt("%.1f", Percentile(lat, 99)));
  Row("4 clients: submissions/s", Fmt("%.1f", o.submissions / par_s));
  Row("4 clients: latency p50 (ms)", Fmt("%.1f", Percentile(lat4, 50)));
  Row("4 clients: latency p99 (ms)", Fmt("%.1f", Percentile(lat4, 99)));
}

// (b) vote round trip.
void BenchVotes(const ConclavedCluster& cluster, int port, const Options& o) {
  // Requests enough for o.votes votes by organisations 2..5 (one editor
  // each), on small submissions.
  const std::vector<EditorRef> voters = {{2, 1}, {3, 1}, {4, 1}, {5, 1}};
  const int requests = (o.votes + 3) / 4;
  ConclavedClient c(cluster, port);
  std::vector<quorum::VerifiedRequest> made;
  uint64_t last = 0;
  for (int i = 0; i < requests; ++i) {
    const testing::Submission sub = Value(
        testing::MakeSubmission(cluster.roster().consortium_key,
                                AsBytes(std::string_view("a short memo"))),
        "MakeSubmission");
    v1::SubmitReply sr;
    Check(c.Submit(sub.file, &sr), "Submit");
    quorum::RequestOptions ro;
    ro.reason = "benchmark";
    ro.now_unix = Now();
    auto req = Value(quorum::MakeRequest(cluster.roster(), cluster.keys({1, 1}),
                                         sub.header, ro),
                     "MakeRequest");
    v1::PostReply pr;
    Check(c.PostRequest({1, 1}, req.statement, &pr), "PostRequest");
    last = std::max(last, pr.leaf_index());
    made.push_back(Value(quorum::VerifyRequest(cluster.roster(), req.statement),
                         "VerifyRequest"));
  }
  const audit::Checkpoint seen = SettledPast(c, last);

  std::vector<double> lat;
  int settled = 0, waited_out = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < o.votes; ++i) {
    const EditorRef v = voters[i % voters.size()];
    quorum::VoteOptions vo;
    vo.checkpoint_size = seen.size;
    vo.checkpoint_root = ToBytes(seen.root_hash);
    vo.now_unix = Now();
    auto vote = Value(quorum::MakeVote(cluster.roster(), cluster.keys(v),
                                       made[i / voters.size()], vo),
                      "MakeVote");
    v1::PostReply reply;
    const auto a = Clock::now();
    Check(c.PostVote(v, vote, &reply), "PostVote");
    lat.push_back(Ms(Clock::now() - a));
    if (reply.status().find("is in the settled checkpoint") !=
        std::string::npos) {
      ++settled;
    } else {
      ++waited_out;
    }
  }
  const double total_s = Ms(Clock::now() - t0) / 1000.0;
  std::printf(
      "\n(b) vote round trip: PostVote until its reply (%d votes, one "
      "client, one after another; each names a settled checkpoint)\n\n",
      o.votes);
  Row("measure", "value");
  Row("----", "----");
  Row("p50 (ms)", Fmt("%.1f", Percentile(lat, 50)));
  Row("p90 (ms)", Fmt("%.1f", Percentile(lat, 90)));
  Row("p99 (ms)", Fmt("%.1f", Percentile(lat, 99)));
  Row("max (ms)", Fmt("%.1f", Percentile(lat, 100)));
  Row("votes/s (one client)", Fmt("%.1f", o.votes / total_s));
  Row("replies after a settled checkpoint covered the leaf",
      std::to_string(settled));
  Row("replies after the settle wait ran out (2 s)",
      std::to_string(waited_out));
  Row("target: p99 < 20 ms", Percentile(lat, 99) < 20 ? "met" : "MISSED");
}

// (c) 100 concurrent clients, mixed calls.
void BenchClients(const ConclavedCluster& cluster, int port, const Options& o) {
  struct Op {
    const char* name;
    std::vector<double> ms;
    int errors = 0;
  };
  const char* kNames[] = {"Submit",       "PostRequest", "GetCheckpoint",
                          "PostVote",     "GetRequest",  "ListSubmissions",
                          "ListRequests", "GetLeaves",   "GetSubmissionFile"};
  constexpr int kOps = 9;
  std::mutex mu;
  std::vector<Op> ops(kOps);
  for (int i = 0; i < kOps; ++i) ops[i].name = kNames[i];
  std::vector<std::string> first_errors;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<uint64_t> calls{0};

  auto client = [&](int n) {
    ConclavedClient c(cluster, port,
                      EditorRef{static_cast<uint32_t>(2 + n % 4), 1});
    c.timeout = std::chrono::seconds(60);
    std::vector<Op> mine(kOps);
    std::mt19937_64 rng(n);
    // Sign and build before the start line: only calls are timed.
    std::vector<testing::Submission> subs;
    for (int r = 0; r < o.rounds; ++r) {
      std::string text = "client " + std::to_string(n) + " round " +
                         std::to_string(r) + " memo";
      subs.push_back(
          Value(testing::MakeSubmission(cluster.roster().consortium_key,
                                        AsBytes(std::string_view(text))),
                "MakeSubmission"));
    }
    ready.fetch_add(1);
    while (!go.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto timed = [&](int op, const std::function<grpc::Status()>& f) {
      const auto a = Clock::now();
      const grpc::Status s = f();
      const double ms = Ms(Clock::now() - a);
      calls.fetch_add(1);
      if (s.ok()) {
        mine[op].ms.push_back(ms);
      } else {
        ++mine[op].errors;
        std::lock_guard<std::mutex> lock(mu);
        if (first_errors.size() < 10) {
          first_errors.push_back(std::string(kNames[op]) + ": " +
                                 std::to_string(int(s.error_code())) + " " +
                                 s.error_message());
        }
      }
      return s.ok();
    };
    for (int r = 0; r < o.rounds; ++r) {
      const testing::Submission& sub = subs[r];
      v1::SubmitReply sr;
      if (!timed(0, [&] { return c.Submit(sub.file, &sr); })) continue;
      const EditorRef requester{1, 1 + static_cast<uint32_t>(rng() % 2)};
      quorum::RequestOptions ro;
      ro.reason = "load";
      ro.now_unix = Now();
      auto req =
          Value(quorum::MakeRequest(cluster.roster(), cluster.keys(requester),
                                    sub.header, ro),
                "MakeRequest");
      auto verified = Value(
          quorum::VerifyRequest(cluster.roster(), req.statement), "Verify");
      v1::PostReply pr;
      if (!timed(1, [&] {
            return c.PostRequest(requester, req.statement, &pr);
          })) {
        continue;
      }
      audit::Checkpoint cp;
      bool have = false;
      for (int i = 0; i < 100 && !have; ++i) {
        if (!timed(2, [&] { return c.Settled(&cp); })) break;
        have = cp.size > pr.leaf_index();
        if (!have) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (have) {
        for (uint32_t org : {2u, 3u, 4u}) {
          quorum::VoteOptions vo;
          vo.checkpoint_size = cp.size;
          vo.checkpoint_root = ToBytes(cp.root_hash);
          vo.now_unix = Now();
          auto vote =
              Value(quorum::MakeVote(cluster.roster(), cluster.keys({org, 1}),
                                     verified, vo),
                    "MakeVote");
          v1::PostReply vr;
          timed(3, [&] { return c.PostVote({org, 1}, vote, &vr); });
        }
      }
      v1::RequestInfo info;
      timed(4, [&] { return c.GetRequest(req.id, &info); });
      v1::SubmissionList sl;
      timed(5, [&] { return c.ListSubmissions(0, 20, &sl); });
      v1::RequestList rl;
      timed(6, [&] { return c.ListRequests(0, 20, &rl); });
      v1::LeavesReply lr;
      timed(7, [&] { return c.GetLeaves(0, 10, &lr); });
      Bytes file;
      timed(8, [&] { return c.GetSubmissionFile(sub.id, &file); });
    }
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < kOps; ++i) {
      ops[i].ms.insert(ops[i].ms.end(), mine[i].ms.begin(), mine[i].ms.end());
      ops[i].errors += mine[i].errors;
    }
  };

  std::vector<std::thread> threads;
  for (int n = 0; n < o.clients; ++n) threads.emplace_back(client, n);
  while (ready.load() < o.clients) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto t0 = Clock::now();
  go.store(true);
  for (std::thread& t : threads) t.join();
  const double wall = Ms(Clock::now() - t0) / 1000.0;

  int errors = 0;
  uint64_t ok = 0;
  for (const Op& op : ops) {
    errors += op.errors;
    ok += op.ms.size();
  }
  std::printf(
      "\n(c) %d concurrent clients (own channel and connection each), %d "
      "rounds of a mixed script each\n\n",
      o.clients, o.rounds);
  std::printf("| %-18s | %7s | %6s | %9s | %9s |\n", "call", "calls", "errors",
              "p50 (ms)", "p99 (ms)");
  std::printf("| %-18s | %7s | %6s | %9s | %9s |\n", "----", "----", "----",
              "----", "----");
  for (const Op& op : ops) {
    std::printf("| %-18s | %7zu | %6d | %9.1f | %9.1f |\n", op.name,
                op.ms.size() + op.errors, op.errors, Percentile(op.ms, 50),
                Percentile(op.ms, 99));
  }
  std::printf("\n");
  Row("calls", std::to_string(calls.load()));
  Row("errors", std::to_string(errors));
  Row("wall time (s)", Fmt("%.2f", wall));
  Row("throughput (calls/s)", Fmt("%.1f", ok / wall));
  Row("target: no error", errors == 0 ? "met" : "MISSED");
  for (const std::string& e : first_errors) {
    std::printf("error: %s\n", e.c_str());
  }
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (flag == "--submissions") {
      o.submissions = v;
    } else if (flag == "--votes") {
      o.votes = v;
    } else if (flag == "--clients") {
      o.clients = v;
    } else if (flag == "--rounds") {
      o.rounds = v;
    } else {
      Die("unknown flag " + flag +
          " (--submissions N, --votes N, --clients N, --rounds N)");
    }
  }
  const char* base = std::getenv("CONCLAVE_BENCH_DIR");
  const fs::path parent = base && *base ? fs::path(base) : fs::path("/tmp");
  fs::create_directories(parent);
  std::string tmpl = (fs::absolute(parent) / "conclaved-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) Die("cannot create a scratch directory");
  const fs::path dir = tmpl;

  const std::string load_before = LoadAverage();
  auto cluster = Value(
      ConclavedCluster::Create(
          {CONCLAVED_PATH, CONCLAVE_CEREMONY_PATH, CONCLAVE_WITNESS_PATH}, dir),
      "ceremony");
  if (Status s = cluster->StartWitnesses(); !s.ok()) Die(s.ToString());
  // Every client is 127.0.0.1: the per-address submission limit is lifted.
  testing::RunningDaemon d = cluster->StartDaemon(cluster->DaemonArgs(
      dir / "data", {"--submissions-per-minute", "100000000"}));
  if (d.port == 0) Die("conclaved did not start: " + d.err);
  {
    ConclavedClient c(*cluster, d.port);
    SettledPast(c, 1);  // the roster and daemon_started leaves
  }

  std::printf(
      "conclaved benchmark: %ld CPUs, load average %s at the start; data "
      "directory on %s (%s); 5 witnesses, W = 4\n",
      sysconf(_SC_NPROCESSORS_ONLN), load_before.c_str(), FsType(dir).c_str(),
      dir.c_str());
  std::fflush(stdout);
  BenchSubmissions(*cluster, d.port, o);
  std::fflush(stdout);
  BenchVotes(*cluster, d.port, o);
  std::fflush(stdout);
  BenchClients(*cluster, d.port, o);
  std::printf("\nload average at the end: %s\n", LoadAverage().c_str());

  const int code = cluster->StopDaemon(&d, SIGTERM);
  if (code != 0)
    std::fprintf(stderr, "conclaved exit %d: %s\n", code, d.err.c_str());
  cluster.reset();
  fs::remove_all(dir);
  return code == 0 ? 0 : 1;
}

}  // namespace
}  // namespace conclave

int main(int argc, char** argv) { return conclave::Main(argc, argv); }
