// Minimal byte-stream interfaces so the age code can stream in constant
// memory from files, pipes or memory.
#ifndef CONCLAVE_AGE_IO_H_
#define CONCLAVE_AGE_IO_H_

#include <memory>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/secret_bytes.h"

namespace conclave::age {

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to buf.size() bytes; returns 0 only at end of input (or for an
  // empty buf). Short reads are allowed.
  virtual StatusOr<size_t> Read(std::span<uint8_t> buf) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes all of data or fails.
  virtual Status Write(ByteSpan data) = 0;
};

// Reads until buf is full or the input ends; returns the count read.
StatusOr<size_t> ReadFull(Reader& in, std::span<uint8_t> buf);

// Reads a file descriptor (not owned). EINTR is retried.
class FdReader : public Reader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}
  StatusOr<size_t> Read(std::span<uint8_t> buf) override;

 private:
  int fd_;
};

// Writes a file descriptor (not owned). EINTR and short writes are handled.
class FdWriter : public Writer {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  Status Write(ByteSpan data) override;

 private:
  int fd_;
};

// Reads a span that must outlive the reader.
class MemoryReader : public Reader {
 public:
  explicit MemoryReader(ByteSpan data) : data_(data) {}
  StatusOr<size_t> Read(std::span<uint8_t> buf) override;
  size_t remaining() const { return data_.size() - pos_; }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

// Appends to a public byte string.
class MemoryWriter : public Writer {
 public:
  Status Write(ByteSpan data) override {
    out_.insert(out_.end(), data.begin(), data.end());
    return OkStatus();
  }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Appends to SecretBytes (decrypted plaintext).
class SecretWriter : public Writer {
 public:
  Status Write(ByteSpan data) override {
    out_.Append(data);
    return OkStatus();
  }
  const SecretBytes& bytes() const { return out_; }
  SecretBytes Take() { return std::move(out_); }

 private:
  SecretBytes out_;
};

// A buffering reader with look-ahead, used to parse the textual header line
// by line without consuming any of the payload that follows it.
class BufferedReader : public Reader {
 public:
  static constexpr size_t kBufferSize = 16 * 1024;
  explicit BufferedReader(Reader& in) : in_(in), buf_(kBufferSize) {}

  StatusOr<size_t> Read(std::span<uint8_t> buf) override;
  // Up to n bytes without consuming them (fewer only at end of input);
  // n <= kBufferSize.
  StatusOr<ByteSpan> Peek(size_t n);
  // Consumes a line ending in '\n' (included) and appends it to *line. Fails
  // with OUT_OF_RANGE if no '\n' appears within max_len bytes, and with
  // DATA_LOSS if the input ends first (a partial line is still appended).
  Status ReadLine(size_t max_len, std::string* line);

 private:
  Status Fill();  // Reads more into the buffer; sets eof_.
  Reader& in_;
  Bytes buf_;
  size_t start_ = 0, end_ = 0;
  bool eof_ = false;
};

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_IO_H_
