#include "keyceremony/cocktail.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "base/byte_io.h"
#include "crypto/hash.h"
#include "crypto/xaes256gcm.h"

namespace conclave::cocktail {

namespace {

constexpr std::string_view kH6Prefix = "COCKTAIL-DKG-P256-SHA256-H6";
constexpr std::string_view kH7Prefix = "COCKTAIL-DKG-P256-SHA256-H7";
constexpr std::string_view kNoncePrefix = "COCKTAIL-DKG-P256-SHA256-NONCE";
constexpr std::string_view kContextPrefix = "COCKTAIL-DKG-CONTEXT";
constexpr size_t kXaesNonceSize = 24;

std::string Participant(uint32_t j) {
  return "participant " + std::to_string(j);
}

void AppendU32Le(Bytes& out, uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}
void AppendU64Le(Bytes& out, uint64_t v) {
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}
void AppendU64Be(Bytes& out, uint64_t v) {
  for (int b = 7; b >= 0; --b) {
    out.push_back(static_cast<uint8_t>(v >> (8 * b)));
  }
}
void Append(Bytes& out, ByteSpan b) {
  out.insert(out.end(), b.begin(), b.end());
}
void Append(Bytes& out, std::string_view s) { Append(out, AsBytes(s)); }
void AppendPoint(Bytes& out, const Point& p) {
  Append(out, p.EncodeCompressed());
}

uint32_t ReadU32Le(ByteSpan b) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}
uint64_t ReadU64Le(ByteSpan b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// Σ_k x^k·C_k by Horner's rule with the small public multiplier x, through
// the variable-time MulAddPublic: every input here is public. Unlike
// shares/shamir.h's EvaluateCommitments it accepts infinity among the terms,
// which an aggregate C_{agg,k} = Σ_j C_{j,k} can be.
Point EvaluatePublic(std::span<const Point> commitments, uint32_t x) {
  const Scalar zero;
  const Scalar xs = Scalar::FromUint64(x);
  Point acc = commitments.back();
  for (size_t k = commitments.size() - 1; k-- > 0;) {
    acc = Point::MulAddPublic(zero, acc, xs) + commitments[k];
  }
  return acc;
}

Bytes EncodeCommitment(std::span<const Point> commitment) {
  Bytes out;
  out.reserve(commitment.size() * kPointSize);
  for (const Point& c : commitment) AppendPoint(out, c);
  return out;
}

// The PoP message: context ‖ C_{i,0} ‖ … ‖ C_{i,t-1} ‖ E_i.
Bytes PopMessage(ByteSpan context, const Round1Message& msg) {
  Bytes m = ToBytes(context);
  Append(m, EncodeCommitment(msg.commitment));
  AppendPoint(m, msg.ephemeral_key);
  return m;
}

// derive_extra(context, label) = u64le(|context|) ‖ context ‖ u64le(|label|)
// ‖ label (spec "Ciphersuites", hashes shorter than 56 bytes).
Bytes DeriveExtra(ByteSpan context, std::string_view label) {
  Bytes out;
  AppendU64Le(out, context.size());
  Append(out, context);
  AppendU64Le(out, label.size());
  Append(out, label);
  return out;
}

struct KeyAndNonce {
  SecretBytes key;    // 32 bytes
  SecretBytes nonce;  // 24 bytes
};

// H6(x, E, P_s, P_r, extra) = SHA-256(prefix ‖ x ‖ E ‖ P_s ‖ P_r ‖
// u64le(|extra|) ‖ extra), with x = S^e ‖ S^d, each the SEC1 compressed
// encoding of the ECDH product (spec "ECDH Shared-Secret Encoding").
SecretBytes H6(const SecretBytes& x, const Point& e, const Point& sender,
               const Point& recipient, ByteSpan extra) {
  Sha256Hasher h;
  h.Update(AsBytes(kH6Prefix));
  h.Update(x.span());
  h.Update(e.EncodeCompressed());
  h.Update(sender.EncodeCompressed());
  h.Update(recipient.EncodeCompressed());
  Bytes len;
  AppendU64Le(len, extra.size());
  h.Update(len);
  h.Update(extra);
  Sha256Digest d = h.Finish();
  SecretBytes out = SecretBytes::CopyFrom(d);
  CleanseMemory(d.data(), d.size());
  return out;
}

// DeriveKeyAndNonce for SHA-256 (two domain-separated H6 calls). `se` and
// `sd` are the ECDH products e·P_r (or d_r·E) and d_s·P_r (or d_r·P_s).
KeyAndNonce DeriveKeyAndNonce(const Point& se, const Point& sd,
                              const Point& ephemeral, const Point& sender,
                              const Point& recipient, ByteSpan context) {
  SecretBytes x;
  CompressedPoint a = se.EncodeCompressed();
  CompressedPoint b = sd.EncodeCompressed();
  x.Append(a);
  x.Append(b);
  CleanseMemory(a.data(), a.size());
  CleanseMemory(b.data(), b.size());
  KeyAndNonce kn;
  kn.key = H6(x, ephemeral, sender, recipient, DeriveExtra(context, "key"));
  kn.nonce = H6(x, ephemeral, sender, recipient, DeriveExtra(context, "nonce"));
  kn.nonce.Resize(kXaesNonceSize);
  return kn;
}

// Horner evaluation of the secret polynomial at x (all mod q).
Scalar EvaluatePolynomial(std::span<const Scalar> coefficients, uint32_t x) {
  const Scalar xs = Scalar::FromUint64(x);
  Scalar acc = coefficients.back();
  for (size_t k = coefficients.size() - 1; k-- > 0;) {
    acc = acc * xs + coefficients[k];
  }
  return acc;
}

Status CheckIndex(const Session& session, uint32_t index) {
  // Index 0 would hand out f(0), the secret itself (zero-share attack).
  if (index == 0 || index > session.n) {
    return InvalidArgumentError("participant index " + std::to_string(index) +
                                " is outside 1.." + std::to_string(session.n));
  }
  return OkStatus();
}

Status CheckStaticKey(const Session& session, uint32_t index,
                      const Scalar& static_key) {
  if (static_key.IsZero() ||
      Point::BaseMul(static_key) != session.static_public_keys[index - 1]) {
    return InvalidArgumentError("static key does not match P_" +
                                std::to_string(index));
  }
  return OkStatus();
}

// Records the blame (if wanted) and returns the matching status.
Status Accuse(Blame* blame, Fault fault, uint32_t culprit, uint32_t reporter,
              bool publicly_verifiable, std::string reason,
              StatusCode code = StatusCode::kInvalidArgument) {
  std::string message = Participant(culprit) + " is faulty (" +
                        std::string(FaultName(fault)) + "): " + reason;
  if (blame != nullptr) {
    *blame = Blame{};
    blame->fault = fault;
    blame->culprit = culprit;
    blame->reporter = reporter;
    blame->publicly_verifiable = publicly_verifiable;
    blame->reason = std::move(reason);
  }
  return Status(code, std::move(message));
}

// Structural checks of an in-memory Round 1 message that decoding would have
// enforced: finite points, the PoP and ciphertext counts. |C_j| is checked
// separately (its own blame kind).
Status CheckMessageShape(const Session& session, const Round1Message& m,
                         uint32_t j, uint32_t reporter, Blame* blame) {
  for (size_t k = 0; k < m.commitment.size(); ++k) {
    if (m.commitment[k].IsInfinity()) {
      return Accuse(blame, Fault::kMalformedMessage, j, reporter, true,
                    "commitment C_" + std::to_string(k) + " is infinity");
    }
  }
  if (m.ephemeral_key.IsInfinity()) {
    return Accuse(blame, Fault::kMalformedMessage, j, reporter, true,
                  "ephemeral key is infinity");
  }
  if (m.pop.size() != kSignatureSize) {
    return Accuse(blame, Fault::kMalformedMessage, j, reporter, true,
                  "proof of possession has wrong length");
  }
  if (m.ciphertexts.size() != session.n) {
    return Accuse(blame, Fault::kMalformedMessage, j, reporter, false,
                  "wrong number of encrypted shares");
  }
  return OkStatus();
}

Status CheckCiphertextSize(ByteSpan c, uint32_t j, uint32_t reporter,
                           Blame* blame) {
  if (c.size() < kMinCiphertextSize) {
    return Accuse(blame, Fault::kCiphertextFraming, j, reporter, false,
                  "encrypted share below the 48-byte minimum");
  }
  if (c.size() > kMaxCiphertextSize) {
    return Accuse(blame, Fault::kCiphertextFraming, j, reporter, false,
                  "encrypted share above MAX_CIPHERTEXT_SIZE");
  }
  return OkStatus();
}

// Decrypts c_{j,i} and Feldman-checks the share against C_j (spec Round 2
// step 3). Shared by Round2 and Recover.
StatusOr<std::pair<Scalar, SecretBytes>> OpenShare(
    ByteSpan context, const Scalar& d_i, uint32_t i, const Point& p_i,
    uint32_t j, const Point& p_j, const Point& e_j, std::span<const Point> c_j,
    ByteSpan ciphertext, Blame* blame) {
  CONCLAVE_RETURN_IF_ERROR(CheckCiphertextSize(ciphertext, j, i, blame));
  const KeyAndNonce kn =
      DeriveKeyAndNonce(e_j.Mul(d_i), p_j.Mul(d_i), e_j, p_j, p_i, context);
  StatusOr<SecretBytes> plaintext =
      Xaes256GcmOpen(kn.key.span(), kn.nonce.span(), {}, ciphertext);
  if (!plaintext.ok()) {
    if (plaintext.status().code() != StatusCode::kUnauthenticated) {
      return plaintext.status();
    }
    return Accuse(blame, Fault::kDecryptionFailed, j, i, false,
                  "encrypted share does not decrypt",
                  StatusCode::kUnauthenticated);
  }
  if (plaintext->size() < kScalarSize) {
    return Accuse(blame, Fault::kInvalidShareEncoding, j, i, false,
                  "plaintext shorter than a scalar");
  }
  StatusOr<Scalar> share =
      Scalar::FromBytes(plaintext->span().first(kScalarSize));
  if (!share.ok()) {
    return Accuse(blame, Fault::kInvalidShareEncoding, j, i, false,
                  "share is not a canonical scalar (>= q)");
  }
  SecretBytes payload =
      SecretBytes::CopyFrom(plaintext->span().subspan(kScalarSize));
  // s_{j,i}·B = Σ_k i^k·C_{j,k}: the secret side uses the constant-time
  // base multiplication, the commitment side is public.
  if (Point::BaseMul(*share) != EvaluatePublic(c_j, i)) {
    Status s =
        Accuse(blame, Fault::kInvalidShare, j, i, true,
               "share fails the Feldman check against C_" + std::to_string(j),
               StatusCode::kUnauthenticated);
    if (blame != nullptr) blame->disclosed_share = *share;
    return s;
  }
  return std::make_pair(std::move(share).value(), std::move(payload));
}

// Aggregates Σ_j C_{j,k} for k = 0..t-1.
std::vector<Point> AggregateCommitments(
    uint32_t t, std::span<const std::vector<Point>> commitments) {
  std::vector<Point> agg(t, Point::Infinity());
  for (const auto& c : commitments) {
    for (uint32_t k = 0; k < t; ++k) agg[k] = agg[k] + c[k];
  }
  return agg;
}

std::vector<std::vector<Point>> CommitmentsOf(
    std::span<const Round1Message> messages) {
  std::vector<std::vector<Point>> out;
  out.reserve(messages.size());
  for (const auto& m : messages) out.push_back(m.commitment);
  return out;
}

Status CheckAllCommitmentLengths(const Session& session,
                                 std::span<const Round1Message> messages) {
  if (messages.size() != session.n) {
    return InvalidArgumentError("expected " + std::to_string(session.n) +
                                " Round 1 messages, got " +
                                std::to_string(messages.size()));
  }
  for (uint32_t j = 1; j <= session.n; ++j) {
    if (messages[j - 1].commitment.size() != session.t) {
      return Accuse(nullptr, Fault::kCommitmentLength, j, 0, true,
                    "commitment has " +
                        std::to_string(messages[j - 1].commitment.size()) +
                        " points, t = " + std::to_string(session.t));
    }
  }
  return OkStatus();
}

Bytes EncodeTranscript(const Session& session,
                       std::span<const std::vector<Point>> commitments,
                       std::span<const Bytes> pops,
                       std::span<const Point> ephemeral_keys,
                       ByteSpan extension) {
  Bytes t;
  AppendU64Le(t, kCiphersuiteId.size());
  Append(t, kCiphersuiteId);
  AppendU64Le(t, session.context.size());
  Append(t, session.context);
  AppendU32Le(t, session.n);
  AppendU32Le(t, session.t);
  for (const Point& p : session.static_public_keys) AppendPoint(t, p);
  for (const auto& c : commitments) Append(t, EncodeCommitment(c));
  for (const Bytes& pop : pops) Append(t, pop);
  for (const Point& e : ephemeral_keys) AppendPoint(t, e);
  AppendU64Le(t, extension.size());
  Append(t, extension);
  return t;
}

}  // namespace

// ---- Hashes and Schnorr ----

Scalar HashToScalar(ByteSpan input) {
  static constexpr uint8_t kOne[1] = {0x01};
  static constexpr uint8_t kTwo[1] = {0x02};
  Sha256Hasher h;
  h.Update(kOne);
  h.Update(input);
  Sha256Digest first = h.Finish();
  h.Update(kTwo);
  h.Update(input);
  Sha256Digest second = h.Finish();
  SecretBytes wide = SecretBytes::CopyFrom(first);
  wide.Append(ByteSpan(second).first(16));
  CleanseMemory(first.data(), first.size());
  CleanseMemory(second.data(), second.size());
  return Scalar::FromBytesModOrder(wide.span());
}

StatusOr<Bytes> SchnorrSign(const Scalar& secret_key, ByteSpan message) {
  if (secret_key.IsZero()) {
    return InvalidArgumentError("Schnorr secret key is zero");
  }
  const Point pk = Point::BaseMul(secret_key);
  // k = HashToScalar(prefix_nonce ‖ sk ‖ m): sk is secret, so the input is
  // built in wiping memory.
  SecretBytes nonce_input = SecretBytes::CopyFrom(AsBytes(kNoncePrefix));
  nonce_input.Append(secret_key.ToBytes().span());
  nonce_input.Append(message);
  const Scalar k = HashToScalar(nonce_input.span());
  nonce_input.Clear();
  if (k.IsZero()) {
    // Spec Sign step 3: R would be infinity and z would reveal sk.
    return Status(StatusCode::kAborted,
                  "Schnorr nonce is zero; abandon this session");
  }
  const CompressedPoint r = Point::BaseMul(k).EncodeCompressed();
  Bytes challenge_input = ToBytes(kH7Prefix);
  Append(challenge_input, r);
  Append(challenge_input, pk.EncodeCompressed());
  Append(challenge_input, message);
  const Scalar c = HashToScalar(challenge_input);
  const Scalar z = k + c * secret_key;
  Bytes sig(r.begin(), r.end());
  Append(sig, z.ToPublicBytes());
  return sig;
}

Status SchnorrVerify(const Point& public_key, ByteSpan signature,
                     ByteSpan message) {
  if (signature.size() != kSignatureSize) {
    return InvalidArgumentError("Schnorr signature must be 65 bytes");
  }
  if (public_key.IsInfinity()) {
    return InvalidArgumentError("Schnorr public key is infinity");
  }
  StatusOr<Scalar> z = Scalar::FromBytes(signature.subspan(kPointSize));
  if (!z.ok()) {
    return UnauthenticatedError("Schnorr signature: z is not below q");
  }
  StatusOr<Point> r = Point::DecodeCompressed(signature.first(kPointSize));
  if (!r.ok()) {
    return UnauthenticatedError("Schnorr signature: R is not a valid point");
  }
  Bytes challenge_input = ToBytes(kH7Prefix);
  Append(challenge_input, signature.first(kPointSize));
  Append(challenge_input, public_key.EncodeCompressed());
  Append(challenge_input, message);
  const Scalar c = HashToScalar(challenge_input);
  // z·B − c·pk = R, on public values only.
  if (Point::MulAddPublic(*z, public_key, -c) != *r) {
    return UnauthenticatedError("Schnorr signature does not verify");
  }
  return OkStatus();
}

// ---- Setup ----

Bytes RecommendedContext(ByteSpan session_id,
                         std::span<const Point> static_public_keys) {
  Bytes pre = ToBytes(kContextPrefix);
  AppendU64Be(pre, session_id.size());
  Append(pre, session_id);
  AppendU64Be(pre, kCiphersuiteId.size());
  Append(pre, kCiphersuiteId);
  AppendU32Le(pre, static_cast<uint32_t>(static_public_keys.size()));
  for (const Point& p : static_public_keys) AppendPoint(pre, p);
  const Sha256Digest d = Sha256(pre);
  return Bytes(d.begin(), d.end());
}

StatusOr<Session> NewSession(uint32_t t, std::vector<Point> static_public_keys,
                             ByteSpan context) {
  const size_t n = static_public_keys.size();
  if (n == 0 || n > 0xFFFFFFFFu) {
    return InvalidArgumentError("COCKTAIL needs 1..2^32-1 participants");
  }
  if (t == 0 || t > n) {
    return InvalidArgumentError("threshold t = " + std::to_string(t) +
                                " is outside 1..n = " + std::to_string(n));
  }
  if (context.empty()) {
    return InvalidArgumentError("session context is empty");
  }
  std::vector<CompressedPoint> seen;
  seen.reserve(n);
  for (size_t j = 0; j < n; ++j) {
    if (static_public_keys[j].IsInfinity()) {
      return InvalidArgumentError("static key P_" + std::to_string(j + 1) +
                                  " is infinity");
    }
    seen.push_back(static_public_keys[j].EncodeCompressed());
  }
  std::vector<CompressedPoint> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) {
    std::vector<size_t> where;
    for (size_t j = 0; j < n; ++j) {
      if (seen[j] == *dup) where.push_back(j + 1);
    }
    return InvalidArgumentError("static keys P_" + std::to_string(where[0]) +
                                " and P_" + std::to_string(where[1]) +
                                " are equal");
  }
  Session s;
  s.n = static_cast<uint32_t>(n);
  s.t = t;
  s.context = ToBytes(context);
  s.static_public_keys = std::move(static_public_keys);
  return s;
}

