// The subcommands of conclave-ceremony. Each takes argv with argv[0] the
// subcommand word(s) and returns a process exit code.
#ifndef CONCLAVE_KEYCEREMONY_CEREMONY_COMMANDS_H_
#define CONCLAVE_KEYCEREMONY_CEREMONY_COMMANDS_H_

#include "base/status.h"

namespace conclave::keyceremony {

enum CeremonyExitCode : int {
  kCeremonyExitOk = 0,
  kCeremonyExitUsage = 1,     // bad command line
  kCeremonyExitDefect = 2,    // a check failed: roster defect, bad share,
                              // wrong passphrase, malformed file
  kCeremonyExitIo = 3,        // cannot read or write (or would overwrite)
  kCeremonyExitInternal = 4,  // a bug
};

CeremonyExitCode CeremonyExitCodeFor(const Status& status);
const char* CeremonyExitCodeHelp();

int IdentityNewMain(int argc, char** argv);
int WitnessNewMain(int argc, char** argv);
int LogKeyNewMain(int argc, char** argv);
// `dealer` selects the trusted-dealer variant of simulate.
int SimulateMain(int argc, char** argv, bool dealer);
int VerifyMain(int argc, char** argv);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_CEREMONY_COMMANDS_H_
