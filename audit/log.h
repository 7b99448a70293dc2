// The audit log as its operator runs it: leaves appended to a LogStorage in
// batches, checkpoints (C2SP tlog-checkpoint) signed as C2SP signed notes
// with the log key, proofs, and the export directory (docs/audit-log.md,
// "Export format"):
//
//   DIR/checkpoint  the signed note, with the witnesses' cosignature lines
//   DIR/log.vkey    the log's verifier key, one line
//   DIR/leaves      per leaf, in log order: 4-byte big-endian length ‖ bytes
//
// The export reader and verifier are in audit/export.h.
#ifndef CONCLAVE_AUDIT_LOG_H_
#define CONCLAVE_AUDIT_LOG_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "base/status.h"
#include "crypto/ed25519.h"

namespace conclave::audit {

// File names inside an export directory.
inline constexpr char kExportCheckpointFile[] = "checkpoint";
inline constexpr char kExportVkeyFile[] = "log.vkey";
inline constexpr char kExportLeavesFile[] = "leaves";

// Not thread-safe (LogStorage is not).
class Log {
 public:
  // The log key's name is the origin ("the log's key name SHOULD match the
  // origin line", tlog-checkpoint). INVALID_ARGUMENT for an origin that is
  // not a valid key name.
  static StatusOr<std::unique_ptr<Log>> Create(
      std::unique_ptr<LogStorage> storage, std::string_view origin,
      Ed25519PrivateKey log_key);

  const std::string& origin() const { return signer_->name(); }
  // "<origin>+<id>+base64(0x01 ‖ key)", what verifiers pin.
  std::string vkey() const;
  const NoteVerifier& verifier() const { return *verifier_; }
  LogStorage& storage() { return *storage_; }
  const LogStorage& storage() const { return *storage_; }
  uint64_t Size() const { return storage_->Size(); }

  // Stages one leaf (visible to proofs at once, durable after Commit()).
  StatusOr<uint64_t> Append(ByteSpan leaf);
  Status Commit() { return storage_->Commit(); }
  // Appends every leaf and commits once: one fsync batch. On any failure the
  // staged leaves are rolled back. Returns the index of the first leaf.
  StatusOr<uint64_t> AppendBatch(std::span<const Bytes> leaves);

  // The checkpoint of the committed tree and the signed note for it.
  // FAILED_PRECONDITION while leaves are staged but not committed: a
  // checkpoint must never cover leaves a crash could lose.
  StatusOr<Checkpoint> CurrentCheckpoint() const;
  StatusOr<std::string> SignCheckpoint() const;

  StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                             uint64_t size) const;
  StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t size1,
                                               uint64_t size2) const;

  // Writes an export of the tree at `checkpoint_note`'s size into `dir`
  // (created if missing; existing export files are replaced atomically, the
  // leaves first and the checkpoint last). The note must be signed by this
  // log and match the stored tree at its size (FAILED_PRECONDITION
  // otherwise): an export never pairs leaves with a checkpoint they do not
  // produce.
  Status WriteExport(const std::filesystem::path& dir,
                     std::string_view checkpoint_note) const;

 private:
  Log(std::unique_ptr<LogStorage> storage,
      std::unique_ptr<Ed25519NoteSigner> signer)
      : storage_(std::move(storage)),
        signer_(std::move(signer)),
        verifier_(signer_->Verifier()) {}
  std::unique_ptr<LogStorage> storage_;
  std::unique_ptr<Ed25519NoteSigner> signer_;
  std::unique_ptr<Ed25519NoteVerifier> verifier_;
};

// The note with `lines` (signature lines, each "— name base64\n", e.g. a
// tlog-witness add-checkpoint response) appended. INVALID_ARGUMENT unless
// the result parses as a note; a line already present is not repeated.
StatusOr<std::string> AppendSignatureLines(std::string_view note,
                                           std::string_view lines);

// Writes an export from its parts: the leaves [0, count) of `leaves`, the
// note and the vkey line. For tests that need an export a real log would
// refuse to write (tampered, mismatched); Log::WriteExport checks first.
Status WriteExportFiles(const std::filesystem::path& dir,
                        const LogStorage& leaves, uint64_t count,
                        std::string_view checkpoint_note,
                        std::string_view vkey);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_LOG_H_
