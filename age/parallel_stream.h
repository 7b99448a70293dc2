// Parallel age STREAM (C2SP age "Payload"): the same bytes as
// EncryptPayload/DecryptPayload in age/stream.h, produced by N worker
// threads. STREAM chunks are independent (each has its own nonce from its
// counter and last flag), so workers take batches of 64 KiB chunks in turn:
// each reads its batch (reads are serialised), seals or opens it on its own
// core, then writes it when its turn comes (writes are in stream order).
// While one worker computes, another reads or writes, so I/O overlaps the
// crypto.
//
// Memory is bounded: threads × chunks_per_batch chunk buffers (twice that
// for decryption), whatever the input size — 512 KiB (1 MiB) with the
// defaults on 2 cores.
#ifndef CONCLAVE_AGE_PARALLEL_STREAM_H_
#define CONCLAVE_AGE_PARALLEL_STREAM_H_

#include <cstdint>
#include <functional>

#include "age/io.h"
#include "base/secret_bytes.h"
#include "crypto/openssl_util.h"

namespace conclave::age {

struct ParallelStreamOptions {
  // Worker threads; 0 means std::thread::hardware_concurrency(). 1 runs
  // the plain sequential loop on the calling thread.
  unsigned threads = 0;
  size_t chunks_per_batch = 4;
  // Called after each batch is written with the total number of plaintext
  // bytes so far; from a worker thread, never concurrently. Must be cheap.
  std::function<void(uint64_t)> progress;
};

// One STREAM chunk at a time (what each worker runs): ChaCha20-Poly1305
// (RFC 8439) under the payload key with the chunk's nonce, reusing one
// OpenSSL context. SealChunk/OpenChunk (age/stream.h) make a context per
// call, and OpenSSL 3.0 then fetches the cipher per chunk under a global
// lock, which costs single-thread speed and serialises threads. Same bytes
// as SealChunk/OpenChunk. Not thread-safe: one per thread.
class StreamChunkCipher {
 public:
  // out: plaintext.size() + 16 bytes; may be the plaintext's own buffer.
  Status Seal(const SecretBytes& payload_key, uint64_t counter, bool last,
              ByteSpan plaintext, std::span<uint8_t> out);
  // out: sealed.size() - 16 bytes (sealed.size() >= 16). False if the tag
  // does not verify; out is wiped then.
  StatusOr<bool> Open(const SecretBytes& payload_key, uint64_t counter,
                      bool last, ByteSpan sealed, std::span<uint8_t> out);

 private:
  Status Init(const SecretBytes& key, uint64_t counter, bool last, int encrypt);
  EvpCipherCtxPtr ctx_;
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
// follows it. On a damaged stream `out` has received exactly the verified
// chunks before the first bad one and the error is the one DecryptPayload
// returns (header failure for a short nonce, payload failure otherwise); on
// a reader/writer error, that error, after a prefix of the verified chunks.
Status DecryptPayloadParallel(const SecretBytes& file_key, Reader& in,
                              Writer& out,
                              const ParallelStreamOptions& options = {});

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_PARALLEL_STREAM_H_
