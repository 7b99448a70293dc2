// The settled rule (design brief §6): a checkpoint is settled once witnesses
// of W = ceil((m + t) / 2) organisations have cosigned it or a later
// checkpoint consistent with it. Two settled views then share at least
// 2W - m >= t organisations, so fewer than t colluding witnesses cannot show
// two members different settled histories.
#ifndef CONCLAVE_AUDIT_SETTLED_H_
#define CONCLAVE_AUDIT_SETTLED_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/merkle.h"
#include "audit/note.h"

namespace conclave::audit {

// W = ceil((m + t) / 2).
uint32_t SettleThreshold(uint32_t m, uint32_t t);

struct WitnessEntry {
  uint32_t org_id = 0;
  std::string vkey;  // a cosignature/v1 vkey (type 0x04)
};

// The organisations' witnesses as the roster lists them.
class WitnessRoster {
 public:
  // Requires 1 <= t <= m, org ids >= 1 and distinct, at most m witnesses,
  // and distinct witness keys (a key shared by two organisations would be
  // counted twice). INVALID_ARGUMENT otherwise.
  static StatusOr<WitnessRoster> Create(uint32_t m, uint32_t t,
                                        std::span<const WitnessEntry> entries);

  uint32_t m() const { return m_; }
  uint32_t t() const { return t_; }
  uint32_t settle_threshold() const { return SettleThreshold(m_, t_); }
  // The organisation whose witness has this name and key ID, or nullopt.
  struct Witness {
    uint32_t org_id;
    const CosignatureV1Verifier* verifier;
  };
  std::optional<Witness> Find(std::string_view name, uint32_t key_id) const;

 private:
  WitnessRoster(uint32_t m, uint32_t t) : m_(m), t_(t) {}
  uint32_t m_;
  uint32_t t_;
  std::vector<std::pair<uint32_t, std::shared_ptr<CosignatureV1Verifier>>>
      witnesses_;
};

// A checkpoint whose log signature verified, with the organisations whose
// witnesses validly cosigned it.
struct CosignedCheckpoint {
  std::string note;  // the signed note as received, all signature lines
  std::string text;  // its verified note text
  Checkpoint checkpoint;
  // org id -> the latest timestamp among its valid cosignatures. Several
  // cosignatures from one organisation count once.
  std::map<uint32_t, uint64_t> cosigners;
};

// Verifies `note`: the log key's signature is required (UNAUTHENTICATED
// without it), the text must be a checkpoint for `origin` (INVALID_ARGUMENT
// "checkpoint is from another log" otherwise), and every signature line
// that matches a roster witness must verify (UNAUTHENTICATED naming the
// organisation otherwise). Other signature lines are ignored.
StatusOr<CosignedCheckpoint> VerifyCosignedCheckpoint(
    std::string_view note, std::string_view origin, const NoteVerifier& log_key,
    const WitnessRoster& roster);

// OK iff `newer` extends `older`: same origin, older.size <= newer.size, and
// - older.size == 0: older has the empty-tree root, proof empty;
// - equal sizes: equal roots, proof empty;
// - otherwise the RFC 9162 §2.1.4.2 proof from older to newer verifies.
// INVALID_ARGUMENT if the pair is not comparable (origins, size order);
// UNAUTHENTICATED ("inconsistent: ...") when the log failed to show that the
// two are consistent, which with two log-signed checkpoints is fork evidence.
Status CheckConsistent(const Checkpoint& older, const Checkpoint& newer,
                       std::span<const Hash> proof);

// A later checkpoint and the consistency proof from the target to it.
struct LaterCheckpoint {
  const CosignedCheckpoint* checkpoint;
  std::span<const Hash> proof;
};

// A checkpoint shown to be settled. Only Settle() makes one.
class SettledCheckpoint {
 public:
  const CosignedCheckpoint& cosigned() const { return cosigned_; }
  const Checkpoint& checkpoint() const { return cosigned_.checkpoint; }
  const std::string& note() const { return cosigned_.note; }
  // The organisations that cosigned it or a later consistent checkpoint,
  // ascending.
  const std::vector<uint32_t>& settling_orgs() const { return orgs_; }

 private:
  friend StatusOr<SettledCheckpoint> Settle(
      const CosignedCheckpoint& target, std::span<const LaterCheckpoint> later,
      const WitnessRoster& roster);
  SettledCheckpoint(CosignedCheckpoint c, std::vector<uint32_t> orgs)
      : cosigned_(std::move(c)), orgs_(std::move(orgs)) {}
  CosignedCheckpoint cosigned_;
  std::vector<uint32_t> orgs_;
};

// The organisations counting towards settling `target`: its own cosigners
// plus those of every later checkpoint (same origin, proven consistent with
// it by CheckConsistent; any failure is returned as is). With at least W of
// them the target is settled; otherwise FAILED_PRECONDITION
// ("not settled: k of W organisations").
StatusOr<SettledCheckpoint> Settle(const CosignedCheckpoint& target,
                                   std::span<const LaterCheckpoint> later,
                                   const WitnessRoster& roster);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_SETTLED_H_
