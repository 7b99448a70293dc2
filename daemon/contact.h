// Anonymous two-way contact (brief §8; issue 8; docs/protocol.md "Receipts
// and anonymous contact").
//
// The whistleblower's browser draws a 128-bit receipt and derives from it,
// with separate DSTs,
//
//   lookup_id       = expand_message_xmd(receipt, DST_lookup, 32)
//   auth secret a   = HashToScalar(receipt, DST_auth),  auth_key = a·G
//   reply secret b  = HashToScalar(receipt, DST_reply), reply_recipient =
//                     the "age1tag1…" string of b·G
//
// (RFC 9380 expand_message_xmd with SHA-256; HashToScalar as brief §2). The
// daemon stores lookup_id, auth_key and reply_recipient with the first
// submission, never the receipt. A returning whistleblower proves knowledge
// of a by an ECDSA P-256/SHA-256 signature (r ‖ s) over
//
//   "conclave/v1/contact-auth" ‖ lookup_id[32] ‖ challenge[32]
//
// for a fresh single-use challenge from the daemon. Editors' replies are age
// files with one p256tag stanza to reply_recipient, announced by a signed
// ReplyBody statement (DST conclave/v1/editor-reply) whose leaf carries the
// ciphertext's hash, never the text.
//
// This header serves both sides: the daemon (parsing, verifying) and C++
// whistleblower clients and tests (deriving, signing, decrypting).
#ifndef CONCLAVE_DAEMON_CONTACT_H_
#define CONCLAVE_DAEMON_CONTACT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/quorum.pb.h"
#include "crypto/p256.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"

namespace conclave::daemon {

inline constexpr std::string_view kReceiptLookupIdDst =
    "conclave/v1/receipt-lookup-id";
inline constexpr std::string_view kReceiptAuthKeyDst =
    "conclave/v1/receipt-auth-key";
inline constexpr std::string_view kReceiptReplyKeyDst =
    "conclave/v1/receipt-reply-key";
inline constexpr std::string_view kContactAuthPrefix =
    "conclave/v1/contact-auth";
inline constexpr std::string_view kEditorReplyDst = "conclave/v1/editor-reply";

inline constexpr size_t kReceiptSize = 16;  // 128 bits from the CSPRNG
inline constexpr size_t kLookupIdSize = 32;
inline constexpr size_t kChallengeSize = 32;

using LookupId = std::array<uint8_t, kLookupIdSize>;
using Challenge = std::array<uint8_t, kChallengeSize>;

// ---- The whistleblower's side ----

// What a receipt derives. The secrets stay with the whistleblower.
struct ReceiptKeys {
  LookupId lookup_id{};
  Scalar auth_secret;           // a
  CompressedPoint auth_key{};   // a·G
  Scalar reply_secret;          // b
  std::string reply_recipient;  // "age1tag1…" of b·G
};

// INVALID_ARGUMENT unless the receipt is kReceiptSize bytes.
StatusOr<ReceiptKeys> DeriveReceiptKeys(ByteSpan receipt);

// The receipt as shown to a person: Crockford base32 of the 16 bytes (a
// big-endian bit string padded with two zero bits: 26 symbols), in groups of
// four joined by '-' (the last group has two), e.g. "7KQ2-…-X4".
std::string FormatReceipt(ByteSpan receipt);
// The inverse, forgiving of what people do: case-insensitive, spaces and
// dashes ignored, O read as 0 and I, L as 1. INVALID_ARGUMENT for anything
// else, a wrong length, or nonzero padding bits.
StatusOr<SecretBytes> ParseReceipt(std::string_view text);

// "conclave/v1/contact-auth" ‖ lookup_id ‖ challenge.
Bytes ContactAuthMessage(ByteSpan lookup_id, ByteSpan challenge);

// ECDSA P-256/SHA-256 (FIPS 186-4) signature r ‖ s by the receipt's auth
// key, with a hedged nonce (fresh randomness, the key and the message
// hashed to a scalar). The daemon only verifies (crypto/ecdsa.h).
Bytes SignContactAuth(const ReceiptKeys& keys, ByteSpan challenge);

// ---- Editors' replies ----

struct ReplyOptions {
  uint64_t now_unix = 0;
};

// Encrypts the UTF-8 `message` to `reply_recipient` (an age file with one
// p256tag stanza) and signs the ReplyBody over it. INVALID_ARGUMENT for a
// malformed recipient or an empty message.
struct NewReply {
  v1::SignedStatement statement;
  Bytes ciphertext;
};
StatusOr<NewReply> MakeReply(const keyceremony::VerifiedRoster& roster,
                             const quorum::EditorKeys& editor,
                             std::string_view submission_id,
                             std::string_view reply_recipient,
                             std::string_view message,
                             const ReplyOptions& options);

// Signature by a roster editor (PERMISSION_DENIED / UNAUTHENTICATED as
// quorum::VerifyStatementSignature), the body naming the signer, the
// roster's epoch, a 64-hex submission id, and ciphertext_hash =
// SHA-256(ciphertext) (UNAUTHENTICATED otherwise).
StatusOr<v1::ReplyBody> VerifyReply(const keyceremony::VerifiedRoster& roster,
                                    const v1::SignedStatement& statement,
                                    ByteSpan ciphertext);

// The whistleblower reading a reply: the plaintext of an age file sent to
// the receipt's reply key.
StatusOr<std::string> DecryptReply(const ReceiptKeys& keys,
                                   ByteSpan ciphertext);

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_CONTACT_H_
