#include "sealed/sealed_file.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <vector>

#include "age/age.h"
#include "age/errors.h"
#include "age/scrypt.h"
#include "base/file_util.h"

namespace conclave {

namespace {

namespace fs = std::filesystem;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Sealed files are small (keys and shares); anything larger is not one.
constexpr size_t kMaxSealedFileSize = 1 << 20;

void CleanseString(std::string* s) { CleanseMemory(s->data(), s->size()); }

}  // namespace

void WipeStringFields(Message* message) {
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    const int count =
        field->is_repeated() ? reflection->FieldSize(*message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        // The references point at the message's own strings (our protos use
        // the default std::string representation, never Cord); writing
        // zeros through them changes no length or structure.
        std::string scratch;
        const std::string& ref =
            field->is_repeated()
                ? reflection->GetRepeatedStringReference(*message, field, i,
                                                         &scratch)
                : reflection->GetStringReference(*message, field, &scratch);
        if (&ref != &scratch) CleanseString(const_cast<std::string*>(&ref));
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        WipeStringFields(
            field->is_repeated()
                ? reflection->MutableRepeatedMessage(message, field, i)
                : reflection->MutableMessage(message, field));
      }
    }
  }
}

void CleanseMessage(Message* message) {
  WipeStringFields(message);
  message->Clear();
}

Status WriteSealedFile(const fs::path& path, const v1::SealedSecret& secret,
                       const SecretBytes& passphrase, int work_factor) {
  if (secret.secret_case() == v1::SealedSecret::SECRET_NOT_SET) {
    return InvalidArgumentError("nothing to seal: the secret is empty");
  }
  SecretBytes plaintext(secret.ByteSizeLong());
  if (!secret.SerializeToArray(plaintext.data(),
                               static_cast<int>(plaintext.size()))) {
    return InternalError("cannot serialize the sealed secret");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      age::ScryptRecipient recipient,
      age::ScryptRecipient::Create(passphrase.Clone(), work_factor));
  const age::Recipient* recipients[] = {&recipient};
  CONCLAVE_ASSIGN_OR_RETURN(Bytes sealed,
                            age::EncryptToMemory(recipients, plaintext.span()));
  return CreateFileAtomically(path, sealed, 0600);
}

StatusOr<OpenedSecret> ReadSealedFile(const fs::path& path,
                                      const SecretBytes& passphrase) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes file,
                            ReadFileBytes(path, kMaxSealedFileSize));
  age::ScryptIdentity identity(passphrase.Clone());
  const age::Identity* identities[] = {&identity};
  StatusOr<SecretBytes> plaintext = age::DecryptToMemory(file, identities);
  if (!plaintext.ok()) {
    switch (age::GetErrorKind(plaintext.status())) {
      case age::ErrorKind::kNoMatch:
        return UnauthenticatedError("the passphrase does not open " +
                                    path.string());
      case age::ErrorKind::kHeader:
      case age::ErrorKind::kArmor:
        return InvalidArgumentError(path.string() +
                                    " is not a sealed Conclave file (" +
                                    plaintext.status().message() + ")");
      default:
        return InvalidArgumentError(path.string() +
                                    " is damaged or truncated (" +
                                    plaintext.status().message() + ")");
    }
  }
  auto message = std::make_unique<v1::SealedSecret>();
  if (!message->ParseFromArray(plaintext->data(),
                               static_cast<int>(plaintext->size())) ||
      message->secret_case() == v1::SealedSecret::SECRET_NOT_SET) {
    CleanseMessage(message.get());
    return InvalidArgumentError(path.string() +
                                " opens but holds no Conclave secret");
  }
  return OpenedSecret(std::move(message));
}

}  // namespace conclave
