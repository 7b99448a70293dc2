// Status and StatusOr: errors as values, never exceptions across library
// boundaries (the Tink / Abseil model, trimmed to what Conclave needs).
#ifndef CONCLAVE_BASE_STATUS_H_
#define CONCLAVE_BASE_STATUS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace conclave {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // malformed input: bad encoding, bad length, bad value
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,    // a policy check refused the operation
  kFailedPrecondition,  // the state does not allow it (yet)
  kOutOfRange,
  kUnauthenticated,  // a signature, MAC, tag or proof did not verify
  kDataLoss,         // stored data is truncated or corrupt
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kAborted,
  kInternal,  // a bug or a library failure; never caused by input
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Prefixes the message with context ("reading roster: ...").
  Status Annotate(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status OutOfRangeError(std::string m) {
  return Status(StatusCode::kOutOfRange, std::move(m));
}
inline Status UnauthenticatedError(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
inline Status DataLossError(std::string m) {
  return Status(StatusCode::kDataLoss, std::move(m));
}
inline Status InternalError(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // Implicit on purpose, so functions can `return value;` or `return status;`.
  StatusOr(const Status& status) : v_(status) { assert(!status.ok()); }
  StatusOr(Status&& status) : v_(std::move(status)) {
    assert(!std::get<Status>(v_).ok());
  }
  StatusOr(const T& value) : v_(value) {}
  StatusOr(T&& value) : v_(std::move(value)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? OkStatus() : std::get<Status>(v_); }

  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace conclave

#define CONCLAVE_STATUS_CONCAT_INNER_(a, b) a##b
#define CONCLAVE_STATUS_CONCAT_(a, b) CONCLAVE_STATUS_CONCAT_INNER_(a, b)

#define CONCLAVE_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::conclave::Status conclave_status_ = (expr);        \
    if (!conclave_status_.ok()) return conclave_status_; \
  } while (0)

#define CONCLAVE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

// CONCLAVE_ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());
#define CONCLAVE_ASSIGN_OR_RETURN(lhs, expr) \
  CONCLAVE_ASSIGN_OR_RETURN_IMPL_(           \
      CONCLAVE_STATUS_CONCAT_(conclave_statusor_, __LINE__), lhs, expr)

#endif  // CONCLAVE_BASE_STATUS_H_
