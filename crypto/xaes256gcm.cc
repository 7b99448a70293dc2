#include "crypto/xaes256gcm.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "crypto/aead.h"
#include "crypto/openssl_util.h"

namespace conclave {

namespace {

constexpr size_t kBlockSize = 16;
constexpr size_t kHalfNonce = 12;

Status CheckSizes(ByteSpan key, ByteSpan nonce) {
  if (key.size() != kXaes256GcmKeySize) {
    return InvalidArgumentError("XAES-256-GCM key must be 32 bytes");
  }
  if (nonce.size() != kXaes256GcmNonceSize) {
    return InvalidArgumentError("XAES-256-GCM nonce must be 24 bytes");
  }
  return OkStatus();
}

// Encrypts `n_blocks` 16-byte blocks with AES-256 in ECB mode (the raw block
// cipher, no padding). In and out may be the same buffer.
Status AesEncryptBlocks(ByteSpan key, const uint8_t* in, uint8_t* out,
                        size_t n_blocks) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const int total = static_cast<int>(n_blocks * kBlockSize);
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key.data(),
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, in, total) != 1 || len != total) {
    return OpenSslError("AES-256 block encryption");
  }
  return OkStatus();
}

}  // namespace

StatusOr<SecretBytes> Xaes256GcmDeriveKey(ByteSpan key, ByteSpan nonce) {
  CONCLAVE_RETURN_IF_ERROR(CheckSizes(key, nonce));
  // Steps 1–2: L = AES-256_K(0¹²⁸); K1 = L << 1, ⊕ 0x87 if MSB₁(L) = 1
  // (the CMAC subkey, NIST SP 800-38B §6.1). L depends on the key, so the
  // conditional XOR is done with a mask, not a branch.
  SecretBytes l(kBlockSize);
  CONCLAVE_RETURN_IF_ERROR(AesEncryptBlocks(key, l.data(), l.data(), 1));
  SecretBytes k1(kBlockSize);
  for (size_t b = 0; b < kBlockSize; ++b) {
    const uint8_t carry = b + 1 < kBlockSize ? (l[b + 1] >> 7) : 0;
    k1[b] = static_cast<uint8_t>((l[b] << 1) | carry);
  }
  const uint8_t mask = static_cast<uint8_t>(0 - (l[0] >> 7));
  k1[kBlockSize - 1] ^= static_cast<uint8_t>(0x87 & mask);

  // Steps 3–5: Mi = [i]₁₆ ‖ "X" ‖ 0x00 ‖ N[:12] for i = 1, 2 (NIST SP
  // 800-108r1 §4.1 with a 16-bit counter, no L field); Kₓ = the two CMAC
  // outputs, each a single AES call because Mi is one complete block.
  SecretBytes blocks(2 * kBlockSize);
  for (size_t i = 0; i < 2; ++i) {
    uint8_t* m = blocks.data() + i * kBlockSize;
    m[0] = 0x00;
    m[1] = static_cast<uint8_t>(i + 1);
    m[2] = 0x58;  // 'X'
    m[3] = 0x00;
    for (size_t b = 0; b < kHalfNonce; ++b) m[4 + b] = nonce[b];
    for (size_t b = 0; b < kBlockSize; ++b) m[b] ^= k1[b];
  }
  CONCLAVE_RETURN_IF_ERROR(
      AesEncryptBlocks(key, blocks.data(), blocks.data(), 2));
  return blocks;
}

StatusOr<Bytes> Xaes256GcmSeal(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                               ByteSpan plaintext) {
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes kx, Xaes256GcmDeriveKey(key, nonce));
  return AeadSeal(AeadAlgorithm::kAes256Gcm, kx.span(),
                  nonce.subspan(kHalfNonce), aad, plaintext);
}

StatusOr<SecretBytes> Xaes256GcmOpen(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                     ByteSpan ciphertext) {
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes kx, Xaes256GcmDeriveKey(key, nonce));
  return AeadOpen(AeadAlgorithm::kAes256Gcm, kx.span(),
                  nonce.subspan(kHalfNonce), aad, ciphertext);
}

}  // namespace conclave
