// Parallel age STREAM (C2SP age "Payload"): the same bytes as
// EncryptPayload/DecryptPayload in age/stream.h, produced by a pipeline —
// one reader, N worker threads sealing/opening batches of 64 KiB chunks, one
// ordered writer. STREAM chunks are independent (each has its own nonce from
// its counter and last flag), so only the ordering of the output is shared.
//
// Memory is bounded: at most `batches_in_flight` batches of
// `chunks_per_batch` chunks exist at once, whatever the input size (the
// defaults hold 6 × 8 × 64 KiB = 3 MiB of buffers).
#ifndef CONCLAVE_AGE_PARALLEL_STREAM_H_
#define CONCLAVE_AGE_PARALLEL_STREAM_H_

#include <cstdint>
#include <functional>

#include "age/io.h"
#include "base/secret_bytes.h"

namespace conclave::age {

struct ParallelStreamOptions {
  // Worker threads; 0 means std::thread::hardware_concurrency(). With 1 the
  // pipeline still overlaps reading and writing with the crypto.
  unsigned threads = 0;
  size_t chunks_per_batch = 8;
  // >= 2; bounds peak memory (see above).
  size_t batches_in_flight = 6;
  // Called from the writer thread with the total number of plaintext bytes
  // handled so far (after each batch is written). Must be cheap.
  std::function<void(uint64_t)> progress;
};

// Same output as EncryptPayload (fresh random nonce first, then STREAM).
Status EncryptPayloadParallel(const SecretBytes& file_key, Reader& in,
                              Writer& out,
                              const ParallelStreamOptions& options = {});
// Explicit nonce (tests and known-answer comparisons only).
Status EncryptPayloadParallelWithNonce(
    const SecretBytes& file_key, ByteSpan nonce, Reader& in, Writer& out,
    const ParallelStreamOptions& options = {});

// Same contract as DecryptPayload: chunks reach `out` in order and only after
// their tag verified; OK only once a final chunk verified and nothing
// follows it; on error `out` has received exactly the verified chunks before
// the first bad one (as with DecryptPayload) and the error is of the same
// kind (header failure for a short nonce, payload failure otherwise, or the
// reader's/writer's error).
Status DecryptPayloadParallel(const SecretBytes& file_key, Reader& in,
                              Writer& out,
                              const ParallelStreamOptions& options = {});

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_PARALLEL_STREAM_H_
