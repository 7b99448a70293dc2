#include "tests/e2e/conclaved_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <ctime>
#include <thread>
#include <utility>

#include "audit/note.h"
#include "audit/settled.h"
#include "daemon/call.h"
#include "daemon/grpc_service.h"
#include "quorum/evidence.h"
#include "tests/e2e/program.h"

namespace conclave::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t NowUnix() { return static_cast<uint64_t>(std::time(nullptr)); }

// The port after `marker` once the line is complete (up to ")\n" for the
// daemon, " as " for a witness), 0 otherwise.
int PortAfter(const std::string& text, std::string_view marker,
              std::string_view line_end) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return 0;
  if (text.find(line_end, at) == std::string::npos) return 0;
  const size_t digits = at + marker.size();
  if (digits >= text.size() ||
      !std::isdigit(static_cast<unsigned char>(text[digits]))) {
    return 0;
  }
  return std::stoi(text.substr(digits));
}

}  // namespace

int WaitExitCode(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid) return -100;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -101;
}

// ---- ConclavedCluster ----

StatusOr<std::unique_ptr<ConclavedCluster>> ConclavedCluster::Create(
    ConclavedPrograms programs, fs::path dir) {
  std::unique_ptr<ConclavedCluster> c(new ConclavedCluster());
  c->programs_ = std::move(programs);
  c->dir_ = std::move(dir);
  std::error_code ec;
  fs::create_directories(c->dir_, ec);
  if (ec)
    return Status(StatusCode::kUnavailable,
                  "cannot create " + c->dir_.string());
  WriteAll(c->passphrase_path(), std::string(kPassphrase) + "\n");
  const fs::path sim = c->dir_ / "ceremony";
  const ProgramResult r =
      RunProgram(c->dir_, c->programs_.ceremony,
                 {"simulate", "--orgs", "5", "--threshold", "3", "--editors",
                  "2:2,1:1,1:1,1:1,1:1", "--work-factor", "10", "--out",
                  sim.string(), "--passphrase-file", c->passphrase_path()});
  if (r.exit_code != 0) {
    return InternalError("conclave-ceremony simulate failed: " + r.err);
  }
  CONCLAVE_ASSIGN_OR_RETURN(c->roster_,
                            keyceremony::ReadRosterFile(c->roster_path()));
  const SecretBytes pass =
      SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
  for (const EditorRef ref :
       {EditorRef{1, 1}, EditorRef{1, 2}, EditorRef{2, 1}, EditorRef{3, 1},
        EditorRef{4, 1}, EditorRef{5, 1}}) {
    const fs::path d = sim / ("org" + std::to_string(ref.org_id)) /
                       ("editor" + std::to_string(ref.editor_index));
    CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret identity,
                              ReadSealedFile(d / "identity.age", pass));
    CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret share,
                              ReadSealedFile(d / "share.age", pass));
    CONCLAVE_ASSIGN_OR_RETURN(
        quorum::EditorKeys keys,
        quorum::EditorKeys::FromIdentity(identity.message().editor_identity(),
                                         c->roster_));
    Editor e;
    e.identity = std::make_unique<OpenedSecret>(std::move(identity));
    e.share = std::make_unique<OpenedSecret>(std::move(share));
    e.keys = std::make_unique<quorum::EditorKeys>(std::move(keys));
    c->editors_.emplace(ref, std::move(e));
  }
  return c;
}

ConclavedCluster::~ConclavedCluster() {
  for (SpawnedProcess& p : procs_) {
    if (p.pid > 0 && ::kill(p.pid, SIGKILL) == 0) WaitExitCode(p.pid);
    p.pid = -1;
  }
}

std::vector<EditorRef> ConclavedCluster::editors() const {
  std::vector<EditorRef> out;
  for (const auto& [ref, e] : editors_) out.push_back(ref);
  return out;
}

const quorum::EditorKeys& ConclavedCluster::keys(EditorRef ref) const {
  return *editors_.at(ref).keys;
}

const v1::EditorShare& ConclavedCluster::share(EditorRef ref) const {
  return editors_.at(ref).share->message().editor_share();
}

std::vector<EditorRef> ConclavedCluster::QuorumOf(uint32_t org) const {
  const v1::RosterOrganisation* o =
      keyceremony::FindOrganisation(roster_.body, org);
  std::vector<EditorRef> out;
  if (o == nullptr) return out;
  for (uint32_t e = 1; e <= o->editor_threshold(); ++e) out.push_back({org, e});
  return out;
}

std::string ConclavedCluster::roster_path() const {
  return (dir_ / "ceremony" / "consortium.roster").string();
}
std::string ConclavedCluster::log_key_path() const {
  return (dir_ / "ceremony" / "log.age").string();
}
std::string ConclavedCluster::passphrase_path() const {
  return (dir_ / "pass.txt").string();
}

