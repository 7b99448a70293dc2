#include "crypto/aead.h"

#include <openssl/evp.h>

#include <limits>

#include "crypto/openssl_util.h"

namespace conclave {

namespace {

const EVP_CIPHER* Cipher(AeadAlgorithm alg) {
  switch (alg) {
    case AeadAlgorithm::kChaCha20Poly1305:
      return EVP_chacha20_poly1305();
    case AeadAlgorithm::kAes128Gcm:
      return EVP_aes_128_gcm();
    case AeadAlgorithm::kAes256Gcm:
      return EVP_aes_256_gcm();
  }
  return nullptr;
}

Status CheckSizes(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce) {
  if (key.size() != AeadKeySize(alg)) {
    return InvalidArgumentError("AEAD key has wrong length");
  }
  if (nonce.size() != kAeadNonceSize) {
    return InvalidArgumentError("AEAD nonce must be 12 bytes");
  }
  return OkStatus();
}

bool FitsInt(size_t n) {
  return n <= static_cast<size_t>(std::numeric_limits<int>::max());
}

}  // namespace

size_t AeadKeySize(AeadAlgorithm alg) {
  return alg == AeadAlgorithm::kAes128Gcm ? 16 : 32;
}

Status AeadSealTo(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce, ByteSpan aad,
                  ByteSpan plaintext, std::span<uint8_t> out) {
  CONCLAVE_RETURN_IF_ERROR(CheckSizes(alg, key, nonce));
  if (out.size() != plaintext.size() + kAeadTagSize) {
    return InvalidArgumentError("AEAD output buffer has wrong length");
  }
  if (!FitsInt(plaintext.size()) || !FitsInt(aad.size())) {
    return InvalidArgumentError("AEAD input too long");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), Cipher(alg), nullptr, key.data(),
                         nonce.data()) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      (!plaintext.empty() &&
       EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                         static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &len) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kAeadTagSize,
                          out.data() + plaintext.size()) != 1) {
    return OpenSslError("AEAD seal");
  }
  return OkStatus();
}

Status AeadOpenTo(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce, ByteSpan aad,
                  ByteSpan ciphertext, std::span<uint8_t> out) {
  CONCLAVE_RETURN_IF_ERROR(CheckSizes(alg, key, nonce));
  if (ciphertext.size() < kAeadTagSize) {
    return UnauthenticatedError("AEAD ciphertext shorter than its tag");
  }
  const size_t body = ciphertext.size() - kAeadTagSize;
  if (out.size() != body) {
    return InvalidArgumentError("AEAD output buffer has wrong length");
  }
  if (!FitsInt(body) || !FitsInt(aad.size())) {
    return InvalidArgumentError("AEAD input too long");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  // The tag is copied out: OpenSSL's ctrl takes a non-const pointer.
  uint8_t tag[kAeadTagSize];
  std::copy(ciphertext.begin() + body, ciphertext.end(), tag);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), Cipher(alg), nullptr, key.data(),
                         nonce.data()) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      (body > 0 &&
       EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                         static_cast<int>(body)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kAeadTagSize,
                          tag) != 1) {
    return OpenSslError("AEAD open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + body, &len) != 1) {
    ClearOpenSslErrors();
    // Unverified plaintext must not survive.
    CleanseMemory(out.data(), out.size());
    return UnauthenticatedError("AEAD authentication tag does not verify");
  }
  return OkStatus();
}

StatusOr<Bytes> AeadSeal(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce,
                         ByteSpan aad, ByteSpan plaintext) {
  Bytes out(plaintext.size() + kAeadTagSize);
  CONCLAVE_RETURN_IF_ERROR(AeadSealTo(alg, key, nonce, aad, plaintext, out));
  return out;
}

StatusOr<SecretBytes> AeadOpen(AeadAlgorithm alg, ByteSpan key, ByteSpan nonce,
                               ByteSpan aad, ByteSpan ciphertext) {
  if (ciphertext.size() < kAeadTagSize) {
    return UnauthenticatedError("AEAD ciphertext shorter than its tag");
  }
  SecretBytes out(ciphertext.size() - kAeadTagSize);
  CONCLAVE_RETURN_IF_ERROR(
      AeadOpenTo(alg, key, nonce, aad, ciphertext, out.mutable_span()));
  return out;
}

}  // namespace conclave
