#include "daemon/grpc_service.h"

#include <string>
#include <utility>

namespace conclave::daemon {

grpc::Status ToGrpcStatus(const Status& status) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (status.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kOutOfRange:
      code = grpc::StatusCode::OUT_OF_RANGE;
      break;
    case StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
    case StatusCode::kDataLoss:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kAborted:
      code = grpc::StatusCode::ABORTED;
      break;
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, status.message());
}

Status FromGrpcStatus(const grpc::Status& status) {
  StatusCode code = StatusCode::kInternal;
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return OkStatus();
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::NOT_FOUND:
      code = StatusCode::kNotFound;
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      code = StatusCode::kAlreadyExists;
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      code = StatusCode::kPermissionDenied;
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = StatusCode::kFailedPrecondition;
      break;
    case grpc::StatusCode::OUT_OF_RANGE:
      code = StatusCode::kOutOfRange;
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      code = StatusCode::kUnauthenticated;
      break;
    case grpc::StatusCode::DATA_LOSS:
      code = StatusCode::kDataLoss;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = StatusCode::kResourceExhausted;
      break;
    case grpc::StatusCode::UNAVAILABLE:
      code = StatusCode::kUnavailable;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      code = StatusCode::kDeadlineExceeded;
      break;
    case grpc::StatusCode::ABORTED:
      code = StatusCode::kAborted;
      break;
    // No counterpart: a cancelled call did not happen as far as the caller
    // knows, like an unreachable server.
    case grpc::StatusCode::CANCELLED:
      code = StatusCode::kUnavailable;
      break;
    default:  // UNKNOWN, UNIMPLEMENTED, INTERNAL, ...
      code = StatusCode::kInternal;
      break;
  }
  std::string message = status.error_message();
  if (message.empty()) {
    message = "gRPC status " + std::to_string(status.error_code());
  }
  return Status(code, std::move(message));
}

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

}  // namespace conclave::daemon
