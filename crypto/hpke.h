// HPKE (RFC 9180), base mode only, with KEM DHKEM(P-256, HKDF-SHA256)
// (kem_id 0x0010), KDF HKDF-SHA256 (kdf_id 0x0001) and either
// ChaCha20-Poly1305 (aead_id 0x0003, what Conclave and age's p256tag use) or
// AES-128-GCM (aead_id 0x0001, so RFC 9180 A.3 runs).
//
// The DHKEM is separable: Conclave's recipient private key is never held by
// one party. A quorum computes dh = x(skR·enc) collectively and finishes
// decapsulation with DhkemP256SharedSecretFromDh, then opens with a recipient
// context built from that shared secret.
//
// Points on the wire are SEC1 uncompressed (0x04 ‖ X ‖ Y, 65 bytes), as RFC
// 9180 §7.1.1 requires; anything else is INVALID_ARGUMENT. AEAD failures are
// UNAUTHENTICATED and return no plaintext.
#ifndef CONCLAVE_CRYPTO_HPKE_H_
#define CONCLAVE_CRYPTO_HPKE_H_

#include <cstdint>
#include <utility>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/aead.h"
#include "crypto/p256.h"

namespace conclave {

inline constexpr uint16_t kHpkeKemDhkemP256HkdfSha256 = 0x0010;
inline constexpr uint16_t kHpkeKdfHkdfSha256 = 0x0001;

// RFC 9180 §7.3 AEAD identifiers for the two supported AEADs.
enum class HpkeAead : uint16_t {
  kAes128Gcm = 0x0001,
  kChaCha20Poly1305 = 0x0003,
};

inline constexpr size_t kHpkeEncSize = kP256UncompressedPointSize;  // Nenc
inline constexpr size_t kHpkePublicKeySize = kP256UncompressedPointSize;
inline constexpr size_t kHpkeSharedSecretSize = 32;    // Nsecret
inline constexpr size_t kHpkeDhSize = 32;              // Ndh: an x-coordinate
inline constexpr size_t kHpkeNonceSize = 12;           // Nn
inline constexpr size_t kHpkeExporterSecretSize = 32;  // Nh

// ---- DHKEM(P-256, HKDF-SHA256), RFC 9180 §4.1 ----

struct DhkemP256KeyPair {
  Scalar private_key;
  UncompressedPoint public_key;
};

// DeriveKeyPair (RFC 9180 §7.1.3): rejection sampling over LabeledExpand
// outputs. ikm shorter than Nsk = 32 bytes is refused (INVALID_ARGUMENT).
StatusOr<DhkemP256KeyPair> DhkemP256DeriveKeyPair(ByteSpan ikm);

// A fresh random key pair.
DhkemP256KeyPair DhkemP256GenerateKeyPair();

// ExtractAndExpand(dh, kem_context = enc ‖ pkRm) (RFC 9180 §4.1), for a DH
// value computed elsewhere (threshold decryption). dh is the 32-byte
// x-coordinate of skR·enc; enc and pk_r must be valid uncompressed points.
StatusOr<SecretBytes> DhkemP256SharedSecretFromDh(ByteSpan dh, ByteSpan enc,
                                                  ByteSpan pk_r);
// The same from the DH point itself (e.g. S = Σ λ·D after combining
// partials); INVALID_ARGUMENT if it is the point at infinity.
StatusOr<SecretBytes> DhkemP256SharedSecretFromDhPoint(const Point& dh_point,
                                                       ByteSpan enc,
                                                       ByteSpan pk_r);

struct DhkemP256Encapsulation {
  UncompressedPoint enc;
  SecretBytes shared_secret;
};

// Encap(pkR) with a random ephemeral key (RFC 9180 §4.1).
StatusOr<DhkemP256Encapsulation> DhkemP256Encap(ByteSpan pk_r);
// Encap with the ephemeral key pair DeriveKeyPair(ikm_e), so published
// vectors reproduce byte for byte. Tests only: a repeated ikm_e repeats enc
// and the shared secret.
StatusOr<DhkemP256Encapsulation> DhkemP256EncapWithIkmForTesting(
    ByteSpan pk_r, ByteSpan ikm_e);
// Decap(enc, skR) (RFC 9180 §4.1).
StatusOr<SecretBytes> DhkemP256Decap(const Scalar& sk_r, ByteSpan enc);

// ---- Key schedule, RFC 9180 §5.1, mode_base ----

struct HpkeKeySchedule {
  Bytes key_schedule_context;  // mode ‖ psk_id_hash ‖ info_hash (public)
  SecretBytes secret;
  SecretBytes key;         // Nk bytes
  SecretBytes base_nonce;  // Nn bytes
  SecretBytes exporter_secret;
};

// shared_secret must be 32 bytes.
StatusOr<HpkeKeySchedule> HpkeKeyScheduleBase(HpkeAead aead,
                                              ByteSpan shared_secret,
                                              ByteSpan info);

// ---- Encryption contexts, RFC 9180 §5.2 and §5.3 ----

// State shared by both directions: the AEAD key, base nonce, exporter secret
// and the sequence number. Move-only (a copy would reuse nonces); not
// thread-safe.
class HpkeContextBase {
 public:
  HpkeContextBase(HpkeContextBase&&) noexcept = default;
  HpkeContextBase& operator=(HpkeContextBase&&) noexcept = default;

