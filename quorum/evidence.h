// What a releaser reads from the audit log (brief §5.3, §6): a settled
// checkpoint and the leaves from the request up to it, proven to be exactly
// the leaves the checkpoint commits to.
//
// v1::LogEvidence carries the checkpoint note (log signature and witness
// cosignatures), the request's leaf index r, the roots of the perfect
// subtrees covering [0, r) ("left peaks", largest first, as the RFC 9162
// tree decomposes) and the leaves r .. size−1. Appending the leaves to the
// left peaks reproduces the root at every size in (r, size]; the root at
// `size` must equal the checkpoint's. So the leaves are complete and in
// order (absence of a withdrawal is shown, brief §5.3), and any vote's
// named checkpoint of size s in (r, size] can be compared with this log's
// root at s (a split view shows up as a mismatch).
#ifndef CONCLAVE_QUORUM_EVIDENCE_H_
#define CONCLAVE_QUORUM_EVIDENCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/log.h"
#include "audit/merkle.h"
#include "audit/settled.h"
#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"

namespace conclave::quorum {

// Evidence is refused (INVALID_ARGUMENT) before any hashing when it carries
// more leaves or a larger leaf than this: a releaser hashes O(n log n) for n
// leaves, and an honest request's leaves are small statements.
inline constexpr uint64_t kMaxEvidenceLeaves = 1'000'000;
inline constexpr size_t kMaxEvidenceLeafSize = size_t{2} << 20;

// The log's verifier and the witness roster from a verified roster (log
// vkey, every organisation's witness vkey, m = number of organisations and
// t). The origin is the log vkey's name (audit/log.h: the log key's name is
// the origin). INVALID_ARGUMENT if the roster's keys do not parse (which
// VerifyRoster already refuses) or the witness roster is invalid.
struct RosterLogKeys {
  std::unique_ptr<audit::NoteVerifier> log_key;
  std::string origin;
  audit::WitnessRoster witnesses;
};
StatusOr<RosterLogKeys> LogKeysFromRoster(
    const keyceremony::VerifiedRoster& roster);

// Operator side (daemon, tests): the evidence for the leaf at `first_index`
// up to the size of `checkpoint_note` (a note this log signed, with any
// cosignature lines, copied into the evidence as is). FAILED_PRECONDITION
// when the note is not signed by this log or is for another origin, its
// size exceeds the committed tree, its root does not match the stored tree,
// first_index >= its size (the checkpoint does not cover the leaf yet), or
// the evidence would exceed the bounds above (a verifier would refuse it).
// Cosignatures are not checked here: settlement is the verifier's call.
StatusOr<v1::LogEvidence> BuildLogEvidence(const audit::Log& log,
                                           std::string_view checkpoint_note,
                                           uint64_t first_index);

// ---- Settlement under the roster chain (brief §9) ----

// The rosters of a log, epoch order, each with the index of its `roster`
// leaf, verified as a chain (keyceremony::VerifyRosterChain). A checkpoint
// of size N is settled under the roster in force at N: the latest roster
// whose leaf index is below N (docs/audit-log.md "Settlement across roster
// epochs"). Copyable.
class IndexedRosterChain {
 public:
  // `rosters`: serialized v1::Roster, epoch 1 first; `leaf_indices`: one
  // per roster, strictly increasing, the first 0 (epoch 1 is leaf 0).
  // INVALID_ARGUMENT for the shape; VerifyRosterChain's errors otherwise.
  static StatusOr<IndexedRosterChain> Verify(
      std::span<const std::string> rosters,
      std::span<const uint64_t> leaf_indices);
  // The `roster` leaves of a log read in full (audit export, GetLeaves):
  // every leaf parsed, each `roster` one taken at its index; then Verify.
  // INVALID_ARGUMENT if a leaf does not parse or there is no roster leaf.
  static StatusOr<IndexedRosterChain> FromLeaves(std::span<const Bytes> leaves);
  // Verify, and the chain must hold `held` (any link): a client checks the
  // chain a daemon serves against the roster it was given.
  // FAILED_PRECONDITION if it does not.
  static StatusOr<IndexedRosterChain> VerifyHolding(
      std::span<const std::string> rosters,
      std::span<const uint64_t> leaf_indices,
      const keyceremony::VerifiedRoster& held);

