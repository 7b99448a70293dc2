#include "crypto/hpke.h"

#include <limits>
#include <string_view>
#include <utility>

#include "base/byte_io.h"
#include "crypto/hash.h"

namespace conclave {

namespace {

constexpr std::string_view kHpkeVersionLabel = "HPKE-v1";
constexpr size_t kP256PrivateKeySize = 32;  // Nsk
constexpr uint8_t kModeBase = 0x00;

// RFC 9180 §4.1: the KEM's own suite_id is "KEM" ‖ I2OSP(kem_id, 2).
Bytes KemSuiteId() {
  ByteWriter w;
  w.Append("KEM");
  w.AppendU16(kHpkeKemDhkemP256HkdfSha256);
  return w.Take();
}

// RFC 9180 §5.1: "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖
// I2OSP(aead_id, 2).
Bytes HpkeSuiteId(HpkeAead aead) {
  ByteWriter w;
  w.Append("HPKE");
  w.AppendU16(kHpkeKemDhkemP256HkdfSha256);
  w.AppendU16(kHpkeKdfHkdfSha256);
  w.AppendU16(static_cast<uint16_t>(aead));
  return w.Take();
}

// LabeledExtract (RFC 9180 §4): Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖
// ikm). The ikm may be secret (a DH value, a seed), so the labeled input is
// built in SecretBytes.
SecretBytes LabeledExtract(ByteSpan suite_id, ByteSpan salt,
                           std::string_view label, ByteSpan ikm) {
  SecretBytes labeled_ikm;
  labeled_ikm.Append(AsBytes(kHpkeVersionLabel));
  labeled_ikm.Append(suite_id);
  labeled_ikm.Append(AsBytes(label));
  labeled_ikm.Append(ikm);
  return HkdfSha256Extract(salt, labeled_ikm.span());
}

// LabeledExpand (RFC 9180 §4): Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖
// suite_id ‖ label ‖ info, L). The info inputs are public here.
StatusOr<SecretBytes> LabeledExpand(ByteSpan suite_id, ByteSpan prk,
                                    std::string_view label, ByteSpan info,
                                    size_t length) {
  // HKDF-SHA256 caps L at 255 * 32, well inside the 2-byte length field.
  if (length > 255 * kSha256Size) {
    return InvalidArgumentError("HPKE LabeledExpand length exceeds 255*Nh");
  }
  ByteWriter w;
  w.AppendU16(static_cast<uint16_t>(length));
  w.Append(kHpkeVersionLabel);
  w.Append(suite_id);
  w.Append(label);
  w.Append(info);
  return HkdfSha256Expand(prk, w.bytes(), length);
}

StatusOr<AeadAlgorithm> ToAeadAlgorithm(HpkeAead aead) {
  switch (aead) {
    case HpkeAead::kAes128Gcm:
      return AeadAlgorithm::kAes128Gcm;
    case HpkeAead::kChaCha20Poly1305:
      return AeadAlgorithm::kChaCha20Poly1305;
  }
  return InvalidArgumentError("unsupported HPKE AEAD identifier");
}

// Strict SerializePublicKey/DeserializePublicKey inputs (RFC 9180 §7.1.1):
// exactly 0x04 ‖ X ‖ Y, on the curve, not infinity.
StatusOr<Point> DecodeHpkePoint(ByteSpan encoding, std::string_view what) {
  if (encoding.size() != kP256UncompressedPointSize || encoding[0] != 0x04) {
    return InvalidArgumentError(std::string(what) +
                                " must be a 65-byte uncompressed P-256 point");
  }
  StatusOr<Point> p = Point::DecodeUncompressed(encoding);
  if (!p.ok()) return p.status().Annotate(what);
  return p;
}

// ExtractAndExpand (RFC 9180 §4.1) with kem_context = enc ‖ pkRm, both
// already validated and canonically encoded.
StatusOr<SecretBytes> ExtractAndExpand(ByteSpan dh, ByteSpan enc,
                                       ByteSpan pk_rm) {
  const Bytes suite_id = KemSuiteId();
  SecretBytes eae_prk = LabeledExtract(suite_id, {}, "eae_prk", dh);
  const Bytes kem_context = Concat({enc, pk_rm});
  return LabeledExpand(suite_id, eae_prk.span(), "shared_secret", kem_context,
                       kHpkeSharedSecretSize);
}

// Encap (RFC 9180 §4.1) with a given ephemeral private key.
StatusOr<DhkemP256Encapsulation> EncapWithEphemeral(ByteSpan pk_r,
                                                    const Scalar& sk_e) {
  CONCLAVE_ASSIGN_OR_RETURN(Point pk_r_point,
                            DecodeHpkePoint(pk_r, "HPKE recipient key"));
  if (sk_e.IsZero()) return InternalError("HPKE ephemeral key is zero");
  Point dh_point = pk_r_point.Mul(sk_e);
  // Impossible for a valid point of prime order and sk_e in [1, n-1].
  if (dh_point.IsInfinity()) {
    return InternalError("HPKE DH result is the point at infinity");
  }
  SecretBytes dh = dh_point.XCoordinate();
  DhkemP256Encapsulation out;
  out.enc = Point::BaseMul(sk_e).EncodeUncompressed();
  const UncompressedPoint pk_rm = pk_r_point.EncodeUncompressed();
  CONCLAVE_ASSIGN_OR_RETURN(out.shared_secret,
                            ExtractAndExpand(dh.span(), out.enc, pk_rm));
  return out;
}

}  // namespace

// ---- DHKEM ----

StatusOr<DhkemP256KeyPair> DhkemP256DeriveKeyPair(ByteSpan ikm) {
  // RFC 9180 §7.1.3 asks for at least Nsk bytes of entropy; shorter seeds
  // cannot carry it, so they are refused outright.
  if (ikm.size() < kP256PrivateKeySize) {
    return InvalidArgumentError("DeriveKeyPair ikm must be at least 32 bytes");
  }
  const Bytes suite_id = KemSuiteId();
  SecretBytes dkp_prk = LabeledExtract(suite_id, {}, "dkp_prk", ikm);
  // Rejection sampling (RFC 9180 §7.1.3): a candidate is rejected with
  // probability about 2^-32, so the loop leaks essentially nothing.
  for (uint32_t counter = 0; counter <= 255; ++counter) {
    const uint8_t counter_byte = static_cast<uint8_t>(counter);
    CONCLAVE_ASSIGN_OR_RETURN(
        SecretBytes candidate,
        LabeledExpand(suite_id, dkp_prk.span(), "candidate",
                      ByteSpan(&counter_byte, 1), kP256PrivateKeySize));
    candidate[0] &= 0xff;  // The P-256 bitmask: every bit is kept.
    StatusOr<Scalar> sk = Scalar::FromBytes(candidate.span());
    if (!sk.ok() || sk->IsZero()) continue;
    DhkemP256KeyPair pair;
    pair.public_key = Point::BaseMul(*sk).EncodeUncompressed();
    pair.private_key = std::move(sk).value();
    return pair;
  }
  return InternalError("DeriveKeyPair found no valid scalar in 256 tries");
}

DhkemP256KeyPair DhkemP256GenerateKeyPair() {
  DhkemP256KeyPair pair;
  pair.private_key = Scalar::Random();
  pair.public_key = Point::BaseMul(pair.private_key).EncodeUncompressed();
  return pair;
}

StatusOr<SecretBytes> DhkemP256SharedSecretFromDh(ByteSpan dh, ByteSpan enc,
                                                  ByteSpan pk_r) {
  if (dh.size() != kHpkeDhSize) {
    return InvalidArgumentError("HPKE DH value must be a 32-byte x-coordinate");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Point enc_point, DecodeHpkePoint(enc, "HPKE enc"));
  CONCLAVE_ASSIGN_OR_RETURN(Point pk_r_point,
                            DecodeHpkePoint(pk_r, "HPKE recipient key"));
  // Re-encode so kem_context is exactly SerializePublicKey's output.
  return ExtractAndExpand(dh, enc_point.EncodeUncompressed(),
                          pk_r_point.EncodeUncompressed());
}

StatusOr<SecretBytes> DhkemP256SharedSecretFromDhPoint(const Point& dh_point,
                                                       ByteSpan enc,
                                                       ByteSpan pk_r) {
  if (dh_point.IsInfinity()) {
    return InvalidArgumentError("HPKE DH point is the point at infinity");
  }
  SecretBytes dh = dh_point.XCoordinate();
  return DhkemP256SharedSecretFromDh(dh.span(), enc, pk_r);
}

StatusOr<DhkemP256Encapsulation> DhkemP256Encap(ByteSpan pk_r) {
  return EncapWithEphemeral(pk_r, Scalar::Random());
}

StatusOr<DhkemP256Encapsulation> DhkemP256EncapWithIkmForTesting(
    ByteSpan pk_r, ByteSpan ikm_e) {
  CONCLAVE_ASSIGN_OR_RETURN(DhkemP256KeyPair ephemeral,
                            DhkemP256DeriveKeyPair(ikm_e));
  return EncapWithEphemeral(pk_r, ephemeral.private_key);
}

StatusOr<SecretBytes> DhkemP256Decap(const Scalar& sk_r, ByteSpan enc) {
  if (sk_r.IsZero()) {
    return InvalidArgumentError("HPKE recipient private key is zero");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Point enc_point, DecodeHpkePoint(enc, "HPKE enc"));
  Point dh_point = enc_point.Mul(sk_r);
  // Impossible for a valid point of prime order and sk_r in [1, n-1].
  if (dh_point.IsInfinity()) {
    return InternalError("HPKE DH result is the point at infinity");
  }
  SecretBytes dh = dh_point.XCoordinate();
  const UncompressedPoint pk_rm = Point::BaseMul(sk_r).EncodeUncompressed();
  return ExtractAndExpand(dh.span(), enc_point.EncodeUncompressed(), pk_rm);
}

// ---- Key schedule ----

StatusOr<HpkeKeySchedule> HpkeKeyScheduleBase(HpkeAead aead,
                                              ByteSpan shared_secret,
                                              ByteSpan info) {
  CONCLAVE_ASSIGN_OR_RETURN(AeadAlgorithm alg, ToAeadAlgorithm(aead));
  if (shared_secret.size() != kHpkeSharedSecretSize) {
    return InvalidArgumentError("HPKE shared secret must be 32 bytes");
  }
  const Bytes suite_id = HpkeSuiteId(aead);
  // mode_base: psk and psk_id are empty (RFC 9180 §5.1). Both hashes are of
  // public inputs, so they may sit in a plain Bytes.
  SecretBytes psk_id_hash = LabeledExtract(suite_id, {}, "psk_id_hash", {});
  SecretBytes info_hash = LabeledExtract(suite_id, {}, "info_hash", info);
  HpkeKeySchedule ks;
  ks.key_schedule_context.push_back(kModeBase);
  ks.key_schedule_context.insert(ks.key_schedule_context.end(),
                                 psk_id_hash.span().begin(),
                                 psk_id_hash.span().end());
  ks.key_schedule_context.insert(ks.key_schedule_context.end(),
                                 info_hash.span().begin(),
                                 info_hash.span().end());
  ks.secret = LabeledExtract(suite_id, shared_secret, "secret", {});
  CONCLAVE_ASSIGN_OR_RETURN(
      ks.key, LabeledExpand(suite_id, ks.secret.span(), "key",
                            ks.key_schedule_context, AeadKeySize(alg)));
  CONCLAVE_ASSIGN_OR_RETURN(
      ks.base_nonce, LabeledExpand(suite_id, ks.secret.span(), "base_nonce",
                                   ks.key_schedule_context, kHpkeNonceSize));
  CONCLAVE_ASSIGN_OR_RETURN(
      ks.exporter_secret,
      LabeledExpand(suite_id, ks.secret.span(), "exp", ks.key_schedule_context,
                    kHpkeExporterSecretSize));
  return ks;
}

// ---- Contexts ----

HpkeContextBase::HpkeContextBase(HpkeAead aead, HpkeKeySchedule schedule)
    : aead_(aead),
      key_(std::move(schedule.key)),
      base_nonce_(std::move(schedule.base_nonce)),
      exporter_secret_(std::move(schedule.exporter_secret)) {}

StatusOr<SecretBytes> HpkeContextBase::CurrentNonce() const {
  // RFC 9180 §5.2 stops at 2^96 - 1 messages; a 64-bit counter stops at
  // 2^64 - 1, which is stricter and never reached in practice.
  if (seq_ == std::numeric_limits<uint64_t>::max()) {
    return OutOfRangeError("HPKE message limit reached");
  }
  SecretBytes nonce = base_nonce_.Clone();
  // nonce = base_nonce XOR I2OSP(seq, Nn): only the low 8 bytes can change.
  for (size_t i = 0; i < sizeof(uint64_t); ++i) {
    nonce[kHpkeNonceSize - 1 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
  }
  return nonce;
}

StatusOr<SecretBytes> HpkeContextBase::Export(ByteSpan exporter_context,
                                              size_t length) const {
  const Bytes suite_id = HpkeSuiteId(aead_);
  return LabeledExpand(suite_id, exporter_secret_.span(), "sec",
                       exporter_context, length);
}

StatusOr<HpkeSenderContext> HpkeSenderContext::FromEncapsulation(
    HpkeAead aead, DhkemP256Encapsulation encapsulation, ByteSpan info) {
  CONCLAVE_ASSIGN_OR_RETURN(
      HpkeKeySchedule ks,
      HpkeKeyScheduleBase(aead, encapsulation.shared_secret.span(), info));
  return HpkeSenderContext(aead, std::move(ks), encapsulation.enc);
}

StatusOr<HpkeSenderContext> HpkeSenderContext::SetupBase(HpkeAead aead,
                                                         ByteSpan pk_r,
                                                         ByteSpan info) {
  CONCLAVE_RETURN_IF_ERROR(ToAeadAlgorithm(aead).status());
  CONCLAVE_ASSIGN_OR_RETURN(DhkemP256Encapsulation e, DhkemP256Encap(pk_r));
  return FromEncapsulation(aead, std::move(e), info);
}

StatusOr<HpkeSenderContext> HpkeSenderContext::SetupBaseWithEphemeral(
    HpkeAead aead, ByteSpan pk_r, ByteSpan info, const Scalar& sk_e) {
  CONCLAVE_RETURN_IF_ERROR(ToAeadAlgorithm(aead).status());
  if (sk_e.IsZero()) {
    return InvalidArgumentError("HPKE ephemeral private key is zero");
  }
  CONCLAVE_ASSIGN_OR_RETURN(DhkemP256Encapsulation e,
                            EncapWithEphemeral(pk_r, sk_e));
  return FromEncapsulation(aead, std::move(e), info);
}

StatusOr<HpkeSenderContext> HpkeSenderContext::SetupBaseWithIkmForTesting(
    HpkeAead aead, ByteSpan pk_r, ByteSpan info, ByteSpan ikm_e) {
  CONCLAVE_RETURN_IF_ERROR(ToAeadAlgorithm(aead).status());
  CONCLAVE_ASSIGN_OR_RETURN(DhkemP256Encapsulation e,
                            DhkemP256EncapWithIkmForTesting(pk_r, ikm_e));
  return FromEncapsulation(aead, std::move(e), info);
}

StatusOr<Bytes> HpkeSenderContext::Seal(ByteSpan aad, ByteSpan plaintext) {
  CONCLAVE_ASSIGN_OR_RETURN(AeadAlgorithm alg, ToAeadAlgorithm(aead()));
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes nonce, CurrentNonce());
  CONCLAVE_ASSIGN_OR_RETURN(
      Bytes ct, AeadSeal(alg, key().span(), nonce.span(), aad, plaintext));
  IncrementSequence();
  return ct;
}

StatusOr<HpkeRecipientContext> HpkeRecipientContext::SetupBase(
    HpkeAead aead, const Scalar& sk_r, ByteSpan enc, ByteSpan info) {
  CONCLAVE_RETURN_IF_ERROR(ToAeadAlgorithm(aead).status());
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes shared_secret,
                            DhkemP256Decap(sk_r, enc));
  return FromSharedSecret(aead, shared_secret, info);
}