  // Export (RFC 9180 §5.3): LabeledExpand(exporter_secret, "sec",
  // exporter_context, length); length at most 255 * 32.
  StatusOr<SecretBytes> Export(ByteSpan exporter_context, size_t length) const;

  HpkeAead aead() const { return aead_; }
  uint64_t sequence_number() const { return seq_; }
  // Lets tests reach the sequence-number limit.
  void SetSequenceNumberForTesting(uint64_t seq) { seq_ = seq; }

 protected:
  HpkeContextBase(HpkeAead aead, HpkeKeySchedule schedule);
  // base_nonce XOR I2OSP(seq, Nn); OUT_OF_RANGE once the counter is spent.
  StatusOr<SecretBytes> CurrentNonce() const;
  void IncrementSequence() { ++seq_; }
  const SecretBytes& key() const { return key_; }

 private:
  HpkeAead aead_;
  SecretBytes key_;
  SecretBytes base_nonce_;
  SecretBytes exporter_secret_;
  uint64_t seq_ = 0;
};

class HpkeSenderContext : public HpkeContextBase {
 public:
  // SetupBaseS (RFC 9180 §5.1.1) with a random ephemeral key.
  static StatusOr<HpkeSenderContext> SetupBase(HpkeAead aead, ByteSpan pk_r,
                                               ByteSpan info);
  // SetupBaseS with a caller-chosen ephemeral private key sk_e, which must be
  // fresh and uniformly random for every call. For protocols that need the
  // ephemeral scalar afterwards (the sender proof of brief §2 proves
  // knowledge of sk_e = log_G(enc)). INVALID_ARGUMENT if sk_e is zero.
  static StatusOr<HpkeSenderContext> SetupBaseWithEphemeral(HpkeAead aead,
                                                            ByteSpan pk_r,
                                                            ByteSpan info,
                                                            const Scalar& sk_e);
  // SetupBaseS with the ephemeral key DeriveKeyPair(ikm_e). Tests only.
  static StatusOr<HpkeSenderContext> SetupBaseWithIkmForTesting(HpkeAead aead,
                                                                ByteSpan pk_r,
                                                                ByteSpan info,
                                                                ByteSpan ikm_e);

  const UncompressedPoint& enc() const { return enc_; }

  // ContextS.Seal (RFC 9180 §5.2); the sequence number advances on success.
  StatusOr<Bytes> Seal(ByteSpan aad, ByteSpan plaintext);

 private:
  HpkeSenderContext(HpkeAead aead, HpkeKeySchedule schedule,
                    const UncompressedPoint& enc)
      : HpkeContextBase(aead, std::move(schedule)), enc_(enc) {}
  static StatusOr<HpkeSenderContext> FromEncapsulation(
      HpkeAead aead, DhkemP256Encapsulation encapsulation, ByteSpan info);
  UncompressedPoint enc_;
};

class HpkeRecipientContext : public HpkeContextBase {
 public:
  // SetupBaseR (RFC 9180 §5.1.1) with the recipient private key.
  static StatusOr<HpkeRecipientContext> SetupBase(HpkeAead aead,
                                                  const Scalar& sk_r,
                                                  ByteSpan enc, ByteSpan info);
  // The key schedule from a KEM shared secret obtained elsewhere (see
  // DhkemP256SharedSecretFromDh).
  static StatusOr<HpkeRecipientContext> FromSharedSecret(
      HpkeAead aead, const SecretBytes& shared_secret, ByteSpan info);

  // ContextR.Open (RFC 9180 §5.2): UNAUTHENTICATED on failure, and the
  // sequence number advances only on success, so messages must be opened in
  // the order they were sealed.
  StatusOr<SecretBytes> Open(ByteSpan aad, ByteSpan ciphertext);

 private:
  HpkeRecipientContext(HpkeAead aead, HpkeKeySchedule schedule)
      : HpkeContextBase(aead, std::move(schedule)) {}
};

// ---- Single-shot API, RFC 9180 §6.1 ----

struct HpkeSealed {
  UncompressedPoint enc;
  Bytes ciphertext;
};

StatusOr<HpkeSealed> HpkeSealBase(HpkeAead aead, ByteSpan pk_r, ByteSpan info,
                                  ByteSpan aad, ByteSpan plaintext);
StatusOr<SecretBytes> HpkeOpenBase(HpkeAead aead, const Scalar& sk_r,
                                   ByteSpan enc, ByteSpan info, ByteSpan aad,
                                   ByteSpan ciphertext);
// Open with a shared secret from DhkemP256SharedSecretFromDh.
StatusOr<SecretBytes> HpkeOpenBaseWithSharedSecret(
    HpkeAead aead, const SecretBytes& shared_secret, ByteSpan info,
    ByteSpan aad, ByteSpan ciphertext);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_HPKE_H_
