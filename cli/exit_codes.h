// Exit codes of the conclave command (documented in --help).
#ifndef CONCLAVE_CLI_EXIT_CODES_H_
#define CONCLAVE_CLI_EXIT_CODES_H_

#include <string>

#include "base/status.h"

namespace conclave::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,     // bad command line (unknown option, bad --exclude ...)
  kExitBadInput = 2,  // malformed recipient, not a (valid) submission
  kExitIo = 3,        // cannot read the input or write the output
  kExitInternal = 4,  // a bug
  // Online commands (online_commands.h):
  kExitUnreachable = 5,  // cannot reach the daemon (network, TLS, timeout)
  kExitRefused = 6,      // refused by policy: not a member, excluded
                         // organisation, expired/withdrawn request, not the
                         // requester, rate limit, stale or replayed call
  kExitPending = 7,      // waiting: no quorum yet / nothing settled yet
  kExitFork = 8,         // the log forked, was rolled back or showed a split
                         // view: evidence kept under the client state
};

// UNAVAILABLE (I/O) -> 3; errors about the data (INVALID_ARGUMENT,
// DATA_LOSS, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND) -> 2; else 4.
ExitCode ExitCodeFor(const Status& status);

// The online commands' mapping: ABORTED (fork, split view, rollback) -> 8;
// transport failures (cli/client.h IsUnreachable) and DEADLINE_EXCEEDED ->
// 5; PERMISSION_DENIED, FAILED_PRECONDITION, ALREADY_EXISTS,
// RESOURCE_EXHAUSTED -> 6; otherwise as ExitCodeFor. Commands return 7
// themselves where they know the quorum is incomplete.
ExitCode OnlineExitCodeFor(const Status& status);

// The status message for people: without the library's leading
// "[age: header failure] "-style tags (the exit code carries the class).
std::string UserMessage(const Status& status);

// The text of the "Exit codes" section of --help.
const char* ExitCodeHelp();
// The same for the online commands (codes 0-8).
const char* OnlineExitCodeHelp();

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_EXIT_CODES_H_
