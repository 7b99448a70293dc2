#include "age/parallel_stream.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
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

// One per worker thread (the workers live for one pipeline run).
StreamChunkCipher& WorkerCipher() {
  static thread_local StreamChunkCipher cipher;
  return cipher;
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
    done = false;
    verified = 0;
    status = OkStatus();
  }

  SecretBytes buf;
  // Decryption opens into a separate buffer so that a chunk can be retried
  // with the other last flag (a failed open wipes its output).
  SecretBytes out_buf;
  std::vector<size_t> lens;  // bytes read into each slot
  uint64_t first_counter = 0;
  size_t count = 0;
  bool at_eof = false;  // the input ended right after the batch's last chunk
  // Set by the worker.
  bool done = false;
  size_t verified = 0;  // chunks whose result may be written (in order)
  Status status;        // first failure in the batch (decryption)
};

// What a worker does to one chunk. `in_len` bytes sit at the start of
// `in`; the result goes to `out` (which may be the same slot) and its
// length is returned.
using ChunkFn = std::function<StatusOr<size_t>(
    uint64_t counter, bool last_in_input, std::span<uint8_t> in, size_t in_len,
    std::span<uint8_t> out, std::optional<size_t>* output_then_fail)>;

// Reader (the calling thread), workers, ordered writer; see the header.
class Pipeline {
 public:
  Pipeline(const ParallelStreamOptions& options, size_t read_size, ChunkFn fn,
           bool in_place)
      : options_(options),
        read_size_(read_size),
        fn_(std::move(fn)),
        in_place_(in_place) {
    const size_t per_batch = std::max<size_t>(1, options.chunks_per_batch);
    const size_t batches = std::max<size_t>(2, options.batches_in_flight);
    for (size_t i = 0; i < batches; ++i) {
      storage_.push_back(std::make_unique<Batch>(per_batch, !in_place));
      free_.push_back(storage_.back().get());
    }
  }

  Status Run(Reader& in, Writer& out) {
    unsigned threads = options_.threads;
    if (threads == 0)
      threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < threads; ++i)
      workers.emplace_back([this] { Work(); });
    std::thread writer([this, &out] { WriteLoop(out); });