std::string_view FaultName(Fault fault) {
  switch (fault) {
    case Fault::kMalformedMessage:
      return "malformed message";
    case Fault::kCommitmentLength:
      return "commitment length";
    case Fault::kInvalidPop:
      return "invalid proof of possession";
    case Fault::kDuplicateContribution:
      return "duplicate contribution";
    case Fault::kCiphertextFraming:
      return "ciphertext framing";
    case Fault::kDecryptionFailed:
      return "decryption failed";
    case Fault::kInvalidShareEncoding:
      return "invalid share encoding";
    case Fault::kInvalidShare:
      return "invalid share";
    case Fault::kInvalidTranscriptSignature:
      return "invalid transcript signature";
  }
  return "unknown";
}

// ---- Round 1 ----

Bytes EncodeRound1Message(const Round1Message& msg) {
  Bytes out = EncodeCommitment(msg.commitment);
  Append(out, msg.pop);
  AppendPoint(out, msg.ephemeral_key);
  for (const Bytes& c : msg.ciphertexts) {
    AppendU64Be(out, c.size());
    Append(out, c);
  }
  return out;
}

StatusOr<Round1Message> DecodeRound1Message(ByteSpan encoded, uint32_t n,
                                            uint32_t t) {
  ByteReader r(encoded);
  Round1Message m;
  ByteSpan field;
  for (uint32_t k = 0; k < t; ++k) {
    if (!r.ReadBytes(kPointSize, &field)) {
      return InvalidArgumentError("Round 1 message truncated in C");
    }
    StatusOr<Point> c = Point::DecodeCompressed(field);
    if (!c.ok()) {
      return InvalidArgumentError(
          "commitment C_" + std::to_string(k) +
          " is not a valid point: " + c.status().message());
    }
    m.commitment.push_back(std::move(c).value());
  }
  if (!r.ReadBytes(kSignatureSize, &field)) {
    return InvalidArgumentError("Round 1 message truncated in PoP");
  }
  m.pop = ToBytes(field);
  if (!r.ReadBytes(kPointSize, &field)) {
    return InvalidArgumentError("Round 1 message truncated in E");
  }
  StatusOr<Point> e = Point::DecodeCompressed(field);
  if (!e.ok()) {
    return InvalidArgumentError("ephemeral key is not a valid point: " +
                                e.status().message());
  }
  m.ephemeral_key = std::move(e).value();
  for (uint32_t j = 1; j <= n; ++j) {
    uint64_t len = 0;
    if (!r.ReadU64(&len)) {
      return InvalidArgumentError("Round 1 message truncated in frame " +
                                  std::to_string(j));
    }
    if (len > kMaxCiphertextSize) {
      return InvalidArgumentError("encrypted share " + std::to_string(j) +
                                  " exceeds MAX_CIPHERTEXT_SIZE");
    }
    if (len < kMinCiphertextSize) {
      return InvalidArgumentError("encrypted share " + std::to_string(j) +
                                  " is below the 48-byte minimum");
    }
    if (!r.ReadBytes(static_cast<size_t>(len), &field)) {
      return InvalidArgumentError("Round 1 message truncated in share " +
                                  std::to_string(j));
    }
    m.ciphertexts.push_back(ToBytes(field));
  }
  if (!r.empty()) {
    return InvalidArgumentError("Round 1 message has trailing bytes");
  }
  return m;
}

