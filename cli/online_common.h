// Shared pieces of the online commands (online_commands.h): options, the
// editor's sealed files, printing, counting votes, waiting for a quorum.
// Internal to cli/.
#ifndef CONCLAVE_CLI_ONLINE_COMMON_H_
#define CONCLAVE_CLI_ONLINE_COMMON_H_

#include <chrono>
#include <cstdint>
#include <cxxopts.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/secret_bytes.h"
#include "base/status.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/daemon.pb.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "quorum/progress.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"

namespace conclave::cli::online {

using json = nlohmann::json;

// ---- Options ----

// --server, --tls-ca, --tls-cert, --tls-key, --state, --timeout.
void AddServerOptions(cxxopts::Options& options);
// --roster, --identity, --passphrase-file; with `share`: --share and
// --share-passphrase-file.
void AddEditorOptions(cxxopts::Options& options, bool share);

struct CommonArgs {
  ServerOptions server;
  std::optional<std::string> state;
  std::optional<std::string> roster;
  std::optional<std::string> identity;
  std::optional<std::string> passphrase_file;
  std::optional<std::string> share;
  std::optional<std::string> share_passphrase_file;
  bool json = false;
};

// Reads what AddServerOptions / AddEditorOptions added (absent options
// stay empty); --server falls back to $CONCLAVE_SERVER. With
// `needs_server`, the address must be given and acceptable
// (CheckServerAddress): INVALID_ARGUMENT otherwise, a usage error.
Status ReadCommonArgs(const cxxopts::ParseResult& r, CommonArgs* out,
                      bool needs_server = true);

// INVALID_ARGUMENT naming a missing --roster, --identity (or --share).
Status CheckEditorArgs(const CommonArgs& args, bool need_share);

// The start of every editor's command: HardenProcess (base/hardening.h),
// then ReadCommonArgs and CheckEditorArgs. An error is a usage error.
StatusOr<CommonArgs> ReadEditorArgs(const cxxopts::ParseResult& r,
                                    bool need_share = false,
                                    bool needs_server = true);

// --request-id Q (64 hex digits), required.
StatusOr<quorum::RequestId> RequestIdArg(const cxxopts::ParseResult& r);

// The editor: a verified roster, the identity's keys and, when asked, the
// share (checked against the roster and the identity).
struct Editor {
  keyceremony::VerifiedRoster roster;
  std::unique_ptr<quorum::EditorKeys> keys;
  std::optional<OpenedSecret> share;  // holds a v1::EditorShare
  // The identity (v1::EditorIdentity), kept to act under another roster of
  // the chain (an old-key submission after a rekey; EditorUnder).
  std::optional<OpenedSecret> identity;
  // Set when `roster` is not the --roster given but another roster of the
  // daemon's verified chain (the last roster of a retired key, after a
  // rekey): one line for people saying which epoch is used and why.
  std::optional<std::string> roster_note;
  const v1::EditorShare& share_message() const {
    return share->message().editor_share();
  }
};

// Reads --roster (verified), --identity (passphrase from --passphrase-file
// or a prompt) and, with need_share, --share: its passphrase is
// --share-passphrase-file if given, else the identity's (and, at a
// terminal, a prompt if that one does not open it).
//
// A share of an older epoch and another consortium key than --roster (a
// rekey replaced its key; docs/protocol.md "Rekey"): without
// `follow_rekey` it is refused (FAILED_PRECONDITION, telling the editor to
// give the old key's last roster). With `follow_rekey` (online approve and
// release) the daemon's roster chain is read (anonymously: nothing is
// signed or kept) and verified to hold --roster; the share's epoch must be
// in it, of the share's key, and the LAST epoch of that key (an earlier
// one was reshared and must be destroyed): FAILED_PRECONDITION otherwise.
// Then that roster is the editor's (keys re-derived, the share checked
// against it, `roster_note` set).
StatusOr<Editor> LoadEditor(const CommonArgs& args, bool need_share,
                            bool follow_rekey = false);

// The same editor under `roster` (another roster of the verified chain,
// e.g. the last roster of a retired key; docs/protocol.md "Rekey"): keys
// re-derived from the kept identity; no share.
StatusOr<Editor> EditorUnder(const Editor& editor,
                             const keyceremony::VerifiedRoster& roster);

// The daemon's roster chain (GetRosters on an anonymous channel: nothing
// signed, no client state), verified and required to hold `held`
// (quorum::IndexedRosterChain::VerifyHolding).
StatusOr<quorum::IndexedRosterChain> FetchVerifiedChain(
    const ServerOptions& server, const keyceremony::VerifiedRoster& held);

// For a command without a share (decrypt, a vote-only approve): when the
// request `id` names another roster of `client`'s verified chain than
// `editor`'s — the last roster of an older, retired key (after a rekey) —
// the editor under that roster (EditorUnder, `roster_note` set); nullopt
// when the request names the editor's roster or anything else (the full
// verification then reports it). The request's claim only chooses the
// roster: the request is verified under it afterwards.
StatusOr<std::optional<Editor>> EditorForRequest(DaemonClient& client,
                                                 const Editor& editor,
                                                 const quorum::RequestId& id);

// True when the request statement claims (unverified) a roster other than
// `roster`: not this roster's to vote on or release (e.g. listing every
// open request with a retired key's roster).
bool NamesOtherRoster(const v1::SignedStatement& request,
                      const keyceremony::VerifiedRoster& roster);

// Connects as the editor (state: --state or the default directory).
StatusOr<std::unique_ptr<DaemonClient>> ConnectEditor(const CommonArgs& args,
                                                      const Editor& editor);

// ---- Running a command ----

// Parses, handles --help (options, footer, exit codes) and unknown
// arguments, then runs `body`. Parse errors exit 1.
int RunCommand(const std::string& name, cxxopts::Options& options, int argc,
               char** argv, const char* footer,
               const std::function<int(const cxxopts::ParseResult&)>& body);

// "conclave NAME: message" on stderr, then the exit code for `s`.
int Fail(const std::string& name, const Status& s);
int Usage(const std::string& name, const std::string& message);
void Note(const std::string& name, const std::string& message);

// ---- Printing ----

uint64_t NowUnix();
std::string FormatTime(uint64_t unix_seconds);  // "2024-05-01 12:00:00 UTC"
std::string FormatDuration(uint64_t seconds);   // "6d 23h", "15m"
std::string OrgLabel(const v1::RosterBody& body, uint32_t org_id);
std::string OrgList(const v1::RosterBody& body, std::span<const uint32_t> ids);
std::string StateName(v1::RequestState state);  // "open", "released", ...
void PrintJson(const json& j);

// Asks "QUESTION [y/N] " on the terminal; true only for y/yes.
// FAILED_PRECONDITION without a terminal (pass --yes).
StatusOr<bool> Confirm(const std::string& question);

// ---- Requests and votes ----

struct VoteTally {
  quorum::QuorumProgress progress;
  std::optional<v1::Decision> mine;  // this editor's decision, if any
  // Set when the request is closed in the log (withdrawn, expired, new
  // epoch): why.
  std::optional<std::string> closed;
};

// Counts verified votes for `request` among `votes` (invalid ones are
// skipped: the releasers' check will not count them either).
VoteTally TallyVotes(const keyceremony::VerifiedRoster& roster,
                     const quorum::VerifiedRequest& request,
                     std::span<const v1::SignedStatement> votes,
                     const quorum::EditorKeys& me);
// The same over the leaves of verified log evidence (after the request),
// also noticing a withdrawal, an expiry or a new roster epoch.
VoteTally TallyEvidence(const keyceremony::VerifiedRoster& roster,
                        const quorum::VerifiedRequest& request,
                        const quorum::VerifiedLogView& view,
                        const quorum::EditorKeys& me);

// The request behind `id` from the daemon, verified (signature, roster,
// submission, sender proof, id).
struct FetchedRequest {
  v1::RequestInfo info;
  quorum::VerifiedRequest request;
};
StatusOr<FetchedRequest> FetchRequest(DaemonClient& client,
                                      const keyceremony::VerifiedRoster& roster,
                                      const quorum::RequestId& id);

// A multi-line description of a request for people.
std::string DescribeRequest(const keyceremony::VerifiedRoster& roster,
                            const FetchedRequest& r,
                            const quorum::QuorumProgress* progress);
json RequestJson(const keyceremony::VerifiedRoster& roster,
                 const quorum::VerifiedRequest& request);

// True when `approval` is a validly signed approval by `me` for `id`.
bool IsMyApproval(const keyceremony::VerifiedRoster& roster,
                  const v1::Approval& approval, const quorum::RequestId& id,
                  const quorum::EditorKeys& me);

// ---- Waiting for a quorum in the settled log ----

struct QuorumWait {
  bool wait = false;  // poll until complete (else look once)
  // Also require this editor's own approval in the settled log (release).
  bool need_my_vote = false;
  std::chrono::seconds timeout{0};  // 0: no limit (with wait)
  // Called when the progress text changes while waiting.
  std::function<void(const std::string&)> on_progress;
};

struct QuorumSeen {
  std::optional<VerifiedEvidence> evidence;  // set when ready
  VoteTally tally;
  bool ready = false;   // complete (and my vote in it, if asked)
  std::string why_not;  // when not ready: for people
};

// Fetches the verified evidence and counts it; with `wait` polls (with
// backoff) until ready, the request closes (FAILED_PRECONDITION), or the
// timeout (returns not ready). A short wait is made even without `wait`
// when only the settling of the latest votes is missing.
StatusOr<QuorumSeen> SeeQuorum(DaemonClient& client,
                               const keyceremony::VerifiedRoster& roster,
                               const quorum::VerifiedRequest& request,
                               const quorum::EditorKeys& me,
                               const QuorumWait& how);

}  // namespace conclave::cli::online

#endif  // CONCLAVE_CLI_ONLINE_COMMON_H_
