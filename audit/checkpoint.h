// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a log's
// signed tree head.
//
//   <origin>\n<decimal size>\n<base64 root hash>\n[<extension line>\n]...
#ifndef CONCLAVE_AUDIT_CHECKPOINT_H_
#define CONCLAVE_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.h"
#include "base/status.h"

namespace conclave::audit {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root_hash{};
  // Opaque, non-empty, without the newline. The spec does not recommend
  // them; we parse them but never emit any of our own.
  std::vector<std::string> extensions;

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Parses a checkpoint note text (as OpenNote returns it, final newline
// included). Strict: origin non-empty; size ASCII decimal with no sign, no
// leading zero (except "0") and no overflow; root hash exactly the canonical
// padded base64 of 32 bytes; extension lines non-empty; the text valid note
// text. INVALID_ARGUMENT ("malformed checkpoint: ...") otherwise.
StatusOr<Checkpoint> ParseCheckpoint(std::string_view text);

// The note text for `checkpoint`. Fails if the origin is empty or the origin
// or an extension line holds a newline or control character.
StatusOr<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// Canonical ASCII decimal (no sign, no leading zeros unless the value is 0),
// the form tlog-checkpoint and tlog-witness use for sizes and timestamps.
StatusOr<uint64_t> ParseDecimalU64(std::string_view s);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_CHECKPOINT_H_
