#include "audit/note.h"

#include <algorithm>
#include <set>
#include <utility>

#include "age/base64.h"
#include "base/byte_io.h"
#include "crypto/hash.h"

namespace conclave::audit {
namespace {

Status Malformed(std::string_view why) {
  return InvalidArgumentError("malformed note: " + std::string(why));
}

// Decodes one UTF-8 sequence at s[*i]; rejects overlong forms, surrogates and
// code points above U+10FFFF (RFC 3629 §3).
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(*i);
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    ++*i;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    n = 1, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3, v = c & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (*i + n >= s.size()) return false;
  for (size_t k = 1; k <= n; ++k) {
    if ((b(*i + k) & 0xC0) != 0x80) return false;
    v = (v << 6) | (b(*i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *i += n + 1;
  return true;
}

// Unicode White_Space (what Go's unicode.IsSpace, used by the reference
// implementation, treats as a space).
bool IsUnicodeSpace(uint32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// Valid UTF-8 with no control character other than '\n' (signed-note
// "Format").
Status ValidateNoteChars(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    if (!NextCodePoint(s, &i, &cp)) return Malformed("invalid UTF-8");
    if (cp < 0x20 && cp != '\n') {
      return Malformed("control character in note");
    }
  }
  return OkStatus();
}

uint32_t LoadBe32(ByteSpan b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
         (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

std::string Hex32(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24),
                        static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return HexEncode(b);
}

// Exactly 8 lowercase hex digits (signed-note "Conventions").
StatusOr<uint32_t> ParseHex32(std::string_view s) {
  if (s.size() != 8) return InvalidArgumentError("key ID is not 8 hex digits");
  uint32_t v = 0;
  for (char c : s) {
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return InvalidArgumentError("key ID is not lowercase hex");
    }
    v = (v << 4) | d;
  }
  return v;
}

StatusOr<Ed25519PublicKey> ToEd25519Key(ByteSpan key) {
  if (key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  Ed25519PublicKey out;
  std::copy(key.begin(), key.end(), out.begin());
  return out;
}

}  // namespace

std::string NoteBase64Encode(ByteSpan data) {
  return age::Base64EncodePadded(data);
}

StatusOr<Bytes> NoteBase64Decode(std::string_view text) {
  Bytes out;
  Status s = age::Base64DecodePaddedAppend(text, &out);
  if (!s.ok()) return InvalidArgumentError("invalid base64: " + s.message());
  return out;
}

std::string NoteSignature::ToLine() const {
  ByteWriter w;
  w.AppendU32(key_id);
  w.Append(signature);
  const Bytes blob = w.Take();
  return std::string(kSignatureLinePrefix) + name + " " +
         NoteBase64Encode(blob) + "\n";
}

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("key name is empty");
  size_t i = 0;
  while (i < name.size()) {
    uint32_t cp;
    if (!NextCodePoint(name, &i, &cp)) {
      return InvalidArgumentError("key name is not valid UTF-8");
    }
    if (cp < 0x20 || IsUnicodeSpace(cp)) {
      return InvalidArgumentError("key name contains a space or control");
    }
    if (cp == '+') return InvalidArgumentError("key name contains '+'");
  }
  return OkStatus();
}

Status ValidateNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgumentError("note text must end in a newline");
  }
  return ValidateNoteChars(text);
}

uint32_t NoteKeyId(std::string_view name, uint8_t sig_type,
                   ByteSpan public_key) {
  Sha256Hasher h;
  h.Update(AsBytes(name));
  const uint8_t sep[2] = {'\n', sig_type};
  h.Update(sep);
  h.Update(public_key);
  return LoadBe32(h.Finish());
}

StatusOr<Note> ParseNote(std::string_view msg) {
  if (msg.size() > kMaxNoteSize) return Malformed("note too large");
  CONCLAVE_RETURN_IF_ERROR(ValidateNoteChars(msg));
  // The text ends at the last blank line.
  const size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Malformed("no blank line before the signatures");
  }
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view rest = msg.substr(split + 2);
  if (rest.empty()) return Malformed("no signature lines");
  if (rest.back() != '\n') {
    return Malformed("signature line does not end in a newline");
  }
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 1);
    if (note.signatures.size() == kMaxNoteSignatures) {
      return Malformed("too many signatures");
    }
    if (!line.starts_with(kSignatureLinePrefix)) {
      return Malformed("signature line does not start with an em dash");
    }
    line.remove_prefix(kSignatureLinePrefix.size());
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
      return Malformed("signature line has no signature");
    }
    std::string_view name = line.substr(0, sp);
    std::string_view b64 = line.substr(sp + 1);
    if (Status s = ValidateKeyName(name); !s.ok()) {
      return Malformed(s.message());
    }
    auto blob = NoteBase64Decode(b64);  // also refuses a second space
    if (!blob.ok()) return Malformed("signature: " + blob.status().message());
    if (blob->size() < 5) return Malformed("signature too short");
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = LoadBe32(*blob);
    sig.signature.assign(blob->begin() + 4, blob->end());
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

