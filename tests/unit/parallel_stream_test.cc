// The parallel STREAM (age/parallel_stream.h) against the sequential one
// (age/stream.h): identical bytes for the same file key and nonce, the same
// errors after the same verified output on damaged streams.
#include "age/parallel_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "age/errors.h"
#include "age/stream.h"
#include "crypto/random.h"

namespace conclave::age {
namespace {

constexpr size_t K = kChunkSize;
constexpr size_t E = kEncryptedChunkSize;

Bytes Pattern(size_t n, uint8_t seed = 7) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + seed);
  return b;
}

SecretBytes FileKey() { return SecretBytes::CopyFrom(Bytes(16, 0x42)); }

const Bytes kNonce(kPayloadNonceSize, 0x17);

Bytes Sequential(ByteSpan pt) {
  MemoryReader in(pt);
  MemoryWriter out;
  auto e = PayloadEncryptor::CreateWithNonce(FileKey(), kNonce, out);
  EXPECT_TRUE(e.ok());
  EXPECT_TRUE(e->Write(pt).ok());
  EXPECT_TRUE(e->Finish().ok());
  return out.Take();
}

// Reads in small irregular pieces, to exercise short reads.
class DribbleReader : public Reader {
 public:
  explicit DribbleReader(ByteSpan data) : data_(data) {}
  StatusOr<size_t> Read(std::span<uint8_t> buf) override {
    const size_t n = std::min({buf.size(), data_.size() - pos_,
                               size_t{1000} + (calls_++ % 7) * 3001});
    std::copy_n(data_.begin() + pos_, n, buf.begin());
    pos_ += n;
    return n;
  }

 private:
  ByteSpan data_;
  size_t pos_ = 0, calls_ = 0;
};

// Fails after `limit` bytes.
class FailingReader : public Reader {
 public:
  FailingReader(ByteSpan data, size_t limit) : data_(data), limit_(limit) {}
  StatusOr<size_t> Read(std::span<uint8_t> buf) override {
    if (pos_ >= limit_) return AgeError(ErrorKind::kIo, "disk on fire");
    const size_t n = std::min({buf.size(), data_.size() - pos_, limit_ - pos_});
    std::copy_n(data_.begin() + pos_, n, buf.begin());
    pos_ += n;
    return n;
  }

 private:
  ByteSpan data_;
  size_t pos_ = 0, limit_;
};

class FailingWriter : public Writer {
 public:
  explicit FailingWriter(size_t limit) : limit_(limit) {}
  Status Write(ByteSpan data) override {
    if (written_ + data.size() > limit_) {
      return AgeError(ErrorKind::kIo, "no space left");
    }
    written_ += data.size();
    return OkStatus();
  }

 private:
  size_t written_ = 0, limit_;
};

struct Config {
  unsigned threads;
  size_t per_batch;
};

const Config kConfigs[] = {
    {1, 1}, {1, 8}, {2, 1}, {2, 3}, {4, 2}, {3, 8}, {0, 8},
};

ParallelStreamOptions Options(const Config& c) {
  ParallelStreamOptions o;
  o.threads = c.threads;
  o.chunks_per_batch = c.per_batch;
  return o;
}

const size_t kSizes[] = {0,         1,         K - 1,     K,      K + 1,
                         2 * K - 1, 2 * K,     2 * K + 1, 3 * K,  5 * K + 17,
                         8 * K,     8 * K + 1, 9 * K,     24 * K, 40 * K + 5};

TEST(ParallelStreamTest, EncryptMatchesSequentialByteForByte) {
  for (size_t size : kSizes) {
    const Bytes pt = Pattern(size);
    const Bytes want = Sequential(pt);
    for (const Config& c : kConfigs) {
      MemoryReader in(pt);
      MemoryWriter out;
      ASSERT_TRUE(EncryptPayloadParallelWithNonce(FileKey(), kNonce, in, out,
                                                  Options(c))
                      .ok());
      EXPECT_EQ(out.bytes(), want) << "size " << size << " threads "
                                   << c.threads << " batch " << c.per_batch;
    }
  }
}

