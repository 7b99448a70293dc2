// The membership change of brief §9 as file rounds on removable media
// (docs/ceremony.md, "Changing the consortium"), on the reshare library
// (reshare.h), mirroring the epoch-1 rounds (rounds_commands.h):
//
//   reshare plan      the room agrees the new committee, t' and the dealers
//   reshare deal      each dealer editor, on their own machine
//   reshare receive   each new editor: checks every dealing, seals the new
//                     share, certifies the transcript
//   reshare finish    anyone: the successor roster and the reshare record
//   reshare sign      every new editor and every dealer
//   reshare finalize  anyone: every check, consortium.roster, chain/
//   reshare next-id   the id the next new organisation gets
//
// Each takes argv with argv[0] the second word and returns a process exit
// code (CeremonyExitCode).
#ifndef CONCLAVE_KEYCEREMONY_RESHARE_ROUNDS_COMMANDS_H_
#define CONCLAVE_KEYCEREMONY_RESHARE_ROUNDS_COMMANDS_H_

#include <string_view>

namespace conclave::keyceremony {

// File name suffixes in the exchange directories.
inline constexpr std::string_view kDealingSuffix = ".dealing";
inline constexpr std::string_view kCertificationSuffix = ".cert";

// `reshare plan|deal|receive|finish|sign|finalize|next-id`: argv[0] is the
// second word.
int ReshareMain(int argc, char** argv);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_RESHARE_ROUNDS_COMMANDS_H_
