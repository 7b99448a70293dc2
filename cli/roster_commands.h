// conclave roster push / roster show (issue 9, brief §9): the daemon's
// roster chain, from the command line.
#ifndef CONCLAVE_CLI_ROSTER_COMMANDS_H_
#define CONCLAVE_CLI_ROSTER_COMMANDS_H_

namespace conclave::cli {

// conclave --server ADDR roster push NEW.roster --roster CURRENT --identity
// ID [--force]: sends the next epoch's roster (checked here first as the
// successor of CURRENT), prints the new epoch and how many open requests
// expired.
int RosterPushMain(int argc, char** argv);
// conclave --server ADDR roster show [--roster R] [--save-latest FILE]: the
// chain the daemon holds, verified (epoch 1 self-signed, each later epoch
// the successor of the one before): epochs, fingerprints, changes.
int RosterShowMain(int argc, char** argv);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_ROSTER_COMMANDS_H_
