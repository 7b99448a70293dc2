#include "cli/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "audit/checkpoint.h"
#include "audit/note.h"
#include "base/file_util.h"
#include "conclave/v1/daemon.grpc.pb.h"
#include "crypto/hash.h"
#include "daemon/call.h"
#include "daemon/grpc_status.h"

namespace conclave::cli {

namespace {

// Matches conclaved's limit (daemon/grpc_service.h kMaxGrpcMessageBytes):
// GetLeaves replies and requests carrying a whole header fit.
constexpr int kMaxMessageBytes = 8 << 20;
constexpr size_t kSubmitChunk = size_t{1} << 20;
constexpr uint32_t kListPage = 1000;
constexpr uint64_t kLeavesPage = 1000;

uint64_t NowUnix() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string Str(uint64_t v) { return std::to_string(v); }

// The shared mapping (daemon/grpc_status.h), except that the daemon's
// ABORTED is its own (e.g. a storage conflict), not the client's fork
// verdict, which keeps ABORTED for itself.
Status FromGrpc(const grpc::Status& s) {
  Status status = daemon::FromGrpcStatus(s);
  if (status.code() != StatusCode::kAborted) return status;
  return Status(StatusCode::kUnavailable, status.message());
}

StatusOr<std::string> ReadTextFile(const std::string& path, const char* what) {
  StatusOr<Bytes> b = ReadFileBytes(path, 1 << 20);
  if (!b.ok()) {
    return Status(b.status().code(), std::string("cannot read ") + what + " " +
                                         path + ": " + b.status().message());
  }
  return std::string(b->begin(), b->end());
}

// Splits "HOST:PORT" / "[V6]:PORT"; false if malformed.
bool SplitHostPort(std::string_view a, std::string* host, std::string* port) {
  if (!a.empty() && a[0] == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() ||
        a[close + 1] != ':') {
      return false;
    }
    *host = std::string(a.substr(1, close - 1));
    *port = std::string(a.substr(close + 2));
  } else {
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    *host = std::string(a.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;  // bare IPv6
    *port = std::string(a.substr(colon + 1));
  }
  if (port->empty() || port->size() > 5 ||
      port->find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(*port) > 65535) {
    return false;
  }
  return true;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  const std::string h(host);
  in_addr a4;
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return false;
}

Status CheckServerAddress(const ServerOptions& server) {
  const std::string& a = server.address;
  if (a.empty()) {
    return InvalidArgumentError(
        "no daemon address: give --server HOST:PORT or --server unix:PATH "
        "(or set CONCLAVE_SERVER)");
  }
  if (a.rfind("unix:", 0) == 0) {
    if (a.size() == 5) {
      return InvalidArgumentError("--server unix: needs a socket path");
    }
    return OkStatus();
  }
  std::string host, port;
  if (!SplitHostPort(a, &host, &port)) {
    return InvalidArgumentError("--server " + a +
                                ": expected HOST:PORT, [IPV6]:PORT or "
                                "unix:PATH");
  }
  if (!server.tls_ca && !IsLoopbackHost(host)) {
    return InvalidArgumentError(
        "--server " + a +
        " is not a loopback address or a unix socket: the daemon's API is "
        "reached over TLS only (give --tls-ca with the CA certificate that "
        "signed the daemon's certificate)");
  }
  if ((server.tls_cert.has_value()) != (server.tls_key.has_value())) {
    return InvalidArgumentError(
        "--tls-cert and --tls-key go together (a client certificate and its "
        "key)");
  }
  if (server.tls_cert && !server.tls_ca) {
    return InvalidArgumentError("--tls-cert needs --tls-ca");
  }
  return OkStatus();
}

StatusOr<std::filesystem::path> StateDirectory(
    const std::optional<std::string>& flag) {
  if (flag) return std::filesystem::path(*flag);
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "conclave" / "state";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] != '/') {
    return InvalidArgumentError(
        "no client state directory: neither XDG_CONFIG_HOME nor HOME is set; "
        "give --state DIR");
  }
  return std::filesystem::path(home) / ".config" / "conclave" / "state";
}

