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
  Shake128Reader() : ctx_(EVP_MD_CTX_new()) {
    EXPECT_EQ(EVP_DigestInit_ex(ctx_.get(), EVP_shake128(), nullptr), 1);
  }
  void Absorb(ByteSpan b) {
    EXPECT_EQ(EVP_DigestUpdate(ctx_.get(), b.data(), b.size()), 1);
  }
  // OpenSSL 3.0 has no incremental squeeze (EVP_DigestSqueeze is 3.3+):
  // squeeze a long prefix once and serve reads from it.
  Bytes Read(size_t n) {
    if (stream_.empty()) {
      stream_.resize(kStreamSize);
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
  // 10 000 iterations read at most 32 + 24 + 2·(1 + 255) bytes each.
  static constexpr size_t kStreamSize = 10000 * (32 + 24 + 2 * 256);
  EvpMdCtxPtr ctx_;
  Bytes stream_;
  size_t pos_ = 0;
};

TEST(Xaes256GcmTest, Accumulated10000) {
  Shake128Reader rng;
  Shake128Reader hash;
  // The spec gives the first RNG bytes as a self-check of the reader.
  {
    Shake128Reader probe;
    EXPECT_EQ(HexEncode(probe.Read(16)), "7f9c2ba4e88f827d616045507605853e");
  }
  for (int i = 0; i < 10000; ++i) {
    const Bytes key = rng.Read(32);
    const Bytes nonce = rng.Read(24);
    const Bytes plaintext = rng.Read(rng.Read(1)[0]);
    const Bytes aad = rng.Read(rng.Read(1)[0]);
    auto ct = Xaes256GcmSeal(key, nonce, aad, plaintext);
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    hash.Absorb(*ct);
    auto pt = Xaes256GcmOpen(key, nonce, aad, *ct);
    ASSERT_TRUE(pt.ok()) << "iteration " << i;
    ASSERT_EQ(ToBytes(pt->span()), plaintext) << "iteration " << i;
  }
  EXPECT_EQ(HexEncode(hash.Finish(32)),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939");
}

}  // namespace
}  // namespace conclave
