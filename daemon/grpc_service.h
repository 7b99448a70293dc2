// conclaved's gRPC adapter (brief §7; proto/conclave/v1/daemon.proto): a
// Conclave::Service that forwards every RPC to a transport-independent
// Daemon (daemon/service.h). It only converts between wire and calls: no
// policy lives here, except what only the transport knows (the size of a
// streamed submission while it arrives, and the peer address used for
// rate limiting).
#ifndef CONCLAVE_DAEMON_GRPC_SERVICE_H_
#define CONCLAVE_DAEMON_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "conclave/v1/daemon.grpc.pb.h"
#include "daemon/grpc_status.h"  // ToGrpcStatus, FromGrpcStatus
#include "daemon/service.h"

namespace conclave::daemon {

// The largest gRPC message either side sends or accepts. It must exceed
// the largest reply the daemon builds (GetLeaves stops past 3 MiB plus one
// leaf of at most kMaxCallPayloadSize) and the largest call (a request
// carrying a 1 MiB header, in its envelope). Clients set the same limit on
// their channel (grpc::ChannelArguments::SetMaxReceiveMessageSize).
inline constexpr int kMaxGrpcMessageBytes = 8 << 20;

// ServerContext::peer() without its port, so that one host's connections
// share one rate-limit bucket: "ipv4:127.0.0.1:4000" → "ipv4:127.0.0.1",
// "ipv6:[::1]:4000" → "ipv6:[::1]". Anything else ("unix:/path", an
// unknown form) is returned as is.
std::string PeerWithoutPort(std::string_view peer);

class GrpcService final : public v1::Conclave::Service {
 public:
  // `daemon` must outlive the service. A streamed submission is refused
  // with RESOURCE_EXHAUSTED as soon as it exceeds `max_submission_bytes`
  // (the daemon's DaemonOptions::max_submission_bytes), before it is read
  // any further.
  GrpcService(Daemon& daemon, uint64_t max_submission_bytes)
      : daemon_(daemon), max_submission_bytes_(max_submission_bytes) {}

  grpc::Status Submit(grpc::ServerContext* context,
                      grpc::ServerReader<v1::SubmitChunk>* reader,
                      v1::SubmitReply* reply) override;
  grpc::Status GetRosters(grpc::ServerContext* context,
                          const v1::Empty* request,
                          v1::RosterChain* reply) override;
  grpc::Status PostRequest(grpc::ServerContext* context,
                           const v1::SignedStatement* call,
                           v1::PostReply* reply) override;
  grpc::Status PostVote(grpc::ServerContext* context,
                        const v1::SignedStatement* call,
                        v1::PostReply* reply) override;
  grpc::Status PostApproval(grpc::ServerContext* context,
                            const v1::SignedStatement* call,
                            v1::PostReply* reply) override;
  grpc::Status PostWithdrawal(grpc::ServerContext* context,
                              const v1::SignedStatement* call,
                              v1::PostReply* reply) override;
  grpc::Status ListSubmissions(grpc::ServerContext* context,
                               const v1::SignedStatement* call,
                               v1::SubmissionList* reply) override;
  grpc::Status GetSubmissionFile(
      grpc::ServerContext* context, const v1::SignedStatement* call,
      grpc::ServerWriter<v1::FileChunk>* writer) override;
  grpc::Status ListRequests(grpc::ServerContext* context,
                            const v1::SignedStatement* call,
                            v1::RequestList* reply) override;
  grpc::Status GetRequest(grpc::ServerContext* context,
                          const v1::SignedStatement* call,
                          v1::RequestInfo* reply) override;
  grpc::Status GetEvidence(grpc::ServerContext* context,
                           const v1::SignedStatement* call,
                           v1::LogEvidence* reply) override;
  grpc::Status GetCheckpoint(grpc::ServerContext* context,
                             const v1::SignedStatement* call,
                             v1::CheckpointReply* reply) override;
  grpc::Status GetLeaves(grpc::ServerContext* context,
                         const v1::SignedStatement* call,
                         v1::LeavesReply* reply) override;
  grpc::Status PostReply(grpc::ServerContext* context,
                         const v1::SignedStatement* call,
                         v1::PostReply* reply) override;
  grpc::Status ListMessages(grpc::ServerContext* context,
                            const v1::SignedStatement* call,
                            v1::MessageThreads* reply) override;
  grpc::Status PushRoster(grpc::ServerContext* context,
                          const v1::SignedStatement* call,
                          v1::RosterPushReply* reply) override;

 private:
  Daemon& daemon_;
  uint64_t max_submission_bytes_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_GRPC_SERVICE_H_