bool IsUnreachable(const Status& status) {
  return (status.code() == StatusCode::kUnavailable ||
          status.code() == StatusCode::kDeadlineExceeded) &&
         status.message().rfind(kUnreachablePrefix, 0) == 0;
}

struct DaemonClient::Stub {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Conclave::Stub> stub;
};

DaemonClient::DaemonClient(ServerOptions server) : server_(std::move(server)) {}
DaemonClient::~DaemonClient() = default;

StatusOr<std::unique_ptr<DaemonClient>> DaemonClient::ConnectAnonymous(
    const ServerOptions& server) {
  CONCLAVE_RETURN_IF_ERROR(CheckServerAddress(server));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (server.tls_ca) {
    grpc::SslCredentialsOptions ssl;
    CONCLAVE_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                              ReadTextFile(*server.tls_ca, "--tls-ca"));
    if (server.tls_cert) {
      CONCLAVE_ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                                ReadTextFile(*server.tls_cert, "--tls-cert"));
      CONCLAVE_ASSIGN_OR_RETURN(ssl.pem_private_key,
                                ReadTextFile(*server.tls_key, "--tls-key"));
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    // CheckServerAddress allowed this only for loopback or a unix socket.
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  auto client = std::unique_ptr<DaemonClient>(new DaemonClient(server));
  client->stub_ = std::make_unique<Stub>();
  client->stub_->channel =
      grpc::CreateCustomChannel(server.address, creds, args);
  client->stub_->stub = v1::Conclave::NewStub(client->stub_->channel);
  return client;
}

StatusOr<std::unique_ptr<DaemonClient>> DaemonClient::Connect(
    const ServerOptions& server, const keyceremony::VerifiedRoster& roster,
    const quorum::EditorKeys& keys, const std::filesystem::path& state_dir) {
  CONCLAVE_ASSIGN_OR_RETURN(std::unique_ptr<DaemonClient> client,
                            ConnectAnonymous(server));
  client->roster_ = &roster;
  client->keys_ = &keys;
  CONCLAVE_ASSIGN_OR_RETURN(quorum::RosterLogKeys lk,
                            quorum::LogKeysFromRoster(roster));
  client->log_keys_ = std::make_unique<quorum::RosterLogKeys>(std::move(lk));
  std::error_code ec;
  if (state_dir.has_parent_path()) {
    std::filesystem::create_directories(state_dir.parent_path(), ec);
  }
  StatusOr<audit::ClientState> state = audit::ClientState::Open(state_dir);
  if (!state.ok()) {
    return state.status().Annotate("client state " + state_dir.string());
  }
  client->state_dir_ = state_dir;
  client->state_ =
      std::make_unique<audit::ClientState>(std::move(state).value());
  return client;
}

Status DaemonClient::Transport(const Status& s) const {
  if (s.code() == StatusCode::kUnavailable ||
      s.code() == StatusCode::kDeadlineExceeded) {
    return Status(s.code(), std::string(kUnreachablePrefix) + " at " +
                                server_.address + ": " + s.message());
  }
  return Status(s.code(), "the daemon refused: " + s.message());
}

Status DaemonClient::RequireEditor() const {
  if (roster_ == nullptr || keys_ == nullptr) {
    return InternalError("an editor call on an anonymous daemon client");
  }
  return OkStatus();
}

