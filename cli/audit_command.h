// conclave audit: reviewing the audit log (docs/audit-log.md). verify
// [--full], list, show N and report, each on an export directory
// (--offline DIR, audit/export.h) or through the daemon (--server ADDR,
// cli/client.h); export writes the daemon's log as an export. The leaves
// are read by cli/audit_timeline.h, the page written by cli/audit_report.h.
#ifndef CONCLAVE_CLI_AUDIT_COMMAND_H_
#define CONCLAVE_CLI_AUDIT_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace conclave::cli {

struct AuditVerifyArgs {
  std::string dir;                      // --offline DIR
  std::optional<std::string> log_vkey;  // --log-vkey
  // --roster: the log key, the witnesses, m and t all come from it (it
  // excludes --log-vkey, --witness, --members and --threshold).
  std::optional<std::string> roster;
  // --witness ORG=VKEY: the witnesses without a roster.
  std::vector<std::pair<uint32_t, std::string>> witnesses;
  uint32_t members = 0;                  // --members
  uint32_t threshold = 0;                // --threshold
  std::optional<std::string> state_dir;  // --state
  bool json = false;
};

// Parses argv (argv[0] is "audit") and runs. Exit codes: 0 the log
// verified; 1 usage; 2 it failed verification (the message names the
// problem; verify --full: a problem in a leaf); 3 I/O; online also those of
// the online commands (OnlineExitCodeFor: 5 unreachable, 7 nothing settled
// yet, 8 fork).
int AuditMain(int argc, char** argv);
int RunAuditVerify(const AuditVerifyArgs& args);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_AUDIT_COMMAND_H_