StatusOr<Round1Output> Round1(const Session& session, uint32_t index,
                              const Scalar& static_key,
                              std::span<const Bytes> payloads,
                              const ScalarSource& source) {
  CONCLAVE_RETURN_IF_ERROR(CheckIndex(session, index));
  CONCLAVE_RETURN_IF_ERROR(CheckStaticKey(session, index, static_key));
  if (!payloads.empty() && payloads.size() != session.n) {
    return InvalidArgumentError(
        "payloads must be empty or one per participant");
  }
  for (const Bytes& p : payloads) {
    if (p.size() > kMaxCiphertextSize - kMinCiphertextSize) {
      return InvalidArgumentError("payload too large for MAX_CIPHERTEXT_SIZE");
    }
  }
  auto draw = [&source]() {
    // Zero is redrawn (spec Round 1 steps 1 and 3: C_{i,k} and E_i must not
    // be the identity).
    for (;;) {
      Scalar s = source ? source() : Scalar::Random();
      if (!s.IsZero()) return s;
    }
  };

  Round1Output out;
  Round1Secrets& secrets = out.secrets;
  Round1Message& msg = out.message;
  secrets.coefficients.reserve(session.t);
  for (uint32_t k = 0; k < session.t; ++k) {
    secrets.coefficients.push_back(draw());
    msg.commitment.push_back(Point::BaseMul(secrets.coefficients.back()));
  }
  secrets.ephemeral_key = draw();
  msg.ephemeral_key = Point::BaseMul(secrets.ephemeral_key);

  CONCLAVE_ASSIGN_OR_RETURN(
      msg.pop,
      SchnorrSign(secrets.coefficients[0], PopMessage(session.context, msg)));

  const Point& p_i = session.static_public_keys[index - 1];
  msg.ciphertexts.reserve(session.n);
  for (uint32_t j = 1; j <= session.n; ++j) {
    const Point& p_j = session.static_public_keys[j - 1];
    const KeyAndNonce kn =
        DeriveKeyAndNonce(p_j.Mul(secrets.ephemeral_key), p_j.Mul(static_key),
                          msg.ephemeral_key, p_i, p_j, session.context);
    SecretBytes plaintext =
        EvaluatePolynomial(secrets.coefficients, j).ToBytes();
    if (!payloads.empty()) plaintext.Append(payloads[j - 1]);
    CONCLAVE_ASSIGN_OR_RETURN(
        Bytes c,
        Xaes256GcmSeal(kn.key.span(), kn.nonce.span(), {}, plaintext.span()));
    msg.ciphertexts.push_back(std::move(c));
  }
  return out;
}

