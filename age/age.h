// age v1 files (C2SP age): encryption to recipients and decryption with
// identities, binary or ASCII-armored, streaming in constant memory.
//
// Errors carry an ErrorKind (age/errors.h): header failure, HMAC failure,
// armor failure, payload failure, no match, I/O.
#ifndef CONCLAVE_AGE_AGE_H_
#define CONCLAVE_AGE_AGE_H_

#include <span>

#include "age/armor.h"
#include "age/errors.h"
#include "age/header.h"
#include "age/io.h"
#include "age/recipient.h"
#include "age/stream.h"

namespace conclave::age {

struct EncryptOptions {
  bool armor = false;
};

// Fresh 16-byte file key from the CSPRNG.
SecretBytes GenerateFileKey();

// Encrypts all of `in` to the recipients. Usage error if there are none, or
// a recipient that must be alone (scrypt) is mixed with others.
Status Encrypt(std::span<const Recipient* const> recipients, Reader& in,
               Writer& out, const EncryptOptions& options = {});
StatusOr<Bytes> EncryptToMemory(std::span<const Recipient* const> recipients,
                                ByteSpan plaintext,
                                const EncryptOptions& options = {});

// Writes an age file from prepared stanzas and file key (for recipient
// types that need the file key elsewhere too, and for tests).
Status EncryptWithFileKey(std::vector<Stanza> stanzas,
                          const SecretBytes& file_key, Reader& in, Writer& out,
                          const EncryptOptions& options = {});

// An scrypt stanza must be the only stanza (C2SP age, scrypt): header
// failure otherwise.
Status CheckScryptAlone(const Header& header);

// Tries each identity on each stanza (identities in order, stanzas in
// order). Header failure on the first malformed stanza an identity
// recognises, no match if none unwraps. Does not check the MAC.
StatusOr<SecretBytes> UnwrapHeader(const Header& header,
                                   std::span<const Identity* const> identities);

enum class InputFormat {
  kAuto,     // armored if, after optional whitespace, the input starts "-----"
  kBinary,   // never armored
  kArmored,  // must be armored (garbage before the BEGIN line is an armor
             // failure, where kAuto would call it a header failure)
};

struct DecryptOptions {
  InputFormat format = InputFormat::kAuto;
};

struct DecryptInfo {
  bool armored = false;
  Header header;  // as parsed; header.Hash() is the brief's header hash
};

// Detects armor, parses the header, unwraps the file key, verifies the
// header MAC, then streams the payload to `out` chunk by chunk (each chunk
// only after its tag verified). OK means the final chunk verified and nothing
// followed. `info` (optional) is filled as far as parsing got.
Status Decrypt(Reader& in, Writer& out,
               std::span<const Identity* const> identities,
               const DecryptOptions& options = {}, DecryptInfo* info = nullptr);
// Same, with the file key given (test hook; also for callers that unwrap
// the key themselves). Header failure if it is not 16 bytes.
Status DecryptWithFileKey(Reader& in, Writer& out, const SecretBytes& file_key,
                          const DecryptOptions& options = {},
                          DecryptInfo* info = nullptr);

StatusOr<SecretBytes> DecryptToMemory(
    ByteSpan file, std::span<const Identity* const> identities);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_AGE_H_