// One signed unary call.
#define CONCLAVE_CLIENT_CALL(ReplyType, Name)                                  \
  [&](const google::protobuf::MessageLite& payload) -> StatusOr<ReplyType> {   \
    CONCLAVE_RETURN_IF_ERROR(RequireEditor());                                 \
    const v1::SignedStatement call =                                           \
        daemon::SignCall(*keys_, *roster_, #Name, payload, NowUnix());         \
    grpc::ClientContext ctx;                                                   \
    ctx.set_deadline(std::chrono::system_clock::now() + server_.call_timeout); \
    ReplyType reply;                                                           \
    const grpc::Status gs = stub_->stub->Name(&ctx, call, &reply);             \
    if (!gs.ok()) return Transport(FromGrpc(gs));                              \
    return reply;                                                              \
  }

StatusOr<v1::SubmitReply> DaemonClient::Submit(
    const std::filesystem::path& file,
    const std::function<void(uint64_t)>& progress) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  grpc::ClientContext ctx;
  v1::SubmitReply reply;
  std::unique_ptr<grpc::ClientWriter<v1::SubmitChunk>> writer =
      stub_->stub->Submit(&ctx, &reply);
  std::vector<uint8_t> buf(kSubmitChunk);
  uint64_t sent = 0;
  Status local;
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      local = Status(StatusCode::kUnavailable, "cannot read " + file.string() +
                                                   ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    v1::SubmitChunk chunk;
    chunk.set_data(buf.data(), static_cast<size_t>(n));
    // A failed write means the server ended the call; Finish says why.
    if (!writer->Write(chunk)) break;
    sent += static_cast<uint64_t>(n);
    if (progress) progress(sent);
  }
  close(fd);
  if (!local.ok()) {
    ctx.TryCancel();
    (void)writer->Finish();
    return local;
  }
  writer->WritesDone();
  const grpc::Status gs = writer->Finish();
  if (!gs.ok()) return Transport(FromGrpc(gs));
  return reply;
}

StatusOr<v1::RosterChain> DaemonClient::GetRosters() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + server_.call_timeout);
  v1::RosterChain chain;
  const grpc::Status gs = stub_->stub->GetRosters(&ctx, v1::Empty(), &chain);
  if (!gs.ok()) return Transport(FromGrpc(gs));
  return chain;
}

StatusOr<quorum::IndexedRosterChain> DaemonClient::GetVerifiedChain() {
  CONCLAVE_RETURN_IF_ERROR(RequireEditor());
  CONCLAVE_ASSIGN_OR_RETURN(v1::RosterChain served, GetRosters());
  const std::vector<std::string> rosters(served.rosters().begin(),
                                         served.rosters().end());
  const std::vector<uint64_t> indices(served.leaf_indices().begin(),
                                      served.leaf_indices().end());
  StatusOr<quorum::IndexedRosterChain> chain =
      quorum::IndexedRosterChain::VerifyHolding(rosters, indices, *roster_);
  if (!chain.ok()) {
    return chain.status().Annotate("the daemon's roster chain");
  }
  chain_ = *chain;
  return chain;
}

namespace {

// The size a checkpoint note claims, read before any signature is checked:
// it only chooses the roster whose keys then verify the whole note.
StatusOr<uint64_t> ClaimedSize(std::string_view note_text) {
  CONCLAVE_ASSIGN_OR_RETURN(audit::Note note, audit::ParseNote(note_text));
  CONCLAVE_ASSIGN_OR_RETURN(audit::Checkpoint cp,
                            audit::ParseCheckpoint(note.text));
  return cp.size;
}

}  // namespace

