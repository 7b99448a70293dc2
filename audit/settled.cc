#include "audit/settled.h"

#include <algorithm>
#include <set>
#include <utility>

namespace conclave::audit {

uint32_t SettleThreshold(uint32_t m, uint32_t t) {
  return static_cast<uint32_t>((uint64_t{m} + t + 1) / 2);
}

StatusOr<WitnessRoster> WitnessRoster::Create(
    uint32_t m, uint32_t t, std::span<const WitnessEntry> entries) {
  if (t < 1 || t > m) {
    return InvalidArgumentError("roster needs 1 <= t <= m");
  }
  if (entries.size() > m) {
    return InvalidArgumentError("more witnesses than organisations");
  }
  WitnessRoster roster(m, t);
  std::set<uint32_t> orgs;
  std::set<Ed25519PublicKey> keys;
  for (const WitnessEntry& e : entries) {
    const std::string org = "organisation " + std::to_string(e.org_id);
    if (e.org_id == 0) return InvalidArgumentError("organisation id 0");
    if (!orgs.insert(e.org_id).second) {
      return InvalidArgumentError(org + " has two witnesses");
    }
    auto v = CosignatureV1Verifier::FromVerifierKey(e.vkey);
    if (!v.ok()) return v.status().Annotate(org + " witness vkey");
    Ed25519PublicKey key;
    std::copy((*v)->public_key().begin(), (*v)->public_key().end(),
              key.begin());
    if (!keys.insert(key).second) {
      return InvalidArgumentError(org +
                                  " shares its witness key with "
                                  "another organisation");
    }
    if (roster.Find((*v)->name(), (*v)->key_id())) {
      return InvalidArgumentError(org +
                                  " witness name and key ID collide "
                                  "with another witness");
    }
    roster.witnesses_.emplace_back(e.org_id, std::move(*v));
  }
  return roster;
}

std::optional<WitnessRoster::Witness> WitnessRoster::Find(
    std::string_view name, uint32_t key_id) const {
  for (const auto& [org, v] : witnesses_) {
    if (v->key_id() == key_id && v->name() == name) {
      return Witness{org, v.get()};
    }
  }
  return std::nullopt;
}

StatusOr<CosignedCheckpoint> VerifyCosignedCheckpoint(
    std::string_view note, std::string_view origin, const NoteVerifier& log_key,
    const WitnessRoster& roster) {
  NoteVerifierSet log_keys;
  CONCLAVE_RETURN_IF_ERROR(log_keys.Add(&log_key));
  auto opened = OpenNote(note, log_keys);
  if (!opened.ok()) return opened.status().Annotate("checkpoint");
  CosignedCheckpoint out;
  out.note = std::string(note);
  out.text = std::move(opened->text);
  CONCLAVE_ASSIGN_OR_RETURN(out.checkpoint, ParseCheckpoint(out.text));
  if (out.checkpoint.origin != origin) {
    return InvalidArgumentError("checkpoint is from another log: origin \"" +
                                out.checkpoint.origin + "\", expected \"" +
                                std::string(origin) + "\"");
  }
  for (const NoteSignature& sig : opened->unknown) {
    auto w = roster.Find(sig.name, sig.key_id);
    if (!w) continue;  // not a roster witness: ignored (signed-note)
    Status s = w->verifier->Verify(out.text, sig.signature);
    if (!s.ok()) {
      return UnauthenticatedError(
          "cosignature from the witness of "
          "organisation " +
          std::to_string(w->org_id) + " (" + sig.name + ") does not verify");
    }
    CONCLAVE_ASSIGN_OR_RETURN(uint64_t ts,
                              CosignatureV1Timestamp(sig.signature));
    uint64_t& slot = out.cosigners[w->org_id];
    slot = std::max(slot, ts);
  }
  return out;
}

Status CheckConsistent(const Checkpoint& older, const Checkpoint& newer,
                       std::span<const Hash> proof) {
  if (older.origin != newer.origin) {
    return InvalidArgumentError("checkpoints are from different logs");
  }
  if (older.size > newer.size) {
    return InvalidArgumentError("checkpoint sizes are in the wrong order");
  }
  const std::string sizes =
      std::to_string(older.size) + " -> " + std::to_string(newer.size);
  if (older.size == 0) {
    if (older.root_hash != EmptyRootHash()) {
      return UnauthenticatedError(
          "inconsistent: size 0 with a root other "
          "than the empty-tree hash");
    }
    if (!proof.empty()) {
      return UnauthenticatedError("inconsistent: non-empty proof from size 0");
    }
    return OkStatus();
  }
  if (older.size == newer.size) {
    if (older.root_hash != newer.root_hash) {
      return UnauthenticatedError("inconsistent: two roots for size " +
                                  std::to_string(older.size));
    }
    if (!proof.empty()) {
      return UnauthenticatedError(
          "inconsistent: non-empty proof between "
          "equal sizes");
    }
    return OkStatus();
  }
  Status s = VerifyConsistency(older.size, newer.size, proof, older.root_hash,
                               newer.root_hash);
  if (!s.ok()) {
    return UnauthenticatedError("inconsistent: consistency proof " + sizes +
                                " does not verify: " + s.message());
  }
  return OkStatus();
}

StatusOr<SettledCheckpoint> Settle(const CosignedCheckpoint& target,
                                   std::span<const LaterCheckpoint> later,
                                   const WitnessRoster& roster) {
  std::set<uint32_t> orgs;
  for (const auto& [org, ts] : target.cosigners) orgs.insert(org);
  for (const LaterCheckpoint& l : later) {
    Status s =
        CheckConsistent(target.checkpoint, l.checkpoint->checkpoint, l.proof);
    if (!s.ok()) {
      return s.Annotate("later checkpoint of size " +
                        std::to_string(l.checkpoint->checkpoint.size));
    }
    for (const auto& [org, ts] : l.checkpoint->cosigners) orgs.insert(org);
  }
  const uint32_t w = roster.settle_threshold();
  if (orgs.size() < w) {
    return FailedPreconditionError(
        "not settled: " + std::to_string(orgs.size()) + " of " +
        std::to_string(w) + " organisations' witnesses cosigned");
  }
  return SettledCheckpoint(target,
                           std::vector<uint32_t>(orgs.begin(), orgs.end()));
}

}  // namespace conclave::audit
