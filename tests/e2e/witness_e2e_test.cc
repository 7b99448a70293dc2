// End to end over loopback: real conclave-witness processes (sealed keys,
// state directories, SIGKILL) speaking C2SP tlog-witness to an in-process
// log, and `conclave audit verify --offline` on the exports it produces,
// clean and tampered.
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
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/client_state.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "audit/note.h"
#include "crypto/hash.h"
#include "sealed/sealed_file.h"
#include "tests/e2e/program.h"

extern char** environ;

namespace conclave {
namespace {

namespace fs = std::filesystem;
using audit::Hash;

constexpr char kOrigin[] = "log.consortium.example";

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void WriteAll(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

Ed25519PrivateKey CopyKey(const Ed25519PrivateKey& k) {
  return Ed25519PrivateKey::FromSeed(k.seed().span()).value();
}

std::string Body(uint64_t old, const std::vector<Hash>& proof,
                 const std::string& note) {
  std::string b = "old " + std::to_string(old) + "\n";
  for (const Hash& h : proof) b += audit::NoteBase64Encode(h) + "\n";
  return b + "\n" + note;
}

struct Reply {
  int status = -1;
  std::string body, content_type;
};

struct Proc {
  pid_t pid = -1;
  fs::path err;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

class WitnessE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-witness-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    WriteAll(dir_ / "pass", "correct horse battery staple\n");
    log_ = NewLog(log_key_);
  }
  void TearDown() override {
    for (Proc& p : procs_) Stop(&p, SIGTERM);
    fs::remove_all(dir_);
  }

  std::unique_ptr<audit::Log> NewLog(const Ed25519PrivateKey& key,
                                     const std::string& origin = kOrigin) {
    return audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                              origin, CopyKey(key))
        .value();
  }
  static void Grow(audit::Log* log, int n, const std::string& tag = "event") {
    std::vector<Bytes> leaves;
    for (int i = 0; i < n; ++i) {
      leaves.push_back(ToBytes(tag + " #" + std::to_string(log->Size() + i)));
    }
    ASSERT_TRUE(log->AppendBatch(leaves).ok());
  }

  // A sealed witness key for organisation `org`; returns its vkey.
  std::string MakeWitnessKey(int org) {
    Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
    v1::SealedSecret s;
    const std::string name = "witness.org" + std::to_string(org) + ".example";
    s.mutable_witness_key()->set_org_id(org);
    s.mutable_witness_key()->set_name(name);
    s.mutable_witness_key()->set_ed25519_seed(key.seed().data(),
                                              key.seed().size());
    EXPECT_TRUE(WriteSealedFile(KeyPath(org), s,
                                SecretBytes::CopyFrom(
                                    AsBytes("correct horse battery staple")),
                                /*work_factor=*/10)
                    .ok());
    return audit::CosignatureV1Signer::Create(name, std::move(key))
        .value()
        ->Verifier()
        ->vkey();
  }
  fs::path KeyPath(int org) {
    return dir_ / ("w" + std::to_string(org) + ".age");
  }
  fs::path StatePath(int org) { return dir_ / ("state" + std::to_string(org)); }

  pid_t Spawn(const std::string& path, const std::vector<std::string>& args,
              const fs::path& out, const fs::path& err) {
    return testing::SpawnProgram(path, args, out, err);
  }