Status ConclavedCluster::StartWitnesses() {
  witness_flags_.clear();
  for (int org = 1; org <= 5; ++org) {
    const std::string n = std::to_string(org);
    SpawnedProcess p;
    p.out = dir_ / ("witness" + n + ".out");
    p.err = dir_ / ("witness" + n + ".err");
    p.pid = SpawnProgram(
        programs_.witness,
        {"--key", (dir_ / "ceremony" / ("org" + n) / "witness.age").string(),
         "--state", (dir_ / ("witness-state" + n)).string(), "--listen",
         "127.0.0.1:0", "--roster", roster_path(), "--passphrase-file",
         passphrase_path()},
        p.out, p.err);
    if (p.pid <= 0) return InternalError("cannot spawn conclave-witness");
    procs_.push_back(p);
    int port = 0;
    for (int i = 0; i < 3000 && port == 0; ++i) {
      port =
          PortAfter(ReadAll(p.err), "listening on http://127.0.0.1:", " as ");
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (port == 0) {
      return InternalError("witness " + n +
                           " did not start: " + ReadAll(p.err));
    }
    witness_flags_.push_back("--witness");
    witness_flags_.push_back(n + "=http://127.0.0.1:" + std::to_string(port));
  }
  return OkStatus();
}

std::vector<std::string> ConclavedCluster::DaemonArgs(
    const fs::path& data, const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      "--data",    data.string(),  "--roster",          roster_path(),
      "--log-key", log_key_path(), "--passphrase-file", passphrase_path(),
      "--listen",  "127.0.0.1:0"};
  args.insert(args.end(), witness_flags_.begin(), witness_flags_.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

RunningDaemon ConclavedCluster::StartDaemon(
    const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  RunningDaemon d;
  const std::string n = std::to_string(daemon_starts_++);
  d.proc.out = dir_ / ("conclaved" + n + ".out");
  d.proc.err = dir_ / ("conclaved" + n + ".err");
  d.proc.pid = SpawnProgram(programs_.conclaved, args, d.proc.out, d.proc.err);
  if (d.proc.pid <= 0) return d;
  procs_.push_back(d.proc);
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    const std::string e = ReadAll(d.proc.err);
    if (int port = PortAfter(e, "listening on 127.0.0.1:", ")\n"); port > 0) {
      d.port = port;
      d.err = e;
      return d;
    }
    int status = 0;
    if (waitpid(d.proc.pid, &status, WNOHANG) == d.proc.pid) {
      d.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      d.err = ReadAll(d.proc.err);
      for (SpawnedProcess& p : procs_) {
        if (p.pid == d.proc.pid) p.pid = -1;
      }
      d.proc.pid = -1;
      return d;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  d.err = ReadAll(d.proc.err);
  return d;  // still running, not serving: the caller stops it
}

int ConclavedCluster::StopDaemon(RunningDaemon* d, int sig) {
  if (d->proc.pid <= 0) return -100;
  ::kill(d->proc.pid, sig);
  const int code = WaitExitCode(d->proc.pid);
  for (SpawnedProcess& p : procs_) {
    if (p.pid == d->proc.pid) p.pid = -1;
  }
  d->err = ReadAll(d->proc.err);
  d->proc.pid = -1;
  return code;
}

// ---- ConclavedClient ----

ConclavedClient::ConclavedClient(const ConclavedCluster& cluster, int port,
                                 EditorRef reader)
    : cluster_(&cluster), reader_(reader) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(daemon::kMaxGrpcMessageBytes);
  args.SetMaxSendMessageSize(daemon::kMaxGrpcMessageBytes);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Reconnect quickly: a killed daemon is restarted within a second.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ =
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                grpc::InsecureChannelCredentials(), args);
  stub_ = v1::Conclave::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> ConclavedClient::Context(
    std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

v1::SignedStatement ConclavedClient::Call(
    EditorRef signer, std::string_view method,
    const google::protobuf::MessageLite& payload) const {
  return daemon::SignCall(cluster_->keys(signer), cluster_->roster(), method,
                          payload, NowUnix());
}

grpc::Status ConclavedClient::Submit(ByteSpan file, v1::SubmitReply* reply,
                                     size_t chunk) {
  auto ctx = Context(timeout);
  auto writer = stub_->Submit(ctx.get(), reply);
  for (size_t at = 0; at < file.size(); at += chunk) {
    v1::SubmitChunk c;
    c.set_data(file.data() + at, std::min(chunk, file.size() - at));
    if (!writer->Write(c)) break;  // the server has answered already
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status ConclavedClient::PostRequest(EditorRef signer,
                                          const v1::SignedStatement& req,
                                          v1::PostReply* reply) {
  auto ctx = Context(timeout);
  return stub_->PostRequest(ctx.get(), Call(signer, "PostRequest", req), reply);
}

grpc::Status ConclavedClient::PostVote(EditorRef signer,
                                       const v1::SignedStatement& vote,
                                       v1::PostReply* reply) {
  auto ctx = Context(timeout);
  return stub_->PostVote(ctx.get(), Call(signer, "PostVote", vote), reply);
}

grpc::Status ConclavedClient::PostApproval(EditorRef signer,
                                           const v1::Approval& approval,
                                           v1::PostReply* reply) {
  auto ctx = Context(timeout);
  return stub_->PostApproval(ctx.get(), Call(signer, "PostApproval", approval),
                             reply);
}

grpc::Status ConclavedClient::GetCheckpoint(uint64_t from_size,
                                            v1::CheckpointReply* reply) {
  v1::CheckpointQuery q;
  q.set_from_size(from_size);
  auto ctx = Context(timeout);
  return stub_->GetCheckpoint(ctx.get(), Call(reader_, "GetCheckpoint", q),
                              reply);
}

grpc::Status ConclavedClient::Settled(audit::Checkpoint* checkpoint,
                                      std::string* note) {
  *checkpoint = audit::Checkpoint{};
  v1::CheckpointReply reply;
  grpc::Status s = GetCheckpoint(0, &reply);
  if (!s.ok() || reply.checkpoint().empty()) return s;
  auto parsed = audit::ParseNote(reply.checkpoint());
  if (!parsed.ok()) {
    return grpc::Status(
        grpc::StatusCode::DATA_LOSS,
        "the settled note does not parse: " + parsed.status().message());
  }
  auto cp = audit::ParseCheckpoint(parsed->text);
  if (!cp.ok()) {
    return grpc::Status(
        grpc::StatusCode::DATA_LOSS,
        "the settled checkpoint does not parse: " + cp.status().message());
  }
  *checkpoint = *cp;
  if (note) *note = reply.checkpoint();
  return s;
}

grpc::Status ConclavedClient::GetRequest(const quorum::RequestId& id,
                                         v1::RequestInfo* info) {
  v1::RequestQuery q;
  q.set_request_id(id.data(), id.size());
  auto ctx = Context(timeout);
  return stub_->GetRequest(ctx.get(), Call(reader_, "GetRequest", q), info);
}

grpc::Status ConclavedClient::GetEvidence(const quorum::RequestId& id,
                                          v1::LogEvidence* evidence) {
  v1::RequestQuery q;
  q.set_request_id(id.data(), id.size());
  auto ctx = Context(timeout);
  return stub_->GetEvidence(ctx.get(), Call(reader_, "GetEvidence", q),
                            evidence);
}

grpc::Status ConclavedClient::ListSubmissions(uint64_t start, uint32_t limit,
                                              v1::SubmissionList* list) {
  v1::ListQuery q;
  q.set_start(start);
  q.set_limit(limit);
  auto ctx = Context(timeout);
  return stub_->ListSubmissions(ctx.get(), Call(reader_, "ListSubmissions", q),
                                list);
}

grpc::Status ConclavedClient::ListRequests(uint64_t start, uint32_t limit,
                                           v1::RequestList* list) {
  v1::ListQuery q;
  q.set_start(start);
  q.set_limit(limit);
  auto ctx = Context(timeout);
  return stub_->ListRequests(ctx.get(), Call(reader_, "ListRequests", q), list);
}

grpc::Status ConclavedClient::GetSubmissionFile(const std::string& id,
                                                Bytes* file) {
  file->clear();
  v1::SubmissionQuery q;
  q.set_submission_id(id);
  auto ctx = Context(timeout);
  auto reader = stub_->GetSubmissionFile(ctx.get(),
                                         Call(reader_, "GetSubmissionFile", q));
  v1::FileChunk chunk;
  while (reader->Read(&chunk)) {
    file->insert(file->end(), chunk.data().begin(), chunk.data().end());
  }
  return reader->Finish();
}

grpc::Status ConclavedClient::GetLeaves(uint64_t start, uint64_t end,
                                        v1::LeavesReply* reply) {
  v1::LeavesQuery q;
  q.set_start(start);
  q.set_end(end);
  auto ctx = Context(timeout);
  return stub_->GetLeaves(ctx.get(), Call(reader_, "GetLeaves", q), reply);
}

grpc::Status ConclavedClient::AllLeaves(uint64_t end,
                                        std::vector<Bytes>* leaves) {
  leaves->clear();
  while (leaves->size() < end) {
    v1::LeavesReply reply;
    grpc::Status s = GetLeaves(leaves->size(), end, &reply);
    if (!s.ok()) return s;
    if (reply.leaves_size() == 0) {
      return grpc::Status(
          grpc::StatusCode::DATA_LOSS,
          "GetLeaves returned no leaf at " + std::to_string(leaves->size()));
    }
    for (const std::string& l : reply.leaves()) leaves->push_back(ToBytes(l));
  }
  return grpc::Status::OK;
}

StatusOr<audit::Checkpoint> VerifySettled(
    const keyceremony::VerifiedRoster& roster, std::string_view note) {
  CONCLAVE_ASSIGN_OR_RETURN(quorum::RosterLogKeys keys,
                            quorum::LogKeysFromRoster(roster));
  CONCLAVE_ASSIGN_OR_RETURN(
      audit::CosignedCheckpoint cosigned,
      audit::VerifyCosignedCheckpoint(note, keys.origin, *keys.log_key,
                                      keys.witnesses));
  CONCLAVE_ASSIGN_OR_RETURN(audit::SettledCheckpoint settled,
                            audit::Settle(cosigned, {}, keys.witnesses));
  return settled.checkpoint();
}

}  // namespace conclave::testing