// ---- Round 2 ----

StatusOr<Round2Output> Round2(const Session& session, uint32_t index,
                              const Scalar& static_key,
                              std::span<const Round1Message> messages,
                              Blame* blame) {
  CONCLAVE_RETURN_IF_ERROR(CheckIndex(session, index));
  CONCLAVE_RETURN_IF_ERROR(CheckStaticKey(session, index, static_key));
  if (messages.size() != session.n) {
    // The coordinator's fault (it dropped or added a message): nobody among
    // the participants can be named.
    return InvalidArgumentError("expected " + std::to_string(session.n) +
                                " Round 1 messages, got " +
                                std::to_string(messages.size()));
  }
  const uint32_t i = index;
  // Step 1: |C_j| = t for every j (threshold elevation).
  for (uint32_t j = 1; j <= session.n; ++j) {
    const Round1Message& m = messages[j - 1];
    if (m.commitment.size() != session.t) {
      return Accuse(blame, Fault::kCommitmentLength, j, i, true,
                    "commitment has " + std::to_string(m.commitment.size()) +
                        " points, t = " + std::to_string(session.t));
    }
    CONCLAVE_RETURN_IF_ERROR(CheckMessageShape(session, m, j, i, blame));
  }
  // Step 2: every PoP_j over context ‖ C_j ‖ E_j under C_{j,0}.
  for (uint32_t j = 1; j <= session.n; ++j) {
    const Round1Message& m = messages[j - 1];
    Status s =
        SchnorrVerify(m.commitment[0], m.pop, PopMessage(session.context, m));
    if (!s.ok()) {
      return Accuse(blame, Fault::kInvalidPop, j, i, true, s.message(),
                    StatusCode::kUnauthenticated);
    }
  }
  // A message replayed from another participant carries a valid PoP (it
  // signs the same context); honest participants never repeat C_{j,0} or
  // E_j, so a repeat is refused and the later position named.
  for (uint32_t j = 2; j <= session.n; ++j) {
    for (uint32_t k = 1; k < j; ++k) {
      if (messages[j - 1].commitment[0] == messages[k - 1].commitment[0] ||
          messages[j - 1].ephemeral_key == messages[k - 1].ephemeral_key) {
        return Accuse(blame, Fault::kDuplicateContribution, j, i, true,
                      "repeats " + Participant(k) + "'s C_0 or E");
      }
    }
  }
  // Step 3: decrypt and Feldman-check s_{j,i}.
  const Point& p_i = session.static_public_keys[i - 1];
  Round2Output out;
  out.payloads.reserve(session.n);
  Scalar x;
  for (uint32_t j = 1; j <= session.n; ++j) {
    const Round1Message& m = messages[j - 1];
    CONCLAVE_ASSIGN_OR_RETURN(
        auto opened,
        OpenShare(session.context, static_key, i, p_i, j,
                  session.static_public_keys[j - 1], m.ephemeral_key,
                  m.commitment, m.ciphertexts[i - 1], blame));
    x = x + opened.first;
    out.payloads.push_back(ToBytes(opened.second.span()));
  }
  // Step 4.
  const std::vector<Point> agg =
      AggregateCommitments(session.t, CommitmentsOf(messages));
  out.group_public_key = agg[0];
  out.verification_share = EvaluatePublic(agg, i);
  if (out.group_public_key.IsInfinity() ||
      Point::BaseMul(x) != out.verification_share) {
    return FailedPreconditionError(
        "final check x_i·B = Y_i failed (implementation error)");
  }
  out.secret_share = std::move(x);
  return out;
}

