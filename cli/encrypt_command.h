// conclave encrypt: a submission (brief §2) from a file or stdin.
#ifndef CONCLAVE_CLI_ENCRYPT_COMMAND_H_
#define CONCLAVE_CLI_ENCRYPT_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace conclave::cli {

struct EncryptArgs {
  // age1tag1… or a file holding one; optional with a roster.
  std::optional<std::string> recipient;
  std::optional<std::string> roster;  // consortium.roster
  std::vector<std::string> exclude;   // ids (or, with a roster, names)
  std::optional<std::string> output;  // none: stdout
  std::optional<std::string> input;   // none or "-": stdin
  bool armor = false;
  bool quiet = false;    // no progress bar
  unsigned threads = 0;  // 0: all cores
};

// Parses argv (argv[0] is "encrypt") and runs. Messages go to stderr.
int EncryptMain(int argc, char** argv);
int RunEncrypt(const EncryptArgs& args);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_ENCRYPT_COMMAND_H_