StatusOr<VerifiedContact> DaemonClient::Contact() {
  CONCLAVE_RETURN_IF_ERROR(RequireEditor());
  const std::string& origin = log_keys_->origin;
  CONCLAVE_ASSIGN_OR_RETURN(std::optional<audit::ForkEvidence> fork,
                            state_->Fork(origin));
  if (fork.has_value()) {
    return Status(StatusCode::kAborted,
                  "fork evidence for the log " + origin + " is on record (" +
                      state_->ForkPath(origin).string() + ": " + fork->reason +
                      "); this client does not trust the log until the "
                      "consortium has resolved it");
  }
  std::optional<audit::StoredCheckpoint> kept;
  {
    StatusOr<audit::StoredCheckpoint> s = state_->Latest(origin);
    if (s.ok()) {
      kept = std::move(s).value();
    } else if (s.status().code() != StatusCode::kNotFound) {
      return s.status().Annotate("client state");
    }
  }
  const uint64_t kept_size = kept ? kept->checkpoint.size : 0;

  v1::CheckpointQuery q;
  q.set_from_size(kept_size);
  auto call = CONCLAVE_CLIENT_CALL(v1::CheckpointReply, GetCheckpoint);
  StatusOr<v1::CheckpointReply> reply = call(q);
  if (!reply.ok() && reply.status().code() == StatusCode::kFailedPrecondition &&
      kept) {
    // The daemon says its settled log is smaller than what we kept: fetch
    // what it does serve, so the message (and the kept copy) can show it.
    v1::CheckpointQuery zero;
    StatusOr<v1::CheckpointReply> now = call(zero);
    if (now.ok() && !now->checkpoint().empty()) {
      StatusOr<audit::CosignedCheckpoint> c = audit::VerifyCosignedCheckpoint(
          now->checkpoint(), origin, *log_keys_->log_key, log_keys_->witnesses);
      if (c.ok() && c->checkpoint.size < kept_size) {
        const std::filesystem::path keep =
            state_dir_ / (HexEncode(Sha256(AsBytes(origin))) + ".rollback-" +
                          Str(c->checkpoint.size));
        (void)WriteFileAtomically(keep, AsBytes(now->checkpoint()));
        return Status(
            StatusCode::kAborted,
            "the log " + origin + " was rolled back or forked: the daemon's " +
                "latest settled checkpoint has " + Str(c->checkpoint.size) +
                " leaves, but this client verified one of " + Str(kept_size) +
                " before (kept: " + state_dir_.string() +
                "; the daemon's checkpoint: " + keep.string() +
                "). Do not trust this daemon; tell the consortium");
      }
    }
    return reply.status();
  }
  if (!reply.ok()) return reply.status();

  VerifiedContact contact;
  contact.unsettled_reason = reply->unsettled_reason();
  if (kept) contact.previous_size = kept_size;
  if (reply->checkpoint().empty()) {
    if (kept) {
      return FailedPreconditionError(
          "the daemon has no settled checkpoint to show (" +
          (reply->unsettled_reason().empty() ? std::string("no reason given")
                                             : reply->unsettled_reason()) +
          "), although this client verified one of " + Str(kept_size) +
          " leaves before; try again later");
    }
    last_contact_ = contact;
    return contact;
  }
  // The chain after the checkpoint: it then holds every roster leaf below
  // the checkpoint's size (the daemon logs a roster leaf and extends its
  // chain in one step), and the roster in force there settles it.
  CONCLAVE_RETURN_IF_ERROR(GetVerifiedChain().status());
  StatusOr<uint64_t> claimed = ClaimedSize(reply->checkpoint());
  if (!claimed.ok()) {
    return claimed.status().Annotate("the daemon's checkpoint");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RosterLogKeys in_force,
      quorum::LogKeysFromRoster(chain_->InForceAt(*claimed)));
  if (in_force.origin != origin) {
    return InvalidArgumentError(
        "the daemon's roster chain names another log (" + in_force.origin +
        ") than your roster (" + origin + ")");
  }
  StatusOr<audit::CosignedCheckpoint> cosigned =
      audit::VerifyCosignedCheckpoint(reply->checkpoint(), origin,
                                      *in_force.log_key, in_force.witnesses);
  if (!cosigned.ok()) {
    return cosigned.status().Annotate("the daemon's checkpoint");
  }
  StatusOr<audit::SettledCheckpoint> settled =
      audit::Settle(*cosigned, {}, in_force.witnesses);
  if (!settled.ok()) {
    return Status(settled.status().code(),
                  "the daemon served a checkpoint as settled that is not: " +
                      settled.status().message());
  }
  if (kept && settled->checkpoint().size < kept_size) {
    // A daemon that ignored from_size: the same rollback as above.
    return Status(StatusCode::kAborted,
                  "the log " + origin +
                      " was rolled back or forked: the daemon served a "
                      "settled checkpoint of " +
                      Str(settled->checkpoint().size) +
                      " leaves after this client verified one of " +
                      Str(kept_size) + "; tell the consortium");
  }
  std::vector<audit::Hash> proof;
  for (const std::string& h : reply->consistency_proof()) {
    StatusOr<audit::Hash> hash = audit::HashFromBytes(AsBytes(h));
    if (!hash.ok()) {
      return InvalidArgumentError(
          "the daemon's consistency proof holds a hash that is not 32 bytes");
    }
    proof.push_back(*hash);
  }
  StatusOr<audit::ClientState::UpdateResult> updated =
      state_->Update(*settled, proof);
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::kAborted) {
      return Status(StatusCode::kAborted,
                    updated.status().message() + ". The daemon at " +
                        server_.address +
                        " has shown this client a history inconsistent with "
                        "the one it verified before: do not trust it, keep "
                        "the evidence file and tell the consortium");
    }
    if (updated.status().code() == StatusCode::kFailedPrecondition) {
      return Status(StatusCode::kAborted, updated.status().message());
    }
    return updated.status().Annotate("client state");
  }
  contact.consistency_checked = kept.has_value();
  contact.settled = std::move(settled).value();
  last_contact_ = contact;
  return contact;
}

