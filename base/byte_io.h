// Bounds-checked reading and writing of binary encodings (the BoringSSL
// CBS/CBB model). Every Read* either consumes exactly what it returns or
// fails and consumes nothing; nothing here can read past the end.
#ifndef CONCLAVE_BASE_BYTE_IO_H_
#define CONCLAVE_BASE_BYTE_IO_H_

#include <cstdint>

#include "base/bytes.h"

namespace conclave {

class ByteReader {
 public:
  explicit ByteReader(ByteSpan in) : in_(in) {}

  size_t remaining() const { return in_.size(); }
  bool empty() const { return in_.empty(); }
  ByteSpan rest() const { return in_; }

  [[nodiscard]] bool ReadU8(uint8_t* out);
  [[nodiscard]] bool ReadU16(uint16_t* out);  // big-endian
  [[nodiscard]] bool ReadU32(uint32_t* out);  // big-endian
  [[nodiscard]] bool ReadU64(uint64_t* out);  // big-endian
  [[nodiscard]] bool ReadBytes(size_t n, ByteSpan* out);
  // A 2-byte big-endian length, then that many bytes.
  [[nodiscard]] bool ReadU16LengthPrefixed(ByteSpan* out);
  // A 4-byte big-endian length, then that many bytes.
  [[nodiscard]] bool ReadU32LengthPrefixed(ByteSpan* out);
  [[nodiscard]] bool Skip(size_t n);

 private:
  [[nodiscard]] bool ReadBigEndian(size_t n, uint64_t* out);
  ByteSpan in_;
};

class ByteWriter {
 public:
  ByteWriter() = default;

  void AppendU8(uint8_t v) { out_.push_back(v); }
  void AppendU16(uint16_t v);
  void AppendU32(uint32_t v);
  void AppendU64(uint64_t v);
  void Append(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Append(std::string_view s) { Append(AsBytes(s)); }
  // Fails (returns false, appends nothing) if b is longer than the prefix
  // can express.
  [[nodiscard]] bool AppendU16LengthPrefixed(ByteSpan b);
  [[nodiscard]] bool AppendU32LengthPrefixed(ByteSpan b);

  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// I2OSP for small integers (RFC 8017 §4.1), as used by RFC 9380/9497/9180.
Bytes I2Osp(uint64_t value, size_t length);

}  // namespace conclave

#endif  // CONCLAVE_BASE_BYTE_IO_H_
