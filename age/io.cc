#include "age/io.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "age/errors.h"

namespace conclave::age {

StatusOr<size_t> ReadFull(Reader& in, std::span<uint8_t> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    CONCLAVE_ASSIGN_OR_RETURN(size_t n, in.Read(buf.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

StatusOr<size_t> FdReader::Read(std::span<uint8_t> buf) {
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) {
      return AgeError(ErrorKind::kIo,
                      std::string("read failed: ") + std::strerror(errno));
    }
  }
}

Status FdWriter::Write(ByteSpan data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return AgeError(ErrorKind::kIo,
                      std::string("write failed: ") + std::strerror(errno));
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return OkStatus();
}

StatusOr<size_t> MemoryReader::Read(std::span<uint8_t> buf) {
  const size_t n = std::min(buf.size(), data_.size() - pos_);
  std::copy_n(data_.begin() + pos_, n, buf.begin());
  pos_ += n;
  return n;
}

Status BufferedReader::Fill() {
  if (eof_) return OkStatus();
  if (start_ > 0) {
    std::copy(buf_.begin() + start_, buf_.begin() + end_, buf_.begin());
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == buf_.size()) return OkStatus();
  CONCLAVE_ASSIGN_OR_RETURN(size_t n,
                            in_.Read(std::span<uint8_t>(buf_).subspan(end_)));
  if (n == 0) eof_ = true;
  end_ += n;
  return OkStatus();
}

StatusOr<size_t> BufferedReader::Read(std::span<uint8_t> buf) {
  if (buf.empty()) return size_t{0};
  if (start_ == end_) {
    // Large reads bypass the buffer.
    if (eof_) return size_t{0};
    if (buf.size() >= buf_.size()) return in_.Read(buf);
    CONCLAVE_RETURN_IF_ERROR(Fill());
  }
  const size_t n = std::min(buf.size(), end_ - start_);
  std::copy_n(buf_.begin() + start_, n, buf.begin());
  start_ += n;
  return n;
}

StatusOr<ByteSpan> BufferedReader::Peek(size_t n) {
  n = std::min(n, buf_.size());
  while (end_ - start_ < n && !eof_) CONCLAVE_RETURN_IF_ERROR(Fill());
  return ByteSpan(buf_).subspan(start_, std::min(n, end_ - start_));
}

Status BufferedReader::ReadLine(size_t max_len, std::string* line) {
  size_t taken = 0;
  for (;;) {
    const uint8_t* begin = buf_.data() + start_;
    const size_t avail = end_ - start_;
    const size_t scan = std::min(avail, max_len - taken);
    const uint8_t* nl =
        static_cast<const uint8_t*>(std::memchr(begin, '\n', scan));
    const size_t n = nl ? static_cast<size_t>(nl - begin) + 1 : scan;
    line->append(reinterpret_cast<const char*>(begin), n);
    start_ += n;
    taken += n;
    if (nl) return OkStatus();
    if (taken >= max_len) return OutOfRangeError("line too long");
    if (eof_ && start_ == end_) return DataLossError("unexpected end of input");
    CONCLAVE_RETURN_IF_ERROR(Fill());
  }
}

}  // namespace conclave::age