StatusOr<std::string> FormatNote(const Note& note) {
  CONCLAVE_RETURN_IF_ERROR(ValidateNoteText(note.text));
  if (note.signatures.empty()) {
    return InvalidArgumentError("a note needs at least one signature");
  }
  if (note.signatures.size() > kMaxNoteSignatures) {
    return InvalidArgumentError("too many signatures");
  }
  std::string out = note.text + "\n";
  for (const NoteSignature& sig : note.signatures) {
    CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(sig.name));
    if (sig.signature.empty()) {
      return InvalidArgumentError("empty signature");
    }
    out += sig.ToLine();
  }
  if (out.size() > kMaxNoteSize) return InvalidArgumentError("note too large");
  return out;
}

std::string NoteVerifier::vkey() const {
  return EncodeVerifierKey(name(), sig_type(), public_key());
}

// --- Ed25519 (type 0x01) ---

Ed25519NoteVerifier::Ed25519NoteVerifier(std::string name,
                                         const Ed25519PublicKey& key)
    : name_(std::move(name)),
      public_key_(key),
      key_id_(NoteKeyId(name_, kSigTypeEd25519, public_key_)) {}

StatusOr<std::unique_ptr<Ed25519NoteVerifier>> Ed25519NoteVerifier::Create(
    std::string_view name, ByteSpan public_key) {
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(name));
  CONCLAVE_ASSIGN_OR_RETURN(Ed25519PublicKey key, ToEd25519Key(public_key));
  return std::unique_ptr<Ed25519NoteVerifier>(
      new Ed25519NoteVerifier(std::string(name), key));
}

StatusOr<std::unique_ptr<Ed25519NoteVerifier>>
Ed25519NoteVerifier::FromVerifierKey(std::string_view vkey) {
  CONCLAVE_ASSIGN_OR_RETURN(VerifierKey k, ParseVerifierKey(vkey));
  if (k.sig_type != kSigTypeEd25519) {
    return InvalidArgumentError("vkey is not an Ed25519 note key (type 0x01)");
  }
  return Create(k.name, k.public_key);
}

Status Ed25519NoteVerifier::Verify(std::string_view text,
                                   ByteSpan signature) const {
  if (signature.size() != kEd25519SignatureSize) {
    return UnauthenticatedError("Ed25519 note signature has wrong length");
  }
  Status s = Ed25519Verify(public_key_, AsBytes(text), signature);
  if (!s.ok()) {
    return UnauthenticatedError("note signature by " + name_ +
                                " does not verify");
  }
  return OkStatus();
}

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, Ed25519PrivateKey key)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(NoteKeyId(name_, kSigTypeEd25519, key_.public_key())) {}

StatusOr<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::Create(
    std::string_view name, Ed25519PrivateKey key) {
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(name));
  return std::unique_ptr<Ed25519NoteSigner>(
      new Ed25519NoteSigner(std::string(name), std::move(key)));
}

StatusOr<Bytes> Ed25519NoteSigner::Sign(std::string_view text) const {
  CONCLAVE_RETURN_IF_ERROR(ValidateNoteText(text));
  const Ed25519Signature sig = key_.Sign(AsBytes(text));
  return Bytes(sig.begin(), sig.end());
}

std::unique_ptr<Ed25519NoteVerifier> Ed25519NoteSigner::Verifier() const {
  return std::unique_ptr<Ed25519NoteVerifier>(
      new Ed25519NoteVerifier(name_, key_.public_key()));
}

// --- key encodings ---

StatusOr<VerifierKey> ParseVerifierKey(std::string_view vkey) {
  // The name has no '+', the ID is 8 hex digits, the base64 part may
  // contain '+'.
  const size_t p1 = vkey.find('+');
  if (p1 == std::string_view::npos || p1 + 10 > vkey.size() ||
      vkey[p1 + 9] != '+') {
    return InvalidArgumentError("malformed vkey: want name+hexid+base64");
  }
  VerifierKey k;
  k.name = std::string(vkey.substr(0, p1));
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(k.name).Annotate("vkey"));
  CONCLAVE_ASSIGN_OR_RETURN(k.key_id, ParseHex32(vkey.substr(p1 + 1, 8)));
  auto blob = NoteBase64Decode(vkey.substr(p1 + 10));
  if (!blob.ok()) return blob.status().Annotate("vkey key material");
  if (blob->empty()) return InvalidArgumentError("vkey has no key material");
  k.sig_type = (*blob)[0];
  k.public_key.assign(blob->begin() + 1, blob->end());
  if (k.sig_type != kSigTypeEd25519 && k.sig_type != kSigTypeCosignatureV1) {
    return InvalidArgumentError("vkey has unsupported signature type 0x" +
                                HexEncode(Bytes{k.sig_type}));
  }
  if (k.public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("vkey Ed25519 key must be 32 bytes");
  }
  if (NoteKeyId(k.name, k.sig_type, k.public_key) != k.key_id) {
    return InvalidArgumentError("vkey key ID does not match name and key");
  }
  return k;
}

std::string EncodeVerifierKey(std::string_view name, uint8_t sig_type,
                              ByteSpan public_key) {
  Bytes blob = Concat({Bytes{sig_type}, public_key});
  return std::string(name) + "+" +
         Hex32(NoteKeyId(name, sig_type, public_key)) + "+" +
         NoteBase64Encode(blob);
}

