#include "age/parallel_stream.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "age/errors.h"
#include "age/stream.h"
#include "crypto/aead.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace conclave::age {

namespace {

Status PayloadError(std::string m) {
  return AgeError(ErrorKind::kPayload, std::move(m));
}

// STREAM chunk nonce (C2SP age "Payload"): 11-byte big-endian counter ‖
// last-chunk flag; the same as age/stream.cc's.
std::array<uint8_t, kAeadNonceSize> ChunkNonce(uint64_t counter, bool last) {
  std::array<uint8_t, kAeadNonceSize> n{};
  for (int i = 0; i < 8; ++i) {
    n[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
  }
  n[11] = last ? 1 : 0;
  return n;
}

// A run of consecutive chunks. Each chunk has a slot of kEncryptedChunkSize
// bytes: encryption reads up to 64 KiB of plaintext into the slot and seals
// it in place (the tag fills the rest), so a batch's ciphertext is
// contiguous; decryption reads the sealed chunk into the slot and opens it
// into out_buf. The buffers hold plaintext, hence SecretBytes (wiped when
// freed).
struct Batch {
  Batch(size_t capacity, bool separate_output)
      : buf(capacity * kEncryptedChunkSize),
        out_buf(separate_output ? capacity * kEncryptedChunkSize : 0),
        lens(capacity) {}

  std::span<uint8_t> Slot(size_t i) {
    return buf.mutable_span().subspan(i * kEncryptedChunkSize,
                                      kEncryptedChunkSize);
  }
  std::span<uint8_t> OutSlot(size_t i) {
    if (out_buf.empty()) return Slot(i);
    return out_buf.mutable_span().subspan(i * kEncryptedChunkSize,
                                          kEncryptedChunkSize);
  }
  size_t capacity() const { return lens.size(); }

  void Reset(uint64_t counter) {
    first_counter = counter;
    count = 0;
    at_eof = false;
    verified = 0;
    status = OkStatus();
  }

  SecretBytes buf;
  // Decryption opens into a separate buffer so that a chunk can be retried
  // with the other last flag (a failed open wipes its output).
  SecretBytes out_buf;
  std::vector<size_t> lens;  // bytes read into each slot
  uint64_t seq = 0;          // batch number: the write order
  uint64_t first_counter = 0;
  size_t count = 0;
  bool at_eof = false;  // the input ended right after the batch's last chunk
  size_t verified = 0;  // chunks whose result may be written (in order)
  Status status;        // first failure: reading, or a bad chunk
};

// What a worker does to one chunk. `in_len` bytes sit at the start of
// `in`; the result goes to `out` (which may be the same slot) and its
// length is returned.
// `cipher` is the worker's own.
using ChunkFn = std::function<StatusOr<size_t>(
    StreamChunkCipher& cipher, uint64_t counter, bool last_in_input,
    std::span<uint8_t> in, size_t in_len, std::span<uint8_t> out,
    std::optional<size_t>* output_then_fail)>;

// Each worker takes the next batch number and reads the batch (reads are
// serialised: the input is a stream), processes it on its own core while the
// data is still in its cache, waits for its turn, and writes it (writes are
// in batch order). Reading and writing by the worker itself, rather than by
// separate reader and writer threads, avoids moving every byte between cores
// twice, which cost more than the parallel crypto gained on a 2-core VM.
class Pipeline {
 public:
  Pipeline(const ParallelStreamOptions& options, size_t read_size, ChunkFn fn,
           bool in_place)
      : options_(options),
        read_size_(read_size),
        fn_(std::move(fn)),
        in_place_(in_place) {}

  Status Run(Reader& in, Writer& out) {
    unsigned threads = options_.threads;
    if (threads == 0) {
      threads = std::max(1u, std::thread::hardware_concurrency());
    }
    const size_t per_batch = std::max<size_t>(1, options_.chunks_per_batch);
    in_ = &in;
    out_ = &out;
    if (threads == 1) {
      Worker(per_batch);  // no thread needed
    } else {
      std::vector<std::thread> workers;
      for (unsigned i = 0; i < threads; ++i) {
        workers.emplace_back([this, per_batch] { Worker(per_batch); });
      }
      for (auto& w : workers) w.join();
    }
    return error_;
  }

 private:
  // Under read_mu_: fills `b` with the next chunks. One byte of look-ahead
  // (carried to the next batch) tells whether the input ends right after
  // the batch, i.e. whether its last chunk is STREAM's final chunk.
  void ReadBatch(Batch& b) {
    b.Reset(next_counter_);
    b.seq = next_seq_++;
    for (size_t i = 0; i < b.capacity(); ++i) {
      std::span<uint8_t> slot = b.Slot(i).first(read_size_);
      size_t have = 0;
      if (has_carry_) {
        slot[0] = carry_;
        have = 1;
        has_carry_ = false;
      }
      StatusOr<size_t> n = ReadFull(*in_, slot.subspan(have));
      if (!n.ok()) {
        b.status = n.status();
        read_done_ = true;
        return;
      }
      have += *n;
      // Chunk 0 of the stream is kept even if empty (an empty payload is
      // one empty final chunk); otherwise input ended at a boundary, which
      // the look-ahead below already caught.
      if (have == 0 && next_counter_ > 0) {
        b.at_eof = true;
        read_done_ = true;
        return;
      }
      b.lens[i] = have;
      ++b.count;
      ++next_counter_;
      if (have < read_size_) {
        b.at_eof = true;
        read_done_ = true;
        return;
      }
    }
    StatusOr<size_t> n = ReadFull(*in_, std::span<uint8_t>(&carry_, 1));
    if (!n.ok()) {
      b.status = n.status();
      read_done_ = true;
      return;
    }
    if (*n == 0) {
      b.at_eof = true;
      read_done_ = true;
    } else {
      has_carry_ = true;
    }
  }

  void Process(Batch& b, StreamChunkCipher& cipher) {
    for (size_t i = 0; i < b.count; ++i) {
      const bool last = b.at_eof && i + 1 == b.count;
      std::optional<size_t> output_then_fail;
      StatusOr<size_t> r = fn_(cipher, b.first_counter + i, last, b.Slot(i),
                               b.lens[i], b.OutSlot(i), &output_then_fail);
      if (!r.ok()) {
        // output_then_fail: this chunk verified (and is written, as the
        // sequential decryptor does) but the stream is broken after it.
        if (output_then_fail) {
          b.lens[i] = *output_then_fail;
          b.verified = i + 1;
        }
        b.status = r.status();
        return;
      }
      b.lens[i] = *r;
      b.verified = i + 1;
    }
  }

  Status WriteBatch(Batch& b) {
    if (in_place_) {
      // Sealed chunks fill their slots exactly except the last one.
      size_t len = 0;
      for (size_t i = 0; i < b.verified; ++i) len += b.lens[i];
      CONCLAVE_RETURN_IF_ERROR(out_->Write(b.buf.span().first(len)));
      total_ += len - b.verified * kAeadTagSize;
      return OkStatus();
    }
    for (size_t i = 0; i < b.verified; ++i) {
      CONCLAVE_RETURN_IF_ERROR(out_->Write(b.OutSlot(i).first(b.lens[i])));
      total_ += b.lens[i];
    }
    return OkStatus();
  }

  void Worker(size_t per_batch) {
    Batch b(per_batch, !in_place_);
    StreamChunkCipher cipher;  // freed (and wiped by OpenSSL) on return
    for (;;) {
      {
        std::lock_guard<std::mutex> l(read_mu_);
        if (read_done_ || aborted_.load()) return;
        ReadBatch(b);
      }
      // A read error is processed like a bad chunk: reported in its turn.
      if (b.status.ok()) Process(b, cipher);
      std::unique_lock<std::mutex> l(turn_mu_);
      turn_cv_.wait(l, [&] { return next_write_ == b.seq; });
      if (!aborted_.load()) {
        Status s = WriteBatch(b);
        if (s.ok()) s = b.status;
        if (!s.ok()) {
          error_ = std::move(s);
          aborted_ = true;
        } else if (options_.progress) {
          options_.progress(total_);
        }
      }
      ++next_write_;
      l.unlock();
      turn_cv_.notify_all();
    }
  }

  const ParallelStreamOptions& options_;
  const size_t read_size_;
  const ChunkFn fn_;
  const bool in_place_;  // encryption: sealed chunks are contiguous
  Reader* in_ = nullptr;
  Writer* out_ = nullptr;

  // Reading (under read_mu_).
  std::mutex read_mu_;
  uint64_t next_seq_ = 0, next_counter_ = 0;
  uint8_t carry_ = 0;
  bool has_carry_ = false, read_done_ = false;

  // Writing, in batch order (under turn_mu_).
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t next_write_ = 0;
  uint64_t total_ = 0;
  Status error_;
  std::atomic<bool> aborted_{false};
};

}  // namespace

Status StreamChunkCipher::Seal(const SecretBytes& key, uint64_t counter,
                               bool last, ByteSpan plaintext,
                               std::span<uint8_t> out) {
  CONCLAVE_RETURN_IF_ERROR(Init(key, counter, last, /*encrypt=*/1));
  int len = 0;
  const int n = static_cast<int>(plaintext.size());
  if ((n > 0 && EVP_CipherUpdate(ctx_.get(), out.data(), &len, plaintext.data(),
                                 n) != 1) ||
      EVP_CipherFinal_ex(ctx_.get(), out.data() + n, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_GET_TAG, kAeadTagSize,
                          out.data() + n) != 1) {
    return OpenSslError("STREAM chunk seal");
  }
  return OkStatus();
}

StatusOr<bool> StreamChunkCipher::Open(const SecretBytes& key, uint64_t counter,
                                       bool last, ByteSpan sealed,
                                       std::span<uint8_t> out) {
  CONCLAVE_RETURN_IF_ERROR(Init(key, counter, last, /*encrypt=*/0));
  const size_t body = sealed.size() - kAeadTagSize;
  uint8_t tag[kAeadTagSize];
  std::copy(sealed.begin() + body, sealed.end(), tag);
  int len = 0;
  if ((body > 0 && EVP_CipherUpdate(ctx_.get(), out.data(), &len, sealed.data(),
                                    static_cast<int>(body)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_TAG, kAeadTagSize,
                          tag) != 1) {
    return OpenSslError("STREAM chunk open");
  }
  if (EVP_CipherFinal_ex(ctx_.get(), out.data() + body, &len) != 1) {
    ClearOpenSslErrors();
    CleanseMemory(out.data(), body);  // unverified plaintext must not stay
    return false;
  }
  return true;
}

Status StreamChunkCipher::Init(const SecretBytes& key, uint64_t counter,
                               bool last, int encrypt) {
  const auto nonce = ChunkNonce(counter, last);
  if (!ctx_) {
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_ || EVP_CipherInit_ex(ctx_.get(), EVP_chacha20_poly1305(), nullptr,
                                   nullptr, nullptr, encrypt) != 1) {
      ctx_.reset();
      return OpenSslError("STREAM cipher context");
    }
  }
  // Same cipher: no fetch, only the key and nonce are set.
  if (EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, key.data(), nonce.data(),
                        encrypt) != 1) {
    return OpenSslError("STREAM chunk init");
  }
  return OkStatus();
}