StatusOr<HpkeRecipientContext> HpkeRecipientContext::FromSharedSecret(
    HpkeAead aead, const SecretBytes& shared_secret, ByteSpan info) {
  CONCLAVE_ASSIGN_OR_RETURN(
      HpkeKeySchedule ks,
      HpkeKeyScheduleBase(aead, shared_secret.span(), info));
  return HpkeRecipientContext(aead, std::move(ks));
}

StatusOr<SecretBytes> HpkeRecipientContext::Open(ByteSpan aad,
                                                 ByteSpan ciphertext) {
  CONCLAVE_ASSIGN_OR_RETURN(AeadAlgorithm alg, ToAeadAlgorithm(aead()));
  CONCLAVE_ASSIGN_OR_RETURN(SecretBytes nonce, CurrentNonce());
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes pt,
      AeadOpen(alg, key().span(), nonce.span(), aad, ciphertext));
  IncrementSequence();
  return pt;
}

// ---- Single shot ----

StatusOr<HpkeSealed> HpkeSealBase(HpkeAead aead, ByteSpan pk_r, ByteSpan info,
                                  ByteSpan aad, ByteSpan plaintext) {
  CONCLAVE_ASSIGN_OR_RETURN(HpkeSenderContext ctx,
                            HpkeSenderContext::SetupBase(aead, pk_r, info));
  HpkeSealed out;
  out.enc = ctx.enc();
  CONCLAVE_ASSIGN_OR_RETURN(out.ciphertext, ctx.Seal(aad, plaintext));
  return out;
}

StatusOr<SecretBytes> HpkeOpenBase(HpkeAead aead, const Scalar& sk_r,
                                   ByteSpan enc, ByteSpan info, ByteSpan aad,
                                   ByteSpan ciphertext) {
  CONCLAVE_ASSIGN_OR_RETURN(
      HpkeRecipientContext ctx,
      HpkeRecipientContext::SetupBase(aead, sk_r, enc, info));
  return ctx.Open(aad, ciphertext);
}

StatusOr<SecretBytes> HpkeOpenBaseWithSharedSecret(
    HpkeAead aead, const SecretBytes& shared_secret, ByteSpan info,
    ByteSpan aad, ByteSpan ciphertext) {
  CONCLAVE_ASSIGN_OR_RETURN(
      HpkeRecipientContext ctx,
      HpkeRecipientContext::FromSharedSecret(aead, shared_secret, info));
  return ctx.Open(aad, ciphertext);
}

}  // namespace conclave
