// Durable file writes: a file either appears complete or not at all, and is
// on disk before the call returns (temp file in the same directory → fsync →
// rename or link → fsync the directory).
#ifndef CONCLAVE_BASE_FILE_UTIL_H_
#define CONCLAVE_BASE_FILE_UTIL_H_

#include <sys/types.h>

#include <filesystem>

#include "base/bytes.h"

namespace conclave {

// Replaces `path` atomically with `data` (for state that moves forward).
// UNAVAILABLE with the system's reason on any I/O failure; `path` is then
// unchanged.
Status WriteFileAtomically(const std::filesystem::path& path, ByteSpan data,
                           mode_t mode = 0600);

// Creates `path` with `data`, refusing (ALREADY_EXISTS) to replace an
// existing file: keys and shares are never overwritten by accident.
Status CreateFileAtomically(const std::filesystem::path& path, ByteSpan data,
                            mode_t mode = 0600);

// The whole file; OUT_OF_RANGE if it is larger than `max_size`, NOT_FOUND if
// it does not exist.
StatusOr<Bytes> ReadFileBytes(const std::filesystem::path& path,
                              size_t max_size);

}  // namespace conclave

#endif  // CONCLAVE_BASE_FILE_UTIL_H_
