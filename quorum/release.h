// Release (brief §5.3): an editor who voted checks, on their own machine
// (possibly air-gapped), that the log shows a quorum for exactly this
// request, and only then computes their partial decryption and emits an
// approval for the requester.
#ifndef CONCLAVE_QUORUM_RELEASE_H_
#define CONCLAVE_QUORUM_RELEASE_H_

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "quorum/progress.h"
#include "quorum/statements.h"

namespace conclave::quorum {

struct ReleaseInput {
  const keyceremony::VerifiedRoster* roster = nullptr;
  const EditorKeys* releaser = nullptr;
  const v1::EditorShare* share = nullptr;
  // The request. For a real submission it is read from the evidence (its
  // first leaf) and this may be null; if both are given they must be the
  // same request.
  const v1::SignedStatement* request = nullptr;
  // Required unless the request is for a drill file listed in the roster
  // (the only submissions released without the log).
  const v1::LogEvidence* evidence = nullptr;
  // The log's roster chain (brief §9), when known: the evidence's
  // checkpoint is then settled under the roster in force at its size (a
  // request of a retired key's last epoch is released against a checkpoint
  // of the new key's rosters). Without it, `roster` settles it.
  const IndexedRosterChain* chain = nullptr;
  uint64_t now_unix = 0;
};

struct ReleaseCheck {
  VerifiedRequest request;
  bool drill = false;
  // Real submissions only: the vote count in the settled view and its size.
  std::optional<QuorumProgress> progress;
  uint64_t checkpoint_size = 0;
};

// Every check of brief §5.3, in this order, each error naming what failed:
//  1. the share belongs to this roster, epoch, organisation and editor
//     (CheckEditorShare) and to the releaser;
//  2. the request verifies (VerifyRequest: signature, roster, epoch = the
//     share's epoch, sender proof, id = SHA-256(enc), requester not
//     excluded, drill rules) and is not expired;
//  3. real submissions: the evidence is a settled checkpoint whose leaves
//     start with this request; no withdrawal or expiry of it follows; every
//     vote for it verifies and names a checkpoint that contains the request
//     and matches this log's root at that size (ABORTED "split view …"
//     otherwise); votes from t distinct non-excluded organisations, k_o
//     editors each, including the releaser's own approval
//     (FAILED_PRECONDITION with QuorumProgress::Describe otherwise).
StatusOr<ReleaseCheck> CheckRelease(const ReleaseInput& input);

struct Release {
  ReleaseCheck check;
  v1::Approval approval;
};

// CheckRelease, then D = y_oj·R with its DLEQ proof, sealed to the request's
// reply key, and the signed clear part (request id, header hash,
// organisation, editor, epoch, SHA-256 of the ciphertext).
StatusOr<Release> ReleasePartial(const ReleaseInput& input);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_RELEASE_H_
