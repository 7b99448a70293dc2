// The X25519 recipient type (C2SP age "The X25519 recipient type"), through
// OpenSSL's EVP_PKEY_X25519 (RFC 7748).
#ifndef CONCLAVE_AGE_X25519_H_
#define CONCLAVE_AGE_X25519_H_

#include <array>
#include <string>
#include <string_view>

#include "age/recipient.h"

namespace conclave::age {

inline constexpr size_t kX25519Size = 32;

// X25519(scalar, u) (RFC 7748 §5). Header failure if the result is all zero
// (low-order u), as the spec requires.
StatusOr<SecretBytes> X25519(const SecretBytes& scalar, ByteSpan u);
// X25519(scalar, 9): the public key.
StatusOr<Bytes> X25519PublicKey(const SecretBytes& scalar);

class X25519Recipient : public Recipient {
 public:
  // "age1..." (Bech32, HRP "age"). Usage error if malformed.
  static StatusOr<X25519Recipient> Parse(std::string_view s);
  static StatusOr<X25519Recipient> FromPublicKey(ByteSpan public_key);
  std::string ToString() const;
  ByteSpan public_key() const { return pk_; }
  StatusOr<std::vector<Stanza>> Wrap(
      const SecretBytes& file_key) const override;

 private:
  explicit X25519Recipient(ByteSpan pk) {
    std::copy(pk.begin(), pk.end(), pk_.begin());
  }
  std::array<uint8_t, kX25519Size> pk_;
};

class X25519Identity : public Identity {
 public:
  // "AGE-SECRET-KEY-1..." (Bech32, HRP "age-secret-key-"). Usage error if
  // malformed; the message never contains the key.
  static StatusOr<X25519Identity> Parse(std::string_view s);
  static StatusOr<X25519Identity> Generate();
  static StatusOr<X25519Identity> FromSecretKey(SecretBytes secret);
  // The uppercase Bech32 encoding (secret!).
  std::string Encode() const;
  const X25519Recipient& recipient() const { return recipient_; }

  StatusOr<std::optional<SecretBytes>> Unwrap(
      const Stanza& stanza) const override;

 private:
  X25519Identity(SecretBytes sk, X25519Recipient r)
      : sk_(std::move(sk)), recipient_(std::move(r)) {}
  SecretBytes sk_;
  X25519Recipient recipient_;
};

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_X25519_H_
