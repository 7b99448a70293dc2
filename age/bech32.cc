#include "age/bech32.h"

#include <vector>

namespace conclave::age {

namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

// BIP 173 "Checksum": the BCH code's polymod over GF(32).
uint32_t Polymod(const std::vector<uint8_t>& values) {
  constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<uint8_t> HrpExpand(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

int CharsetIndex(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kCharset[i] == c) return i;
  }
  return -1;
}

}  // namespace

StatusOr<Bech32Decoded> Bech32Decode(std::string_view s) {
  bool lower = false, upper = false;
  for (char c : s) {
    if (c < 33 || c > 126) {
      return InvalidArgumentError("Bech32 string has an invalid character");
    }
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) {
    return InvalidArgumentError("Bech32 string mixes upper and lower case");
  }
  std::string low(s);
  // The input may be a secret key: wipe the lowercase copy on every path.
  struct Wipe {
    std::string& s;
    ~Wipe() { CleanseMemory(s.data(), s.size()); }
  } wipe{low};
  for (char& c : low) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const size_t sep = low.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep + 7 > low.size()) {
    return InvalidArgumentError("Bech32 string has no valid separator");
  }
  Bech32Decoded out;
  out.hrp = low.substr(0, sep);
  out.uppercase = upper;
  std::vector<uint8_t> values = HrpExpand(out.hrp);
  const size_t data_start = values.size();
  for (size_t i = sep + 1; i < low.size(); ++i) {
    const int v = CharsetIndex(low[i]);
    if (v < 0) {
      return InvalidArgumentError("Bech32 data has an invalid character");
    }
    values.push_back(static_cast<uint8_t>(v));
  }
  if (Polymod(values) != 1) {
    return InvalidArgumentError("Bech32 checksum does not verify");
  }
  // 5-bit groups (without the 6 checksum groups) to bytes; BIP 173 allows at
  // most 4 bits of zero padding.
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = data_start; i + 6 < values.size(); ++i) {
    acc = (acc << 5) | values[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      const uint8_t byte = static_cast<uint8_t>(acc >> bits);
      out.data.Append(ByteSpan(&byte, 1));
      acc &= (1u << bits) - 1;
    }
  }
  if (bits >= 5 || acc != 0) {
    return InvalidArgumentError("Bech32 data has invalid padding");
  }
  CleanseMemory(&acc, sizeof(acc));
  CleanseMemory(values.data(), values.size());
  return out;
}

std::string Bech32Encode(std::string_view hrp, ByteSpan data, bool uppercase) {
  std::vector<uint8_t> groups;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups.push_back((acc >> bits) & 31);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) groups.push_back((acc << (5 - bits)) & 31);
  std::vector<uint8_t> values = HrpExpand(hrp);
  values.insert(values.end(), groups.begin(), groups.end());
  values.insert(values.end(), 6, 0);
  const uint32_t mod = Polymod(values) ^ 1;
  std::string out(hrp);
  out.push_back('1');
  for (uint8_t g : groups) out.push_back(kCharset[g]);
  for (int i = 0; i < 6; ++i)
    out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
  if (uppercase) {
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
  }
  CleanseMemory(groups.data(), groups.size());
  CleanseMemory(values.data(), values.size());
  return out;
}

}  // namespace conclave::age
