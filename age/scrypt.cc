#include "age/scrypt.h"

#include <openssl/evp.h>

#include "age/base64.h"
#include "age/errors.h"
#include "crypto/openssl_util.h"
#include "crypto/random.h"

namespace conclave::age {

namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/scrypt";

Status HeaderError(std::string m) {
  return AgeError(ErrorKind::kHeader, std::move(m));
}

}  // namespace

StatusOr<SecretBytes> ScryptWrapKey(const SecretBytes& passphrase,
                                    ByteSpan salt, int work_factor) {
  if (work_factor < 1 || work_factor > kScryptMaxWorkFactor) {
    return AgeError(ErrorKind::kUsage, "scrypt work factor out of range");
  }
  const uint64_t n = uint64_t{1} << work_factor;
  const uint64_t r = 8, p = 1;
  // OpenSSL needs about 128·r·(N + p + 2) bytes; its default cap (32 MiB) is
  // below what work factor 18 needs.
  const uint64_t maxmem = 128 * r * (n + p + 2) + (1 << 20);
  Bytes full_salt = Concat({AsBytes(kLabel), salt});
  SecretBytes key(32);
  // An empty passphrase needs a valid pointer.
  static const char kEmpty = 0;
  const char* pass = passphrase.empty()
                         ? &kEmpty
                         : reinterpret_cast<const char*>(passphrase.data());
  if (EVP_PBE_scrypt(pass, passphrase.size(), full_salt.data(),
                     full_salt.size(), n, r, p, maxmem, key.data(),
                     key.size()) != 1) {
    return OpenSslError("scrypt");
  }
  return key;
}

StatusOr<ScryptRecipient> ScryptRecipient::Create(SecretBytes passphrase,
                                                  int work_factor) {
  if (work_factor < kScryptMinWorkFactor ||
      work_factor > kScryptMaxWorkFactor) {
    return AgeError(ErrorKind::kUsage,
                    "scrypt work factor must be between 10 and 22");
  }
  if (passphrase.empty()) {
    return AgeError(ErrorKind::kUsage, "empty passphrase");
  }
  return ScryptRecipient(std::move(passphrase), work_factor);
}

StatusOr<std::vector<Stanza>> ScryptRecipient::Wrap(
    const SecretBytes& file_key) const {
  SecretBytes salt = RandomBytes(kScryptSaltSize);  // public once written
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes wrap_key,
      ScryptWrapKey(passphrase_, salt.span(), work_factor_));
  CONCLAVE_ASSIGN_OR_RETURN(Bytes body, WrapFileKey(wrap_key, file_key));
  Stanza s;
  s.type = "scrypt";
  s.args = {Base64Encode(salt.span()), std::to_string(work_factor_)};
  s.body = std::move(body);
  return std::vector<Stanza>{std::move(s)};
}

StatusOr<std::optional<SecretBytes>> ScryptIdentity::Unwrap(
    const Stanza& stanza) const {
  if (stanza.type != "scrypt") return std::optional<SecretBytes>();
  if (stanza.args.size() != 2) {
    return HeaderError("scrypt stanza must have exactly 3 arguments");
  }
  auto salt = Base64Decode(stanza.args[0]);
  if (!salt.ok() || salt->size() != kScryptSaltSize) {
    return HeaderError("scrypt salt is not canonical base64 of 16 bytes");
  }
  // %x31-39 *DIGIT; two digits suffice for the accepted range.
  const std::string& wf = stanza.args[1];
  if (wf.empty() || wf.size() > 2 || wf[0] < '1' || wf[0] > '9' ||
      (wf.size() == 2 && (wf[1] < '0' || wf[1] > '9'))) {
    return HeaderError(wf.size() > 2 && wf[0] >= '1' && wf[0] <= '9' &&
                               wf.find_first_not_of("0123456789") ==
                                   std::string::npos
                           ? "scrypt work factor too large"
                           : "scrypt work factor is not a decimal number");
  }
  const int work_factor = std::stoi(wf);
  if (work_factor < kScryptMinWorkFactor ||
      work_factor > kScryptMaxWorkFactor) {
    return HeaderError("scrypt work factor " + wf +
                       " outside the accepted range 10..22");
  }
  if (stanza.body.size() != kFileKeySize + 16) {
    return HeaderError("scrypt stanza body is not 32 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes wrap_key,
                            ScryptWrapKey(passphrase_, *salt, work_factor));
  return UnwrapFileKey(wrap_key, stanza.body);
}

}  // namespace conclave::age
