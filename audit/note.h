// C2SP signed-note (c2sp.org/signed-note): text signed by one or more keys,
// verifier keys ("vkeys") and Ed25519 note signatures.
//
// A note is "text\n" + "\n" + one or more lines "— <name> base64(id ‖ sig)\n".
// The text is only meaningful after OpenNote has verified at least one
// signature from a trusted key.
#ifndef CONCLAVE_AUDIT_NOTE_H_
#define CONCLAVE_AUDIT_NOTE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/ed25519.h"

namespace conclave::audit {

// Signature type identifier bytes (signed-note "Signature types").
inline constexpr uint8_t kSigTypeEd25519 = 0x01;
// Timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature).
inline constexpr uint8_t kSigTypeCosignatureV1 = 0x04;

// The spec requires accepting at least 16 signatures; we bound the work a
// hostile note can cause at this many lines and this many bytes.
inline constexpr size_t kMaxNoteSignatures = 100;
inline constexpr size_t kMaxNoteSize = 1 << 20;

// "— " (U+2014 EM DASH, then a space) starts every signature line.
inline constexpr std::string_view kSignatureLinePrefix = "\xE2\x80\x94 ";

// One signature line, decoded but not verified.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // the bytes after the 4-byte key ID

  // The line as it appears in a note, with the trailing newline.
  std::string ToLine() const;
};

// A note split into its text and signature lines, nothing verified.
struct Note {
  std::string text;  // includes the final newline
  std::vector<NoteSignature> signatures;
};

// Key names are non-empty and hold no Unicode space and no '+'.
Status ValidateKeyName(std::string_view name);
// Note text: valid UTF-8, no control characters but '\n', ends in '\n'.
Status ValidateNoteText(std::string_view text);

// Key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian.
uint32_t NoteKeyId(std::string_view name, uint8_t sig_type,
                   ByteSpan public_key);

// Splits a note at its last blank line and decodes each signature line.
// Errors are INVALID_ARGUMENT ("malformed note: ...").
StatusOr<Note> ParseNote(std::string_view msg);
// text + "\n" + the signature lines. Fails on invalid text or names, or no
// signatures.
StatusOr<std::string> FormatNote(const Note& note);

// Verifies signatures made with one key, identified by (name, key ID).
class NoteVerifier {
 public:
  virtual ~NoteVerifier() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  virtual uint8_t sig_type() const = 0;
  virtual ByteSpan public_key() const = 0;
  // OK iff `signature` (the bytes after the key ID) signs `text`;
  // UNAUTHENTICATED otherwise.
  virtual Status Verify(std::string_view text, ByteSpan signature) const = 0;
  // "<name>+<hex id>+base64(type ‖ public key)".
  std::string vkey() const;
};

class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // The signature bytes (without the key ID) over `text`.
  virtual StatusOr<Bytes> Sign(std::string_view text) const = 0;
};

// Ed25519 note signatures (type 0x01): plain RFC 8032 over the note text.
class Ed25519NoteVerifier : public NoteVerifier {
 public:
  static StatusOr<std::unique_ptr<Ed25519NoteVerifier>> Create(
      std::string_view name, ByteSpan public_key);
  // From a vkey of type 0x01.
  static StatusOr<std::unique_ptr<Ed25519NoteVerifier>> FromVerifierKey(
      std::string_view vkey);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  uint8_t sig_type() const override { return kSigTypeEd25519; }
  ByteSpan public_key() const override { return public_key_; }
  Status Verify(std::string_view text, ByteSpan signature) const override;

 private:
  friend class Ed25519NoteSigner;
  Ed25519NoteVerifier(std::string name, const Ed25519PublicKey& key);
  std::string name_;
  Ed25519PublicKey public_key_;
  uint32_t key_id_;
};

class Ed25519NoteSigner : public NoteSigner {
 public:
  static StatusOr<std::unique_ptr<Ed25519NoteSigner>> Create(
      std::string_view name, Ed25519PrivateKey key);
  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  StatusOr<Bytes> Sign(std::string_view text) const override;
  const Ed25519PublicKey& public_key() const { return key_.public_key(); }
  const Ed25519PrivateKey& private_key() const { return key_; }
  std::unique_ptr<Ed25519NoteVerifier> Verifier() const;

 private:
  Ed25519NoteSigner(std::string name, Ed25519PrivateKey key);
  std::string name_;
  Ed25519PrivateKey key_;
  uint32_t key_id_;
};

// A decoded vkey "<name>+<8 lowercase hex>+base64(type ‖ key)".
struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  uint8_t sig_type = 0;
  Bytes public_key;
};
// Strict parse; the ID must equal the one computed from name, type and key.
// Supports type 0x01 (note signatures) and 0x04 (tlog-cosignature/v1).
StatusOr<VerifierKey> ParseVerifierKey(std::string_view vkey);
std::string EncodeVerifierKey(std::string_view name, uint8_t sig_type,
                              ByteSpan public_key);

// The signer-key form of golang.org/x/mod/sumdb/note (not part of the C2SP
// spec, used by its ecosystem and by our tests):
// "PRIVATE+KEY+<name>+<hex id>+base64(0x01 ‖ 32-byte seed)". Only type 0x01.
StatusOr<std::unique_ptr<Ed25519NoteSigner>> ParseSignerKey(
    std::string_view skey);
// The matching encoding (it holds the seed, hence SecretBytes).
SecretBytes EncodeSignerKey(const Ed25519NoteSigner& signer);

// A set of trusted verifiers, looked up by (name, key ID). Holds pointers;
// the verifiers must outlive it.
class NoteVerifierSet {
 public:
  NoteVerifierSet() = default;
  // ALREADY_EXISTS if a verifier with the same name and ID is present
  // (signatures from it would be ambiguous).
  Status Add(const NoteVerifier* verifier);
  const NoteVerifier* Find(std::string_view name, uint32_t key_id) const;
  size_t size() const { return verifiers_.size(); }

 private:
  std::vector<const NoteVerifier*> verifiers_;
};

struct VerifiedNoteSignature {
  const NoteVerifier* verifier;
  NoteSignature signature;
};

struct OpenedNote {
  std::string text;
  std::vector<VerifiedNoteSignature> verified;  // in note order
  std::vector<NoteSignature> unknown;           // ignored, in note order
};

// Parses and verifies a note against `known`:
// - signatures from unknown keys are ignored (kept in `unknown`, identical
//   repeated lines once), even when they share a name or an ID with a
//   known key;
// - a known key's signature that fails to verify rejects the note
//   (UNAUTHENTICATED), as the spec recommends;
// - two signatures from the same known key are malformed (INVALID_ARGUMENT);
// - no verified signature: UNAUTHENTICATED.
StatusOr<OpenedNote> OpenNote(std::string_view msg,
                              const NoteVerifierSet& known);

// Signs `text` with each signer and returns the whole note. Existing
// signature lines in `existing` (if any) come first.
StatusOr<std::string> SignNote(std::string_view text,
                               std::span<const NoteSigner* const> signers,
                               std::span<const NoteSignature> existing = {});

// Strict standard base64 with padding (RFC 4648 §4), as notes use it.
std::string NoteBase64Encode(ByteSpan data);
StatusOr<Bytes> NoteBase64Decode(std::string_view text);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_NOTE_H_
