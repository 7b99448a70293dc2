// Sealed files (brief §2): a conclave.v1.SealedSecret protobuf as the
// plaintext of an age v1 file with one scrypt stanza. The plaintext never
// passes through std::string or a temporary file: it is serialized into and
// parsed from SecretBytes, and the parsed message's string fields are wiped
// when it goes away.
#ifndef CONCLAVE_SEALED_SEALED_FILE_H_
#define CONCLAVE_SEALED_SEALED_FILE_H_

#include <filesystem>
#include <memory>

#include "base/secret_bytes.h"
#include "conclave/v1/sealed.pb.h"

namespace google::protobuf {
class Message;
}

namespace conclave {

// Overwrites the contents of every string and bytes field (recursively)
// with zeros, keeping their lengths.
void WipeStringFields(google::protobuf::Message* message);
// WipeStringFields, then Clear(): what a secret message gets before it is
// freed (protobuf frees string buffers without wiping them).
void CleanseMessage(google::protobuf::Message* message);

// A sealed secret, opened. Move-only; wipes itself.
class OpenedSecret {
 public:
  explicit OpenedSecret(std::unique_ptr<v1::SealedSecret> message)
      : message_(std::move(message)) {}
  OpenedSecret(OpenedSecret&&) noexcept = default;
  OpenedSecret& operator=(OpenedSecret&&) noexcept = default;
  ~OpenedSecret() {
    if (message_) CleanseMessage(message_.get());
  }

  const v1::SealedSecret& message() const { return *message_; }

 private:
  std::unique_ptr<v1::SealedSecret> message_;
};

// Seals `secret` under `passphrase` (scrypt work factor 10..22, default 18)
// into a new file: ALREADY_EXISTS rather than overwriting, mode 0600, on
// disk before returning.
Status WriteSealedFile(const std::filesystem::path& path,
                       const v1::SealedSecret& secret,
                       const SecretBytes& passphrase, int work_factor = 18);

// Opens a sealed file. UNAUTHENTICATED for a wrong passphrase;
// INVALID_ARGUMENT (naming the file) when it is not a sealed file, is
// truncated or tampered with, or holds no secret.
StatusOr<OpenedSecret> ReadSealedFile(const std::filesystem::path& path,
                                      const SecretBytes& passphrase);

}  // namespace conclave

#endif  // CONCLAVE_SEALED_SEALED_FILE_H_