TEST(ParallelStreamTest, ShortReadsDoNotChangeTheOutput) {
  const Bytes pt = Pattern(7 * K + 3);
  DribbleReader in(pt);
  MemoryWriter out;
  ASSERT_TRUE(EncryptPayloadParallelWithNonce(FileKey(), kNonce, in, out,
                                              Options({2, 2}))
                  .ok());
  EXPECT_EQ(out.bytes(), Sequential(pt));
}

TEST(ParallelStreamTest, RandomNonceRoundTrip) {
  const Bytes pt = Pattern(3 * K + 9);
  MemoryReader in(pt);
  MemoryWriter out;
  ASSERT_TRUE(EncryptPayloadParallel(FileKey(), in, out).ok());
  ASSERT_EQ(out.bytes().size(), kPayloadNonceSize + pt.size() + 4 * 16);
  MemoryReader cin(out.bytes());
  SecretWriter plain;
  ASSERT_TRUE(DecryptPayload(FileKey(), cin, plain).ok());
  EXPECT_EQ(Bytes(plain.bytes().span().begin(), plain.bytes().span().end()),
            pt);
}

TEST(ParallelStreamTest, DecryptMatchesSequential) {
  for (size_t size : kSizes) {
    const Bytes pt = Pattern(size);
    const Bytes ct = Sequential(pt);
    for (const Config& c : kConfigs) {
      MemoryReader in(ct);
      SecretWriter out;
      Status s = DecryptPayloadParallel(FileKey(), in, out, Options(c));
      ASSERT_TRUE(s.ok()) << s.ToString() << " size " << size;
      EXPECT_EQ(Bytes(out.bytes().span().begin(), out.bytes().span().end()), pt)
          << "size " << size << " threads " << c.threads;
    }
  }
}

TEST(ParallelStreamTest, ProgressReportsPlaintextBytes) {
  const Bytes pt = Pattern(10 * K + 5);
  std::atomic<uint64_t> last{0};
  ParallelStreamOptions o = Options({2, 2});
  o.progress = [&](uint64_t n) { last = n; };
  MemoryReader in(pt);
  MemoryWriter out;
  ASSERT_TRUE(
      EncryptPayloadParallelWithNonce(FileKey(), kNonce, in, out, o).ok());
  EXPECT_EQ(last.load(), pt.size());
  MemoryReader cin(out.bytes());
  SecretWriter plain;
  last = 0;
  ASSERT_TRUE(DecryptPayloadParallel(FileKey(), cin, plain, o).ok());
  EXPECT_EQ(last.load(), pt.size());
}

// Runs both decryptors on `ct`; they must agree on the error kind and
// message and on the verified bytes written before it.
void ExpectSameFailure(ByteSpan ct, const std::string& what) {
  MemoryReader sin(ct);
  SecretWriter sout;
  const Status want = DecryptPayload(FileKey(), sin, sout);
  ASSERT_FALSE(want.ok()) << what;
  for (const Config& c : kConfigs) {
    MemoryReader in(ct);
    SecretWriter out;
    const Status got = DecryptPayloadParallel(FileKey(), in, out, Options(c));
    ASSERT_FALSE(got.ok()) << what;
    EXPECT_EQ(GetErrorKind(got), GetErrorKind(want)) << what;
    EXPECT_EQ(got.message(), want.message()) << what;
    EXPECT_EQ(out.bytes().size(), sout.bytes().size()) << what;
    EXPECT_TRUE(out.bytes().span().size() == sout.bytes().span().size() &&
                std::equal(out.bytes().span().begin(), out.bytes().span().end(),
                           sout.bytes().span().begin()))
        << what;
  }
}

