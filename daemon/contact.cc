#include "daemon/contact.h"

#include <algorithm>

#include "age/age.h"
#include "age/p256tag.h"
#include "crypto/hash.h"
#include "crypto/hash_to_field.h"
#include "crypto/random.h"
#include "quorum/canonical.h"

namespace conclave::daemon {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kReceiptSymbols = 26;  // ceil(128 / 5)
// Hedged ECDSA nonce (our own construction, brief §3: one DST per use).
constexpr std::string_view kContactAuthNonceDst =
    "conclave/v1/contact-auth-nonce";

}  // namespace

StatusOr<ReceiptKeys> DeriveReceiptKeys(ByteSpan receipt) {
  if (receipt.size() != kReceiptSize) {
    return InvalidArgumentError("a receipt is " + std::to_string(kReceiptSize) +
                                " bytes");
  }
  ReceiptKeys k;
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes id,
      ExpandMessageXmdSha256(receipt, AsBytes(kReceiptLookupIdDst),
                             kLookupIdSize));
  std::copy(id.span().begin(), id.span().end(), k.lookup_id.begin());
  k.auth_secret = HashToScalar(receipt, AsBytes(kReceiptAuthKeyDst));
  k.reply_secret = HashToScalar(receipt, AsBytes(kReceiptReplyKeyDst));
  if (k.auth_secret.IsZero() || k.reply_secret.IsZero()) {
    // Probability about 2^-256; a receipt like that is simply not usable.
    return InvalidArgumentError("this receipt derives a zero key");
  }
  k.auth_key = Point::BaseMul(k.auth_secret).EncodeCompressed();
  k.reply_recipient =
      age::EncodeP256TagRecipient(Point::BaseMul(k.reply_secret));
  return k;
}

std::string FormatReceipt(ByteSpan receipt) {
  std::string symbols;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : receipt) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      symbols += kCrockford[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) symbols += kCrockford[(acc << (5 - bits)) & 31];
  std::string out;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += symbols[i];
  }
  return out;
}

StatusOr<SecretBytes> ParseReceipt(std::string_view text) {
  auto bad = [] {
    return InvalidArgumentError(
        "that is not a receipt: a receipt is 26 letters and digits, shown in "
        "groups of four");
  };
  std::vector<uint8_t> values;
  for (char ch : text) {
    if (ch == '-' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      continue;
    }
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    const char* pos = std::find(kCrockford, kCrockford + 32, c);
    if (c == '\0' || pos == kCrockford + 32) return bad();
    values.push_back(static_cast<uint8_t>(pos - kCrockford));
  }
  if (values.size() != kReceiptSymbols) return bad();
  SecretBytes out(kReceiptSize);
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (uint8_t v : values) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out[n++] = static_cast<uint8_t>(acc >> (bits - 8));
      bits -= 8;
    }
  }
  // Two padding bits remain; they must be zero (one spelling per receipt).
  if (n != kReceiptSize || bits != 2 || (acc & 3) != 0) return bad();
  return out;
}

Bytes ContactAuthMessage(ByteSpan lookup_id, ByteSpan challenge) {
  Bytes m = ToBytes(kContactAuthPrefix);
  m.insert(m.end(), lookup_id.begin(), lookup_id.end());
  m.insert(m.end(), challenge.begin(), challenge.end());
  return m;
}

Bytes SignContactAuth(const ReceiptKeys& keys, ByteSpan challenge) {
  const Bytes msg = ContactAuthMessage(keys.lookup_id, challenge);
  const Sha256Digest h = Sha256(msg);
  // FIPS 186-4 §6.4: e = the 256-bit hash as an integer, used mod n.
  const Scalar e = Scalar::FromBytesModOrder(h);
  for (;;) {
    const SecretBytes hedge = RandomBytes(32);
    const SecretBytes a = keys.auth_secret.ToBytes();
    const Scalar k = HashToScalar({hedge.span(), a.span(), ByteSpan(h)},
                                  AsBytes(kContactAuthNonceDst));
    if (k.IsZero()) continue;
    const Point big_r = Point::BaseMul(k);
    const SecretBytes x = big_r.XCoordinate();
    const Scalar r = Scalar::FromBytesModOrder(x.span());
    if (r.IsZero()) continue;
    auto k_inv = k.Inverse();
    if (!k_inv.ok()) continue;
    const Scalar s = *k_inv * (e + r * keys.auth_secret);
    if (s.IsZero()) continue;
    const auto rb = r.ToPublicBytes();
    const auto sb = s.ToPublicBytes();
    Bytes sig(rb.begin(), rb.end());
    sig.insert(sig.end(), sb.begin(), sb.end());
    return sig;
  }
}

StatusOr<NewReply> MakeReply(const keyceremony::VerifiedRoster& roster,
                             const quorum::EditorKeys& editor,
                             std::string_view submission_id,
                             std::string_view reply_recipient,
                             std::string_view message,
                             const ReplyOptions& options) {
  if (message.empty()) return InvalidArgumentError("the reply is empty");
  CONCLAVE_ASSIGN_OR_RETURN(age::P256TagRecipient to,
                            age::P256TagRecipient::Parse(reply_recipient));
  const age::Recipient* recipients[] = {&to};
  NewReply out;
  CONCLAVE_ASSIGN_OR_RETURN(out.ciphertext,
                            age::EncryptToMemory(recipients, AsBytes(message)));
  v1::ReplyBody body;
  body.set_submission_id(std::string(submission_id));
  body.set_ciphertext_hash(AsString(Sha256(out.ciphertext)));
  body.set_epoch(roster.body.epoch());
  body.set_org_id(editor.org_id());
  body.set_editor_index(editor.editor_index());
  body.set_created_unix(options.now_unix);
  out.statement = quorum::SignStatement(
      kEditorReplyDst, ToBytes(body.SerializeAsString()), editor);
  return out;
}

StatusOr<v1::ReplyBody> VerifyReply(const keyceremony::VerifiedRoster& roster,
                                    const v1::SignedStatement& statement,
                                    ByteSpan ciphertext) {
  CONCLAVE_RETURN_IF_ERROR(quorum::VerifyStatementSignature(
      kEditorReplyDst, statement, roster.body));
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::ReplyBody body,
      quorum::ParseCanonical<v1::ReplyBody>(statement.signed_(), "reply"));
  if (body.org_id() != statement.org_id() ||
      body.editor_index() != statement.editor_index()) {
    return PermissionDeniedError(
        "the reply's body names another editor than its signer");
  }
  if (body.epoch() != roster.body.epoch()) {
    return FailedPreconditionError(
        "the reply is signed for roster epoch " + std::to_string(body.epoch()) +
        ", not the current epoch " + std::to_string(roster.body.epoch()));
  }
  const std::string& id = body.submission_id();
  if (id.size() != 64 ||
      id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return InvalidArgumentError(
        "the reply's submission id is not 64 lowercase hex characters");
  }
  if (!ConstantTimeEquals(Sha256(ciphertext),
                          AsBytes(body.ciphertext_hash()))) {
    return UnauthenticatedError(
        "the reply's ciphertext is not the one its editor signed");
  }
  return body;
}

StatusOr<std::string> DecryptReply(const ReceiptKeys& keys,
                                   ByteSpan ciphertext) {
  CONCLAVE_ASSIGN_OR_RETURN(
      age::P256TagIdentity id,
      age::P256TagIdentity::FromScalar(keys.reply_secret));
  const age::Identity* ids[] = {&id};
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes plain,
                            age::DecryptToMemory(ciphertext, ids));
  return std::string(AsStringView(plain.span()));
}

}  // namespace conclave::daemon
