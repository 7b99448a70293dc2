// Error classes of the age format (C2SP age, and the C2SP/CCTV testkit's
// "expect" classes). Every error the age library returns carries one of them
// in its message, so callers and tests can tell a header problem from a bad
// MAC, a bad armor, a bad payload or "no identity matched".
#ifndef CONCLAVE_AGE_ERRORS_H_
#define CONCLAVE_AGE_ERRORS_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace conclave::age {

enum class ErrorKind {
  kNone,     // OK
  kHeader,   // malformed header, stanza, or a stanza addressed to us but bad
  kHmac,     // the header MAC does not verify
  kArmor,    // malformed ASCII armor
  kPayload,  // STREAM payload: bad tag, truncated, trailing data
  kNoMatch,  // no identity unwrapped any stanza
  kIo,       // the underlying reader or writer failed
  kUsage,    // bad arguments from the caller (not about the file)
  kOther,    // not an age error (e.g. internal)
};

// "header failure", "HMAC failure", ... (the testkit's spelling).
std::string_view ErrorKindName(ErrorKind kind);

// A Status whose message starts with the tag "[age: <kind name>] ". The
// StatusCode follows the kind: header/armor/usage -> INVALID_ARGUMENT,
// HMAC -> UNAUTHENTICATED, payload -> DATA_LOSS, no match -> NOT_FOUND,
// I/O -> UNAVAILABLE.
Status AgeError(ErrorKind kind, std::string message);

// The kind tagged in the status (searching the whole message, so that
// Annotate() prefixes do not hide it); kNone for OK, kOther if untagged.
ErrorKind GetErrorKind(const Status& status);

// Re-tags an untagged error (e.g. one from crypto/) as `kind`; tagged and OK
// statuses pass through.
Status TagIfUntagged(const Status& status, ErrorKind kind);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_ERRORS_H_
