#include "age/errors.h"

#include <array>

namespace conclave::age {

namespace {

constexpr std::array<ErrorKind, 7> kTaggedKinds = {
    ErrorKind::kHeader,  ErrorKind::kHmac,    ErrorKind::kArmor,
    ErrorKind::kPayload, ErrorKind::kNoMatch, ErrorKind::kIo,
    ErrorKind::kUsage};

std::string Tag(ErrorKind kind) {
  return "[age: " + std::string(ErrorKindName(kind)) + "] ";
}

StatusCode CodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kHeader:
    case ErrorKind::kArmor:
    case ErrorKind::kUsage:
      return StatusCode::kInvalidArgument;
    case ErrorKind::kHmac:
      return StatusCode::kUnauthenticated;
    case ErrorKind::kPayload:
      return StatusCode::kDataLoss;
    case ErrorKind::kNoMatch:
      return StatusCode::kNotFound;
    case ErrorKind::kIo:
      return StatusCode::kUnavailable;
    case ErrorKind::kNone:
    case ErrorKind::kOther:
      break;
  }
  return StatusCode::kInternal;
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "success";
    case ErrorKind::kHeader:
      return "header failure";
    case ErrorKind::kHmac:
      return "HMAC failure";
    case ErrorKind::kArmor:
      return "armor failure";
    case ErrorKind::kPayload:
      return "payload failure";
    case ErrorKind::kNoMatch:
      return "no match";
    case ErrorKind::kIo:
      return "I/O failure";
    case ErrorKind::kUsage:
      return "usage error";
    case ErrorKind::kOther:
      return "other error";
  }
  return "other error";
}

Status AgeError(ErrorKind kind, std::string message) {
  return Status(CodeFor(kind), Tag(kind) + message);
}

ErrorKind GetErrorKind(const Status& status) {
  if (status.ok()) return ErrorKind::kNone;
  for (ErrorKind kind : kTaggedKinds) {
    if (status.message().find(Tag(kind)) != std::string::npos) return kind;
  }
  return ErrorKind::kOther;
}

Status TagIfUntagged(const Status& status, ErrorKind kind) {
  if (status.ok() || GetErrorKind(status) != ErrorKind::kOther) return status;
  return AgeError(kind, status.message());
}

}  // namespace conclave::age
