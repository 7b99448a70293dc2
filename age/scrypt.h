// The scrypt recipient type (C2SP age "The scrypt recipient type"):
// wrap key = scrypt(N = 2^work factor, r = 8, p = 1, dkLen = 32,
//   S = "age-encryption.org/v1/scrypt" || salt, P = passphrase).
#ifndef CONCLAVE_AGE_SCRYPT_H_
#define CONCLAVE_AGE_SCRYPT_H_

#include "age/recipient.h"

namespace conclave::age {

inline constexpr int kScryptDefaultWorkFactor = 18;
// Readers accept 10..22 (brief §2); writers use the same range.
inline constexpr int kScryptMinWorkFactor = 10;
inline constexpr int kScryptMaxWorkFactor = 22;
inline constexpr size_t kScryptSaltSize = 16;

class ScryptRecipient : public Recipient {
 public:
  // Usage error if the work factor is outside 10..22 or the passphrase empty.
  static StatusOr<ScryptRecipient> Create(
      SecretBytes passphrase, int work_factor = kScryptDefaultWorkFactor);
  StatusOr<std::vector<Stanza>> Wrap(
      const SecretBytes& file_key) const override;
  bool MustBeAlone() const override { return true; }
  int work_factor() const { return work_factor_; }

 private:
  ScryptRecipient(SecretBytes p, int wf)
      : passphrase_(std::move(p)), work_factor_(wf) {}
  SecretBytes passphrase_;
  int work_factor_;
};

class ScryptIdentity : public Identity {
 public:
  explicit ScryptIdentity(SecretBytes passphrase)
      : passphrase_(std::move(passphrase)) {}
  StatusOr<std::optional<SecretBytes>> Unwrap(
      const Stanza& stanza) const override;

 private:
  SecretBytes passphrase_;
};

// RFC 7914 scrypt with r = 8, p = 1, 32-byte output (exposed for tests).
StatusOr<SecretBytes> ScryptWrapKey(const SecretBytes& passphrase,
                                    ByteSpan salt, int work_factor);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_SCRYPT_H_
