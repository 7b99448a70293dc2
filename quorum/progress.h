// Counting votes for one request (brief §5.2, §5.3): t distinct
// organisations, k_o distinct editors within each, none of them excluded by
// the submission. Shared by releasers (over the log), the daemon and the
// CLI, so every party counts the same way.
#ifndef CONCLAVE_QUORUM_PROGRESS_H_
#define CONCLAVE_QUORUM_PROGRESS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"

namespace conclave::quorum {

struct OrganisationProgress {
  uint32_t org_id = 0;
  uint32_t editor_threshold = 0;  // k_o
  bool excluded = false;          // by the submission's sender proof
  std::set<uint32_t> approving;   // editor indices
  std::set<uint32_t> refusing;
  std::set<uint32_t> conflicting;  // cast both decisions: counted as neither
  bool satisfied() const {
    return !excluded && approving.size() >= editor_threshold;
  }
};

struct QuorumProgress {
  uint32_t threshold = 0;                  // t
  std::vector<OrganisationProgress> orgs;  // every roster organisation
  std::vector<uint32_t> SatisfiedOrgs() const;
  bool complete() const { return SatisfiedOrgs().size() >= threshold; }
  // "2 of 3 organisations have voted: 2 (Org B), 4 (Org D); waiting for one
  // of 1 (Org A), 3 (Org C), 5 (Org E)" plus, per organisation short of its
  // k_o, "3 (Org C): 1 of 2 editors". Excluded organisations are named as
  // such.
  std::string Describe(const v1::RosterBody& roster) const;
};

class QuorumTally {
 public:
  QuorumTally(const keyceremony::VerifiedRoster& roster,
              const VerifiedRequest& request);

  // Counts a verified vote (VerifyVote). INVALID_ARGUMENT if it is for
  // another request or epoch; PERMISSION_DENIED if the voter's organisation
  // is excluded (never counted); ALREADY_EXISTS if the editor already cast
  // this decision (counted once); FAILED_PRECONDITION if the editor cast
  // the other decision before (the editor is then counted as neither).
  Status Add(const v1::VoteBody& vote);

  const QuorumProgress& progress() const { return progress_; }

 private:
  const v1::RosterBody& roster_;
  RequestId request_id_;
  uint64_t epoch_;
  QuorumProgress progress_;
  std::map<uint32_t, size_t> index_;  // org id -> position in orgs
};

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_PROGRESS_H_