Status EncryptPayloadParallelWithNonce(const SecretBytes& file_key,
                                       ByteSpan nonce, Reader& in, Writer& out,
                                       const ParallelStreamOptions& options) {
  if (file_key.size() != 16) {
    return AgeError(ErrorKind::kUsage, "file key must be 16 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes key, DerivePayloadKey(file_key, nonce));
  CONCLAVE_RETURN_IF_ERROR(out.Write(nonce));
  Pipeline p(
      options, kChunkSize,
      [&key](StreamChunkCipher& cipher, uint64_t counter, bool last,
             std::span<uint8_t> slot, size_t len, std::span<uint8_t>,
             std::optional<size_t>*) -> StatusOr<size_t> {
        // In place: the plaintext at the slot's start becomes the sealed
        // chunk (OpenSSL's ChaCha20-Poly1305 allows out == in).
        CONCLAVE_RETURN_IF_ERROR(cipher.Seal(key, counter, last,
                                             slot.first(len),
                                             slot.first(len + kAeadTagSize)));
        return len + kAeadTagSize;
      },
      /*in_place=*/true);
  return p.Run(in, out);
}

Status EncryptPayloadParallel(const SecretBytes& file_key, Reader& in,
                              Writer& out,
                              const ParallelStreamOptions& options) {
  std::array<uint8_t, kPayloadNonceSize> nonce;
  FillRandom(nonce);
  return EncryptPayloadParallelWithNonce(file_key, nonce, in, out, options);
}

Status DecryptPayloadParallel(const SecretBytes& file_key, Reader& in,
                              Writer& out,
                              const ParallelStreamOptions& options) {
  std::array<uint8_t, kPayloadNonceSize> nonce;
  CONCLAVE_ASSIGN_OR_RETURN(size_t got, ReadFull(in, nonce));
  if (got < nonce.size()) {
    return AgeError(ErrorKind::kHeader, "payload nonce missing or truncated");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes key, DerivePayloadKey(file_key, nonce));

  // The same decisions, in the same order of precedence, as DecryptPayload,
  // so both report the same error after writing the same verified bytes.
  auto open = [&key](
                  StreamChunkCipher& cipher, uint64_t counter, bool at_eof,
                  std::span<uint8_t> in, size_t n, std::span<uint8_t> out,
                  std::optional<size_t>* output_then_fail) -> StatusOr<size_t> {
    if (n < kAeadTagSize) {
      return PayloadError(n == 0 ? "payload ends without a final chunk"
                                 : "payload chunk truncated");
    }
    const size_t plain_len = n - kAeadTagSize;
    const ByteSpan sealed = in.first(n);
    const std::span<uint8_t> plain = out.first(plain_len);
    auto try_open = [&](bool last) {
      StatusOr<bool> ok = cipher.Open(key, counter, last, sealed, plain);
      return ok.ok() && *ok;
    };
    if (n < kEncryptedChunkSize) {
      // A short chunk can only be the final one (and the input has ended).
      if (!try_open(true)) {
        return PayloadError("payload chunk does not authenticate");
      }
      if (plain_len == 0 && counter > 0) {
        return PayloadError("final chunk is empty");
      }
      return plain_len;
    }
    // A full chunk is final only at the end of the input (a plaintext that
    // is a multiple of 64 KiB); try the flag its position implies first.
    if (try_open(at_eof)) return plain_len;
    if (!try_open(!at_eof)) {
      return PayloadError("payload chunk does not authenticate");
    }
    // Authentic but with the wrong flag for its position: the sequential
    // decryptor writes it, then finds the stream truncated or extended.
    *output_then_fail = plain_len;
    return PayloadError(at_eof ? "payload ends without a final chunk"
                               : "data after the final chunk");
  };
  Pipeline p(options, kEncryptedChunkSize, open, /*in_place=*/false);
  return p.Run(in, out);
}

}  // namespace conclave::age
