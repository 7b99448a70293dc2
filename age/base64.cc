#include "age/base64.h"

#include <array>

namespace conclave::age {

namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63, or -1 for anything outside the alphabet (including '=').
constexpr std::array<int8_t, 256> MakeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  return t;
}
constexpr std::array<int8_t, 256> kTable = MakeTable();

std::string Encode(ByteSpan data, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = data[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes unpadded text; canonical trailing bits only.
Status DecodeAppend(std::string_view text, Bytes* out) {
  if (text.size() % 4 == 1) {
    return InvalidArgumentError("base64 has an impossible length");
  }
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t v = kTable[static_cast<uint8_t>(c)];
    if (v < 0) {
      return InvalidArgumentError(c == '='
                                      ? "base64 padding is not allowed here"
                                      : "invalid base64 character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // RFC 4648 §3.5: the unused bits of the last character must be zero.
  if (acc != 0) {
    return InvalidArgumentError("base64 is not canonical (trailing bits set)");
  }
  return OkStatus();
}

}  // namespace

std::string Base64Encode(ByteSpan data) { return Encode(data, false); }

std::string Base64EncodePadded(ByteSpan data) { return Encode(data, true); }

StatusOr<Bytes> Base64Decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  CONCLAVE_RETURN_IF_ERROR(DecodeAppend(text, &out));
  return out;
}

Status Base64DecodePaddedAppend(std::string_view text, Bytes* out) {
  if (text.size() % 4 != 0) {
    return InvalidArgumentError("padded base64 length is not a multiple of 4");
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  // A third '=' (or one elsewhere) fails as an invalid character below.
  return DecodeAppend(text.substr(0, text.size() - pad), out);
}

}  // namespace conclave::age
