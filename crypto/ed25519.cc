#include "crypto/ed25519.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace conclave {

Ed25519PrivateKey Ed25519PrivateKey::Generate() {
  auto key = FromSeed(RandomBytes(kEd25519SeedSize).span());
  if (!key.ok()) std::abort();
  return std::move(key).value();
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(ByteSpan seed) {
  if (seed.size() != kEd25519SeedSize) {
    return InvalidArgumentError("Ed25519 private key must be 32 bytes");
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               seed.data(), seed.size()));
  if (!pkey) return OpenSslError("Ed25519 key import");
  Ed25519PublicKey pub;
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 ||
      len != pub.size()) {
    return OpenSslError("Ed25519 public key derivation");
  }
  return Ed25519PrivateKey(SecretBytes::CopyFrom(seed), std::move(pkey), pub);
}

Ed25519Signature Ed25519PrivateKey::Sign(ByteSpan message) const {
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               seed_.data(), seed_.size()));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Ed25519Signature sig;
  size_t len = sig.size();
  if (!pkey || !ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) !=
          1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(),
                     message.size()) != 1 ||
      len != sig.size()) {
    // Signing with a valid key cannot fail short of memory exhaustion.
    std::abort();
  }
  return sig;
}

Status Ed25519Verify(ByteSpan public_key, ByteSpan message,
                     ByteSpan signature) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return UnauthenticatedError("Ed25519 public key must be 32 bytes");
  }
  if (signature.size() != kEd25519SignatureSize) {
    return UnauthenticatedError("Ed25519 signature must be 64 bytes");
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!pkey) {
    ClearOpenSslErrors();
    return UnauthenticatedError("Ed25519 public key is malformed");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                                   pkey.get()) != 1) {
    return OpenSslError("Ed25519 verify init");
  }
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            message.data(), message.size());
  ClearOpenSslErrors();
  if (ok != 1) return UnauthenticatedError("Ed25519 signature does not verify");
  return OkStatus();
}

}  // namespace conclave
