#include "quorum/evidence.h"

#include <bit>
#include <string>
#include <utility>

#include "audit/checkpoint.h"
#include "audit/note.h"
#include "keyceremony/roster_members.h"

namespace conclave::quorum {
namespace {

std::string Str(uint64_t v) { return std::to_string(v); }

}  // namespace

StatusOr<RosterLogKeys> LogKeysFromRoster(
    const keyceremony::VerifiedRoster& roster) {
  const v1::RosterBody& body = roster.body;
  auto log_key = audit::Ed25519NoteVerifier::FromVerifierKey(body.log_vkey());
  if (!log_key.ok()) return log_key.status().Annotate("roster log vkey");
  std::string origin = (*log_key)->name();

  std::vector<audit::WitnessEntry> entries;
  for (const keyceremony::RosterWitness& w :
       keyceremony::RosterWitnesses(body)) {
    entries.push_back({w.org_id, w.vkey});
  }
  auto witnesses = audit::WitnessRoster::Create(
      static_cast<uint32_t>(body.organisations_size()), body.threshold(),
      entries);
  if (!witnesses.ok()) return witnesses.status().Annotate("roster witnesses");
  return RosterLogKeys{std::move(log_key).value(), std::move(origin),
                       std::move(witnesses).value()};
}

StatusOr<v1::LogEvidence> BuildLogEvidence(const audit::Log& log,
                                           std::string_view checkpoint_note,
                                           uint64_t first_index) {
  audit::NoteVerifierSet keys;
  CONCLAVE_RETURN_IF_ERROR(keys.Add(&log.verifier()));
  auto opened = audit::OpenNote(checkpoint_note, keys);
  if (!opened.ok()) {
    return FailedPreconditionError(
        "log evidence: the checkpoint is not signed by this log: " +
        opened.status().message());
  }
  auto cp = audit::ParseCheckpoint(opened->text);
  if (!cp.ok()) {
    return FailedPreconditionError("log evidence: " + cp.status().message());
  }
  if (cp->origin != log.origin()) {
    return FailedPreconditionError("log evidence: checkpoint origin \"" +
                                   cp->origin + "\" is not this log's");
  }
  const audit::LogStorage& storage = log.storage();
  if (cp->size > storage.CommittedSize()) {
    return FailedPreconditionError(
        "log evidence: the checkpoint covers uncommitted leaves");
  }
  CONCLAVE_ASSIGN_OR_RETURN(audit::Hash root,
                            audit::RootHash(storage, cp->size));
  if (root != cp->root_hash) {
    return FailedPreconditionError(
        "log evidence: the checkpoint's root does not match the stored tree");
  }
  if (first_index >= cp->size) {
    return FailedPreconditionError("log evidence: the checkpoint (size " +
                                   Str(cp->size) + ") does not cover leaf " +
                                   Str(first_index) + " yet");
  }
  if (cp->size - first_index > kMaxEvidenceLeaves) {
    return FailedPreconditionError(
        "log evidence: " + Str(cp->size - first_index) +
        " leaves from the request to the checkpoint, more than a releaser "
        "accepts (" +
        Str(kMaxEvidenceLeaves) + ")");
  }

  v1::LogEvidence out;
  out.set_checkpoint(std::string(checkpoint_note));
  out.set_first_index(first_index);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<audit::Hash> peaks,
                            audit::LeftPeaks(storage, first_index));
  for (const audit::Hash& h : peaks) {
    out.add_left_peaks(reinterpret_cast<const char*>(h.data()), h.size());
  }
  for (uint64_t i = first_index; i < cp->size; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(Bytes leaf, storage.Leaf(i));
    if (leaf.size() > kMaxEvidenceLeafSize) {
      return FailedPreconditionError("log evidence: leaf " + Str(i) +
                                     " is larger than a releaser "
                                     "accepts (" +
                                     Str(leaf.size()) + " bytes)");
    }
    out.add_leaves(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  }
  return out;
}

ByteSpan VerifiedLogView::leaf(uint64_t index) const {
  if (index < first_index_ || index - first_index_ >= leaves_.size()) {
    return ByteSpan();
  }
  return leaves_[index - first_index_];
}

std::optional<audit::Hash> VerifiedLogView::RootAt(uint64_t size) const {
  if (size <= first_index_ || size - first_index_ > roots_.size()) {
    return std::nullopt;
  }
  return roots_[size - first_index_ - 1];
}

StatusOr<VerifiedLogView> VerifyLogEvidence(
    const v1::LogEvidence& evidence,
    const keyceremony::VerifiedRoster& roster) {
  // Shape first: nothing below hashes or verifies more than the bounds
  // allow.
  const uint64_t first = evidence.first_index();
  if (static_cast<uint64_t>(evidence.leaves_size()) > kMaxEvidenceLeaves) {
    return InvalidArgumentError("log evidence: " + Str(evidence.leaves_size()) +
                                " leaves, more than the " +
                                Str(kMaxEvidenceLeaves) + " accepted");
  }
  for (int i = 0; i < evidence.leaves_size(); ++i) {
    if (evidence.leaves(i).size() > kMaxEvidenceLeafSize) {
      return InvalidArgumentError("log evidence: leaf " + Str(first + i) +
                                  " has " + Str(evidence.leaves(i).size()) +
                                  " bytes, more than the " +
                                  Str(kMaxEvidenceLeafSize) + " accepted");
    }
  }
  const int want_peaks = std::popcount(first);
  if (evidence.left_peaks_size() != want_peaks) {
    return InvalidArgumentError(
        "log evidence: " + Str(evidence.left_peaks_size()) +
        " left peaks for leaf index " + Str(first) + ", want " +
        Str(want_peaks));
  }
  std::vector<audit::Hash> peaks;
  peaks.reserve(want_peaks);
  for (const std::string& p : evidence.left_peaks()) {
    auto h = audit::HashFromBytes(AsBytes(p));
    if (!h.ok()) return h.status().Annotate("log evidence: left peak");
    peaks.push_back(*h);
  }

  // The checkpoint: signed by the roster's log, settled by its own
  // cosignatures (the evidence carries no later checkpoint).
  CONCLAVE_ASSIGN_OR_RETURN(RosterLogKeys keys, LogKeysFromRoster(roster));
  auto cosigned = audit::VerifyCosignedCheckpoint(
      evidence.checkpoint(), keys.origin, *keys.log_key, keys.witnesses);
  if (!cosigned.ok()) return cosigned.status().Annotate("log evidence");
  auto settled = audit::Settle(*cosigned, {}, keys.witnesses);
  if (!settled.ok()) return settled.status().Annotate("log evidence");
  const audit::Checkpoint& cp = settled->checkpoint();

  if (first >= cp.size) {
    return InvalidArgumentError("log evidence: leaf index " + Str(first) +
                                " is not below the checkpoint's size " +
                                Str(cp.size));
  }
  if (static_cast<uint64_t>(evidence.leaves_size()) != cp.size - first) {
    return InvalidArgumentError("log evidence: " + Str(evidence.leaves_size()) +
                                " leaves from index " + Str(first) +
                                ", but the checkpoint's size " + Str(cp.size) +
                                " needs " + Str(cp.size - first));
  }

  // Recompute the root at every size in (first, size]: votes name
  // checkpoints at any of them.
  CONCLAVE_ASSIGN_OR_RETURN(
      audit::CompactRange range,
      audit::CompactRange::FromPeaks(first, std::move(peaks)));
  std::vector<Bytes> leaves;
  std::vector<audit::Hash> roots;
  leaves.reserve(evidence.leaves_size());
  roots.reserve(evidence.leaves_size());
  for (const std::string& leaf : evidence.leaves()) {
    const ByteSpan bytes = AsBytes(leaf);
    range.AppendLeaf(bytes);
    roots.push_back(range.Root());
    leaves.emplace_back(bytes.begin(), bytes.end());
  }
  if (roots.back() != cp.root_hash) {
    return UnauthenticatedError(
        "log evidence does not match the checkpoint: the leaves from index " +
        Str(first) + " do not produce the root of size " + Str(cp.size));
  }
  return VerifiedLogView(std::move(settled).value(), first, std::move(leaves),
                         std::move(roots));
}

}  // namespace conclave::quorum
