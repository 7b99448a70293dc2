#include "age/p256tag.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "age/base64.h"
#include "age/bech32.h"
#include "age/errors.h"
#include "crypto/hash.h"
#include "crypto/hpke.h"
#include "crypto/openssl_util.h"

namespace conclave::age {

namespace {

constexpr HpkeAead kAead = HpkeAead::kChaCha20Poly1305;
// A recipient file's first line is ~70 bytes; anything far longer is not one.
constexpr size_t kMaxRecipientFileLine = 4096;

Status HeaderError(std::string m) {
  return AgeError(ErrorKind::kHeader, std::move(m));
}
Status UsageError(std::string m) {
  return AgeError(ErrorKind::kUsage, std::move(m));
}

template <size_t N>
bool DecodeFixed(std::string_view b64, std::array<uint8_t, N>* out) {
  StatusOr<Bytes> d = Base64Decode(b64);
  if (!d.ok() || d->size() != N) return false;
  std::copy(d->begin(), d->end(), out->begin());
  return true;
}

// Arguments are user input, possibly long or odd: quote a bounded prefix.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "…";
  return out + "\"";
}

}  // namespace

StatusOr<Point> ParseP256TagRecipient(std::string_view s) {
  StatusOr<Bech32Decoded> d = Bech32Decode(s);
  if (!d.ok()) {
    return UsageError("malformed age1tag1 recipient (bad Bech32: " +
                      d.status().message() + ")");
  }
  if (d->hrp != kP256TagRecipientHrp) {
    if (d->hrp == "age") {
      return UsageError(
          "an age1 X25519 recipient is not a consortium key (expected "
          "age1tag1…)");
    }
    if (d->hrp == "age1tagpq") {
      return UsageError(
          "age1tagpq (hybrid ML-KEM) recipients are not supported (expected "
          "age1tag1…)");
    }
    return UsageError("not an age1tag1 recipient (Bech32 prefix \"" +
                      d->hrp.substr(0, 32) + "\")");
  }
  if (d->uppercase) {
    return UsageError("age1tag1 recipient must be lowercase");
  }
  if (d->data.size() != kP256CompressedPointSize) {
    return UsageError(
        "malformed age1tag1 recipient (not a 33-byte compressed point)");
  }
  StatusOr<Point> p = Point::DecodeCompressed(d->data.span());
  if (!p.ok()) {
    return UsageError("malformed age1tag1 recipient (not a P-256 point)");
  }
  return p;
}

std::string EncodeP256TagRecipient(const Point& recipient) {
  const CompressedPoint c = recipient.EncodeCompressed();
  return Bech32Encode(kP256TagRecipientHrp, c);
}

StatusOr<Point> ReadRecipientArgument(std::string_view arg) {
  if (arg.empty()) return UsageError("empty recipient");
  // Anything shaped like an age recipient is parsed as one, never opened.
  if (arg.starts_with("age1") || arg.starts_with("AGE1")) {
    return ParseP256TagRecipient(arg);
  }
  const std::string path(arg);
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"),
                                          &std::fclose);
  if (!f) {
    const int err = errno;
    return AgeError(err == ENOENT ? ErrorKind::kUsage : ErrorKind::kIo,
                    "recipient " + Quote(arg) +
                        " is neither an age1tag1… string nor a readable "
                        "file: " +
                        std::strerror(err));
  }
  std::string line;
  int c;
  while ((c = std::fgetc(f.get())) != EOF && c != '\n') {
    if (line.size() >= kMaxRecipientFileLine) {
      return UsageError("recipient file " + Quote(arg) +
                        ": first line is not an age1tag1 recipient");
    }
    line.push_back(static_cast<char>(c));
  }
  if (std::ferror(f.get())) {
    return AgeError(ErrorKind::kIo,
                    "reading recipient file " + Quote(arg) + " failed");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  StatusOr<Point> p = ParseP256TagRecipient(line);
  if (!p.ok()) {
    return UsageError("recipient file " + Quote(arg) +
                      ": first line: " + p.status().message());
  }
  return p;
}

P256Tag ComputeP256Tag(ByteSpan enc, const Point& recipient) {
  const CompressedPoint y = recipient.EncodeCompressed();
  const Sha256Digest h = Sha256(y);
  const Bytes ikm = Concat({enc, ByteSpan(h).first(4)});
  // Public values; SecretBytes is simply what the HKDF API returns.
  const SecretBytes prk = HkdfSha256Extract(AsBytes(kP256TagInfo), ikm);
  P256Tag tag;
  std::copy_n(prk.data(), tag.size(), tag.begin());
  return tag;
}

StatusOr<P256TagStanza> ParseP256TagStanza(const Stanza& stanza) {
  if (stanza.type != kP256TagStanzaType) {
    return HeaderError("not a p256tag stanza");
  }
  if (stanza.args.size() != 2) {
    return HeaderError("p256tag stanza must have exactly 3 arguments");
  }
  P256TagStanza out;
  if (!DecodeFixed(stanza.args[0], &out.tag)) {
    return HeaderError("p256tag tag is not canonical base64 of 4 bytes");
  }
  if (!DecodeFixed(stanza.args[1], &out.enc)) {
    return HeaderError("p256tag enc is not canonical base64 of 65 bytes");
  }
  // Checked before any decryption (partitioning oracles, C2SP age).
  if (stanza.body.size() != kP256TagBodyBytes) {
    return HeaderError("p256tag stanza body is not 32 bytes");
  }
  std::copy(stanza.body.begin(), stanza.body.end(), out.body.begin());
  return out;
}