StatusOr<VerifiedContact> DaemonClient::EnsureContact() {
  if (last_contact_) return *last_contact_;
  return Contact();
}

StatusOr<VerifiedContact> DaemonClient::WaitForSettledCover(
    uint64_t leaf_index, std::chrono::seconds timeout,
    const std::function<void(const VerifiedContact&)>& on_wait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::milliseconds delay(250);
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(VerifiedContact c, Contact());
    if (c.size() > leaf_index) return c;
    if (std::chrono::steady_clock::now() + delay > deadline) {
      return Status(
          StatusCode::kDeadlineExceeded,
          "no settled checkpoint covers leaf " + Str(leaf_index) +
              " yet (the latest settled one has " + Str(c.size()) + " leaves" +
              (c.unsettled_reason.empty()
                   ? std::string(")")
                   : "; the daemon says: " + c.unsettled_reason + ")"));
    }
    if (on_wait) on_wait(c);
    std::this_thread::sleep_for(delay);
    delay =
        std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(5));
  }
}

StatusOr<VerifiedEvidence> DaemonClient::GetVerifiedEvidence(
    const quorum::RequestId& id) {
  CONCLAVE_RETURN_IF_ERROR(RequireEditor());
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  for (int attempt = 0; attempt < 4; ++attempt) {
    CONCLAVE_ASSIGN_OR_RETURN(v1::LogEvidence evidence, GetEvidence(id));
    StatusOr<quorum::VerifiedLogView> view =
        quorum::VerifyLogEvidence(evidence, *roster_, chain());
    if (!view.ok()) {
      return view.status().Annotate("the daemon's log evidence for request " +
                                    quorum::RequestIdHex(id));
    }
    CONCLAVE_ASSIGN_OR_RETURN(audit::StoredCheckpoint kept,
                              state_->Latest(log_keys_->origin));
    const uint64_t s = kept.checkpoint.size;
    const uint64_t first = view->first_index();
    const uint64_t size = view->size();
    if (s == size) {
      // Same size: the roots must match; Update writes fork evidence if not.
      StatusOr<audit::ClientState::UpdateResult> u =
          state_->Update(view->settled(), {});
      if (!u.ok()) {
        return Status(StatusCode::kAborted,
                      u.status().message() +
                          " (the daemon's log evidence for request " +
                          quorum::RequestIdHex(id) +
                          " contradicts the checkpoint this client verified)");
      }
      return VerifiedEvidence{std::move(evidence), std::move(view).value()};
    }
    if (s > first && s < size) {
      // The evidence's leaves rebuild the tree at every size in
      // (first, size]: at the kept size it must have the kept root.
      const std::optional<audit::Hash> root = view->RootAt(s);
      if (!root.has_value() || *root != kept.checkpoint.root_hash) {
        const std::filesystem::path keep =
            state_dir_ /
            (HexEncode(Sha256(AsBytes(log_keys_->origin))) + ".split-view-" +
             quorum::RequestIdHex(id) + ".evidence");
        (void)WriteFileAtomically(keep, AsBytes(evidence.SerializeAsString()));
        return Status(
            StatusCode::kAborted,
            "split view: the daemon's log evidence (a settled checkpoint of " +
                Str(size) + " leaves) has a different root at size " + Str(s) +
                " than the checkpoint this client verified before. The log "
                "has shown different histories; do not release. Kept: " +
                keep.string() + " and the client state in " +
                state_dir_.string());
      }
      return VerifiedEvidence{std::move(evidence), std::move(view).value()};
    }
    // The kept checkpoint does not cover the request (s <= first) or the
    // evidence is older than it (s > size): look at the log again.
    CONCLAVE_RETURN_IF_ERROR(Contact().status());
  }
  return FailedPreconditionError(
      "the daemon's log evidence for request " + quorum::RequestIdHex(id) +
      " does not line up with its settled checkpoints; try again");
}

