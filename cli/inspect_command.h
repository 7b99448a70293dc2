// conclave inspect: what a submission is, without decrypting it.
#ifndef CONCLAVE_CLI_INSPECT_COMMAND_H_
#define CONCLAVE_CLI_INSPECT_COMMAND_H_

#include <optional>
#include <string>

#include "cli/exit_codes.h"

namespace conclave::cli {

struct InspectArgs {
  std::string file;                      // "-" for stdin
  std::optional<std::string> recipient;  // --to
  std::optional<std::string> roster;     // --roster (instead of --to)
  bool json = false;
};

// Parses argv (argv[0] is "inspect") and runs. The report goes to stdout,
// errors to stderr (with --json, errors are JSON on stdout too).
int InspectMain(int argc, char** argv);
int RunInspect(const InspectArgs& args);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_INSPECT_COMMAND_H_
