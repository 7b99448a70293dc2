// Combine (brief §5.4): the requester verifies every approval, names any
// bad editor, deduplicates, recombines the partial decryptions with nested
// Lagrange coefficients (within each organisation, then across
// organisations, all mod n), checks that the same coefficients map the
// verification shares to Y, and opens the submission. The consortium
// private key is never reconstructed: only S = x·R is.
#ifndef CONCLAVE_QUORUM_COMBINE_H_
#define CONCLAVE_QUORUM_COMBINE_H_

#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "age/io.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"
#include "shares/shamir.h"

namespace conclave::quorum {

struct CombineReport {
  // "Organisation 2 editor 1 (Bob): partial decryption proof does not
  // verify" — one line per approval that was refused, naming its editor
  // where the signature lets us.
  std::vector<std::string> refused;
  size_t duplicates = 0;  // approvals counted once (replays, resends)
  // The (organisation, editor) pairs whose partials were combined.
  std::vector<std::pair<uint32_t, uint32_t>> used;
};

struct Combined {
  SecretBytes file_key;  // 16 bytes; the header MAC is verified with it
  CombineReport report;
};

// Each editor's verified partial decryption D_oj, by organisation and
// editor index (both ascending).
using VerifiedPartials = std::map<uint32_t, std::map<uint32_t, Point>>;

struct OpenedApprovals {
  VerifiedPartials partials;
  CombineReport report;  // refusals and duplicates; `used` stays empty
};

// `requester` must be the request's requester (its reply key is derived
// from their identity: FAILED_PRECONDITION otherwise). Approvals for other
// requests, epochs or headers, from non-members, with bad signatures, that
// do not open, or whose proofs fail are refused and listed, naming the
// editor when their signature verified; each editor counts once.
StatusOr<OpenedApprovals> OpenApprovals(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    const VerifiedRequest& request, std::span<const v1::Approval> approvals);

// Nested Lagrange over exactly t organisations with k_o editors each (every
// one present in `partials`), a check that the same coefficients map the
// roster's Y_oj to Y, S = Σ λ·D, then the p256tag unwrap and the header MAC.
// Returns the file key.
StatusOr<SecretBytes> CombinePartials(const keyceremony::VerifiedRoster& roster,
                                      const VerifiedRequest& request,
                                      const NestedSelection& selection,
                                      const VerifiedPartials& partials);

// OpenApprovals, then the first t organisations (ascending) with k_o valid
// partials each (their first k_o editors) through CombinePartials.
// FAILED_PRECONDITION when the valid ones do not reach t organisations with
// k_o editors each (the message lists what is missing and every refusal).
StatusOr<Combined> CombineApprovals(const keyceremony::VerifiedRoster& roster,
                                    const EditorKeys& requester,
                                    const VerifiedRequest& request,
                                    std::span<const v1::Approval> approvals);

// Decrypts the submission `in` (binary or armored age) with the file key:
// its header must be byte-identical to the request's (FAILED_PRECONDITION
// "this file is not the requested submission" otherwise), the header MAC
// verifies, and the payload is streamed chunk by chunk into a temporary
// file next to `out` that is fsynced and renamed over `out` only after the
// last chunk verified. On any error `out` is untouched and the temporary
// file removed. `progress` (optional) is called with bytes written so far.
Status DecryptSubmissionToFile(
    const VerifiedRequest& request, const SecretBytes& file_key,
    const std::filesystem::path& in, const std::filesystem::path& out,
    const std::function<void(uint64_t)>& progress = nullptr);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_COMBINE_H_
