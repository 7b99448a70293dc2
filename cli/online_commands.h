// conclave's online commands (brief §5, §7; issue 7): the editors' workflow
// through conclaved, and the air-gapped path.
//
//   submit FILE                       anonymous; the id is the last line
//   submissions                       every submission the daemon holds
//   request --submission-id S --reason TEXT [--lifetime D]
//   requests                          every request, its state and progress
//   approve --request-id Q [--share SHARE] [--yes] [--wait] [--refuse]
//   release [--request-id Q]          release every pending partial
//   withdraw --request-id Q [--reason TEXT]
//   decrypt --request-id Q -o OUT     the requester, once a quorum released
//   request export --request-id Q -o BUNDLE     (online, for air-gapped)
//   release --bundle BUNDLE -o APPROVAL         (offline, no --server)
//   approval upload APPROVAL                    (online)
//
// Every command but submit and release --bundle takes --roster R and
// --identity ID and signs its calls with that identity; every contact
// verifies the daemon's latest settled checkpoint and its consistency with
// the one kept in the client state (cli/client.h).
//
// The daemon is given by --server ADDR, which may come before the command
// (conclave --server ADDR approve ...) or among its options; without it,
// $CONCLAVE_SERVER. Exit codes: OnlineExitCodeHelp() (cli/exit_codes.h).
#ifndef CONCLAVE_CLI_ONLINE_COMMANDS_H_
#define CONCLAVE_CLI_ONLINE_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cli/exit_codes.h"

namespace conclave::cli {

// Each parses argv (argv[0] is the command name; for two-word commands,
// the second word) and runs. Messages go to stderr, results to stdout.
int SubmitMain(int argc, char** argv);
int SubmissionsMain(int argc, char** argv);
int RequestMain(int argc, char** argv);        // "request"
int RequestExportMain(int argc, char** argv);  // "request export"
int RequestsMain(int argc, char** argv);
int ApproveMain(int argc, char** argv);
int ReleaseMain(int argc, char** argv);  // online, or --bundle offline
int WithdrawMain(int argc, char** argv);
int DecryptMain(int argc, char** argv);
int ApprovalUploadMain(int argc, char** argv);  // "approval upload"
// Anonymous contact (issue 8; cli/contact_commands.cc).
int ReplyMain(int argc, char** argv);
int MessagesMain(int argc, char** argv);

// The usage lines of the online commands, for conclave --help.
const char* OnlineUsage();

// Options that may come before the command name (conclave --server ADDR
// submit FILE): --server, --tls-ca, --tls-cert, --tls-key, --state (with
// their values, as "--opt V" or "--opt=V"). Moves them from the front of
// argv (after the program name) to the end of the command's own arguments.
// Returns the rewritten argument list (program name first), or an error
// for an option without its value.
StatusOr<std::vector<std::string>> HoistGlobalOptions(int argc, char** argv);

// "7d", "12h", "90m", "3600s", "1d12h", or a bare number of seconds.
StatusOr<uint64_t> ParseDuration(std::string_view text);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_ONLINE_COMMANDS_H_
