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
};

// UNAVAILABLE (I/O) -> 3; errors about the data (INVALID_ARGUMENT,
// DATA_LOSS, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND) -> 2; else 4.
ExitCode ExitCodeFor(const Status& status);

// The status message for people: without the library's leading
// "[age: header failure] "-style tags (the exit code carries the class).
std::string UserMessage(const Status& status);

// The text of the "Exit codes" section of --help.
const char* ExitCodeHelp();

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_EXIT_CODES_H_
