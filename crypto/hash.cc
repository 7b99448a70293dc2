#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace conclave {

namespace {
// Failures of these calls on valid arguments are programming errors or
// memory exhaustion; there is no sensible recovery.
void Check(int ok) {
  if (ok != 1) std::abort();
}
}  // namespace

Sha256Digest Sha256(ByteSpan data) {
  Sha256Digest out;
  unsigned int len = 0;
  Check(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(),
                   nullptr));
  return out;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) std::abort();
  Check(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr));
}

void Sha256Hasher::Update(ByteSpan data) {
  Check(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()));
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out;
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(ctx_.get(), out.data(), &len));
  Check(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr));
  return out;
}

Sha256Digest HmacSha256(ByteSpan key, ByteSpan data) {
  Sha256Digest out;
  unsigned int len = 0;
  // HMAC() with a null key pointer and zero length is fine in OpenSSL 3, but
  // give it a valid pointer regardless.
  static const uint8_t kEmpty = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  const uint8_t* data_ptr = data.empty() ? &kEmpty : data.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr,
           data.size(), out.data(), &len) == nullptr) {
    std::abort();
  }
  return out;
}

SecretBytes HkdfSha256Extract(ByteSpan salt, ByteSpan ikm) {
  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM), salt defaulting to HashLen
  // zeros. HMAC pads short keys with zeros, so an empty salt is equivalent.
  Sha256Digest prk = HmacSha256(salt, ikm);
  SecretBytes out = SecretBytes::CopyFrom(prk);
  CleanseMemory(prk.data(), prk.size());
  return out;
}

StatusOr<SecretBytes> HkdfSha256Expand(ByteSpan prk, ByteSpan info,
                                       size_t length) {
  if (length > 255 * kSha256Size) {
    return InvalidArgumentError("HKDF-Expand output longer than 255*HashLen");
  }
  if (prk.size() < kSha256Size) {
    return InvalidArgumentError("HKDF-Expand PRK shorter than HashLen");
  }
  // RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) | info | i).
  SecretBytes out;
  SecretBytes block;
  for (uint8_t counter = 1; out.size() < length; ++counter) {
    SecretBytes input = block.Clone();
    input.Append(info);
    input.Append(ByteSpan(&counter, 1));
    Sha256Digest t = HmacSha256(prk, input.span());
    block = SecretBytes::CopyFrom(t);
    CleanseMemory(t.data(), t.size());
    out.Append(block.span());
  }
  out.Resize(length);
  return out;
}

StatusOr<SecretBytes> HkdfSha256(ByteSpan salt, ByteSpan ikm, ByteSpan info,
                                 size_t length) {
  SecretBytes prk = HkdfSha256Extract(salt, ikm);
  return HkdfSha256Expand(prk.span(), info, length);
}

}  // namespace conclave
