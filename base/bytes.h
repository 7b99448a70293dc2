// Byte strings, spans and hex.
#ifndef CONCLAVE_BASE_BYTES_H_
#define CONCLAVE_BASE_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace conclave {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsStringView(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
// A copy as std::string, for protobuf bytes fields (protobuf 3.21 setters
// take std::string, not string_view).
inline std::string AsString(ByteSpan b) { return std::string(AsStringView(b)); }
inline Bytes ToBytes(ByteSpan b) { return Bytes(b.begin(), b.end()); }
inline Bytes ToBytes(std::string_view s) { return ToBytes(AsBytes(s)); }

// Concatenation of public byte strings.
Bytes Concat(std::initializer_list<ByteSpan> parts);

// Lowercase hex. Never call on secret bytes (SecretBytes has no conversion).
std::string HexEncode(ByteSpan b);
// Accepts upper- or lowercase, even length only.
StatusOr<Bytes> HexDecode(std::string_view hex);

// Constant-time equality for equal-length inputs; false on length mismatch
// (the length itself is not secret).
bool ConstantTimeEquals(ByteSpan a, ByteSpan b);

}  // namespace conclave

#endif  // CONCLAVE_BASE_BYTES_H_