  // Starts a witness for organisation `org`; returns its port (0 on
  // failure, with the stderr text in *err_text).
  int StartWitness(int org, std::vector<std::string> log_vkeys,
                   std::string* err_text = nullptr) {
    std::vector<std::string> args = {"--key",
                                     KeyPath(org).string(),
                                     "--state",
                                     StatePath(org).string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--passphrase-file",
                                     (dir_ / "pass").string()};
    for (const std::string& v : log_vkeys) {
      args.push_back("--log-vkey");
      args.push_back(v);
    }
    Proc p;
    p.err = dir_ / ("witness" + std::to_string(org) + "." +
                    std::to_string(procs_.size()) + ".err");
    p.pid = Spawn(CONCLAVE_WITNESS_PATH, args, dir_ / "witness.out", p.err);
    if (p.pid < 0) return 0;
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 1000; ++i) {
      const std::string e = ReadAll(p.err);
      const size_t at = e.find(marker);
      if (at != std::string::npos && e.find(" as ", at) != std::string::npos) {
        procs_.push_back(p);
        return std::stoi(e.substr(at + marker.size()));
      }
      int status;
      if (waitpid(p.pid, &status, WNOHANG) == p.pid) {
        if (err_text) *err_text = ReadAll(p.err);
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "witness did not start: " << ReadAll(p.err);
    procs_.push_back(p);
    return 0;
  }

  void Stop(Proc* p, int sig) {
    if (p->pid <= 0) return;
    kill(p->pid, sig);
    int status;
    waitpid(p->pid, &status, 0);
    p->pid = -1;
  }
  void KillAll(int sig) {
    for (Proc& p : procs_) Stop(&p, sig);
    procs_.clear();
  }

  static Reply Post(int port, const std::string& body) {
    httplib::Client c("127.0.0.1", port);
    auto res = c.Post("/add-checkpoint", body, "text/plain");
    Reply r;
    if (!res) return r;
    r.status = res->status;
    r.body = res->body;
    r.content_type = res->get_header_value("Content-Type");
    return r;
  }

  RunResult Conclave(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "cli.out", err = dir_ / "cli.err";
    pid_t pid = Spawn(CONCLAVE_CLI_PATH, args, out, err);
    RunResult r;
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  std::string Sign() { return log_->SignCheckpoint().value(); }

  fs::path dir_;
  Ed25519PrivateKey log_key_ = Ed25519PrivateKey::Generate();
  std::unique_ptr<audit::Log> log_;
  std::vector<Proc> procs_;
};

TEST_F(WitnessE2eTest, SpecStatusCodesOverHttp) {
  MakeWitnessKey(1);
  const int port = StartWitness(1, {log_->vkey()});
  ASSERT_GT(port, 0);
  Grow(log_.get(), 5);
  Reply r = Post(port, Body(0, {}, Sign()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind("\xE2\x80\x94 witness.org1.example ", 0), 0u);
  // Consistent growth.
  Grow(log_.get(), 3);
  r = Post(port, Body(5, log_->ConsistencyProof(5, 8).value(), Sign()));
  ASSERT_EQ(r.status, 200) << r.body;
  // Stale old size: 409 with the size as text/x.tlog.size.
  r = Post(port, Body(5, {}, Sign()));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "8\n");
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  // Fork: the log key signs another history of the same size.
  auto fork = NewLog(log_key_);
  Grow(fork.get(), 8, "forged");
  EXPECT_EQ(Post(port, Body(8, {}, fork->SignCheckpoint().value())).status,
            422);
  // Rollback to a smaller tree.
  auto small = NewLog(log_key_);
  Grow(small.get(), 5);
  EXPECT_EQ(Post(port, Body(8, {}, small->SignCheckpoint().value())).status,
            400);
  // Bad proof.
  Grow(log_.get(), 4);
  auto proof = log_->ConsistencyProof(8, 12).value();
  proof.back()[0] ^= 1;
  EXPECT_EQ(Post(port, Body(8, proof, Sign())).status, 422);
  // Wrong log key, unknown origin.
  auto impostor = NewLog(Ed25519PrivateKey::Generate());
  Grow(impostor.get(), 12);
  EXPECT_EQ(Post(port, Body(8, {}, impostor->SignCheckpoint().value())).status,
            403);
  auto other = NewLog(Ed25519PrivateKey::Generate(), "other.example/log");
  Grow(other.get(), 2);
  EXPECT_EQ(Post(port, Body(0, {}, other->SignCheckpoint().value())).status,
            404);
  EXPECT_EQ(Post(port, "old 8\nnonsense").status, 400);
  // The monitoring endpoint.
  httplib::Client c("127.0.0.1", port);
  auto got = c.Get("/" + HexEncode(Sha256(AsBytes(kOrigin))) + "/checkpoint");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_NE(got->body.find("\n8\n"), std::string::npos);
}

TEST_F(WitnessE2eTest, StateSurvivesSigkill) {
  const std::string vkey = MakeWitnessKey(1);
  int port = StartWitness(1, {log_->vkey()});
  ASSERT_GT(port, 0);
  Grow(log_.get(), 5);
  ASSERT_EQ(Post(port, Body(0, {}, Sign())).status, 200);
  // Killed between requests.
  KillAll(SIGKILL);
  port = StartWitness(1, {log_->vkey()});
  ASSERT_GT(port, 0);
  Reply r = Post(port, Body(0, {}, Sign()));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "5\n");
  // Killed right after a cosignature was returned.
  for (int round = 0; round < 5; ++round) {
    const uint64_t old = log_->Size();
    Grow(log_.get(), 1 + round);
    r = Post(port, Body(old, log_->ConsistencyProof(old, log_->Size()).value(),
                        Sign()));
    ASSERT_EQ(r.status, 200) << r.body;
    KillAll(SIGKILL);
    port = StartWitness(1, {log_->vkey()});
    ASSERT_GT(port, 0);
    // It refuses the old size it had before the cosignature.
    r = Post(port, Body(old, log_->ConsistencyProof(old, log_->Size()).value(),
                        Sign()));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.body, std::to_string(log_->Size()) + "\n");
  }
  // One state, one process: a second witness on the same directory exits.
  std::string err;
  EXPECT_EQ(StartWitness(1, {log_->vkey()}, &err), 0);
  EXPECT_NE(err.find("another conclave-witness"), std::string::npos) << err;
  // The state records its key: another key is refused.
  KillAll(SIGTERM);
  MakeWitnessKey(2);
  fs::rename(StatePath(1), StatePath(2));
  EXPECT_EQ(StartWitness(2, {log_->vkey()}, &err), 0);
  EXPECT_NE(err.find("belongs to the witness key"), std::string::npos) << err;
  EXPECT_NE(err.find(vkey), std::string::npos) << err;
}

TEST_F(WitnessE2eTest, UsageErrors) {
  MakeWitnessKey(1);
  auto run = [&](std::vector<std::string> args) {
    const fs::path out = dir_ / "u.out", err = dir_ / "u.err";
    pid_t pid = Spawn(CONCLAVE_WITNESS_PATH, args, out, err);
    int status = 0;
    waitpid(pid, &status, 0);
    return std::make_pair(WEXITSTATUS(status), ReadAll(err));
  };
  const std::vector<std::string> base = {"--key",
                                         KeyPath(1).string(),
                                         "--state",
                                         StatePath(1).string(),
                                         "--passphrase-file",
                                         (dir_ / "pass").string(),
                                         "--log-vkey",
                                         log_->vkey()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto [code, err] = run(with({"--listen", "127.0.0.1:0", "--roster", "r"}));
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("--roster and --log-vkey conflict"), std::string::npos)
      << err;
  std::tie(code, err) = run(with({"--listen", "0.0.0.0:0"}));
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("TLS termination"), std::string::npos) << err;
  std::tie(code, err) = run(with({"--listen", "192.0.2.1:7380"}));
  EXPECT_EQ(code, 1);
  RunResult v = Conclave({"audit", "verify", "--offline", dir_.string(),
                          "--roster", "roster.pb", "--log-vkey", log_->vkey()});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.err.find("--roster and --log-vkey conflict"), std::string::npos)
      << v.err;
  // A roster that does not exist: not a usage error.
  v = Conclave({"audit", "verify", "--offline", dir_.string(), "--roster",
                (dir_ / "missing.roster").string()});
  EXPECT_EQ(v.exit_code, 2) << v.err;
  EXPECT_NE(v.err.find("missing.roster"), std::string::npos) << v.err;
}