  size_t size() const { return rosters_.size(); }
  const keyceremony::VerifiedRoster& roster(size_t i) const {
    return rosters_[i];
  }
  uint64_t leaf_index(size_t i) const { return leaf_indices_[i]; }
  const keyceremony::VerifiedRoster& latest() const { return rosters_.back(); }
  // The roster in force at a log of `size` leaves (the first if none is
  // below it).
  const keyceremony::VerifiedRoster& InForceAt(uint64_t size) const;
  // The roster of `epoch`; nullptr if the chain does not hold it.
  const keyceremony::VerifiedRoster* Epoch(uint64_t epoch) const;
  // The last epoch of the consortium key `epoch` has (epochs sharing a key
  // are contiguous; a REKEY ends a key's chain; docs/protocol.md "Rekey");
  // nullptr if the chain does not hold `epoch`.
  const keyceremony::VerifiedRoster* KeyFinal(uint64_t epoch) const;
  // The index of the roster with this fingerprint; nullopt if absent.
  std::optional<size_t> Find(const Sha256Digest& fingerprint) const;

 private:
  IndexedRosterChain() = default;
  std::vector<keyceremony::VerifiedRoster> rosters_;
  std::vector<uint64_t> leaf_indices_;
};

class VerifiedLogView {
 public:
  const audit::SettledCheckpoint& settled() const { return settled_; }
  uint64_t first_index() const { return first_index_; }
  uint64_t size() const { return settled_.checkpoint().size; }
  // The leaf at absolute index i, first_index <= i < size (an empty span
  // outside).
  ByteSpan leaf(uint64_t index) const;
  // The log's root at size s, first_index < s <= size; nullopt outside.
  std::optional<audit::Hash> RootAt(uint64_t size) const;

 private:
  friend StatusOr<VerifiedLogView> VerifyLogEvidence(
      const v1::LogEvidence& evidence,
      const keyceremony::VerifiedRoster& roster,
      const IndexedRosterChain* chain);
  VerifiedLogView(audit::SettledCheckpoint settled, uint64_t first,
                  std::vector<Bytes> leaves, std::vector<audit::Hash> roots)
      : settled_(std::move(settled)),
        first_index_(first),
        leaves_(std::move(leaves)),
        roots_(std::move(roots)) {}
  audit::SettledCheckpoint settled_;
  uint64_t first_index_;
  std::vector<Bytes> leaves_;
  std::vector<audit::Hash> roots_;  // roots_[i]: root at first_index + i + 1
};

// Verifies, in this order:
//  - the shape, before any signature or hash: at most kMaxEvidenceLeaves
//    leaves of at most kMaxEvidenceLeafSize bytes, popcount(first_index)
//    left peaks of 32 bytes each — INVALID_ARGUMENT;
//  - the checkpoint (audit::VerifyCosignedCheckpoint with the roster's log
//    key and witnesses): UNAUTHENTICATED without the log key's signature or
//    with a roster witness's cosignature that does not verify,
//    INVALID_ARGUMENT for another origin or a malformed note; cosignatures
//    by keys outside the roster are ignored;
//  - that it is settled DIRECTLY: the evidence carries one checkpoint, so
//    only its own cosigners count (audit::Settle with no later
//    checkpoints); witnesses of fewer than W = ⌈(m + t)/2⌉ organisations →
//    FAILED_PRECONDITION "not settled: k of W organisations …". The daemon
//    serves each checkpoint with the cosignatures it collected, so a
//    releaser waits for (or asks for) a checkpoint that W witnesses signed;
//  - first_index < size and exactly size − first_index leaves —
//    INVALID_ARGUMENT;
//  - the root recomputed from the left peaks and the leaves equals the
//    checkpoint's — UNAUTHENTICATED "evidence does not match the
//    checkpoint" otherwise (a changed, reordered or substituted leaf, or a
//    wrong peak).
// With `chain` (brief §9), the checkpoint is verified and settled under the
// chain's roster in force at its size instead of `roster` (the request's),
// and the evidence's own leaves must agree with the chain: each `roster`
// leaf in [first_index, size) is the chain's roster with that leaf index
// and every chain roster with an index in that range is there
// (UNAUTHENTICATED otherwise: the chain's indices are the daemon's word,
// the leaves are proven by the checkpoint).
StatusOr<VerifiedLogView> VerifyLogEvidence(
    const v1::LogEvidence& evidence, const keyceremony::VerifiedRoster& roster,
    const IndexedRosterChain* chain = nullptr);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_EVIDENCE_H_
