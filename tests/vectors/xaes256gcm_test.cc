// XAES-256-GCM against the vectors in C2SP XAES-256-GCM.md: the two worked
// examples (MSB₁(L) = 0 and 1, with their derived keys) and the accumulated
// randomized test (SHAKE-128 RNG and hash, 10 000 iterations).
#include "crypto/xaes256gcm.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "base/bytes.h"
#include "crypto/openssl_util.h"
#include "tests/test_util.h"

namespace conclave {
namespace {

using ::conclave::testing::Hex;

struct Example {
  const char* key;
  const char* derived_key;
  const char* aad;
  const char* ciphertext;
};

// XAES-256-GCM.md "Test vectors"; N = "ABCDEFGHIJKLMNOPQRSTUVWX",
// plaintext "XAES-256-GCM".
const Example kExamples[] = {
    {"0101010101010101010101010101010101010101010101010101010101010101",
     "c8612c9ed53fe43e8e005b828a1631a0bbcb6ab2f46514ec4f439fcfd0fa969b", "",
     "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"},
    {"0303030303030303030303030303030303030303030303030303030303030303",
     "e9c621d4cdd9b11b00a6427ad7e559aeedd66b3857646677748f8ca796cb3fd8",
     "c2sp.org/XAES-256-GCM",
     "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"},
};

constexpr std::string_view kNonce = "ABCDEFGHIJKLMNOPQRSTUVWX";
constexpr std::string_view kPlaintext = "XAES-256-GCM";

TEST(Xaes256GcmTest, SpecExamples) {
  for (const Example& ex : kExamples) {
    SCOPED_TRACE(ex.key);
    const Bytes key = Hex(ex.key);
    auto kx = Xaes256GcmDeriveKey(key, AsBytes(kNonce));
    ASSERT_TRUE(kx.ok()) << kx.status().ToString();
    EXPECT_EQ(HexEncode(kx->span()), ex.derived_key);

    auto ct = Xaes256GcmSeal(key, AsBytes(kNonce), AsBytes(ex.aad),
                             AsBytes(kPlaintext));
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    EXPECT_EQ(HexEncode(*ct), ex.ciphertext);

    auto pt = Xaes256GcmOpen(key, AsBytes(kNonce), AsBytes(ex.aad),
                             Hex(ex.ciphertext));
    ASSERT_TRUE(pt.ok()) << pt.status().ToString();
    EXPECT_EQ(AsStringView(pt->span()), kPlaintext);
  }
}

TEST(Xaes256GcmTest, TamperingIsRejected) {
  const Example& ex = kExamples[1];
  const Bytes key = Hex(ex.key);
  const Bytes ct = Hex(ex.ciphertext);
  for (size_t i = 0; i < ct.size(); ++i) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    auto r = Xaes256GcmOpen(key, AsBytes(kNonce), AsBytes(ex.aad), bad);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  }
  // Wrong AAD, and each half of the nonce (the KDF half and the GCM half).
  EXPECT_EQ(Xaes256GcmOpen(key, AsBytes(kNonce), {}, ct).status().code(),
            StatusCode::kUnauthenticated);
  for (size_t pos : {0u, 11u, 12u, 23u}) {
    std::string nonce(kNonce);
    nonce[pos] ^= 0x01;
    EXPECT_EQ(Xaes256GcmOpen(key, AsBytes(nonce), AsBytes(ex.aad), ct)
                  .status()
                  .code(),
              StatusCode::kUnauthenticated)
        << "nonce byte " << pos;
  }
  Bytes other_key = key;
  other_key[31] ^= 0x80;
  EXPECT_EQ(Xaes256GcmOpen(other_key, AsBytes(kNonce), AsBytes(ex.aad), ct)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  // Shorter than a tag.
  EXPECT_EQ(Xaes256GcmOpen(key, AsBytes(kNonce), {}, Bytes(15)).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(Xaes256GcmTest, WrongSizesAreRejected) {
  const Bytes key(32, 1);
  EXPECT_EQ(Xaes256GcmSeal(Bytes(31), AsBytes(kNonce), {}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Xaes256GcmSeal(key, Bytes(23), {}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Xaes256GcmSeal(key, Bytes(12), {}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Xaes256GcmOpen(key, Bytes(25), {}, Bytes(16)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Xaes256GcmDeriveKey(Bytes(33), AsBytes(kNonce)).status().code(),
            StatusCode::kInvalidArgument);
}

// A SHAKE-128 instance read incrementally (the spec's deterministic RNG).
class Shake128Reader {
 public:
  // `prefix` bounds what Read() can serve: the spec's n iterations read at
  // most n · (32 + 24 + 2·(1 + 255)) bytes.
  explicit Shake128Reader(size_t prefix = 0)
      : ctx_(EVP_MD_CTX_new()), prefix_(prefix) {
    EXPECT_EQ(EVP_DigestInit_ex(ctx_.get(), EVP_shake128(), nullptr), 1);
  }
  void Absorb(ByteSpan b) {
    EXPECT_EQ(EVP_DigestUpdate(ctx_.get(), b.data(), b.size()), 1);
  }
  // OpenSSL 3.0 has no incremental squeeze (EVP_DigestSqueeze is 3.3+):
  // squeeze a long prefix once and serve reads from it.
  Bytes Read(size_t n) {
    if (stream_.empty()) {
      stream_.resize(prefix_);
      EXPECT_EQ(EVP_DigestFinalXOF(ctx_.get(), stream_.data(), stream_.size()),
                1);
    }
    EXPECT_LE(pos_ + n, stream_.size()) << "RNG prefix too short";
    Bytes out(stream_.begin() + pos_, stream_.begin() + pos_ + n);
    pos_ += n;
    return out;
  }
  Bytes Finish(size_t n) {
    Bytes out(n);
    EXPECT_EQ(EVP_DigestFinalXOF(ctx_.get(), out.data(), n), 1);
    return out;
  }

 private:
  EvpMdCtxPtr ctx_;
  size_t prefix_;
  Bytes stream_;
  size_t pos_ = 0;
};

// The spec's accumulated randomized test over `iterations`.
std::string AccumulatedHash(int iterations) {
  Shake128Reader rng(static_cast<size_t>(iterations) * (32 + 24 + 2 * 256));
  Shake128Reader hash;
  for (int i = 0; i < iterations; ++i) {
    const Bytes key = rng.Read(32);
    const Bytes nonce = rng.Read(24);
    const Bytes plaintext = rng.Read(rng.Read(1)[0]);
    const Bytes aad = rng.Read(rng.Read(1)[0]);
    auto ct = Xaes256GcmSeal(key, nonce, aad, plaintext);
    if (!ct.ok()) {
      ADD_FAILURE() << "iteration " << i << ": " << ct.status().ToString();
      return "";
    }
    hash.Absorb(*ct);
    auto pt = Xaes256GcmOpen(key, nonce, aad, *ct);
    if (!pt.ok() || ToBytes(pt->span()) != plaintext) {
      ADD_FAILURE() << "iteration " << i << " does not round-trip";
      return "";
    }
  }
  return HexEncode(hash.Finish(32));
}

TEST(Xaes256GcmTest, Accumulated10000) {
  // The spec gives the first RNG bytes as a self-check of the reader.
  Shake128Reader probe(16);
  EXPECT_EQ(HexEncode(probe.Read(16)), "7f9c2ba4e88f827d616045507605853e");
  EXPECT_EQ(AccumulatedHash(10000),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939");
}

// About 570 MB of RNG stream and a million seal/open pairs: a few seconds.
TEST(Xaes256GcmTest, Accumulated1000000) {
  EXPECT_EQ(AccumulatedHash(1000000),
            "2163ae1445985a30b60585ee67daa55674df06901b890593e824b8a7c885ab15");
}

}  // namespace
}  // namespace conclave
