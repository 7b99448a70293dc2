// The ceremony drill (brief §4): right after the ceremony every holder
// proves that their share works by decrypting the drill files listed in the
// roster through the full threshold path of brief §5 — request → release →
// combine — with the log step left out, as only drill files may be.
//
//   requester  MakeDrillRequests: one signed request per drill file
//              (a v1::RequestSet, "drill.requests");
//   holder     MakeDrillApprovals: CheckRelease and ReleasePartial for each
//              request with their identity and share (a v1::ApprovalSet,
//              "NAME.partial"); refuses any request that is not for a drill
//              file of the roster;
//   requester  CombineDrill / RunDrillCombine: OpenApprovals per request,
//              then several t-subsets of organisations, plus one more
//              opening per holder not yet covered, each through
//              CombinePartials and a payload decryption to memory.
//
// RunDrill does all three on one laptop (`conclave-ceremony drill --dir`).
// Every failure names the holder at fault.
#ifndef CONCLAVE_QUORUM_DRILL_H_
#define CONCLAVE_QUORUM_DRILL_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"

namespace conclave::quorum {

// The reason every drill request carries.
inline constexpr std::string_view kDrillReason = "ceremony drill";
// File name suffix of a holder's approvals in the partials directory.
inline constexpr std::string_view kDrillPartialSuffix = ".partial";
// Bounds on the files the drill reads.
inline constexpr size_t kMaxDrillFileSize = size_t{1} << 20;
inline constexpr size_t kMaxDrillSetSize = size_t{16} << 20;

struct DrillReport {
  std::string requester;      // who made the requests
  size_t shares_checked = 0;  // shares opened, or partial files read
  size_t quorums_opened = 0;  // (subset, drill file) openings that worked
  std::vector<std::string> failures;  // each names the holder (or file)
  std::vector<std::string> proven;    // holders in a successful opening
};

// A drill file listed in the roster.
struct DrillFile {
  std::filesystem::path path;
  std::string id;  // submission id, lowercase hex
  Bytes bytes;     // the whole age file
  Bytes header;    // its age header, through the MAC line
};

// Reads DIR/*.age (sorted) or the single file `dir_or_file`; each must be a
// valid drill submission to the roster's key whose id the roster lists
// (FAILED_PRECONDITION otherwise); NOT_FOUND if there is none.
StatusOr<std::vector<DrillFile>> ReadDrillFiles(
    const keyceremony::VerifiedRoster& roster,
    const std::filesystem::path& dir_or_file);

// The requester: MakeRequest (reason kDrillReason, the roster's maximum
// lifetime) for every drill file, in order.
StatusOr<v1::RequestSet> MakeDrillRequests(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    std::span<const DrillFile> drills, uint64_t now_unix);

// Every request verifies (VerifyRequest), is for a drill file listed in the
// roster (PERMISSION_DENIED naming the submission otherwise: real
// submissions are released only against the audit log), is not expired;
// all come from one requester, at most one per drill file, at least one
// (INVALID_ARGUMENT). Returned in the set's order.
StatusOr<std::vector<VerifiedRequest>> VerifyDrillRequests(
    const keyceremony::VerifiedRoster& roster, const v1::RequestSet& requests,
    uint64_t now_unix);

// A holder: VerifyDrillRequests, then ReleasePartial (no log evidence) for
// each request with their own keys and share. One approval per request, in
// order. Errors name the request or the check that failed (a share of
// another roster, another holder's share, a non-drill request).
StatusOr<v1::ApprovalSet> MakeDrillApprovals(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& holder,
    const v1::EditorShare& share, const v1::RequestSet& requests,
    uint64_t now_unix);

// The combine machine's view: each verified request with its drill file
// (same submission id and byte-identical header).
struct DrillRound {
  std::vector<VerifiedRequest> requests;
  std::vector<DrillFile> files;  // files[i] is requests[i]'s
};

// Pairs the requests with the drill files: every request needs its file and
// every file a request (FAILED_PRECONDITION naming the one without).
StatusOr<DrillRound> PairDrillRequests(std::vector<VerifiedRequest> requests,
                                       std::vector<DrillFile> files);

// What one holder handed in, and where from (a file name, for messages).
struct HandedInApprovals {
  std::string source;
  v1::ApprovalSet approvals;
};

// The requester's combine. Every approval is verified and routed to its
// request; refusals (another request, a bad signature or proof, a
// partial that does not open) become failures naming the editor. Holders
// with a verified partial for every request take part in the openings:
// every t-subset of ready organisations (their first k_o such editors, up
// to 64 subsets), then one more opening for each holder not yet covered.
// Each opening must unwrap the file key, verify the header MAC and decrypt
// every drill file's payload (to memory). A holder who hands in something
// but is in no successful opening is named. Holders who hand in nothing are
// not named here (callers know whom they expected). FAILED_PRECONDITION if
// `requester` did not make the requests.
Status CombineDrill(const keyceremony::VerifiedRoster& roster,
                    const EditorKeys& requester, const DrillRound& round,
                    std::span<const HandedInApprovals> handed_in,
                    DrillReport* report);

// `drill combine`: reads the roster, the request set, the drill files and
// every DIR/*.partial (a v1::ApprovalSet each; one per holder), then
// CombineDrill; a roster holder with no verified partial is named.
struct DrillCombinePaths {
  std::filesystem::path roster;
  std::filesystem::path requests;
  std::filesystem::path drill;
  std::filesystem::path partials;
};
StatusOr<DrillReport> RunDrillCombine(const DrillCombinePaths& paths,
                                      const v1::EditorIdentity& requester,
                                      uint64_t now_unix);

// The passphrase of one holder's sealed file (`file` is "identity.age" or
// "share.age"); each editor types their own.
using DrillPassphrase = std::function<StatusOr<SecretBytes>(
    uint32_t org, uint32_t editor, const std::string& name,
    const std::string& file)>;

// `drill --dir DIR`, all on one laptop, for simulate's layout
// (DIR/consortium.roster, DIR/drill/, DIR/orgI/editorJ/identity.age and
// share.age): the first holder whose identity and share open (normally
// organisation 1 editor 1) requests; every holder releases with their own
// identity and share; then CombineDrill. A holder whose files are missing
// or do not open, or whose release fails, is named in the report; an error
// only when nothing can be drilled (no roster, no drill file, a passphrase
// prompt fails).
StatusOr<DrillReport> RunDrill(const std::filesystem::path& dir,
                               const DrillPassphrase& passphrase,
                               uint64_t now_unix);

// Reads and writes the drill's message files (size-bounded, strict parse).
StatusOr<v1::RequestSet> ReadRequestSet(const std::filesystem::path& path);
StatusOr<v1::ApprovalSet> ReadApprovalSet(const std::filesystem::path& path);
// Creates the file (ALREADY_EXISTS rather than overwriting).
Status WriteDrillMessage(const std::filesystem::path& path,
                         const google::protobuf::MessageLite& message);

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_DRILL_H_