StatusOr<std::vector<Point>> VerificationShares(
    const Session& session, std::span<const Round1Message> messages) {
  CONCLAVE_RETURN_IF_ERROR(CheckAllCommitmentLengths(session, messages));
  const std::vector<Point> agg =
      AggregateCommitments(session.t, CommitmentsOf(messages));
  std::vector<Point> out;
  out.reserve(session.n);
  for (uint32_t m = 1; m <= session.n; ++m) {
    out.push_back(EvaluatePublic(agg, m));
  }
  return out;
}

StatusOr<Point> GroupPublicKey(const Session& session,
                               std::span<const Round1Message> messages) {
  CONCLAVE_RETURN_IF_ERROR(CheckAllCommitmentLengths(session, messages));
  Point y = Point::Infinity();
  for (const auto& m : messages) y = y + m.commitment[0];
  return y;
}

// ---- Round 3 ----

StatusOr<Bytes> Transcript(const Session& session,
                           std::span<const Round1Message> messages,
                           ByteSpan extension) {
  CONCLAVE_RETURN_IF_ERROR(CheckAllCommitmentLengths(session, messages));
  std::vector<Bytes> pops;
  std::vector<Point> ephemeral;
  for (uint32_t j = 1; j <= session.n; ++j) {
    const Round1Message& m = messages[j - 1];
    for (const Point& c : m.commitment) {
      if (c.IsInfinity()) {
        return InvalidArgumentError(Participant(j) + ": commitment infinity");
      }
    }
    if (m.pop.size() != kSignatureSize || m.ephemeral_key.IsInfinity()) {
      return InvalidArgumentError(Participant(j) + ": malformed PoP or E");
    }
    pops.push_back(m.pop);
    ephemeral.push_back(m.ephemeral_key);
  }
  return EncodeTranscript(session, CommitmentsOf(messages), pops, ephemeral,
                          extension);
}

