#include "base/byte_io.h"

#include <cassert>
#include <limits>

namespace conclave {

bool ByteReader::ReadBigEndian(size_t n, uint64_t* out) {
  if (in_.size() < n) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | in_[i];
  in_ = in_.subspan(n);
  *out = v;
  return true;
}

bool ByteReader::ReadU8(uint8_t* out) {
  uint64_t v;
  if (!ReadBigEndian(1, &v)) return false;
  *out = static_cast<uint8_t>(v);
  return true;
}

bool ByteReader::ReadU16(uint16_t* out) {
  uint64_t v;
  if (!ReadBigEndian(2, &v)) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool ByteReader::ReadU32(uint32_t* out) {
  uint64_t v;
  if (!ReadBigEndian(4, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ByteReader::ReadU64(uint64_t* out) { return ReadBigEndian(8, out); }

bool ByteReader::ReadBytes(size_t n, ByteSpan* out) {
  if (in_.size() < n) return false;
  *out = in_.first(n);
  in_ = in_.subspan(n);
  return true;
}

bool ByteReader::ReadU16LengthPrefixed(ByteSpan* out) {
  ByteReader copy = *this;
  uint16_t len;
  if (!copy.ReadU16(&len) || !copy.ReadBytes(len, out)) return false;
  *this = copy;
  return true;
}

bool ByteReader::ReadU32LengthPrefixed(ByteSpan* out) {
  ByteReader copy = *this;
  uint32_t len;
  if (!copy.ReadU32(&len) || !copy.ReadBytes(len, out)) return false;
  *this = copy;
  return true;
}

bool ByteReader::Skip(size_t n) {
  ByteSpan ignored;
  return ReadBytes(n, &ignored);
}

void ByteWriter::AppendU16(uint16_t v) {
  AppendU8(static_cast<uint8_t>(v >> 8));
  AppendU8(static_cast<uint8_t>(v));
}

void ByteWriter::AppendU32(uint32_t v) {
  AppendU16(static_cast<uint16_t>(v >> 16));
  AppendU16(static_cast<uint16_t>(v));
}

void ByteWriter::AppendU64(uint64_t v) {
  AppendU32(static_cast<uint32_t>(v >> 32));
  AppendU32(static_cast<uint32_t>(v));
}

bool ByteWriter::AppendU16LengthPrefixed(ByteSpan b) {
  if (b.size() > std::numeric_limits<uint16_t>::max()) return false;
  AppendU16(static_cast<uint16_t>(b.size()));
  Append(b);
  return true;
}

bool ByteWriter::AppendU32LengthPrefixed(ByteSpan b) {
  if (b.size() > std::numeric_limits<uint32_t>::max()) return false;
  AppendU32(static_cast<uint32_t>(b.size()));
  Append(b);
  return true;
}

Bytes I2Osp(uint64_t value, size_t length) {
  assert(length <= 8);
  assert(length == 8 || value < (uint64_t{1} << (8 * length)));
  Bytes out(length);
  for (size_t i = length; i-- > 0;) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
  return out;
}

}  // namespace conclave
