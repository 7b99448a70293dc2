// RAII for OpenSSL objects and conversion of OpenSSL's error queue to Status.
#ifndef CONCLAVE_CRYPTO_OPENSSL_UTIL_H_
#define CONCLAVE_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string_view>

#include "base/status.h"

namespace conclave {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

// BN_clear_free and EC_POINT_clear_free wipe: these may hold secrets.
using BnPtr = OpenSslPtr<BIGNUM, BN_clear_free>;
using BnCtxPtr = OpenSslPtr<BN_CTX, BN_CTX_free>;
using BnMontCtxPtr = OpenSslPtr<BN_MONT_CTX, BN_MONT_CTX_free>;
using EcPointPtr = OpenSslPtr<EC_POINT, EC_POINT_clear_free>;
using EcGroupPtr = OpenSslPtr<EC_GROUP, EC_GROUP_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpCipherPtr = OpenSslPtr<EVP_CIPHER, EVP_CIPHER_free>;
using EvpKdfPtr = OpenSslPtr<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtxPtr = OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using EvpMacPtr = OpenSslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OpenSslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;

// An INTERNAL status naming the failed operation, with OpenSSL's first queued
// reason appended; clears the queue so errors do not leak into later calls.
// OpenSSL's reason strings never contain key material.
Status OpenSslError(std::string_view operation);

// Drops anything left in OpenSSL's error queue (after an expected failure,
// e.g. a tag mismatch).
void ClearOpenSslErrors();

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_OPENSSL_UTIL_H_
