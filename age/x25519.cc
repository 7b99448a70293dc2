#include "age/x25519.h"

#include <openssl/evp.h>

#include "age/base64.h"
#include "age/bech32.h"
#include "age/errors.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace conclave::age {

namespace {

constexpr std::string_view kInfo = "age-encryption.org/v1/X25519";
constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "age-secret-key-";

Status HeaderError(std::string m) {
  return AgeError(ErrorKind::kHeader, std::move(m));
}

bool AllZero(ByteSpan b) {
  uint8_t acc = 0;
  for (uint8_t v : b) acc |= v;
  return acc == 0;
}

}  // namespace

StatusOr<SecretBytes> X25519(const SecretBytes& scalar, ByteSpan u) {
  if (scalar.size() != kX25519Size || u.size() != kX25519Size) {
    return AgeError(ErrorKind::kUsage, "X25519 inputs must be 32 bytes");
  }
  EvpPkeyPtr priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                               scalar.data(), scalar.size()));
  EvpPkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr,
                                              u.data(), u.size()));
  if (!priv || !peer) return OpenSslError("X25519 key import");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return OpenSslError("X25519 derive setup");
  }
  SecretBytes out(kX25519Size);
  size_t len = out.size();
  // OpenSSL itself fails the derivation when the result is all zero (RFC
  // 7748 §6.1); both cases are the spec's "MUST abort".
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != kX25519Size ||
      AllZero(out.span())) {
    ClearOpenSslErrors();
    return HeaderError("X25519 shared secret is all zero (low-order share)");
  }
  return out;
}

StatusOr<Bytes> X25519PublicKey(const SecretBytes& scalar) {
  if (scalar.size() != kX25519Size) {
    return AgeError(ErrorKind::kUsage, "X25519 secret key must be 32 bytes");
  }
  EvpPkeyPtr priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                               scalar.data(), scalar.size()));
  Bytes pk(kX25519Size);
  size_t len = pk.size();
  if (!priv || EVP_PKEY_get_raw_public_key(priv.get(), pk.data(), &len) != 1 ||
      len != kX25519Size) {
    return OpenSslError("X25519 public key");
  }
  return pk;
}

StatusOr<X25519Recipient> X25519Recipient::FromPublicKey(ByteSpan pk) {
  if (pk.size() != kX25519Size) {
    return AgeError(ErrorKind::kUsage, "X25519 public key must be 32 bytes");
  }
  return X25519Recipient(pk);
}

StatusOr<X25519Recipient> X25519Recipient::Parse(std::string_view s) {
  auto d = Bech32Decode(s);
  if (!d.ok() || d->hrp != kRecipientHrp || d->uppercase) {
    return AgeError(ErrorKind::kUsage, "malformed age1 X25519 recipient");
  }
  return FromPublicKey(d->data.span());
}

std::string X25519Recipient::ToString() const {
  return Bech32Encode(kRecipientHrp, pk_);
}

StatusOr<std::vector<Stanza>> X25519Recipient::Wrap(
    const SecretBytes& file_key) const {
  SecretBytes eph = RandomBytes(kX25519Size);
  CONCLAVE_ASSIGN_OR_RETURN(Bytes share, X25519PublicKey(eph));
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes shared, X25519(eph, pk_));
  Bytes salt = Concat({share, pk_});
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes wrap_key,
      HkdfSha256(salt, shared.span(), AsBytes(kInfo), 32));
  CONCLAVE_ASSIGN_OR_RETURN(Bytes body, WrapFileKey(wrap_key, file_key));
  Stanza s;
  s.type = "X25519";
  s.args = {Base64Encode(share)};
  s.body = std::move(body);
  return std::vector<Stanza>{std::move(s)};
}

StatusOr<X25519Identity> X25519Identity::FromSecretKey(SecretBytes secret) {
  if (secret.size() != kX25519Size) {
    return AgeError(ErrorKind::kUsage, "X25519 secret key must be 32 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Bytes pk, X25519PublicKey(secret));
  CONCLAVE_ASSIGN_OR_RETURN(X25519Recipient r,
                            X25519Recipient::FromPublicKey(pk));
  return X25519Identity(std::move(secret), std::move(r));
}

StatusOr<X25519Identity> X25519Identity::Parse(std::string_view s) {
  auto d = Bech32Decode(s);
  if (!d.ok() || d->hrp != kIdentityHrp) {
    return AgeError(ErrorKind::kUsage,
                    "malformed AGE-SECRET-KEY-1 X25519 identity");
  }
  return FromSecretKey(std::move(d->data));
}

StatusOr<X25519Identity> X25519Identity::Generate() {
  return FromSecretKey(RandomBytes(kX25519Size));
}

std::string X25519Identity::Encode() const {
  return Bech32Encode(kIdentityHrp, sk_.span(), /*uppercase=*/true);
}

StatusOr<std::optional<SecretBytes>> X25519Identity::Unwrap(
    const Stanza& stanza) const {
  if (stanza.type != "X25519") return std::optional<SecretBytes>();
  if (stanza.args.size() != 1) {
    return HeaderError("X25519 stanza must have exactly 2 arguments");
  }
  auto share = Base64Decode(stanza.args[0]);
  if (!share.ok() || share->size() != kX25519Size) {
    return HeaderError("X25519 share is not canonical base64 of 32 bytes");
  }
  if (stanza.body.size() != kFileKeySize + 16) {
    return HeaderError("X25519 stanza body is not 32 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes shared, X25519(sk_, *share));
  Bytes salt = Concat({*share, recipient_.public_key()});
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes wrap_key,
      HkdfSha256(salt, shared.span(), AsBytes(kInfo), 32));
  return UnwrapFileKey(wrap_key, stanza.body);
}

}  // namespace conclave::age