Stanza EncodeP256TagStanza(const P256TagStanza& s) {
  Stanza out;
  out.type = std::string(kP256TagStanzaType);
  out.args = {Base64Encode(s.tag), Base64Encode(s.enc)};
  out.body = Bytes(s.body.begin(), s.body.end());
  return out;
}

StatusOr<P256TagStanza> WrapP256Tag(const SecretBytes& file_key,
                                    const Point& recipient, const Scalar& r) {
  if (file_key.size() != kFileKeySize) {
    return UsageError("file key must be 16 bytes");
  }
  if (recipient.IsInfinity()) {
    return UsageError("p256tag recipient is the point at infinity");
  }
  const UncompressedPoint pk_r = recipient.EncodeUncompressed();
  CONCLAVE_ASSIGN_OR_RETURN(HpkeSenderContext ctx,
                            HpkeSenderContext::SetupBaseWithEphemeral(
                                kAead, pk_r, AsBytes(kP256TagInfo), r));
  CONCLAVE_ASSIGN_OR_RETURN(Bytes ct, ctx.Seal({}, file_key.span()));
  if (ct.size() != kP256TagBodyBytes) {
    return InternalError("p256tag ciphertext has the wrong size");
  }
  P256TagStanza out;
  out.enc = ctx.enc();
  out.tag = ComputeP256Tag(out.enc, recipient);
  std::copy(ct.begin(), ct.end(), out.body.begin());
  return out;
}

StatusOr<SecretBytes> UnwrapP256TagWithDhPoint(const P256TagStanza& stanza,
                                               const Point& recipient,
                                               const Point& dh_point) {
  if (recipient.IsInfinity()) {
    return InvalidArgumentError("p256tag recipient is the point at infinity");
  }
  if (ComputeP256Tag(stanza.enc, recipient) != stanza.tag) {
    return InvalidArgumentError(
        "p256tag stanza is not addressed to this recipient (tag mismatch)");
  }
  const UncompressedPoint pk_r = recipient.EncodeUncompressed();
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes ss, DhkemP256SharedSecretFromDhPoint(
                                                dh_point, stanza.enc, pk_r));
  StatusOr<SecretBytes> key = HpkeOpenBaseWithSharedSecret(
      kAead, ss, AsBytes(kP256TagInfo), {}, stanza.body);
  if (!key.ok()) {
    ClearOpenSslErrors();
    if (key.status().code() == StatusCode::kUnauthenticated) {
      return UnauthenticatedError(
          "p256tag stanza does not open with this DH value");
    }
    return key.status();
  }
  if (key->size() != kFileKeySize) {
    return InvalidArgumentError("p256tag stanza holds no 16-byte file key");
  }
  return key;
}

// ---- P256TagRecipient ----

StatusOr<P256TagRecipient> P256TagRecipient::Create(const Point& recipient) {
  if (recipient.IsInfinity()) {
    return UsageError("p256tag recipient is the point at infinity");
  }
  return P256TagRecipient(recipient);
}

StatusOr<P256TagRecipient> P256TagRecipient::Parse(std::string_view s) {
  CONCLAVE_ASSIGN_OR_RETURN(Point p, ParseP256TagRecipient(s));
  return P256TagRecipient(p);
}

StatusOr<std::vector<Stanza>> P256TagRecipient::Wrap(
    const SecretBytes& file_key) const {
  CONCLAVE_ASSIGN_OR_RETURN(
      P256TagStanza s, WrapP256Tag(file_key, recipient_, Scalar::Random()));
  return std::vector<Stanza>{EncodeP256TagStanza(s)};
}

// ---- P256TagIdentity ----

StatusOr<P256TagIdentity> P256TagIdentity::FromScalar(const Scalar& x) {
  if (x.IsZero()) return UsageError("p256tag private key is zero");
  return P256TagIdentity(x, Point::BaseMul(x));
}

P256TagIdentity P256TagIdentity::Generate() {
  Scalar x = Scalar::Random();
  return P256TagIdentity(x, Point::BaseMul(x));
}

StatusOr<std::optional<SecretBytes>> P256TagIdentity::Unwrap(
    const Stanza& stanza) const {
  if (stanza.type != kP256TagStanzaType) return std::optional<SecretBytes>();
  CONCLAVE_ASSIGN_OR_RETURN(P256TagStanza s, ParseP256TagStanza(stanza));
  // The tag says whether the stanza is ours before any private-key use.
  if (ComputeP256Tag(s.enc, recipient_) != s.tag) {
    return std::optional<SecretBytes>();
  }
  StatusOr<Point> enc = Point::DecodeUncompressed(s.enc);
  if (!enc.ok()) {
    return HeaderError("p256tag enc is not a P-256 point");
  }
  // x·enc through the constant-time single-scalar path.
  const Point dh = enc->Mul(x_);
  StatusOr<SecretBytes> key = UnwrapP256TagWithDhPoint(s, recipient_, dh);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kUnauthenticated) {
      return std::optional<SecretBytes>();
    }
    return TagIfUntagged(key.status(), ErrorKind::kHeader);
  }
  return std::optional<SecretBytes>(std::move(key).value());
}

}  // namespace conclave::age
