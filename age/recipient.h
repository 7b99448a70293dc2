// Extension points for recipient types: a Recipient wraps the file key into
// stanzas, an Identity recognises and unwraps them. New types (p256tag, ...)
// implement these two interfaces.
#ifndef CONCLAVE_AGE_RECIPIENT_H_
#define CONCLAVE_AGE_RECIPIENT_H_

#include <optional>
#include <vector>

#include "age/header.h"
#include "base/secret_bytes.h"

namespace conclave::age {

class Recipient {
 public:
  virtual ~Recipient() = default;
  // One or more stanzas wrapping the 16-byte file key.
  virtual StatusOr<std::vector<Stanza>> Wrap(
      const SecretBytes& file_key) const = 0;
  // True if the spec requires this recipient's stanza to be the only one in
  // the header (scrypt).
  virtual bool MustBeAlone() const { return false; }
};

class Identity {
 public:
  virtual ~Identity() = default;
  // - nullopt: the stanza is not for this identity (other type, or the AEAD
  //   tag does not verify: stanzas are not addressed by name);
  // - a header-failure error: the stanza is of this identity's type but
  //   malformed (argument count or encoding, body not 32 bytes, all-zero
  //   shared secret, out-of-range work factor ...);
  // - the 16-byte file key.
  virtual StatusOr<std::optional<SecretBytes>> Unwrap(
      const Stanza& stanza) const = 0;
};

// Helpers for implementations: the file key wrapped with ChaCha20-Poly1305
// under a 32-byte wrap key and the all-zero nonce, as every native type does.
StatusOr<Bytes> WrapFileKey(const SecretBytes& wrap_key,
                            const SecretBytes& file_key);
// nullopt if the tag does not verify; header failure unless the body is
// 32 bytes (checked before decrypting, to avoid partitioning oracles).
StatusOr<std::optional<SecretBytes>> UnwrapFileKey(const SecretBytes& wrap_key,
                                                   ByteSpan body);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_RECIPIENT_H_
