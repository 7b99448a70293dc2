// The audit log read as a story (brief §6, issue 7): every leaf decoded into
// a timeline event (time, kind, organisation and editor, submission and
// request ids, reason or comment, decision), each request's vote progress
// (quorum::QuorumTally, counted as releasers count), each member's activity,
// and the problems a full check finds, each with its leaf index.
//
// Pure: no I/O, no clock. The caller proves the leaves genuine first (an
// export through audit::VerifyExport, or a daemon's verified settled
// checkpoint); Finish() then recomputes the tree from the very leaves it
// was given and compares it with that checkpoint, so a file changed after
// verification, or leaves a daemon served that its checkpoint does not
// commit to, are refused rather than shown.
//
// Signed statements are verified against a roster before their bodies are
// read (brief §2: parse only after verifying). The roster in force is the
// one the caller pinned, except after a `roster` leaf of another epoch: that
// roster is checked with keyceremony::VerifyEncodedRoster and used for the
// statements after it, and the timeline says so in its notes (the chain of
// epochs, brief §9, is not checked here).
#ifndef CONCLAVE_CLI_AUDIT_TIMELINE_H_
#define CONCLAVE_CLI_AUDIT_TIMELINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/checkpoint.h"
#include "base/bytes.h"
#include "base/status.h"
#include "keyceremony/roster.h"
#include "quorum/progress.h"

