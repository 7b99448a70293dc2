#include "audit/checkpoint.h"

#include <algorithm>

#include "audit/note.h"

namespace conclave::audit {
namespace {

Status Malformed(std::string_view why) {
  return InvalidArgumentError("malformed checkpoint: " + std::string(why));
}

}  // namespace

StatusOr<uint64_t> ParseDecimalU64(std::string_view s) {
  if (s.empty()) return InvalidArgumentError("empty number");
  if (s.size() > 1 && s[0] == '0') {
    return InvalidArgumentError("number has a leading zero");
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgumentError("not a decimal number");
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return InvalidArgumentError("number overflows 64 bits");
    }
    v = v * 10 + d;
  }
  return v;
}

StatusOr<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (Status s = ValidateNoteText(text); !s.ok()) return Malformed(s.message());
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t eol = rest.find('\n');  // present: the text ends in '\n'
    lines.push_back(rest.substr(0, eol));
    rest.remove_prefix(eol + 1);
  }
  if (lines.size() < 3) return Malformed("fewer than three lines");
  Checkpoint cp;
  if (lines[0].empty()) return Malformed("empty origin");
  cp.origin = std::string(lines[0]);
  auto size = ParseDecimalU64(lines[1]);
  if (!size.ok()) return Malformed("tree size: " + size.status().message());
  cp.size = *size;
  auto root = NoteBase64Decode(lines[2]);
  if (!root.ok()) return Malformed("root hash: " + root.status().message());
  if (root->size() != kHashSize) return Malformed("root hash is not 32 bytes");
  std::copy(root->begin(), root->end(), cp.root_hash.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Malformed("empty extension line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  if (checkpoint.origin.empty()) return InvalidArgumentError("empty origin");
  std::string text = checkpoint.origin + "\n" +
                     std::to_string(checkpoint.size) + "\n" +
                     NoteBase64Encode(checkpoint.root_hash) + "\n";
  for (const std::string& ext : checkpoint.extensions) {
    if (ext.empty()) return InvalidArgumentError("empty extension line");
    text += ext + "\n";
  }
  // Catches newlines inside the origin or an extension (which would shift
  // the lines) and control characters.
  auto parsed = ParseCheckpoint(text);
  if (!parsed.ok()) return parsed.status();
  if (!(*parsed == checkpoint)) {
    return InvalidArgumentError("origin or extension holds a newline");
  }
  return text;
}

}  // namespace conclave::audit