StatusOr<std::vector<Bytes>> DaemonClient::GetLeaves(uint64_t start,
                                                     uint64_t end) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  auto call = CONCLAVE_CLIENT_CALL(v1::LeavesReply, GetLeaves);
  std::vector<Bytes> out;
  uint64_t at = start;
  while (at < end) {
    v1::LeavesQuery q;
    q.set_start(at);
    q.set_end(std::min(end, at + kLeavesPage));
    CONCLAVE_ASSIGN_OR_RETURN(v1::LeavesReply reply, call(q));
    if (reply.leaves_size() == 0) {
      return DataLossError("the daemon returned no leaves from index " +
                           Str(at));
    }
    if (static_cast<uint64_t>(reply.leaves_size()) > q.end() - at) {
      return DataLossError("the daemon returned more leaves than asked");
    }
    for (const std::string& leaf : reply.leaves()) {
      out.push_back(ToBytes(leaf));
    }
    at += static_cast<uint64_t>(reply.leaves_size());
  }
  return out;
}

StatusOr<v1::PostReply> DaemonClient::PostRequest(
    const v1::SignedStatement& request) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::PostReply, PostRequest)(request);
}

StatusOr<v1::PostReply> DaemonClient::PostVote(
    const v1::SignedStatement& vote) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::PostReply, PostVote)(vote);
}

StatusOr<v1::PostReply> DaemonClient::PostApproval(
    const v1::Approval& approval) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::PostReply, PostApproval)(approval);
}

StatusOr<v1::PostReply> DaemonClient::PostWithdrawal(
    const v1::SignedStatement& w) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::PostReply, PostWithdrawal)(w);
}

StatusOr<v1::PostReply> DaemonClient::PostReply(const v1::ReplyPost& reply) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::PostReply, PostReply)(reply);
}

StatusOr<v1::MessageThreads> DaemonClient::ListMessages(
    const v1::MessagesQuery& query) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::MessageThreads, ListMessages)(query);
}

StatusOr<v1::RosterPushReply> DaemonClient::PushRoster(
    const v1::RosterPush& push) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  return CONCLAVE_CLIENT_CALL(v1::RosterPushReply, PushRoster)(push);
}

StatusOr<std::vector<v1::SubmissionInfo>> DaemonClient::ListSubmissions() {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  auto call = CONCLAVE_CLIENT_CALL(v1::SubmissionList, ListSubmissions);
  std::vector<v1::SubmissionInfo> out;
  uint64_t start = 0;
  for (;;) {
    v1::ListQuery q;
    q.set_start(start);
    q.set_limit(kListPage);
    CONCLAVE_ASSIGN_OR_RETURN(v1::SubmissionList page, call(q));
    for (v1::SubmissionInfo& s : *page.mutable_submissions()) {
      if (s.leaf_index() < start) {
        return DataLossError("the daemon listed submissions out of order");
      }
      start = s.leaf_index() + 1;
      out.push_back(std::move(s));
    }
    if (page.submissions_size() < static_cast<int>(kListPage)) break;
  }
  return out;
}