StatusOr<Bytes> CertEqSign(const Scalar& static_key, ByteSpan transcript) {
  return SchnorrSign(static_key, transcript);
}

Status VerifyCertificate(const Session& session, ByteSpan transcript,
                         std::span<const Bytes> signatures, Blame* blame) {
  if (signatures.size() != session.n) {
    return InvalidArgumentError("expected " + std::to_string(session.n) +
                                " transcript signatures, got " +
                                std::to_string(signatures.size()));
  }
  for (uint32_t j = 1; j <= session.n; ++j) {
    Status s = SchnorrVerify(session.static_public_keys[j - 1],
                             signatures[j - 1], transcript);
    if (!s.ok()) {
      Status st = Accuse(blame, Fault::kInvalidTranscriptSignature, j, 0, true,
                         s.message(), StatusCode::kUnauthenticated);
      if (blame != nullptr) blame->signature = signatures[j - 1];
      return st;
    }
  }
  return OkStatus();
}

Bytes PayloadExtension(std::span<const Bytes> payloads) {
  Bytes pre;
  AppendU64Le(pre, payloads.size());
  for (const Bytes& p : payloads) {
    AppendU64Le(pre, p.size());
    Append(pre, p);
  }
  const Sha256Digest d = Sha256(pre);
  return Bytes(d.begin(), d.end());
}

