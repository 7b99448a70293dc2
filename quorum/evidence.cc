#include "quorum/evidence.h"

#include <bit>
#include <string>
#include <utility>

#include "audit/checkpoint.h"
#include "audit/note.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster_members.h"
#include "quorum/statements.h"

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

// ---- IndexedRosterChain ----

StatusOr<IndexedRosterChain> IndexedRosterChain::Verify(
    std::span<const std::string> rosters,
    std::span<const uint64_t> leaf_indices) {
  if (rosters.empty()) {
    return InvalidArgumentError("roster chain: no roster");
  }
  if (leaf_indices.size() != rosters.size()) {
    return InvalidArgumentError("roster chain: " + Str(rosters.size()) +
                                " rosters but " + Str(leaf_indices.size()) +
                                " leaf indices");
  }
  if (leaf_indices[0] != 0) {
    return InvalidArgumentError("roster chain: the first roster's leaf is " +
                                Str(leaf_indices[0]) + ", not 0");
  }
  for (size_t i = 1; i < leaf_indices.size(); ++i) {
    if (leaf_indices[i] <= leaf_indices[i - 1]) {
      return InvalidArgumentError(
          "roster chain: leaf indices are not increasing (" +
          Str(leaf_indices[i - 1]) + " then " + Str(leaf_indices[i]) + ")");
    }
  }
  std::vector<v1::Roster> parsed(rosters.size());
  for (size_t i = 0; i < rosters.size(); ++i) {
    if (!parsed[i].ParseFromString(rosters[i])) {
      return InvalidArgumentError("roster chain: roster " + Str(i + 1) +
                                  " does not parse");
    }
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<keyceremony::VerifiedRoster> verified,
                            keyceremony::VerifyRosterChain(parsed));
  IndexedRosterChain chain;
  chain.rosters_ = std::move(verified);
  chain.leaf_indices_.assign(leaf_indices.begin(), leaf_indices.end());
  return chain;
}

StatusOr<IndexedRosterChain> IndexedRosterChain::FromLeaves(
    std::span<const Bytes> leaves) {
  std::vector<std::string> rosters;
  std::vector<uint64_t> indices;
  for (size_t i = 0; i < leaves.size(); ++i) {
    StatusOr<v1::LogLeaf> leaf = ParseLogLeaf(leaves[i]);
    if (!leaf.ok()) return leaf.status().Annotate("leaf " + Str(i));
    if (leaf->entry_case() != v1::LogLeaf::kRoster) continue;
    rosters.push_back(leaf->roster().roster());
    indices.push_back(i);
  }
  if (rosters.empty()) {
    return InvalidArgumentError("the log holds no roster leaf");
  }
  return Verify(rosters, indices);
}

StatusOr<IndexedRosterChain> IndexedRosterChain::VerifyHolding(
    std::span<const std::string> rosters,
    std::span<const uint64_t> leaf_indices,
    const keyceremony::VerifiedRoster& held) {
  CONCLAVE_ASSIGN_OR_RETURN(IndexedRosterChain chain,
                            Verify(rosters, leaf_indices));
  if (!chain.Find(held.fingerprint).has_value()) {
    return FailedPreconditionError(
        "the roster chain (epochs 1.." + Str(chain.latest().body.epoch()) +
        ") does not hold your roster (epoch " + Str(held.body.epoch()) +
        ", fingerprint " + HexEncode(held.fingerprint) +
        "): this log belongs to another consortium or history");
  }
  return chain;
}

const keyceremony::VerifiedRoster& IndexedRosterChain::InForceAt(
    uint64_t size) const {
  size_t in_force = 0;
  for (size_t i = 0; i < leaf_indices_.size(); ++i) {
    if (leaf_indices_[i] < size) in_force = i;
  }
  return rosters_[in_force];
}

const keyceremony::VerifiedRoster* IndexedRosterChain::Epoch(
    uint64_t epoch) const {
  for (const keyceremony::VerifiedRoster& r : rosters_) {
    if (r.body.epoch() == epoch) return &r;
  }
  return nullptr;
}

const keyceremony::VerifiedRoster* IndexedRosterChain::KeyFinal(
    uint64_t epoch) const {
  const keyceremony::VerifiedRoster* found = nullptr;
  for (const keyceremony::VerifiedRoster& r : rosters_) {
    if (found == nullptr) {
      if (r.body.epoch() == epoch) found = &r;
    } else if (r.consortium_key == found->consortium_key) {
      found = &r;  // a reshare or refresh keeps the key
    } else {
      break;  // the REKEY that ended this key's chain
    }
  }
  return found;
}

std::optional<size_t> IndexedRosterChain::Find(
    const Sha256Digest& fingerprint) const {
  for (size_t i = 0; i < rosters_.size(); ++i) {
    if (rosters_[i].fingerprint == fingerprint) return i;
  }
  return std::nullopt;
}

namespace {

// The evidence's `roster` leaves must be exactly the chain's links in
// [first, size) (VerifyLogEvidence with a chain).
Status CheckChainAgainstLeaves(const IndexedRosterChain& chain,
                               const v1::LogEvidence& evidence,
                               uint64_t first) {
  for (int i = 0; i < evidence.leaves_size(); ++i) {
    const uint64_t index = first + static_cast<uint64_t>(i);
    StatusOr<v1::LogLeaf> leaf = ParseLogLeaf(AsBytes(evidence.leaves(i)));
    const bool is_roster =
        leaf.ok() && leaf->entry_case() == v1::LogLeaf::kRoster;
    std::optional<size_t> link;
    for (size_t k = 0; k < chain.size(); ++k) {
      if (chain.leaf_index(k) == index) link = k;
    }
    if (!is_roster && !link.has_value()) continue;
    if (is_roster != link.has_value()) {
      return UnauthenticatedError(
          "log evidence: leaf " + Str(index) +
          (is_roster ? " is a roster the roster chain does not place there"
                     : " is not the roster leaf the roster chain places "
                       "there"));
    }
    v1::Roster r;
    if (!r.ParseFromString(leaf->roster().roster()) ||
        Sha256(AsBytes(r.signed_())) != chain.roster(*link).fingerprint) {
      return UnauthenticatedError("log evidence: the roster at leaf " +
                                  Str(index) +
                                  " is not the roster chain's epoch " +
                                  Str(chain.roster(*link).body.epoch()));
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<VerifiedLogView> VerifyLogEvidence(
    const v1::LogEvidence& evidence, const keyceremony::VerifiedRoster& roster,
    const IndexedRosterChain* chain) {
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
  // With a chain, the roster in force at the checkpoint's size settles it
  // (brief §9). Its size is only known from the note: read it unverified
  // to choose the roster, which then verifies the whole note.
  const keyceremony::VerifiedRoster* settling = &roster;
  if (chain != nullptr) {
    StatusOr<audit::Note> note = audit::ParseNote(evidence.checkpoint());
    if (!note.ok()) return note.status().Annotate("log evidence");
    StatusOr<audit::Checkpoint> unverified = audit::ParseCheckpoint(note->text);
    if (!unverified.ok()) {
      return unverified.status().Annotate("log evidence");
    }
    settling = &chain->InForceAt(unverified->size);
  }
  CONCLAVE_ASSIGN_OR_RETURN(RosterLogKeys keys, LogKeysFromRoster(*settling));
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
  if (chain != nullptr) {
    CONCLAVE_RETURN_IF_ERROR(CheckChainAgainstLeaves(*chain, evidence, first));
  }
  return VerifiedLogView(std::move(settled).value(), first, std::move(leaves),
                         std::move(roots));
}

}  // namespace conclave::quorum