    ReadLoop(in);
    {
      std::lock_guard<std::mutex> l(mu_);
      reader_done_ = true;
    }
    work_cv_.notify_all();
    done_cv_.notify_all();
    writer.join();
    for (auto& w : workers) w.join();
    return error_;
  }

 private:
  // Stops everything after the first error (kept: the earliest in stream
  // order is the writer's, which is what callers see; a reader error and a
  // writer error cannot both be "first" in a meaningful way).
  void Fail(Status s) {
    std::lock_guard<std::mutex> l(mu_);
    if (!aborted_) {
      aborted_ = true;
      error_ = std::move(s);
    }
    free_cv_.notify_all();
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  Batch* Acquire(uint64_t counter) {
    std::unique_lock<std::mutex> l(mu_);
    free_cv_.wait(l, [this] { return aborted_ || !free_.empty(); });
    if (aborted_) return nullptr;
    Batch* b = free_.back();
    free_.pop_back();
    b->Reset(counter);
    return b;
  }

  void Release(Batch* b) {
    {
      std::lock_guard<std::mutex> l(mu_);
      free_.push_back(b);
    }
    free_cv_.notify_one();
  }

  void Submit(Batch* b) {
    {
      std::lock_guard<std::mutex> l(mu_);
      work_.push_back(b);
      order_.push_back(b);
    }
    work_cv_.notify_one();
    done_cv_.notify_one();
  }

  // Reads chunk after chunk with one chunk of look-ahead, so the chunk
  // before end of input is known to be the last one (STREAM's last flag).
  void ReadLoop(Reader& in) {
    uint64_t counter = 0;
    Batch* cur = Acquire(counter);
    if (!cur) return;
    auto read_into = [&](Batch* b, size_t i) -> StatusOr<size_t> {
      return ReadFull(in, b->Slot(i).first(read_size_));
    };
    StatusOr<size_t> n = read_into(cur, 0);
    if (!n.ok()) return Release(cur), Fail(n.status());
    cur->lens[0] = *n;
    cur->count = 1;
    ++counter;
    for (;;) {
      if (*n < read_size_) {  // short read: the input has ended
        cur->at_eof = true;
        return Submit(cur);
      }
      Batch* next = cur;
      if (cur->count == cur->capacity()) {
        next = Acquire(counter);
        if (!next) return Release(cur);
      }
      n = read_into(next, next == cur ? cur->count : 0);
      if (!n.ok()) {
        if (next != cur) Release(next);
        Release(cur);
        return Fail(n.status());
      }
      if (*n == 0) {
        if (next != cur) Release(next);
        cur->at_eof = true;
        return Submit(cur);
      }
      if (next != cur) {
        Submit(cur);
        cur = next;
      }
      cur->lens[cur->count++] = *n;
      ++counter;
    }
  }

  void Work() {
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> l(mu_);
        work_cv_.wait(
            l, [this] { return aborted_ || reader_done_ || !work_.empty(); });
        if (aborted_ || work_.empty()) {
          if (aborted_ || reader_done_) return;
          continue;
        }
        b = work_.front();
        work_.pop_front();
      }
      for (size_t i = 0; i < b->count; ++i) {
        const bool last = b->at_eof && i + 1 == b->count;
        std::optional<size_t> output_then_fail;
        StatusOr<size_t> r = fn_(b->first_counter + i, last, b->Slot(i),
                                 b->lens[i], b->OutSlot(i), &output_then_fail);
        if (!r.ok()) {
          // output_then_fail: this chunk verified (and is written, as the
          // sequential decryptor does) but the stream is broken after it.
          if (output_then_fail) {
            b->lens[i] = *output_then_fail;
            b->verified = i + 1;
          }
          b->status = r.status();
          break;
        }
        b->lens[i] = *r;
        b->verified = i + 1;
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        b->done = true;
      }
      done_cv_.notify_all();
    }
  }

  void WriteLoop(Writer& out) {
    uint64_t total = 0;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> l(mu_);
        done_cv_.wait(l, [this] {
          return aborted_ || (!order_.empty() && order_.front()->done) ||
                 (reader_done_ && order_.empty());
        });
        if (aborted_ || order_.empty()) return;
        b = order_.front();
        order_.pop_front();
      }
      Status s = WriteBatch(*b, out, &total);
      if (s.ok()) s = b->status;
      const bool final_batch = b->at_eof;
      Release(b);
      if (!s.ok()) return Fail(std::move(s));
      if (options_.progress) options_.progress(total);
      if (final_batch) return;
    }
  }

  Status WriteBatch(Batch& b, Writer& out, uint64_t* total) {
    if (in_place_) {
      // Sealed chunks fill their slots exactly except the last one.
      size_t len = 0;
      for (size_t i = 0; i < b.verified; ++i) len += b.lens[i];
      CONCLAVE_RETURN_IF_ERROR(out.Write(b.buf.span().first(len)));
      *total += len - b.verified * kAeadTagSize;
      return OkStatus();
    }
    for (size_t i = 0; i < b.verified; ++i) {
      CONCLAVE_RETURN_IF_ERROR(out.Write(b.OutSlot(i).first(b.lens[i])));
      *total += b.lens[i];
    }
    return OkStatus();
  }

  const ParallelStreamOptions& options_;
  const size_t read_size_;
  const ChunkFn fn_;
  const bool in_place_;  // encryption: sealed chunks are contiguous
  std::vector<std::unique_ptr<Batch>> storage_;

  std::mutex mu_;
  std::condition_variable free_cv_, work_cv_, done_cv_;
  std::vector<Batch*> free_;
  std::deque<Batch*> work_;   // submitted, not yet taken by a worker
  std::deque<Batch*> order_;  // submitted, not yet written (stream order)
  bool reader_done_ = false;
  bool aborted_ = false;
  Status error_;
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
      [&key](uint64_t counter, bool last, std::span<uint8_t> slot, size_t len,
             std::span<uint8_t>, std::optional<size_t>*) -> StatusOr<size_t> {
        // In place: the plaintext at the slot's start becomes the sealed
        // chunk (OpenSSL's ChaCha20-Poly1305 allows out == in).
        CONCLAVE_RETURN_IF_ERROR(
            WorkerCipher().Seal(key, counter, last, slot.first(len),
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
                  uint64_t counter, bool at_eof, std::span<uint8_t> in,
                  size_t n, std::span<uint8_t> out,
                  std::optional<size_t>* output_then_fail) -> StatusOr<size_t> {
    if (n < kAeadTagSize) {
      return PayloadError(n == 0 ? "payload ends without a final chunk"
                                 : "payload chunk truncated");
    }
    const size_t plain_len = n - kAeadTagSize;
    const ByteSpan sealed = in.first(n);
    const std::span<uint8_t> plain = out.first(plain_len);
    auto try_open = [&](bool last) {
      StatusOr<bool> ok =
          WorkerCipher().Open(key, counter, last, sealed, plain);
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
