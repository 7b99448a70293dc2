#include "age/age.h"

#include <functional>

#include "crypto/random.h"

namespace conclave::age {

namespace {

using KeySource = std::function<StatusOr<SecretBytes>(const Header&)>;

// Header, key, MAC, payload, from a reader positioned at the binary file.
Status DecryptBinary(BufferedReader& in, Writer& out, const KeySource& key_for,
                     DecryptInfo* info) {
  CONCLAVE_ASSIGN_OR_RETURN(Header header, ReadHeader(in));
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes file_key, key_for(header));
  CONCLAVE_RETURN_IF_ERROR(VerifyHeaderMac(header, file_key));
  if (info) info->header = std::move(header);
  return DecryptPayload(file_key, in, out);
}

Status DecryptImpl(Reader& in, Writer& out, const KeySource& key_for,
                   const DecryptOptions& options, DecryptInfo* info) {
  BufferedReader buf(in);
  bool armored = options.format == InputFormat::kArmored;
  if (options.format == InputFormat::kAuto) {
    CONCLAVE_ASSIGN_OR_RETURN(armored, LooksArmored(buf));
  }
  if (info) info->armored = armored;
  if (!armored) return DecryptBinary(buf, out, key_for, info);
  ArmorReader armor(buf);
  BufferedReader decoded(armor);
  return DecryptBinary(decoded, out, key_for, info);
}

}  // namespace

SecretBytes GenerateFileKey() { return RandomBytes(kFileKeySize); }

Status EncryptWithFileKey(std::vector<Stanza> stanzas,
                          const SecretBytes& file_key, Reader& in, Writer& out,
                          const EncryptOptions& options) {
  CONCLAVE_ASSIGN_OR_RETURN(Header header,
                            BuildHeader(std::move(stanzas), file_key));
  if (!options.armor) {
    CONCLAVE_RETURN_IF_ERROR(out.Write(header.bytes));
    return EncryptPayload(file_key, in, out);
  }
  ArmorWriter armor(out);
  CONCLAVE_RETURN_IF_ERROR(armor.Write(header.bytes));
  CONCLAVE_RETURN_IF_ERROR(EncryptPayload(file_key, in, armor));
  return armor.Finish();
}

Status Encrypt(std::span<const Recipient* const> recipients, Reader& in,
               Writer& out, const EncryptOptions& options) {
  if (recipients.empty()) {
    return AgeError(ErrorKind::kUsage, "no recipients");
  }
  SecretBytes file_key = GenerateFileKey();
  std::vector<Stanza> stanzas;
  bool alone = false;
  for (const Recipient* r : recipients) {
    alone = alone || r->MustBeAlone();
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<Stanza> s, r->Wrap(file_key));
    for (Stanza& st : s) stanzas.push_back(std::move(st));
  }
  if (alone && stanzas.size() != 1) {
    return AgeError(ErrorKind::kUsage,
                    "an scrypt recipient must be the only recipient");
  }
  return EncryptWithFileKey(std::move(stanzas), file_key, in, out, options);
}

StatusOr<Bytes> EncryptToMemory(std::span<const Recipient* const> recipients,
                                ByteSpan plaintext,
                                const EncryptOptions& options) {
  MemoryReader in(plaintext);
  MemoryWriter out;
  CONCLAVE_RETURN_IF_ERROR(Encrypt(recipients, in, out, options));
  return out.Take();
}

Status CheckScryptAlone(const Header& header) {
  for (const Stanza& s : header.stanzas) {
    if (s.type == "scrypt" && header.stanzas.size() != 1) {
      return AgeError(ErrorKind::kHeader,
                      "an scrypt stanza must be the only stanza");
    }
  }
  return OkStatus();
}

StatusOr<SecretBytes> UnwrapHeader(
    const Header& header, std::span<const Identity* const> identities) {
  CONCLAVE_RETURN_IF_ERROR(CheckScryptAlone(header));
  for (const Identity* id : identities) {
    for (const Stanza& s : header.stanzas) {
      auto r = id->Unwrap(s);
      if (!r.ok()) return TagIfUntagged(r.status(), ErrorKind::kHeader);
      if (!r->has_value()) continue;
      SecretBytes key = std::move(**r);
      if (key.size() != kFileKeySize) {
        return AgeError(ErrorKind::kHeader,
                        "unwrapped file key is not 16 bytes");
      }
      return key;
    }
  }
  return AgeError(ErrorKind::kNoMatch,
                  "no identity matched any of the file's recipients");
}

Status Decrypt(Reader& in, Writer& out,
               std::span<const Identity* const> identities,
               const DecryptOptions& options, DecryptInfo* info) {
  return DecryptImpl(
      in, out,
      [identities](const Header& h) { return UnwrapHeader(h, identities); },
      options, info);
}

Status DecryptWithFileKey(Reader& in, Writer& out, const SecretBytes& file_key,
                          const DecryptOptions& options, DecryptInfo* info) {
  return DecryptImpl(
      in, out,
      [&file_key](const Header& h) -> StatusOr<SecretBytes> {
        if (file_key.size() != kFileKeySize) {
          return AgeError(ErrorKind::kHeader, "file key is not 16 bytes");
        }
        return file_key.Clone();
      },
      options, info);
}

StatusOr<SecretBytes> DecryptToMemory(
    ByteSpan file, std::span<const Identity* const> identities) {
  MemoryReader in(file);
  SecretWriter out;
  CONCLAVE_RETURN_IF_ERROR(Decrypt(in, out, identities));
  return out.Take();
}

}  // namespace conclave::age