// Five organisations, m = 5, t = 3: W = 4.
TEST_F(WitnessE2eTest, SettledRuleWithFiveWitnesses) {
  std::vector<std::string> vkeys;
  std::vector<int> ports;
  for (int org = 1; org <= 5; ++org) {
    vkeys.push_back(MakeWitnessKey(org));
    ports.push_back(StartWitness(org, {log_->vkey()}));
    ASSERT_GT(ports.back(), 0);
  }
  Grow(log_.get(), 40);
  const std::string note = Sign();
  std::vector<std::string> cosigs;
  for (int port : ports) {
    Reply r = Post(port, Body(0, {}, note));
    ASSERT_EQ(r.status, 200) << r.body;
    cosigs.push_back(r.body);
  }
  auto export_with = [&](const std::vector<int>& orgs, const std::string& n) {
    std::string cosigned = note;
    for (int org : orgs) {
      cosigned = audit::AppendSignatureLines(cosigned, cosigs[org - 1]).value();
    }
    const fs::path d = dir_ / n;
    EXPECT_TRUE(log_->WriteExport(d, cosigned).ok());
    return d;
  };
  std::vector<std::string> args_tail = {
      "--log-vkey", log_->vkey(), "--members", "5", "--threshold", "3"};
  for (int org = 1; org <= 5; ++org) {
    WriteAll(dir_ / ("w" + std::to_string(org) + ".vkey"),
             vkeys[org - 1] + "\n");
    args_tail.push_back("--witness");
    args_tail.push_back(
        std::to_string(org) + "=" +
        (dir_ / ("w" + std::to_string(org) + ".vkey")).string());
  }
  auto verify = [&](const fs::path& d, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"audit", "verify", "--offline", d.string()};
    a.insert(a.end(), args_tail.begin(), args_tail.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return Conclave(a);
  };
  RunResult r = verify(export_with({1, 3, 5}, "three"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("not settled: 3 of 4"), std::string::npos) << r.err;
  r = verify(export_with({1, 2, 3, 5}, "four"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cosigned by organisations 1, 2, 3, 5; W = 4: settled"),
            std::string::npos)
      << r.out;
  r = verify(dir_ / "four", {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"settled\": true"), std::string::npos) << r.out;

  // Settled through growth: the witnesses move on to a later checkpoint.
  const fs::path state = dir_ / "client-state";
  r = verify(dir_ / "four", {"--state", state.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stored-first"), std::string::npos) << r.out;
  Grow(log_.get(), 25);
  const std::string note2 = Sign();
  std::string cosigned2 = note2;
  const auto proof = log_->ConsistencyProof(40, 65).value();
  for (int i : {1, 2, 4, 5}) {
    Reply rep = Post(ports[i - 1], Body(40, proof, note2));
    ASSERT_EQ(rep.status, 200) << rep.body;
    cosigned2 = audit::AppendSignatureLines(cosigned2, rep.body).value();
  }
  ASSERT_TRUE(log_->WriteExport(dir_ / "later", cosigned2).ok());
  r = verify(dir_ / "later", {"--state", state.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("advanced (pinned size was 40)"), std::string::npos)
      << r.out;
}

TEST_F(WitnessE2eTest, TamperedExportsAreNamed) {
  MakeWitnessKey(1);
  const std::string wvkey = MakeWitnessKey(2);
  const int port = StartWitness(2, {log_->vkey()});
  ASSERT_GT(port, 0);
  Grow(log_.get(), 300);
  const std::string note = Sign();
  Reply rep = Post(port, Body(0, {}, note));
  ASSERT_EQ(rep.status, 200);
  const std::string cosigned =
      audit::AppendSignatureLines(note, rep.body).value();
  const fs::path clean = dir_ / "clean";
  ASSERT_TRUE(log_->WriteExport(clean, cosigned).ok());
  const std::vector<std::string> pin = {"--log-vkey", log_->vkey()};
  auto verify = [&](const fs::path& d, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"audit", "verify", "--offline", d.string()};
    a.insert(a.end(), pin.begin(), pin.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return Conclave(a);
  };
  auto copy = [&](const std::string& name) {
    const fs::path d = dir_ / name;
    fs::copy(clean, d);
    return d;
  };
  RunResult r = verify(clean);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("300 leaves"), std::string::npos) << r.out;
  // Unpinned: accepted against its own log.vkey, and it says so.
  r = Conclave({"audit", "verify", "--offline", clean.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("UNPINNED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("against its own log.vkey only"), std::string::npos);

  // A changed leaf.
  fs::path d = copy("changed");
  std::string leaves = ReadAll(d / "leaves");
  leaves[leaves.find("event #123") + 7] = '9';
  WriteAll(d / "leaves", leaves);
  r = verify(d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("leaf-changed: the leaves do not match the checkpoint"),
            std::string::npos)
      << r.err;
  // Dropped leaves.
  d = copy("dropped");
  leaves = ReadAll(d / "leaves");
  WriteAll(d / "leaves", leaves.substr(0, leaves.find("event #290") - 4));
  r = verify(d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("leaves-dropped: leaves are missing: the export has "
                       "290 leaves but the checkpoint covers 300"),
            std::string::npos)
      << r.err;
  // A checkpoint from another log.
  auto other = NewLog(Ed25519PrivateKey::Generate(), "other.example/log");
  Grow(other.get(), 300);
  ASSERT_TRUE(
      other->WriteExport(dir_ / "other", other->SignCheckpoint().value()).ok());
  r = verify(dir_ / "other");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("wrong-log: checkpoint is from another log"),
            std::string::npos)
      << r.err;
  // A bad cosignature.
  d = copy("badcosig");
  audit::Note n = audit::ParseNote(cosigned).value();
  n.signatures[1].signature[30] ^= 1;
  WriteAll(d / "checkpoint", audit::FormatNote(n).value());
  r = verify(d,
             {"--witness", "2=" + wvkey, "--members", "1", "--threshold", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad-cosignature: cosignature from the witness of "
                       "organisation 2"),
            std::string::npos)
      << r.err;
  // A rewritten history signed with the log key, against a pinned state.
  const fs::path state = dir_ / "client-state";
  r = verify(clean, {"--witness", "2=" + wvkey, "--members", "1", "--threshold",
                     "1", "--state", state.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rewritten = NewLog(log_key_);
  for (int i = 0; i < 310; ++i) {
    ASSERT_TRUE(rewritten
                    ->Append(ToBytes(i == 100 ? std::string("nothing happened")
                                              : "event #" + std::to_string(i)))
                    .ok());
  }
  ASSERT_TRUE(rewritten->Commit().ok());
  ASSERT_TRUE(
      rewritten
          ->WriteExport(dir_ / "rewritten", rewritten->SignCheckpoint().value())
          .ok());
  r = verify(dir_ / "rewritten", {"--state", state.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("history-rewritten: history rewritten"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("evidence kept in"), std::string::npos) << r.err;
  r = verify(dir_ / "rewritten", {"--state", state.string(), "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("\"problem\": \"fork-on-record\""), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace conclave