StatusOr<std::vector<v1::RequestInfo>> DaemonClient::ListRequests() {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  auto call = CONCLAVE_CLIENT_CALL(v1::RequestList, ListRequests);
  std::vector<v1::RequestInfo> out;
  uint64_t start = 0;
  for (;;) {
    v1::ListQuery q;
    q.set_start(start);
    q.set_limit(kListPage);
    CONCLAVE_ASSIGN_OR_RETURN(v1::RequestList page, call(q));
    for (v1::RequestInfo& r : *page.mutable_requests()) {
      if (r.leaf_index() < start) {
        return DataLossError("the daemon listed requests out of order");
      }
      start = r.leaf_index() + 1;
      out.push_back(std::move(r));
    }
    if (page.requests_size() < static_cast<int>(kListPage)) break;
  }
  return out;
}

StatusOr<v1::RequestInfo> DaemonClient::GetRequest(
    const quorum::RequestId& id) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  v1::RequestQuery q;
  q.set_request_id(AsString(id));
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::RequestInfo info,
      CONCLAVE_CLIENT_CALL(v1::RequestInfo, GetRequest)(q));
  // The id is SHA-256 of the request's signed bytes: the daemon cannot
  // substitute another request under the asked id.
  if (Sha256(AsBytes(info.request().signed_())) != id) {
    return DataLossError("the daemon answered request " +
                         quorum::RequestIdHex(id) + " with another request");
  }
  return info;
}

StatusOr<v1::LogEvidence> DaemonClient::GetEvidence(
    const quorum::RequestId& id) {
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  v1::RequestQuery q;
  q.set_request_id(AsString(id));
  return CONCLAVE_CLIENT_CALL(v1::LogEvidence, GetEvidence)(q);
}

Status DaemonClient::GetSubmissionFile(
    const std::string& submission_id,
    const std::function<Status(ByteSpan chunk, bool* stop)>& sink) {
  CONCLAVE_RETURN_IF_ERROR(RequireEditor());
  CONCLAVE_RETURN_IF_ERROR(EnsureContact().status());
  v1::SubmissionQuery q;
  q.set_submission_id(submission_id);
  const v1::SignedStatement call =
      daemon::SignCall(*keys_, *roster_, "GetSubmissionFile", q, NowUnix());
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::FileChunk>> reader =
      stub_->stub->GetSubmissionFile(&ctx, call);
  v1::FileChunk chunk;
  Status local;
  bool stopped = false;
  while (reader->Read(&chunk)) {
    local = sink(AsBytes(chunk.data()), &stopped);
    if (!local.ok() || stopped) {
      ctx.TryCancel();
      break;
    }
  }
  const grpc::Status gs = reader->Finish();
  if (!local.ok()) return local;
  if (stopped) return OkStatus();
  if (!gs.ok()) return Transport(FromGrpc(gs));
  return OkStatus();
}

StatusOr<Bytes> DaemonClient::GetSubmissionHeader(
    const std::string& submission_id) {
  Bytes buf;
  bool complete = false;
  Status s = GetSubmissionFile(
      submission_id, [&](ByteSpan chunk, bool* stop) -> Status {
        buf.insert(buf.end(), chunk.begin(), chunk.end());
        // The header ends with the newline after the "--- " MAC line.
        const std::string_view text = AsStringView(buf);
        const size_t mac = text.find("\n--- ");
        if (mac != std::string_view::npos &&
            text.find('\n', mac + 1) != std::string_view::npos) {
          buf.resize(text.find('\n', mac + 1) + 1);
          complete = true;
          *stop = true;
        } else if (buf.size() > (size_t{1} << 20) + 4096) {
          return InvalidArgumentError("submission " + submission_id +
                                      ": no age header within the first MiB");
        }
        return OkStatus();
      });
  CONCLAVE_RETURN_IF_ERROR(s);
  if (!complete) {
    return InvalidArgumentError("submission " + submission_id +
                                " as served has no complete age header");
  }
  return buf;
}

#undef CONCLAVE_CLIENT_CALL

}  // namespace conclave::cli
