// C2SP tlog-cosignature, Ed25519 "cosignature/v1" (signature type 0x04): a
// witness's timestamped statement that a checkpoint is the largest
// consistent tree head it has seen for the log.
//
// The note signature bytes are timestamp (u64 big-endian) ‖ Ed25519
// signature (64 bytes) over
//   "cosignature/v1\n" "time <decimal timestamp>\n" <checkpoint note text>
// and the key ID is SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4].
#ifndef CONCLAVE_AUDIT_COSIGNATURE_H_
#define CONCLAVE_AUDIT_COSIGNATURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "audit/note.h"
#include "crypto/ed25519.h"

namespace conclave::audit {

inline constexpr size_t kCosignatureV1Size = 8 + kEd25519SignatureSize;
// Timestamps "MUST NOT exceed 2^63 - 1".
inline constexpr uint64_t kMaxCosignatureTimestamp = (uint64_t{1} << 63) - 1;

// The signed message. INVALID_ARGUMENT if the timestamp exceeds 2^63 - 1 or
// the text is not valid note text.
StatusOr<std::string> CosignatureV1Message(std::string_view checkpoint_text,
                                           uint64_t timestamp);

// The timestamp of a cosignature/v1 signature (the bytes after the key ID);
// INVALID_ARGUMENT on a wrong length or a timestamp above 2^63 - 1.
StatusOr<uint64_t> CosignatureV1Timestamp(ByteSpan signature);

class CosignatureV1Verifier : public NoteVerifier {
 public:
  static StatusOr<std::unique_ptr<CosignatureV1Verifier>> Create(
      std::string_view name, ByteSpan public_key);
  // From a vkey of type 0x04.
  static StatusOr<std::unique_ptr<CosignatureV1Verifier>> FromVerifierKey(
      std::string_view vkey);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  uint8_t sig_type() const override { return kSigTypeCosignatureV1; }
  ByteSpan public_key() const override { return public_key_; }
  Status Verify(std::string_view text, ByteSpan signature) const override;

 private:
  friend class CosignatureV1Signer;
  CosignatureV1Verifier(std::string name, const Ed25519PublicKey& key);
  std::string name_;
  Ed25519PublicKey public_key_;
  uint32_t key_id_;
};

class CosignatureV1Signer : public NoteSigner {
 public:
  using Clock = std::function<uint64_t()>;
  // `clock` returns the POSIX time to sign with; by default the system clock.
  static StatusOr<std::unique_ptr<CosignatureV1Signer>> Create(
      std::string_view name, Ed25519PrivateKey key, Clock clock = nullptr);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  // Cosigns a checkpoint text (refused unless it parses as a checkpoint)
  // at the clock's time.
  StatusOr<Bytes> Sign(std::string_view text) const override;
  // The same at a given time; the timestamp must be in 1 .. 2^63 - 1
  // (tlog-witness: a cosignature "MUST NOT omit the timestamp").
  StatusOr<Bytes> SignAt(std::string_view text, uint64_t timestamp) const;
  std::unique_ptr<CosignatureV1Verifier> Verifier() const;
  const Ed25519PublicKey& public_key() const { return key_.public_key(); }

 private:
  CosignatureV1Signer(std::string name, Ed25519PrivateKey key, Clock clock);
  std::string name_;
  Ed25519PrivateKey key_;
  uint32_t key_id_;
  Clock clock_;
};

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_COSIGNATURE_H_
