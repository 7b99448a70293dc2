// The age v1 header (C2SP age "Header"): version line, recipient stanzas,
// header MAC. Parsing is strict per the spec's ABNF and keeps the exact
// bytes, from which the MAC input and the header hash are taken.
#ifndef CONCLAVE_AGE_HEADER_H_
#define CONCLAVE_AGE_HEADER_H_

#include <string>
#include <vector>

#include "age/io.h"
#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "crypto/hash.h"

namespace conclave::age {

inline constexpr std::string_view kVersionLine = "age-encryption.org/v1\n";
inline constexpr size_t kFileKeySize = 16;
inline constexpr size_t kHeaderMacSize = 32;

// Limits the parser enforces (header failure beyond them): the whole header
// (version line through the MAC line's newline) at most 1 MiB, at most 1024
// stanzas. Real headers are a few hundred bytes; post-quantum stanzas ~2 KiB.
inline constexpr size_t kMaxHeaderSize = 1 << 20;
inline constexpr size_t kMaxStanzas = 1024;

struct Stanza {
  std::string type;               // first argument, e.g. "X25519"
  std::vector<std::string> args;  // the remaining arguments
  Bytes body;                     // decoded body

  friend bool operator==(const Stanza&, const Stanza&) = default;
};

struct Header {
  std::vector<Stanza> stanzas;
  Bytes mac;  // 32 bytes
  // The exact header bytes from the first byte through the newline ending
  // the MAC line.
  Bytes bytes;

  // What the MAC covers: everything up to and including "---" (C2SP age
  // "Header MAC").
  ByteSpan MacInput() const;
  // Brief §2 "header hash": SHA-256 of `bytes`.
  Sha256Digest Hash() const { return Sha256(bytes); }
};

// Serialises one stanza ("-> type args...\n" + body lines) after checking
// the argument grammar (1*VCHAR each, at least the type).
StatusOr<std::string> EncodeStanza(const Stanza& stanza);

// Builds a header over `stanzas`, MACed under `file_key` (16 bytes).
StatusOr<Header> BuildHeader(std::vector<Stanza> stanzas,
                             const SecretBytes& file_key);

// HMAC key = HKDF-SHA-256(ikm = file key, salt = empty, info = "header").
StatusOr<Sha256Digest> ComputeHeaderMac(ByteSpan mac_input,
                                        const SecretBytes& file_key);
// HMAC failure if the MAC does not verify (constant-time compare).
Status VerifyHeaderMac(const Header& header, const SecretBytes& file_key);

// Reads exactly one header from `in`, leaving the payload unread. Errors are
// header failures (or I/O errors from the reader).
StatusOr<Header> ReadHeader(BufferedReader& in);
// Parses a header at the start of `data`; *consumed gets its length.
StatusOr<Header> ParseHeader(ByteSpan data, size_t* consumed = nullptr);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_HEADER_H_
