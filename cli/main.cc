// conclave: the command-line client of the Conclave threshold key escrow.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/audit_command.h"
#include "cli/encrypt_command.h"
#include "cli/exit_codes.h"
#include "cli/inspect_command.h"

namespace {

constexpr char kUsage[] = R"(conclave - submissions for a Conclave consortium

Usage:
  conclave encrypt (--to RECIPIENT | --roster R) [--exclude ORG]... [-o OUT]
                   [--armor] [IN]
  conclave inspect FILE [--to RECIPIENT | --roster R] [--json]
  conclave audit verify --offline DIR --roster R [--state DIR] [--json]
  conclave audit verify --offline DIR [--log-vkey V] [--witness ORG=VKEY]...
                        [--members M --threshold T] [--state DIR] [--json]
  conclave COMMAND --help

Commands:
  encrypt   encrypt a file (or stdin) as a submission to the consortium key;
            only a quorum of member organisations can decrypt it
  inspect   describe a submission without decrypting it: id, sender proof,
            excluded organisations, whether it is for the given key, size
  audit     review the audit log: verify an export offline (tree,
            checkpoint, witness cosignatures, settled rule, pinned state)

Examples:
  conclave encrypt --to consortium.pub -o leak.age documents.zip
  conclave encrypt --to consortium.pub --exclude 3 < notes.txt > notes.age
  conclave encrypt --roster consortium.roster --exclude "Organisation 3" \
      -o leak.age documents.zip
  conclave inspect leak.age --roster consortium.roster
  conclave audit verify --offline export/ --roster consortium.roster

)";

}  // namespace

int main(int argc, char** argv) {
  using namespace conclave::cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    std::fputs(ExitCodeHelp(), stderr);
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    std::fputs(ExitCodeHelp(), stdout);
    return kExitOk;
  }
  if (cmd == "encrypt") return EncryptMain(argc - 1, argv + 1);
  if (cmd == "inspect") return InspectMain(argc - 1, argv + 1);
  if (cmd == "audit") return AuditMain(argc - 1, argv + 1);
  std::fprintf(
      stderr,
      "conclave: unknown command '%s' (commands: encrypt, inspect, audit; "
      "see conclave --help)\n",
      cmd.c_str());
  return kExitUsage;
}
