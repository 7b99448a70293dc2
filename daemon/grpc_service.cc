#include "daemon/grpc_service.h"

#include <string>
#include <utility>

namespace conclave::daemon {

std::string PeerWithoutPort(std::string_view peer) {
  if (peer.starts_with("ipv4:")) {
    const size_t colon = peer.rfind(':');
    if (colon > 5) return std::string(peer.substr(0, colon));
  } else if (peer.starts_with("ipv6:[")) {
    const size_t close = peer.find(']');
    if (close != std::string_view::npos) {
      return std::string(peer.substr(0, close + 1));
    }
  }
  return std::string(peer);
}

namespace {

template <typename T>
grpc::Status Reply(StatusOr<T> result, T* reply) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *reply = std::move(result).value();
  return grpc::Status::OK;
}

}  // namespace

grpc::Status GrpcService::Submit(grpc::ServerContext* context,
                                 grpc::ServerReader<v1::SubmitChunk>* reader,
                                 v1::SubmitReply* reply) {
  // Held in memory: the daemon validates the whole file (header, sender
  // proof, every STREAM chunk) before anything is stored.
  Bytes file;
  v1::SubmitChunk chunk;
  while (reader->Read(&chunk)) {
    const std::string& data = chunk.data();
    if (data.size() > max_submission_bytes_ - file.size()) {
      // Stop reading now: a client cannot make us buffer past the limit.
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "submission larger than the daemon's limit of " +
                              std::to_string(max_submission_bytes_) + " bytes");
    }
    file.insert(file.end(), data.begin(), data.end());
  }
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED,
                        "the client cancelled the submission");
  }
  return Reply(daemon_.Submit(file, PeerWithoutPort(context->peer())), reply);
}

grpc::Status GrpcService::GetRosters(grpc::ServerContext*, const v1::Empty*,
                                     v1::RosterChain* reply) {
  return Reply(daemon_.GetRosters(), reply);
}

grpc::Status GrpcService::PostRequest(grpc::ServerContext*,
                                      const v1::SignedStatement* call,
                                      v1::PostReply* reply) {
  return Reply(daemon_.PostRequest(*call), reply);
}

grpc::Status GrpcService::PostVote(grpc::ServerContext*,
                                   const v1::SignedStatement* call,
                                   v1::PostReply* reply) {
  return Reply(daemon_.PostVote(*call), reply);
}

grpc::Status GrpcService::PostApproval(grpc::ServerContext*,
                                       const v1::SignedStatement* call,
                                       v1::PostReply* reply) {
  return Reply(daemon_.PostApproval(*call), reply);
}

grpc::Status GrpcService::PostWithdrawal(grpc::ServerContext*,
                                         const v1::SignedStatement* call,
                                         v1::PostReply* reply) {
  return Reply(daemon_.PostWithdrawal(*call), reply);
}

grpc::Status GrpcService::ListSubmissions(grpc::ServerContext*,
                                          const v1::SignedStatement* call,
                                          v1::SubmissionList* reply) {
  return Reply(daemon_.ListSubmissions(*call), reply);
}

grpc::Status GrpcService::GetSubmissionFile(
    grpc::ServerContext* context, const v1::SignedStatement* call,
    grpc::ServerWriter<v1::FileChunk>* writer) {
  v1::FileChunk chunk;
  const Status s =
      daemon_.GetSubmissionFile(*call, [&](ByteSpan data) -> Status {
        if (context->IsCancelled()) {
          return Status(StatusCode::kUnavailable,
                        "the client cancelled the download");
        }
        chunk.set_data(data.data(), data.size());
        if (!writer->Write(chunk)) {
          return Status(StatusCode::kUnavailable,
                        "the client went away during the download");
        }
        return OkStatus();
      });
  return ToGrpcStatus(s);
}

grpc::Status GrpcService::ListRequests(grpc::ServerContext*,
                                       const v1::SignedStatement* call,
                                       v1::RequestList* reply) {
  return Reply(daemon_.ListRequests(*call), reply);
}

grpc::Status GrpcService::GetRequest(grpc::ServerContext*,
                                     const v1::SignedStatement* call,
                                     v1::RequestInfo* reply) {
  return Reply(daemon_.GetRequest(*call), reply);
}

grpc::Status GrpcService::GetEvidence(grpc::ServerContext*,
                                      const v1::SignedStatement* call,
                                      v1::LogEvidence* reply) {
  return Reply(daemon_.GetEvidence(*call), reply);
}

grpc::Status GrpcService::GetCheckpoint(grpc::ServerContext*,
                                        const v1::SignedStatement* call,
                                        v1::CheckpointReply* reply) {
  return Reply(daemon_.GetCheckpoint(*call), reply);
}

grpc::Status GrpcService::GetLeaves(grpc::ServerContext*,
                                    const v1::SignedStatement* call,
                                    v1::LeavesReply* reply) {
  return Reply(daemon_.GetLeaves(*call), reply);
}

grpc::Status GrpcService::PushRoster(grpc::ServerContext*,
                                     const v1::SignedStatement* call,
                                     v1::RosterPushReply* reply) {
  return Reply(daemon_.PushRoster(*call), reply);
}

grpc::Status GrpcService::PostReply(grpc::ServerContext*,
                                    const v1::SignedStatement* call,
                                    v1::PostReply* reply) {
  return Reply(daemon_.PostReply(*call), reply);
}

grpc::Status GrpcService::ListMessages(grpc::ServerContext*,
                                       const v1::SignedStatement* call,
                                       v1::MessageThreads* reply) {
  return Reply(daemon_.ListMessages(*call), reply);
}

}  // namespace conclave::daemon
