// SecretBytes: key material that wipes itself.
//
// Memory comes from an allocator that cleanses every buffer before giving it
// back, so copies made while the vector grows are wiped too. The type is
// move-only (Clone() is explicit), compares in constant time, and has no
// printing, hex or string conversion: a secret cannot reach a log by accident.
#ifndef CONCLAVE_BASE_SECRET_BYTES_H_
#define CONCLAVE_BASE_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <vector>

#include "base/bytes.h"

namespace conclave {

void CleanseMemory(void* p, size_t n);

template <typename T>
struct CleansingAllocator {
  using value_type = T;
  CleansingAllocator() = default;
  template <typename U>
  CleansingAllocator(const CleansingAllocator<U>&) {}
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    CleanseMemory(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CleansingAllocator<U>&) const {
    return true;
  }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size) {}
  static SecretBytes CopyFrom(ByteSpan b) {
    SecretBytes s;
    s.data_.assign(b.begin(), b.end());
    return s;
  }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
    other.data_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    data_ = std::move(other.data_);
    other.data_.clear();
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes Clone() const { return CopyFrom(span()); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  uint8_t& operator[](size_t i) { return data_[i]; }
  uint8_t operator[](size_t i) const { return data_[i]; }

  // Read access for crypto code. Do not copy the result into a plain Bytes.
  ByteSpan span() const { return ByteSpan(data_.data(), data_.size()); }
  std::span<uint8_t> mutable_span() { return {data_.data(), data_.size()}; }

  void Append(ByteSpan b) { data_.insert(data_.end(), b.begin(), b.end()); }
  void Resize(size_t n) { data_.resize(n); }
  // Wipes and empties.
  void Clear() {
    CleanseMemory(data_.data(), data_.size());
    data_.clear();
  }

  // Constant-time; lengths are treated as public.
  bool ConstantTimeEquals(const SecretBytes& other) const {
    return conclave::ConstantTimeEquals(span(), other.span());
  }
  bool operator==(const SecretBytes&) const = delete;

 private:
  std::vector<uint8_t, CleansingAllocator<uint8_t>> data_;
};

// Never printable: these overloads exist so that an attempt to stream a secret
// fails to compile instead of finding some implicit conversion.
std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

// GoogleTest prints values of failed assertions; make that safe too.
void PrintTo(const SecretBytes& s, std::ostream* os);

}  // namespace conclave

#endif  // CONCLAVE_BASE_SECRET_BYTES_H_
