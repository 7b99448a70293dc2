// Reading and verifying an audit log export (the directory audit/log.h
// writes): recompute the Merkle tree from DIR/leaves in one streaming pass
// (O(log n) memory), check size and root against DIR/checkpoint and the
// checkpoint's log signature; with the organisations' witness keys, also the
// cosignatures and the settled rule (audit/settled.h); with a client state
// directory, that the export extends the history pinned there.
#ifndef CONCLAVE_AUDIT_EXPORT_H_
#define CONCLAVE_AUDIT_EXPORT_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/settled.h"
#include "base/bytes.h"
#include "base/status.h"

namespace conclave::audit {

// What is wrong with an export. Every error VerifyExport returns carries one
// as a "[export:<name>] " prefix of its message; ExportProblemOf reads it.
enum class ExportProblem {
  kNone,
  kMalformed,         // a file is missing, unreadable or not in the format
  kLeafChanged,       // the leaves do not produce the checkpoint's root
  kLeavesDropped,     // fewer leaves than the checkpoint's size
  kExtraLeaves,       // more leaves than the checkpoint's size
  kWrongLog,          // another origin, or not signed by the pinned log key
  kBadLogSignature,   // the log key's signature does not verify
  kBadCosignature,    // a roster witness's cosignature does not verify
  kNotSettled,        // fewer than W organisations cosigned
  kHistoryRewritten,  // contradicts the checkpoint pinned in the state dir
  kOlderThanState,    // smaller than the pinned checkpoint: cannot be checked
  kForkOnRecord,      // the state dir already holds fork evidence for the log
  kIo,                // cannot read the export or write the state
};
std::string_view ExportProblemName(ExportProblem problem);
// kNone for OK; kMalformed for an error without the prefix.
ExportProblem ExportProblemOf(const Status& status);

struct ExportWitness {
  uint32_t org_id = 0;
  std::string vkey;  // cosignature/v1 vkey (type 0x04)
};

struct ExportVerifyOptions {
  // The log's vkey as the verifier pins it. Without it, DIR/log.vkey is
  // trusted and the result says so (trusted_export_vkey).
  std::optional<std::string> log_vkey;
  // The organisations' witnesses and the consortium's m and t: stand-in for
  // the roster (ceremony issue). With witnesses, the checkpoint must be
  // settled: W = ceil((m + t) / 2) organisations cosigned it.
  std::vector<ExportWitness> witnesses;
  uint32_t members = 0;
  uint32_t threshold = 0;
  // A ClientState directory (audit/client_state.h): the export must extend
  // the checkpoint pinned there; a settled export advances it; a
  // contradiction is kept as fork evidence.
  std::optional<std::filesystem::path> state_dir;
  // Called every 2^16 leaves with the count so far (progress display).
  std::function<void(uint64_t)> progress;
};

struct ExportVerifyResult {
  Checkpoint checkpoint;
  std::string log_vkey;              // the key the signature was checked with
  bool trusted_export_vkey = false;  // it came from DIR/log.vkey, unpinned
  uint64_t leaf_count = 0;
  uint64_t leaf_bytes = 0;
  // With witnesses:
  bool witnesses_checked = false;
  uint32_t settle_threshold = 0;         // W
  std::vector<uint32_t> cosigning_orgs;  // ascending
  bool settled = false;
  // With a state dir:
  enum class StateOutcome {
    kNotUsed,
    kStoredFirst,  // nothing was pinned; this checkpoint is now
    kAdvanced,     // the pinned checkpoint moved forward to this one
    kUnchanged,    // the pinned checkpoint is this one
    kCheckedOnly,  // consistent with the pinned one; not settled, so the
                   // state was not moved
  };
  StateOutcome state = StateOutcome::kNotUsed;
  std::optional<uint64_t> pinned_size;  // the pinned size that was checked
  // Plain-language notes for the reader (what was trusted, what was not
  // checked).
  std::vector<std::string> notes;
};
std::string_view StateOutcomeName(ExportVerifyResult::StateOutcome outcome);

// Verifies the export in `dir`. Errors carry an ExportProblem (above).
StatusOr<ExportVerifyResult> VerifyExport(const std::filesystem::path& dir,
                                          const ExportVerifyOptions& options);

// Streams DIR/leaves (or any file in that format), calling `leaf` for each
// leaf in order. Errors: "[export:malformed]" for a truncated record or a
// leaf larger than kMaxLeafSize, "[export:io]" for read failures.
Status ReadExportLeaves(const std::filesystem::path& leaves_file,
                        const std::function<Status(ByteSpan)>& leaf);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_EXPORT_H_
