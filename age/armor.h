// ASCII armor (C2SP age "ASCII armor"): strict PEM (RFC 7468 §3, Figure 3)
// with the label "AGE ENCRYPTED FILE". Accepted: whitespace before and after
// the block, LF or CRLF line endings, no newline after the END line.
// Rejected: headers, lines other than 64 columns (except a shorter last
// line), empty lines, whitespace inside, non-canonical base64, anything but
// whitespace around the block.
#ifndef CONCLAVE_AGE_ARMOR_H_
#define CONCLAVE_AGE_ARMOR_H_

#include <string_view>

#include "age/io.h"

namespace conclave::age {

inline constexpr std::string_view kArmorBegin =
    "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorEnd =
    "-----END AGE ENCRYPTED FILE-----";

// True if, after optional leading whitespace, the input starts with "-----"
// (then it is parsed as armor, strictly; a binary age file starts with
// "age-encryption.org/").
StatusOr<bool> LooksArmored(BufferedReader& in);

// Decodes the armor read from `in`, streaming one line at a time. Errors are
// armor failures (or the underlying reader's errors). End of input (0) is
// returned only after the END line and the trailing whitespace checked out.
class ArmorReader : public Reader {
 public:
  explicit ArmorReader(Reader& in) : in_(in) {}
  StatusOr<size_t> Read(std::span<uint8_t> buf) override;

 private:
  enum class State { kBegin, kBody, kDone };
  Status NextLine();
  BufferedReader in_;
  State state_ = State::kBegin;
  bool saw_short_line_ = false;
  Bytes decoded_;
  size_t pos_ = 0;
};

// Encodes everything written into armor on `out`; call Finish() at the end
// (LF line endings, 64 columns, final newline).
class ArmorWriter : public Writer {
 public:
  explicit ArmorWriter(Writer& out) : out_(out) {}
  Status Write(ByteSpan data) override;
  Status Finish();

 private:
  Status Begin();
  Writer& out_;
  Bytes pending_;  // < 48 bytes not yet encoded
  bool begun_ = false;
  bool finished_ = false;
};

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_ARMOR_H_
