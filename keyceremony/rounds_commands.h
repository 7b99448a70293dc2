// The file-round subcommands of conclave-ceremony (rounds.h,
// docs/ceremony.md). Each takes argv with argv[0] the subcommand word and
// returns a process exit code (CeremonyExitCode).
#ifndef CONCLAVE_KEYCEREMONY_ROUNDS_COMMANDS_H_
#define CONCLAVE_KEYCEREMONY_ROUNDS_COMMANDS_H_

namespace conclave::keyceremony {

int PlanMain(int argc, char** argv);
int ParticipantNewMain(int argc, char** argv);
int EndorseMain(int argc, char** argv);
int Round1Main(int argc, char** argv);
int Round2Main(int argc, char** argv);
int FinishMain(int argc, char** argv);
// `roster assemble|sign|finalize`: argv[0] is the second word.
int RosterMain(int argc, char** argv);
int DrillMain(int argc, char** argv);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_ROUNDS_COMMANDS_H_
