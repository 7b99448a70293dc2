#include "age/stream.h"

#include <algorithm>
#include <array>

#include "age/errors.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace conclave::age {

namespace {

constexpr AeadAlgorithm kAead = AeadAlgorithm::kChaCha20Poly1305;

std::array<uint8_t, kAeadNonceSize> ChunkNonce(uint64_t counter, bool last) {
  std::array<uint8_t, kAeadNonceSize> n{};  // counter's top 3 bytes stay 0
  for (int i = 0; i < 8; ++i) {
    n[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
  }
  n[11] = last ? 1 : 0;
  return n;
}

Status PayloadError(std::string m) {
  return AgeError(ErrorKind::kPayload, std::move(m));
}

}  // namespace

StatusOr<SecretBytes> DerivePayloadKey(const SecretBytes& file_key,
                                       ByteSpan nonce) {
  if (nonce.size() != kPayloadNonceSize) {
    return AgeError(ErrorKind::kUsage, "payload nonce must be 16 bytes");
  }
  return HkdfSha256(nonce, file_key.span(), AsBytes("payload"), 32);
}

Status SealChunk(const SecretBytes& payload_key, uint64_t counter, bool last,
                 ByteSpan plaintext, std::span<uint8_t> out) {
  const auto nonce = ChunkNonce(counter, last);
  return AeadSealTo(kAead, payload_key.span(), nonce, ByteSpan(), plaintext,
                    out);
}

Status OpenChunk(const SecretBytes& payload_key, uint64_t counter, bool last,
                 ByteSpan ciphertext, std::span<uint8_t> out) {
  const auto nonce = ChunkNonce(counter, last);
  return AeadOpenTo(kAead, payload_key.span(), nonce, ByteSpan(), ciphertext,
                    out);
}

PayloadEncryptor::PayloadEncryptor(SecretBytes key, Writer& out)
    : key_(std::move(key)), out_(&out) {}

StatusOr<PayloadEncryptor> PayloadEncryptor::Create(const SecretBytes& file_key,
                                                    Writer& out) {
  std::array<uint8_t, kPayloadNonceSize> nonce;
  FillRandom(nonce);
  return CreateWithNonce(file_key, nonce, out);
}

StatusOr<PayloadEncryptor> PayloadEncryptor::CreateWithNonce(
    const SecretBytes& file_key, ByteSpan nonce, Writer& out) {
  if (file_key.size() != 16) {
    return AgeError(ErrorKind::kUsage, "file key must be 16 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes key, DerivePayloadKey(file_key, nonce));
  CONCLAVE_RETURN_IF_ERROR(out.Write(nonce));
  PayloadEncryptor e(std::move(key), out);
  return e;
}

Status PayloadEncryptor::SealBuffered(bool last) {
  sealed_.resize(buf_.size() + kAeadTagSize);
  CONCLAVE_RETURN_IF_ERROR(
      SealChunk(key_, counter_, last, buf_.span(), sealed_));
  CONCLAVE_RETURN_IF_ERROR(out_->Write(sealed_));
  ++counter_;
  buf_.Clear();
  return OkStatus();
}

Status PayloadEncryptor::Write(ByteSpan data) {
  if (finished_) return AgeError(ErrorKind::kUsage, "write after Finish");
  while (!data.empty()) {
    // A full pending chunk is sealed as non-final only now that more data
    // proves it is not the last.
    if (buf_.size() == kChunkSize) {
      CONCLAVE_RETURN_IF_ERROR(SealBuffered(false));
    }
    const size_t n = std::min(data.size(), kChunkSize - buf_.size());
    buf_.Append(data.first(n));
    data = data.subspan(n);
  }
  return OkStatus();
}

Status PayloadEncryptor::Finish() {
  if (finished_) return AgeError(ErrorKind::kUsage, "Finish called twice");
  finished_ = true;
  return SealBuffered(true);
}

Status EncryptPayload(const SecretBytes& file_key, Reader& in, Writer& out) {
  CONCLAVE_ASSIGN_OR_RETURN(PayloadEncryptor enc,
                            PayloadEncryptor::Create(file_key, out));
  SecretBytes chunk(kChunkSize);
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(size_t n, ReadFull(in, chunk.mutable_span()));
    CONCLAVE_RETURN_IF_ERROR(enc.Write(chunk.span().first(n)));
    if (n < kChunkSize) break;
  }
  return enc.Finish();
}

Status DecryptPayload(const SecretBytes& file_key, Reader& in, Writer& out) {
  std::array<uint8_t, kPayloadNonceSize> nonce;
  CONCLAVE_ASSIGN_OR_RETURN(size_t got, ReadFull(in, nonce));
  if (got < nonce.size()) {
    return AgeError(ErrorKind::kHeader, "payload nonce missing or truncated");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes key, DerivePayloadKey(file_key, nonce));

  Bytes ct(kEncryptedChunkSize);
  SecretBytes pt(kChunkSize);
  for (uint64_t counter = 0;; ++counter) {
    CONCLAVE_ASSIGN_OR_RETURN(size_t n, ReadFull(in, ct));
    if (n < kAeadTagSize) {
      return PayloadError(n == 0 ? "payload ends without a final chunk"
                                 : "payload chunk truncated");
    }
    ByteSpan chunk = ByteSpan(ct).first(n);
    std::span<uint8_t> plain = pt.mutable_span().first(n - kAeadTagSize);
    if (n < kEncryptedChunkSize) {
      // A short chunk can only be the final one (and the input has ended).
      if (!OpenChunk(key, counter, true, chunk, plain).ok()) {
        ClearOpenSslErrors();
        return PayloadError("payload chunk does not authenticate");
      }
      if (plain.empty() && counter > 0) {
        return PayloadError("final chunk is empty");
      }
      return out.Write(plain);
    }
    // A full chunk is usually not the last; a full final chunk is possible
    // when the plaintext is a multiple of 64 KiB.
    if (OpenChunk(key, counter, false, chunk, plain).ok()) {
      CONCLAVE_RETURN_IF_ERROR(out.Write(plain));
      continue;
    }
    ClearOpenSslErrors();
    if (!OpenChunk(key, counter, true, chunk, plain).ok()) {
      ClearOpenSslErrors();
      return PayloadError("payload chunk does not authenticate");
    }
    CONCLAVE_RETURN_IF_ERROR(out.Write(plain));
    uint8_t extra;
    CONCLAVE_ASSIGN_OR_RETURN(size_t more, ReadFull(in, std::span(&extra, 1)));
    if (more != 0) return PayloadError("data after the final chunk");
    return OkStatus();
  }
}

}  // namespace conclave::age
