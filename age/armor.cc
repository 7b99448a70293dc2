#include "age/armor.h"

#include <algorithm>

#include "age/base64.h"
#include "age/errors.h"

namespace conclave::age {

namespace {

constexpr size_t kColumns = 64;
constexpr size_t kBytesPerLine = 48;
// Longest accepted line: 64 columns + CRLF. Leading/trailing whitespace is
// consumed in bounded pieces.
constexpr size_t kMaxLine = kColumns + 2;

Status ArmorError(std::string m) {
  return AgeError(ErrorKind::kArmor, std::move(m));
}

bool IsSpace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Strips "\n" or "\r\n"; false if the line does not end so.
bool StripEol(std::string_view* l) {
  if (!l->ends_with('\n')) return false;
  l->remove_suffix(1);
  if (l->ends_with('\r')) l->remove_suffix(1);
  return true;
}

// Skips whitespace; returns whether any non-whitespace byte follows.
StatusOr<bool> SkipSpace(BufferedReader& in) {
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(ByteSpan p, in.Peek(1));
    if (p.empty()) return false;
    if (!IsSpace(p[0])) return true;
    uint8_t b;
    CONCLAVE_ASSIGN_OR_RETURN(size_t n, in.Read(std::span(&b, 1)));
    (void)n;
  }
}

}  // namespace

StatusOr<bool> LooksArmored(BufferedReader& in) {
  // Leading whitespace is allowed before armor only. Peek in growing steps
  // (so a pipe is not waited on for more than needed), consuming nothing.
  for (size_t want = 64;;
       want = std::min(want * 4, BufferedReader::kBufferSize)) {
    CONCLAVE_ASSIGN_OR_RETURN(ByteSpan p, in.Peek(want));
    size_t i = 0;
    while (i < p.size() && IsSpace(p[i])) ++i;
    if (p.size() - i >= 5 || p.size() < want ||
        want == BufferedReader::kBufferSize) {
      return AsStringView(p.subspan(i)).starts_with("-----");
    }
  }
}

Status ArmorReader::NextLine() {
  std::string line;
  if (state_ == State::kBegin) {
    CONCLAVE_ASSIGN_OR_RETURN(bool any, SkipSpace(in_));
    if (!any) return ArmorError("no armor BEGIN line");
    Status s = in_.ReadLine(kArmorBegin.size() + 2, &line);
    if (!s.ok()) return TagIfUntagged(s, ErrorKind::kArmor);
    std::string_view l(line);
    if (!StripEol(&l) || l != kArmorBegin) {
      return ArmorError("bad armor BEGIN line");
    }
    state_ = State::kBody;
    return OkStatus();
  }
  // kBody: a base64 line or the END line.
  Status s = in_.ReadLine(kMaxLine, &line);
  std::string_view l(line);
  if (s.code() == StatusCode::kDataLoss && l == kArmorEnd) {
    // END line at the very end of input, without a newline.
  } else if (!s.ok()) {
    if (s.code() == StatusCode::kOutOfRange) {
      return ArmorError("armor line longer than 64 columns");
    }
    if (s.code() == StatusCode::kDataLoss) {
      return ArmorError("armor ends without an END line");
    }
    return s;
  } else if (!StripEol(&l)) {
    return ArmorError("armor line has no line ending");
  }
  if (l == kArmorEnd) {
    CONCLAVE_ASSIGN_OR_RETURN(bool garbage, SkipSpace(in_));
    if (garbage) return ArmorError("data after the armor END line");
    state_ = State::kDone;
    return OkStatus();
  }
  if (saw_short_line_) {
    return ArmorError("armor line after the short last line");
  }
  if (l.empty()) return ArmorError("empty line inside armor");
  if (l.size() > kColumns) return ArmorError("armor line longer than 64");
  if (l.size() < kColumns) saw_short_line_ = true;
  decoded_.clear();
  pos_ = 0;
  Status d = Base64DecodePaddedAppend(l, &decoded_);
  if (!d.ok()) return ArmorError("armor base64: " + d.message());
  // Padding may only end the last line: a full line with '=' must be last.
  if (l.back() == '=') saw_short_line_ = true;
  return OkStatus();
}

StatusOr<size_t> ArmorReader::Read(std::span<uint8_t> buf) {
  if (buf.empty()) return size_t{0};
  while (pos_ == decoded_.size()) {
    if (state_ == State::kDone) return size_t{0};
    decoded_.clear();
    pos_ = 0;
    CONCLAVE_RETURN_IF_ERROR(NextLine());
  }
  const size_t n = std::min(buf.size(), decoded_.size() - pos_);
  std::copy_n(decoded_.begin() + pos_, n, buf.begin());
  pos_ += n;
  return n;
}

Status ArmorWriter::Begin() {
  if (begun_) return OkStatus();
  begun_ = true;
  std::string l(kArmorBegin);
  l += '\n';
  return out_.Write(AsBytes(l));
}

Status ArmorWriter::Write(ByteSpan data) {
  if (finished_) return AgeError(ErrorKind::kUsage, "write after Finish");
  CONCLAVE_RETURN_IF_ERROR(Begin());
  pending_.insert(pending_.end(), data.begin(), data.end());
  size_t i = 0;
  std::string lines;
  for (; i + kBytesPerLine <= pending_.size(); i += kBytesPerLine) {
    lines += Base64EncodePadded(ByteSpan(pending_).subspan(i, kBytesPerLine));
    lines += '\n';
  }
  pending_.erase(pending_.begin(), pending_.begin() + i);
  return out_.Write(AsBytes(lines));
}

Status ArmorWriter::Finish() {
  if (finished_) return AgeError(ErrorKind::kUsage, "Finish called twice");
  CONCLAVE_RETURN_IF_ERROR(Begin());
  finished_ = true;
  std::string tail;
  if (!pending_.empty()) {
    tail += Base64EncodePadded(pending_);
    tail += '\n';
  }
  tail += kArmorEnd;
  tail += '\n';
  return out_.Write(AsBytes(tail));
}

}  // namespace conclave::age