// ---- Blame verification ----

Status VerifyBlame(const Session& session,
                   std::span<const Round1Message> messages, const Blame& blame,
                   ByteSpan transcript) {
  if (!blame.publicly_verifiable) {
    return FailedPreconditionError(
        std::string(FaultName(blame.fault)) +
        " blame is not publicly verifiable (it needs the reporter's key)");
  }
  if (blame.culprit == 0 || blame.culprit > session.n ||
      messages.size() != session.n) {
    return InvalidArgumentError("blame names no participant of this session");
  }
  const uint32_t j = blame.culprit;
  const Round1Message& m = messages[j - 1];
  const Status unfounded = InvalidArgumentError(
      "the public record does not show " + Participant(j) + " at fault");
  switch (blame.fault) {
    case Fault::kCommitmentLength:
      return m.commitment.size() != session.t ? OkStatus() : unfounded;
    case Fault::kMalformedMessage: {
      Blame ignored;
      return CheckMessageShape(session, m, j, 0, &ignored).ok() ? unfounded
                                                                : OkStatus();
    }
    case Fault::kInvalidPop:
      if (m.commitment.empty() || m.commitment[0].IsInfinity()) {
        return OkStatus();
      }
      return SchnorrVerify(m.commitment[0], m.pop,
                           PopMessage(session.context, m))
                     .ok()
                 ? unfounded
                 : OkStatus();
    case Fault::kDuplicateContribution:
      for (uint32_t k = 1; k < j; ++k) {
        const Round1Message& o = messages[k - 1];
        if (!o.commitment.empty() && !m.commitment.empty() &&
            (o.commitment[0] == m.commitment[0] ||
             o.ephemeral_key == m.ephemeral_key)) {
          return OkStatus();
        }
      }
      return unfounded;
    case Fault::kInvalidShare: {
      if (!blame.disclosed_share.has_value() || blame.reporter == 0 ||
          blame.reporter > session.n || m.commitment.size() != session.t) {
        return InvalidArgumentError("share blame lacks its evidence");
      }
      // The spec's public check: s·B != Σ_k reporter^k·C_{j,k}.
      return Point::BaseMul(*blame.disclosed_share) !=
                     EvaluatePublic(m.commitment, blame.reporter)
                 ? OkStatus()
                 : unfounded;
    }
    case Fault::kInvalidTranscriptSignature:
      if (transcript.empty()) {
        return InvalidArgumentError("signature blame needs the transcript");
      }
      return SchnorrVerify(session.static_public_keys[j - 1], blame.signature,
                           transcript)
                     .ok()
                 ? unfounded
                 : OkStatus();
    default:
      return FailedPreconditionError("blame kind is not publicly verifiable");
  }
}

// ---- Recovery ----

