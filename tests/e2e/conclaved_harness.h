// Running the real conclaved with every organisation's conclave-witness on
// loopback, for the crash test (tests/e2e/conclaved_crash_e2e_test.cc) and
// the daemon benchmark (bench/conclaved_bench.cc): a `conclave-ceremony
// simulate` consortium (5 organisations, t = 3, so W = 4 witnesses settle
// a checkpoint; organisation 1 has 2 editors who are both needed), the
// processes, and a gRPC client that signs its calls (daemon/call.h).
//
// Nothing here asserts: errors come back as Status / grpc::Status, so the
// same code serves GoogleTest and a timed program.
#ifndef CONCLAVE_TESTS_E2E_CONCLAVED_HARNESS_H_
#define CONCLAVE_TESTS_E2E_CONCLAVED_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.h"
#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/daemon.grpc.pb.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/quorum_fixture.h"

namespace conclave::testing {

// Where the programs are (the build's $<TARGET_FILE:...>).
struct ConclavedPrograms {
  std::string conclaved;
  std::string ceremony;
  std::string witness;
};

struct SpawnedProcess {
  pid_t pid = -1;
  std::filesystem::path out, err;
};

// waitpid: the exit code, or −signal when a signal ended it.
int WaitExitCode(pid_t pid);

// One running (or refused) conclaved.
struct RunningDaemon {
  SpawnedProcess proc;
  int port = 0;        // > 0 once it serves
  int exit_code = -1;  // when it exited instead
  std::string err;     // its stderr when it started serving or exited
};

class ConclavedCluster {
 public:
  static constexpr char kPassphrase[] = "correct horse battery staple";

  // Runs the simulated ceremony into dir/ceremony (`dir` is created if
  // missing and belongs to the caller) and opens every editor's identity
  // and share.
  static StatusOr<std::unique_ptr<ConclavedCluster>> Create(
      ConclavedPrograms programs, std::filesystem::path dir);
  // SIGKILLs every process it started that is still running.
  ~ConclavedCluster();
  ConclavedCluster(const ConclavedCluster&) = delete;
  ConclavedCluster& operator=(const ConclavedCluster&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const keyceremony::VerifiedRoster& roster() const { return roster_; }
  // Every editor, (1,1), (1,2), (2,1) … (5,1).
  std::vector<EditorRef> editors() const;
  const quorum::EditorKeys& keys(EditorRef ref) const;
  const v1::EditorShare& share(EditorRef ref) const;
  // The editors whose votes make organisation `org` count (k_o of them).
  std::vector<EditorRef> QuorumOf(uint32_t org) const;

  std::string roster_path() const;
  std::string log_key_path() const;
  std::string passphrase_path() const;

  // Starts every organisation's conclave-witness on 127.0.0.1:0 and waits
  // until each serves.
  Status StartWitnesses();
  // The usual flags for a daemon on `data`: loopback port 0, every
  // witness (after StartWitnesses), plus `extra`.
  std::vector<std::string> DaemonArgs(
      const std::filesystem::path& data,
      const std::vector<std::string>& extra = {}) const;

  // Spawns conclaved and waits until it prints "listening on
  // 127.0.0.1:PORT (…)" or exits (then exit_code is set and port is 0).
  RunningDaemon StartDaemon(
      const std::vector<std::string>& args,
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends `sig` and waits; the exit code (−signal if it ended by it). The
  // daemon's stderr is read into d->err.
  int StopDaemon(RunningDaemon* d, int sig);

 private:
  struct Editor {
    std::unique_ptr<OpenedSecret> identity, share;
    std::unique_ptr<quorum::EditorKeys> keys;
  };
  ConclavedCluster() = default;

  ConclavedPrograms programs_;
  std::filesystem::path dir_;
  keyceremony::VerifiedRoster roster_;
  std::map<EditorRef, Editor> editors_;
  std::vector<std::string> witness_flags_;
  std::vector<SpawnedProcess> procs_;
  int daemon_starts_ = 0;
};

// A client of one daemon over its own channel (GRPC_ARG_USE_LOCAL_
// SUBCHANNEL_POOL: its own TCP connection, as a separate client would
// have). Editor calls are signed with SignCall by `reader` unless a method
// takes the signer.
class ConclavedClient {
 public:
  ConclavedClient(const ConclavedCluster& cluster, int port,
                  EditorRef reader = {3, 1});

  v1::Conclave::Stub& stub() { return *stub_; }
  // A context with a deadline `timeout` from now.
  static std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  v1::SignedStatement Call(EditorRef signer, std::string_view method,
                           const google::protobuf::MessageLite& payload) const;

  // Streams `file` in chunks of `chunk` bytes.
  grpc::Status Submit(ByteSpan file, v1::SubmitReply* reply,
                      size_t chunk = size_t{256} << 10);
  grpc::Status PostRequest(EditorRef signer, const v1::SignedStatement& req,
                           v1::PostReply* reply);
  grpc::Status PostVote(EditorRef signer, const v1::SignedStatement& vote,
                        v1::PostReply* reply);
  grpc::Status PostApproval(EditorRef signer, const v1::Approval& approval,
                            v1::PostReply* reply);
  grpc::Status GetCheckpoint(uint64_t from_size, v1::CheckpointReply* reply);
  // The settled checkpoint, parsed (not verified: see VerifySettled);
  // size 0 when none has settled yet.
  grpc::Status Settled(audit::Checkpoint* checkpoint,
                       std::string* note = nullptr);
  grpc::Status GetRequest(const quorum::RequestId& id, v1::RequestInfo* info);
  grpc::Status GetEvidence(const quorum::RequestId& id,
                           v1::LogEvidence* evidence);
  grpc::Status ListSubmissions(uint64_t start, uint32_t limit,
                               v1::SubmissionList* list);
  grpc::Status ListRequests(uint64_t start, uint32_t limit,
                            v1::RequestList* list);
  grpc::Status GetSubmissionFile(const std::string& id, Bytes* file);
  grpc::Status GetLeaves(uint64_t start, uint64_t end, v1::LeavesReply* reply);
  // Every leaf in [0, end), in as many calls as the daemon's bounds need.
  grpc::Status AllLeaves(uint64_t end, std::vector<Bytes>* leaves);

  std::chrono::milliseconds timeout = std::chrono::seconds(30);

 private:
  const ConclavedCluster* cluster_;
  EditorRef reader_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Conclave::Stub> stub_;
};

// The note verified against the roster (log key, witnesses) and settled by
// its own cosigners (W organisations); the parsed checkpoint.
StatusOr<audit::Checkpoint> VerifySettled(
    const keyceremony::VerifiedRoster& roster, std::string_view note);

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_E2E_CONCLAVED_HARNESS_H_