namespace conclave::cli {

enum class LeafKind {
  kUnreadable,  // not a LogLeaf with exactly one entry
  kSubmission,
  kRequest,
  kVote,
  kApproval,
  kWithdrawal,
  kExpiry,
  kRoster,
  kDaemonStarted,
  kReply,  // an editor's reply to an anonymous contact (issue 8)
};
// "submission", "request", ..., "daemon-started", "unreadable".
std::string_view LeafKindName(LeafKind kind);

enum class SignatureStatus {
  kUnsigned,  // the leaf carries no statement (submission, expiry, ...)
  kVerified,  // by the roster editor the envelope names
  kBad,       // does not verify, or the signer is not a roster editor
};
std::string_view SignatureStatusName(SignatureStatus status);

// Problem kinds (TimelineProblem::kind), stable names for --json.
inline constexpr char kProblemUnreadable[] = "unreadable-leaf";
inline constexpr char kProblemBadSignature[] = "bad-signature";
inline constexpr char kProblemInvalidStatement[] = "invalid-statement";
inline constexpr char kProblemBadRoster[] = "bad-roster";
inline constexpr char kProblemDuplicateSubmission[] = "duplicate-submission";
inline constexpr char kProblemUnknownSubmission[] = "unknown-submission";
inline constexpr char kProblemDuplicateRequest[] = "duplicate-request";
inline constexpr char kProblemUnknownRequest[] = "unknown-request";
inline constexpr char kProblemVoteNotCounted[] = "vote-not-counted";
inline constexpr char kProblemSplitView[] = "split-view";
inline constexpr char kProblemAfterClose[] = "after-close";
inline constexpr char kProblemNotRequester[] = "not-requester";
inline constexpr char kProblemApprovalMismatch[] = "approval-mismatch";
inline constexpr char kProblemEarlyApproval[] = "approval-before-quorum";

struct TimelineProblem {
  uint64_t index = 0;  // the leaf
  std::string kind;    // one of kProblem* above
  std::string message;
};

struct TimelineEvent {
  uint64_t index = 0;
  uint64_t time_unix = 0;  // the daemon's clock (LogLeaf.time_unix)
  uint64_t leaf_size = 0;
  LeafKind kind = LeafKind::kUnreadable;
  // The signer (or the organisation a leaf is about), as the envelope names
  // it; labels from the roster in force ("organisation 2 editor 1 (Bob)").
  std::optional<uint32_t> org_id;
  std::optional<uint32_t> editor_index;
  std::string organisation;  // "2 (Org B)"
  std::string editor;        // quorum::EditorLabel
  SignatureStatus signature = SignatureStatus::kUnsigned;
  std::string signature_message;  // why a signature is bad
  std::string submission_id;      // lowercase hex
  std::string request_id;         // lowercase hex
  std::string text;               // a request's or withdrawal's reason, a
                                  // vote's comment
  std::string decision;           // votes: "approve" or "refuse"
  std::string summary;            // one line for people
  // Every decoded field, in order, for `audit show` (only for the event
  // TimelineOptions::detail_index names).
  std::vector<std::pair<std::string, std::string>> details;
  // Indices into Timeline::problems.
  std::vector<size_t> problems;
};

struct RequestProgress {
  uint64_t index = 0;  // the request's leaf
  uint64_t time_unix = 0;
  std::string request_id;
  std::string submission_id;
  std::string requester;  // EditorLabel
  uint32_t requester_org = 0;
  std::string reason;
  uint64_t created_unix = 0;
  uint64_t expires_unix = 0;
  bool drill = false;
  // False when the request failed verification (see the problems): then
  // nothing below is counted.
  bool valid = false;
  // "open", "quorum complete", "released", "withdrawn", "expired",
  // "invalid".
  std::string state;
  std::optional<uint64_t> closed_index;  // withdrawal or expiry leaf
  uint64_t approve_votes = 0;            // vote leaves counted
  uint64_t refuse_votes = 0;
  uint64_t approvals = 0;                // approval (release) leaves
  std::optional<uint64_t> quorum_index;  // the vote that completed it
  quorum::QuorumProgress progress;       // orgs empty when !valid
  std::string description;               // QuorumProgress::Describe
};

struct MemberActivity {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  std::string organisation;  // "1 (Org A)"
  std::string editor;        // EditorLabel
  bool in_roster = true;
  uint64_t requests = 0;
  uint64_t approve_votes = 0;
  uint64_t refuse_votes = 0;
  uint64_t approvals = 0;
  uint64_t withdrawals = 0;
  std::optional<uint64_t> first_time, last_time;
};

struct Timeline {
  uint64_t first_index = 0;
  uint64_t leaf_count = 0;
  std::optional<audit::Checkpoint> checkpoint;
  std::vector<TimelineEvent> events;      // log order
  std::vector<RequestProgress> requests;  // log order
  // Every roster editor (id, then index order), then any signer met in the
  // log that no roster lists.
  std::vector<MemberActivity> members;
  std::vector<TimelineProblem> problems;   // leaf order
  std::map<std::string, uint64_t> counts;  // LeafKindName -> leaves
  std::vector<std::string> notes;
  // The roster the caller pinned.
  uint64_t roster_epoch = 0;
  std::string roster_fingerprint;  // hex
};

struct TimelineOptions {
  // The leaf whose full decoding to keep in TimelineEvent::details.
  std::optional<uint64_t> detail_index;
};

class TimelineBuilder {
 public:
  // `roster` must outlive the builder.
  explicit TimelineBuilder(const keyceremony::VerifiedRoster& roster,
                           TimelineOptions options = {});
  ~TimelineBuilder();
  TimelineBuilder(const TimelineBuilder&) = delete;
  TimelineBuilder& operator=(const TimelineBuilder&) = delete;

  // The next leaf, in log order: the first call sets the start index, each
  // later one must be the next index (INVALID_ARGUMENT otherwise). A leaf
  // that does not decode is an event of kind kUnreadable and a problem, not
  // an error. Checks that need the whole history (unknown requests or
  // submissions, vote checkpoint roots) run only from index 0.
  Status Add(uint64_t index, ByteSpan leaf);

  // Ends the timeline. With a checkpoint the leaves must be exactly
  // [0, size) (INVALID_ARGUMENT otherwise) and their RFC 9162 root must be
  // the checkpoint's (UNAUTHENTICATED "the leaves do not produce the
  // checkpoint's root" otherwise). The builder is spent afterwards.
  StatusOr<Timeline> Finish(const std::optional<audit::Checkpoint>& checkpoint);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The builder over leaves held in memory, the first at `first_index`.
StatusOr<Timeline> BuildTimeline(
    const keyceremony::VerifiedRoster& roster, std::span<const Bytes> leaves,
    uint64_t first_index, const std::optional<audit::Checkpoint>& checkpoint,
    TimelineOptions options = {});

// "2026-11-29 13:52:09 UTC".
std::string FormatUtc(uint64_t unix_seconds);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_AUDIT_TIMELINE_H_
