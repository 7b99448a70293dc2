// A client's view of each log: the latest settled checkpoint it verified,
// persisted atomically, moved forward only along a proven-consistent
// history; and portable evidence when the log signed two checkpoints it
// cannot show to be consistent (brief §6).
#ifndef CONCLAVE_AUDIT_CLIENT_STATE_H_
#define CONCLAVE_AUDIT_CLIENT_STATE_H_

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "audit/settled.h"

namespace conclave::audit {

// Evidence of a fork: two checkpoints signed by one log and the proof the
// log offered (or that the client was given) between them. Text format:
//
//   conclave fork evidence v1\n
//   origin <origin>\n
//   reason <one line>\n
//   proof <n>\n
//   <n lines: base64 hash>\n
//   note <byte length>\n<signed note A, older or same size>
//   note <byte length>\n<signed note B>
//
// The notes are copied byte for byte (they carry their own signatures and
// cosignatures); the length prefixes make the layout unambiguous.
struct ForkEvidence {
  std::string origin;
  std::string reason;
  std::vector<Hash> proof;
  std::string note_a;  // the smaller (or equal) tree size
  std::string note_b;
};

std::string EncodeForkEvidence(const ForkEvidence& evidence);
// Strict parse; INVALID_ARGUMENT ("malformed fork evidence: ...").
StatusOr<ForkEvidence> ParseForkEvidence(std::string_view text);
// OK iff both notes carry a valid signature from `log_key`, are checkpoints
// for the evidence's origin, and CheckConsistent(A, B, proof) fails with
// UNAUTHENTICATED; otherwise an error saying why it is not evidence.
Status VerifyForkEvidence(const ForkEvidence& evidence,
                          const NoteVerifier& log_key);

struct StoredCheckpoint {
  std::string note;  // the signed note, as verified when it was stored
  Checkpoint checkpoint;
};

// Directory layout: per origin, "<hex SHA-256(origin)>.checkpoint" (the
// signed note) and, once a fork is seen, "<...>.fork" (ForkEvidence). Files
// are replaced by write-temp, fsync, rename, fsync-directory. One process
// should use a directory at a time.
class ClientState {
 public:
  // Opens `dir`, creating it (mode 0700) if missing.
  static StatusOr<ClientState> Open(const std::filesystem::path& dir);

  // NOT_FOUND if nothing is stored for `origin`; DATA_LOSS if the stored
  // file is corrupt.
  StatusOr<StoredCheckpoint> Latest(std::string_view origin) const;
  // The recorded fork evidence for `origin`, if any.
  StatusOr<std::optional<ForkEvidence>> Fork(std::string_view origin) const;
  std::filesystem::path ForkPath(std::string_view origin) const;

  enum class UpdateResult {
    kStoredFirst,  // nothing was stored: the settled checkpoint is adopted
    kAdvanced,     // a larger checkpoint, proven consistent, replaced it
    kUnchanged,    // the same or an older checkpoint, proven consistent
  };

  // Offers a settled checkpoint. `proof` is the consistency proof between
  // the stored checkpoint and `seen`, from the smaller size to the larger
  // (empty for equal sizes). Errors:
  // - FAILED_PRECONDITION: fork evidence is on record for this log; the
  //   state does not move until an operator resolves it;
  // - ABORTED: the log cannot show the two consistent: both notes and the
  //   proof were written as fork evidence and the state did not move;
  // - INVALID_ARGUMENT / DATA_LOSS / INTERNAL for bad input or I/O.
  StatusOr<UpdateResult> Update(const SettledCheckpoint& seen,
                                std::span<const Hash> proof);

 private:
  explicit ClientState(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path PathFor(std::string_view origin,
                                std::string_view ext) const;
  std::filesystem::path dir_;
};

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_CLIENT_STATE_H_
