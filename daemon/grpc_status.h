// Status ↔ grpc::Status, shared by conclaved's gRPC adapter
// (daemon/grpc_service.h) and the client (cli/client.h), so both sides
// agree on the mapping.
#ifndef CONCLAVE_DAEMON_GRPC_STATUS_H_
#define CONCLAVE_DAEMON_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include "base/status.h"

namespace conclave::daemon {

// Code for code and with the same message (the codes carry the same
// meaning; only their numbers differ). FromGrpcStatus maps CANCELLED to
// kUnavailable, codes without a counterpart (UNKNOWN, UNIMPLEMENTED, ...)
// to kInternal, and an empty message to "gRPC status N".
grpc::Status ToGrpcStatus(const Status& status);
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_GRPC_STATUS_H_
