#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/openssl_util.h"

namespace conclave {
namespace {

using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

Status Bad() {
  return UnauthenticatedError("ECDSA P-256 signature does not verify");
}

StatusOr<EvpPkeyPtr> PublicKey(const Point& q) {
  if (q.IsInfinity()) return Bad();
  const UncompressedPoint enc = q.EncodeUncompressed();
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                       "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                        enc.data(), enc.size())) {
    return InternalError("cannot build the ECDSA key parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) !=
          1) {
    return InternalError("cannot import the ECDSA public key");
  }
  return EvpPkeyPtr(raw);
}

}  // namespace

Status EcdsaP256Sha256Verify(const Point& public_key, ByteSpan message,
                             ByteSpan signature) {
  if (signature.size() != kEcdsaP256SignatureSize) return Bad();
  // r, s in [1, n − 1] (FIPS 186-4 §6.4.2 step 1): Scalar decoding refuses
  // values >= n; zero is refused here.
  auto r = Scalar::FromBytes(signature.subspan(0, 32));
  auto s = Scalar::FromBytes(signature.subspan(32, 32));
  if (!r.ok() || !s.ok() || r->IsZero() || s->IsZero()) return Bad();

  // OpenSSL's verifier takes DER; build it from the checked integers.
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* br = BN_bin2bn(signature.data(), 32, nullptr);
  BIGNUM* bs = BN_bin2bn(signature.data() + 32, 32, nullptr);
  if (!sig || br == nullptr || bs == nullptr ||
      ECDSA_SIG_set0(sig.get(), br, bs) != 1) {
    BN_free(br);
    BN_free(bs);
    return InternalError("cannot build the ECDSA signature");
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return InternalError("cannot encode the ECDSA signature");
  const Bytes der_bytes(der, der + der_len);
  OPENSSL_free(der);

  CONCLAVE_ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKey(public_key));
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr,
                                     nullptr, key.get(), nullptr) != 1) {
    return InternalError("cannot start ECDSA verification");
  }
  const int ok = EVP_DigestVerify(md.get(), der_bytes.data(), der_bytes.size(),
                                  message.data(), message.size());
  if (ok == 1) return OkStatus();
  ERR_clear_error();  // a refusal is an answer, not an error to keep
  return Bad();
}

Status EcdsaP256Sha256Verify(ByteSpan public_key, ByteSpan message,
                             ByteSpan signature) {
  auto q = Point::Decode(public_key);
  if (!q.ok()) {
    return UnauthenticatedError("ECDSA P-256 public key does not decode");
  }
  return EcdsaP256Sha256Verify(*q, message, signature);
}

}  // namespace conclave