TEST(ParallelStreamTest, DamagedStreamsFailLikeTheSequentialDecryptor) {
  for (size_t size : {size_t{0}, size_t{100}, K, 2 * K, 3 * K + 5, 9 * K}) {
    const Bytes ct = Sequential(Pattern(size));
    const std::string at = "size " + std::to_string(size);
    ExpectSameFailure(ByteSpan(ct).first(10), at + " short nonce");
    ExpectSameFailure(ByteSpan(ct).first(kPayloadNonceSize),
                      at + " nonce only");
    ExpectSameFailure(ByteSpan(ct).first(ct.size() - 1), at + " truncated");
    ExpectSameFailure(ByteSpan(ct).first(kPayloadNonceSize + 5),
                      at + " 5 bytes of chunk");
    Bytes extra = ct;
    extra.push_back(0);
    ExpectSameFailure(extra, at + " trailing byte");
    // Flip one bit in each chunk in turn (and in the last tag byte).
    for (size_t off = kPayloadNonceSize; off < ct.size(); off += E) {
      Bytes bad = ct;
      bad[off + 3] ^= 0x01;
      ExpectSameFailure(bad, at + " flip at " + std::to_string(off));
    }
    Bytes bad_tag = ct;
    bad_tag.back() ^= 0x80;
    ExpectSameFailure(bad_tag, at + " flipped last tag");
    Bytes bad_nonce = ct;
    bad_nonce[0] ^= 1;
    ExpectSameFailure(bad_nonce, at + " flipped nonce");
    if (size >= 2 * K) {
      // Missing last chunk: cut at a chunk boundary (all remaining chunks
      // are authentic but none is final).
      ExpectSameFailure(ByteSpan(ct).first(kPayloadNonceSize + E),
                        at + " missing last chunk");
      // Swapped chunks.
      Bytes swapped = ct;
      std::swap_ranges(swapped.begin() + kPayloadNonceSize,
                       swapped.begin() + kPayloadNonceSize + E,
                       swapped.begin() + kPayloadNonceSize + E);
      ExpectSameFailure(swapped, at + " swapped chunks");
    }
  }
}

TEST(ParallelStreamTest, DataAfterAFullFinalChunk) {
  // A 2-chunk stream whose final chunk is full, followed by a third chunk:
  // the final chunk verifies with the last flag but is not at the end.
  Bytes ct = Sequential(Pattern(2 * K));
  const Bytes more = Sequential(Pattern(K));
  ct.insert(ct.end(), more.begin() + kPayloadNonceSize, more.end());
  ExpectSameFailure(ct, "data after full final chunk");
}

TEST(ParallelStreamTest, EmptyFinalChunkAfterDataIsRejected) {
  // Build a stream of one full non-final chunk plus an empty final chunk.
  auto key = DerivePayloadKey(FileKey(), kNonce);
  ASSERT_TRUE(key.ok());
  const Bytes pt = Pattern(K);
  Bytes ct = kNonce;
  Bytes c0(E), c1(16);
  ASSERT_TRUE(SealChunk(*key, 0, false, pt, c0).ok());
  ASSERT_TRUE(SealChunk(*key, 1, true, ByteSpan(), c1).ok());
  ct.insert(ct.end(), c0.begin(), c0.end());
  ct.insert(ct.end(), c1.begin(), c1.end());
  ExpectSameFailure(ct, "empty final chunk");
}

TEST(ParallelStreamTest, ReaderAndWriterErrorsPropagate) {
  const Bytes pt = Pattern(20 * K);
  for (const Config& c : kConfigs) {
    FailingReader in(pt, 5 * K + 3);
    MemoryWriter out;
    Status s = EncryptPayloadParallel(FileKey(), in, out, Options(c));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kIo);
    EXPECT_NE(s.message().find("disk on fire"), std::string::npos);

    MemoryReader in2(pt);
    FailingWriter out2(3 * E);
    s = EncryptPayloadParallel(FileKey(), in2, out2, Options(c));
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kIo);
    EXPECT_NE(s.message().find("no space left"), std::string::npos);
  }
  const Bytes ct = Sequential(pt);
  FailingReader in(ct, 7 * E);
  SecretWriter out;
  Status s = DecryptPayloadParallel(FileKey(), in, out);
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kIo);
  EXPECT_LE(out.bytes().size(), 7 * K);
}

TEST(ParallelStreamTest, WrongKeyWritesNothing) {
  const Bytes ct = Sequential(Pattern(10 * K));
  MemoryReader in(ct);
  SecretWriter out;
  Status s =
      DecryptPayloadParallel(SecretBytes::CopyFrom(Bytes(16, 0x43)), in, out);
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kPayload);
  EXPECT_EQ(out.bytes().size(), 0u);
}

TEST(ParallelStreamTest, RejectsBadFileKeyLength) {
  MemoryReader in(ByteSpan{});
  MemoryWriter out;
  EXPECT_EQ(GetErrorKind(EncryptPayloadParallel(
                SecretBytes::CopyFrom(Bytes(15, 1)), in, out)),
            ErrorKind::kUsage);
}

}  // namespace
}  // namespace conclave::age
