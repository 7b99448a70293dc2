// The age payload (C2SP age "Payload"): a 16-byte nonce, then STREAM —
// 64 KiB ChaCha20-Poly1305 chunks under
// payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"),
// chunk nonce = 11-byte big-endian counter || last-chunk flag.
// Everything here works one chunk at a time (constant memory).
#ifndef CONCLAVE_AGE_STREAM_H_
#define CONCLAVE_AGE_STREAM_H_

#include <cstdint>

#include "age/io.h"
#include "base/secret_bytes.h"

namespace conclave::age {

inline constexpr size_t kPayloadNonceSize = 16;
inline constexpr size_t kChunkSize = 64 * 1024;
inline constexpr size_t kEncryptedChunkSize = kChunkSize + 16;

StatusOr<SecretBytes> DerivePayloadKey(const SecretBytes& file_key,
                                       ByteSpan nonce);

// One chunk, for callers that schedule chunks themselves (e.g. in parallel).
// out must be plaintext.size() + 16 (seal) / ciphertext.size() - 16 (open).
Status SealChunk(const SecretBytes& payload_key, uint64_t counter, bool last,
                 ByteSpan plaintext, std::span<uint8_t> out);
// UNAUTHENTICATED (untagged) if the tag does not verify; out is wiped then.
Status OpenChunk(const SecretBytes& payload_key, uint64_t counter, bool last,
                 ByteSpan ciphertext, std::span<uint8_t> out);

// Push-style encryptor: Write() any amount, then Finish(). The nonce is
// written first. A chunk is held back until more data arrives or Finish()
// says it is the last; an empty payload is one empty final chunk.
class PayloadEncryptor {
 public:
  // Fresh random nonce.
  static StatusOr<PayloadEncryptor> Create(const SecretBytes& file_key,
                                           Writer& out);
  // Explicit nonce (tests and known-answer checks only).
  static StatusOr<PayloadEncryptor> CreateWithNonce(const SecretBytes& file_key,
                                                    ByteSpan nonce,
                                                    Writer& out);
  Status Write(ByteSpan data);
  Status Finish();

 private:
  PayloadEncryptor(SecretBytes key, Writer& out);
  Status SealBuffered(bool last);
  SecretBytes key_;
  Writer* out_;
  SecretBytes buf_;  // plaintext of the pending chunk
  Bytes sealed_;
  uint64_t counter_ = 0;
  bool finished_ = false;
};

// Reads the whole plaintext from `in` and writes the encrypted payload.
Status EncryptPayload(const SecretBytes& file_key, Reader& in, Writer& out);

// Reads the nonce and the STREAM from `in` (to its end) and writes the
// plaintext chunk by chunk. A chunk is written only after its tag verified;
// OK is returned only once a final chunk verified and nothing follows it.
// Errors: header failure if the nonce is short (as the testkit classifies
// it), payload failure otherwise (bad tag, truncation, missing or empty final
// chunk, trailing data), or the reader's/writer's own error. On error the
// writer may already have received the verified chunks before the bad one.
Status DecryptPayload(const SecretBytes& file_key, Reader& in, Writer& out);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_STREAM_H_