namespace {
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
}  // namespace

StatusOr<std::unique_ptr<Ed25519NoteSigner>> ParseSignerKey(
    std::string_view skey) {
  // Errors never echo the key: it is secret.
  if (!skey.starts_with(kSignerKeyPrefix)) {
    return InvalidArgumentError("signer key does not start with PRIVATE+KEY+");
  }
  std::string_view rest = skey.substr(kSignerKeyPrefix.size());
  const size_t p1 = rest.find('+');
  if (p1 == std::string_view::npos || p1 + 10 > rest.size() ||
      rest[p1 + 9] != '+') {
    return InvalidArgumentError("malformed signer key");
  }
  std::string_view name = rest.substr(0, p1);
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(name).Annotate("signer key"));
  CONCLAVE_ASSIGN_OR_RETURN(uint32_t id, ParseHex32(rest.substr(p1 + 1, 8)));
  SecretBytes blob;
  {
    auto decoded = NoteBase64Decode(rest.substr(p1 + 10));
    if (!decoded.ok()) return InvalidArgumentError("signer key: bad base64");
    blob = SecretBytes::CopyFrom(*decoded);
    CleanseMemory(decoded->data(), decoded->size());
  }
  if (blob.size() != 1 + kEd25519SeedSize ||
      blob.data()[0] != kSigTypeEd25519) {
    return InvalidArgumentError("signer key is not an Ed25519 seed");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey key,
      Ed25519PrivateKey::FromSeed(ByteSpan(blob.data() + 1, kEd25519SeedSize)));
  CONCLAVE_ASSIGN_OR_RETURN(auto signer,
                            Ed25519NoteSigner::Create(name, std::move(key)));
  if (signer->key_id() != id) {
    return InvalidArgumentError("signer key ID does not match name and key");
  }
  return signer;
}

SecretBytes EncodeSignerKey(const Ed25519NoteSigner& signer) {
  SecretBytes blob;
  blob.Append(Bytes{kSigTypeEd25519});
  blob.Append(signer.private_key().seed().span());
  std::string b64 = NoteBase64Encode(blob.span());
  SecretBytes out;
  out.Append(AsBytes(kSignerKeyPrefix));
  out.Append(AsBytes(signer.name() + "+" + Hex32(signer.key_id()) + "+"));
  out.Append(AsBytes(b64));
  CleanseMemory(b64.data(), b64.size());
  return out;
}

// --- verification ---

Status NoteVerifierSet::Add(const NoteVerifier* verifier) {
  if (Find(verifier->name(), verifier->key_id()) != nullptr) {
    return AlreadyExistsError("two verifiers share name " + verifier->name() +
                              " and key ID " + Hex32(verifier->key_id()));
  }
  verifiers_.push_back(verifier);
  return OkStatus();
}

const NoteVerifier* NoteVerifierSet::Find(std::string_view name,
                                          uint32_t key_id) const {
  for (const NoteVerifier* v : verifiers_) {
    if (v->key_id() == key_id && v->name() == name) return v;
  }
  return nullptr;
}

StatusOr<OpenedNote> OpenNote(std::string_view msg,
                              const NoteVerifierSet& known) {
  CONCLAVE_ASSIGN_OR_RETURN(Note note, ParseNote(msg));
  OpenedNote out;
  out.text = std::move(note.text);
  std::set<const NoteVerifier*> seen;
  std::set<std::string> seen_unknown;
  for (NoteSignature& sig : note.signatures) {
    const NoteVerifier* v = known.Find(sig.name, sig.key_id);
    if (v == nullptr) {
      if (seen_unknown.insert(sig.ToLine()).second) {
        out.unknown.push_back(std::move(sig));
      }
      continue;
    }
    if (!seen.insert(v).second) {
      return Malformed("two signatures from key " + sig.name);
    }
    CONCLAVE_RETURN_IF_ERROR(v->Verify(out.text, sig.signature));
    out.verified.push_back({v, std::move(sig)});
  }
  if (out.verified.empty()) {
    return UnauthenticatedError(
        "note has no verified signature from a "
        "trusted key");
  }
  return out;
}

StatusOr<std::string> SignNote(std::string_view text,
                               std::span<const NoteSigner* const> signers,
                               std::span<const NoteSignature> existing) {
  CONCLAVE_RETURN_IF_ERROR(ValidateNoteText(text));
  Note note;
  note.text = std::string(text);
  note.signatures.assign(existing.begin(), existing.end());
  for (const NoteSigner* signer : signers) {
    for (const NoteSignature& s : note.signatures) {
      if (s.name == signer->name() && s.key_id == signer->key_id()) {
        return InvalidArgumentError("note already signed by " + s.name);
      }
    }
    CONCLAVE_ASSIGN_OR_RETURN(Bytes sig, signer->Sign(text));
    note.signatures.push_back(
        {signer->name(), signer->key_id(), std::move(sig)});
  }
  return FormatNote(note);
}

}  // namespace conclave::audit