StatusOr<ParsedTranscript> ParseTranscript(ByteSpan transcript) {
  ByteSpan rest = transcript;
  auto take = [&rest](size_t n, ByteSpan* out) {
    if (rest.size() < n) return false;
    *out = rest.first(n);
    rest = rest.subspan(n);
    return true;
  };
  ByteSpan f;
  const Status truncated = InvalidArgumentError("transcript is truncated");
  if (!take(8, &f)) return truncated;
  const uint64_t cs_len = ReadU64Le(f);
  if (cs_len != kCiphersuiteId.size() || !take(cs_len, &f) ||
      AsStringView(f) != kCiphersuiteId) {
    return InvalidArgumentError("transcript is not for " +
                                std::string(kCiphersuiteId));
  }
  if (!take(8, &f)) return truncated;
  const uint64_t ctx_len = ReadU64Le(f);
  if (ctx_len > rest.size()) return truncated;
  ByteSpan context;
  if (!take(ctx_len, &context)) return truncated;
  if (!take(8, &f)) return truncated;
  const uint32_t n = ReadU32Le(f.first(4));
  const uint32_t t = ReadU32Le(f.subspan(4));
  if (n == 0 || t == 0 || t > n) {
    return InvalidArgumentError("transcript has invalid n or t");
  }
  // Everything per participant is fixed-size: bound n by what is left before
  // reserving memory.
  const uint64_t per_participant =
      kPointSize + uint64_t{t} * kPointSize + kSignatureSize + kPointSize;
  if (uint64_t{n} * per_participant + 8 > rest.size()) return truncated;

  ParsedTranscript out;
  std::vector<Point> keys;
  for (uint32_t j = 1; j <= n; ++j) {
    if (!take(kPointSize, &f)) return truncated;
    CONCLAVE_ASSIGN_OR_RETURN(Point p, Point::DecodeCompressed(f));
    keys.push_back(std::move(p));
  }
  CONCLAVE_ASSIGN_OR_RETURN(out.session,
                            NewSession(t, std::move(keys), context));
  for (uint32_t j = 1; j <= n; ++j) {
    std::vector<Point> c;
    for (uint32_t k = 0; k < t; ++k) {
      if (!take(kPointSize, &f)) return truncated;
      CONCLAVE_ASSIGN_OR_RETURN(Point p, Point::DecodeCompressed(f));
      c.push_back(std::move(p));
    }
    out.commitments.push_back(std::move(c));
  }
  for (uint32_t j = 1; j <= n; ++j) {
    if (!take(kSignatureSize, &f)) return truncated;
    out.pops.push_back(ToBytes(f));
  }
  for (uint32_t j = 1; j <= n; ++j) {
    if (!take(kPointSize, &f)) return truncated;
    CONCLAVE_ASSIGN_OR_RETURN(Point p, Point::DecodeCompressed(f));
    out.ephemeral_keys.push_back(std::move(p));
  }
  if (!take(8, &f)) return truncated;
  const uint64_t ext_len = ReadU64Le(f);
  if (ext_len != rest.size()) {
    return InvalidArgumentError("transcript extension length mismatch");
  }
  out.extension = ToBytes(rest);
  return out;
}

StatusOr<RecoveryOutput> Recover(const Scalar& static_key, ByteSpan transcript,
                                 std::span<const Bytes> signatures,
                                 ByteSpan bundle) {
  // Step 1 (ciphersuite check included) and step 2.
  CONCLAVE_ASSIGN_OR_RETURN(ParsedTranscript parsed,
                            ParseTranscript(transcript));
  const Session& session = parsed.session;
  CONCLAVE_RETURN_IF_ERROR(VerifyCertificate(session, transcript, signatures));
  // Step 3: the unique i with P_i = d_i·B (keys are distinct by NewSession).
  const Point own = Point::BaseMul(static_key);
  uint32_t i = 0;
  for (uint32_t j = 1; j <= session.n; ++j) {
    if (session.static_public_keys[j - 1] == own) i = j;
  }
  if (i == 0) {
    return NotFoundError("static key is not a participant of this transcript");
  }
  // Step 5: exactly n frames, no trailing bytes.
  ByteReader r(bundle);
  std::vector<ByteSpan> ciphertexts;
  for (uint32_t j = 1; j <= session.n; ++j) {
    uint64_t len = 0;
    ByteSpan c;
    if (!r.ReadU64(&len) || len > kMaxCiphertextSize ||
        len < kMinCiphertextSize || !r.ReadBytes(len, &c)) {
      return InvalidArgumentError("recovery bundle frame " + std::to_string(j) +
                                  " is malformed");
    }
    ciphertexts.push_back(c);
  }
  if (!r.empty()) {
    return InvalidArgumentError("recovery bundle has trailing bytes");
  }
  // Steps 4, 6, 7.
  const Point& p_i = session.static_public_keys[i - 1];
  Scalar x;
  for (uint32_t j = 1; j <= session.n; ++j) {
    CONCLAVE_ASSIGN_OR_RETURN(
        auto opened,
        OpenShare(session.context, static_key, i, p_i, j,
                  session.static_public_keys[j - 1],
                  parsed.ephemeral_keys[j - 1], parsed.commitments[j - 1],
                  ciphertexts[j - 1], nullptr));
    x = x + opened.first;
  }
  // Step 8.
  const std::vector<Point> agg =
      AggregateCommitments(session.t, parsed.commitments);
  RecoveryOutput out;
  out.index = i;
  out.group_public_key = agg[0];
  for (uint32_t m = 1; m <= session.n; ++m) {
    out.verification_shares.push_back(EvaluatePublic(agg, m));
  }
  if (Point::BaseMul(x) != out.verification_shares[i - 1]) {
    return FailedPreconditionError("recovered share fails x_i·B = Y_i");
  }
  out.secret_share = std::move(x);
  return out;
}

}  // namespace conclave::cocktail
