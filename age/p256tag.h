// The p256tag recipient type (C2SP age, "The tagged recipient types"):
// the file key sealed with HPKE (RFC 9180 §6.1 SealBase) under
// DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305,
// info = "age-encryption.org/p256tag", aad = "", to the recipient point
// (Bech32 "age1tag1…" of its SEC1 compressed encoding). The stanza is
//
//   -> p256tag base64(tag[4]) base64(enc[65])
//   base64(HPKE ciphertext[32])
//
//   tag = HKDF-Extract-SHA-256(ikm = enc ‖ SHA-256(recipient[33])[:4],
//                              salt = "age-encryption.org/p256tag")[:4]
//
// Conclave's consortium key is such a recipient; its private key x is never
// held by one party, so besides the ordinary identity (tests and demos) this
// offers the threshold path: unwrap given the DH point x·enc combined from
// partial decryptions.
#ifndef CONCLAVE_AGE_P256TAG_H_
#define CONCLAVE_AGE_P256TAG_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "age/recipient.h"
#include "crypto/p256.h"
#include "crypto/sender_proof.h"

namespace conclave::age {

inline constexpr std::string_view kP256TagStanzaType = "p256tag";
inline constexpr std::string_view kP256TagInfo = "age-encryption.org/p256tag";
inline constexpr std::string_view kP256TagRecipientHrp = "age1tag";
// HPKE ciphertext of the 16-byte file key: 16 + 16-byte Poly1305 tag.
inline constexpr size_t kP256TagBodyBytes = kP256TagBodySize;

using P256Tag = std::array<uint8_t, kP256TagSize>;

// "age1tag1…" -> point. Strict: lowercase Bech32 with HRP "age1tag" of a
// 33-byte SEC1 compressed point on the curve. Usage error (INVALID_ARGUMENT)
// otherwise, with a hint when it is another age recipient type.
StatusOr<Point> ParseP256TagRecipient(std::string_view s);
// The lowercase "age1tag1…" string of a finite point.
std::string EncodeP256TagRecipient(const Point& recipient);

// A command-line RECIPIENT: either an "age1tag1…" string, or the path of a
// file whose first line is one (e.g. consortium.pub; the line may end in
// "\n" or "\r\n", nothing else on it). Usage error for a malformed
// recipient, I/O error (UNAVAILABLE) for an unreadable file; messages name
// the argument.
StatusOr<Point> ReadRecipientArgument(std::string_view arg);

// The tag above. enc should be 65 bytes (it is only hashed, not decoded);
// the recipient must be finite (infinity has no encoding: aborts).
P256Tag ComputeP256Tag(ByteSpan enc, const Point& recipient);

// The decoded stanza.
struct P256TagStanza {
  P256Tag tag{};
  UncompressedPoint enc{};
  std::array<uint8_t, kP256TagBodyBytes> body{};

  friend bool operator==(const P256TagStanza&, const P256TagStanza&) = default;
};

// Strict parse, as the spec requires of identities: type "p256tag", exactly
// two more arguments, canonical base64 of 4 and 65 bytes, body exactly 32
// bytes. Header failure (INVALID_ARGUMENT) otherwise. enc is not decoded as a
// point here (the spec does not ask it of the stanza syntax); HPKE and the
// sender proof decode it strictly.
StatusOr<P256TagStanza> ParseP256TagStanza(const Stanza& stanza);
Stanza EncodeP256TagStanza(const P256TagStanza& stanza);

// SealBase of the 16-byte file key to `recipient` with the ephemeral private
// key r (enc = r·G), which must be fresh and uniformly random (the
// submission recipient needs r for the sender proof; tests pin it).
StatusOr<P256TagStanza> WrapP256Tag(const SecretBytes& file_key,
                                    const Point& recipient, const Scalar& r);

// Threshold path: the file key from the DH point dh_point = x·enc (x the
// recipient's private key, combined from partials). Checks first that the
// tag is the recipient's (INVALID_ARGUMENT otherwise), then opens:
// UNAUTHENTICATED if it does not open (a wrong DH point, e.g. a bad partial)
// and INVALID_ARGUMENT for a dh_point at infinity or an enc off the curve.
// The caller must still verify the header MAC with the key.
StatusOr<SecretBytes> UnwrapP256TagWithDhPoint(const P256TagStanza& stanza,
                                               const Point& recipient,
                                               const Point& dh_point);

// A plain p256tag recipient, as a stock age client writes it (one stanza,
// no sender proof). Conclave refuses such files at intake; this exists for
// tests and the "plain file" diagnostics.
class P256TagRecipient : public Recipient {
 public:
  // Usage error for the point at infinity.
  static StatusOr<P256TagRecipient> Create(const Point& recipient);
  static StatusOr<P256TagRecipient> Parse(std::string_view s);
  std::string ToString() const { return EncodeP256TagRecipient(recipient_); }
  const Point& point() const { return recipient_; }

  StatusOr<std::vector<Stanza>> Wrap(
      const SecretBytes& file_key) const override;

 private:
  explicit P256TagRecipient(const Point& p) : recipient_(p) {}
  Point recipient_;
};

// An identity holding the whole private key x. Conclave never has one
// outside tests and demos (the consortium key is shared among
// organisations); decryption there goes through UnwrapP256TagWithDhPoint.
// Ignores stanzas of other types and p256tag stanzas whose tag is not its
// own; header failure for a malformed p256tag stanza.
class P256TagIdentity : public Identity {
 public:
  // Usage error for zero.
  static StatusOr<P256TagIdentity> FromScalar(const Scalar& x);
  static P256TagIdentity Generate();
  const Point& recipient() const { return recipient_; }

  StatusOr<std::optional<SecretBytes>> Unwrap(
      const Stanza& stanza) const override;

 private:
  P256TagIdentity(const Scalar& x, const Point& p) : x_(x), recipient_(p) {}
  Scalar x_;
  Point recipient_;
};

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_P256TAG_H_
