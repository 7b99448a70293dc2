// Canonical base64 (RFC 4648 §4, standard alphabet) as age uses it:
// unpadded in the header (C2SP age "Conventions"), padded inside the ASCII
// armor. Decoders reject anything outside the alphabet and non-canonical
// encodings (nonzero trailing bits, RFC 4648 §3.5).
#ifndef CONCLAVE_AGE_BASE64_H_
#define CONCLAVE_AGE_BASE64_H_

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace conclave::age {

// Unpadded ("raw") standard base64.
std::string Base64Encode(ByteSpan data);
// Rejects '=' padding, characters outside the alphabet, lengths ≡ 1 mod 4 and
// nonzero trailing bits. Errors are INVALID_ARGUMENT without an age tag.
StatusOr<Bytes> Base64Decode(std::string_view text);

// Padded standard base64 (for the armor).
std::string Base64EncodePadded(ByteSpan data);
// Requires a length that is a multiple of 4, padding only at the end (at most
// two '='), canonical trailing bits. Appends to *out.
Status Base64DecodePaddedAppend(std::string_view text, Bytes* out);

// The decoded size of an unpadded encoding of n bytes.
inline size_t Base64EncodedSize(size_t n) { return (n * 4 + 2) / 3; }

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_BASE64_H_
