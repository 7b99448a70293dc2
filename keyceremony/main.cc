// conclave-ceremony: the editors' key-ceremony program (brief §4).
#include <cstdio>
#include <string>

#include "base/hardening.h"
#include "keyceremony/ceremony_commands.h"
#include "keyceremony/reshare_commands.h"
#include "keyceremony/reshare_rounds_commands.h"
#include "keyceremony/rounds_commands.h"

namespace {

constexpr char kUsage[] = R"(conclave-ceremony - the Conclave key ceremony

Usage:
  conclave-ceremony identity new --org ORG --name NAME --out DIR
  conclave-ceremony witness new --org ORG --out DIR
  conclave-ceremony log-key new --origin NAME --out DIR
  conclave-ceremony simulate --orgs N --threshold T [--editors LIST]
                             [--work-factor LOGN] --out DIR [--passphrase-file F]
  conclave-ceremony dealer   (the same options as simulate)
  conclave-ceremony verify ROSTER [--share FILE]...
  conclave-ceremony plan --threshold T --org K:DIR:NAME... --log-vkey F --out PLAN
  conclave-ceremony plan --rekey-from DIR --cards DIR --out PLAN   (a rekey)
  conclave-ceremony participant new --plan PLAN --org ORG --out DIR
  conclave-ceremony endorse --plan PLAN --identity identity.age
  conclave-ceremony round1 --plan PLAN --participant KEY.age --out FILE.round1
  conclave-ceremony round2 --plan PLAN --participant KEY.age --round1 DIR
                           --out FILE.round2
  conclave-ceremony finish --plan PLAN --participant KEY.age --round1 DIR
                           --round2 DIR --out DIR [--shred]
  conclave-ceremony roster assemble|sign|finalize ...
  conclave-ceremony drill --dir DIR
  conclave-ceremony drill request --roster ROSTER --identity identity.age
                          --drill DIR --out drill.requests
  conclave-ceremony drill partial --roster ROSTER --identity identity.age
                          --share share.age --requests drill.requests
                          --out NAME.partial
  conclave-ceremony drill combine --roster ROSTER --identity identity.age
                          --requests drill.requests --drill DIR --partials DIR
  conclave-ceremony simulate-reshare --from DIR --orgs N [--leave ID,...]
                             --threshold T [--editors LIST] --out DIR2
                             [--submissions DIR] [--force] [--passphrase-file F]
  conclave-ceremony simulate-refresh --from DIR --out DIR2 [--passphrase-file F]
  conclave-ceremony rekey --from DIR --out DIR2 [--passphrase-file F]
  conclave-ceremony verify-chain --dir DIR
  conclave-ceremony reshare next-id --roster ROSTER
  conclave-ceremony reshare plan --roster ROSTER --kind reshare|refresh
                    [--threshold T] [--keep ID,...] [--add-org K:DIR:NAME]...
                    [--org-editors ID:K:DIR]... [--dealers ORG:EDITOR,...]
                    [--submissions FILE [--force]] --out PLAN
  conclave-ceremony reshare deal --roster ROSTER --plan PLAN
                    --identity identity.age --share share.age --out DIR
  conclave-ceremony reshare receive --roster ROSTER --plan PLAN --dealings DIR
                    --identity identity.age [--share share.age]
                    --out NEW-share.age --certifications DIR
  conclave-ceremony reshare finish --roster ROSTER --plan PLAN --dealings DIR
                    --certifications DIR --out DIR [--shred]
  conclave-ceremony reshare sign --roster ROSTER --dir DIR --identity F
  conclave-ceremony reshare finalize --roster ROSTER --dir DIR
  conclave-ceremony reshare plan --redeal --dkg DKG.roster --previous DIR
                    --out PLAN   (after a rekey's DKG when ids are not 1..m;
                    then deal|receive|finish|sign with --dkg, finalize with
                    --dkg and --previous)
  conclave-ceremony COMMAND --help

Commands:
  identity new  an editor's identity (signing and receiving keys), sealed
  witness new   an organisation's witness key, sealed, and its vkey
  log-key new   the daemon's log signing key, sealed, and its vkey
  simulate      the whole ceremony in one process (COCKTAIL-DKG among the
                organisations, editor shares, roster, drill files): demos, tests
  dealer        the same outputs from a trusted dealer (weaker: one machine
                holds the consortium key while dealing)
  verify        check every signature and relation of a roster (and shares)
  plan .. drill the multi-machine ceremony as file rounds on USB sticks
                (docs/ceremony.md is the runbook)
  simulate-reshare, simulate-refresh
                membership change keeping the key (brief §9), in one process
  rekey         a new key for future submissions (new DKG), in one process;
                on separate machines: plan --rekey-from, then the rounds
                (docs/ceremony.md §20a)
  verify-chain  check the chain of rosters from epoch 1
  reshare ...   a reshare or refresh as file rounds on USB sticks, one
                machine per dealer and per new editor (docs/ceremony.md)

The consortium key is shared t-of-N among member organisations; each
organisation's share is split k-of-n among its editors. Sealed files are age
files protected by a passphrase, asked for without echo (or read from
--passphrase-file in scripts).

Examples:
  conclave-ceremony simulate --orgs 5 --threshold 3 --editors 2:1 --out demo
  conclave-ceremony verify demo/consortium.roster

)";

}  // namespace

int main(int argc, char** argv) {
  conclave::HardenProcess();
  using namespace conclave::keyceremony;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    std::fputs(CeremonyExitCodeHelp(), stderr);
    return kCeremonyExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    std::fputs(CeremonyExitCodeHelp(), stdout);
    return kCeremonyExitOk;
  }
  // Two-word commands: "identity new" etc.
  const std::string sub = argc >= 3 ? argv[2] : "";
  if (cmd == "identity" || cmd == "witness" || cmd == "log-key") {
    if (sub != "new") {
      std::fprintf(stderr,
                   "conclave-ceremony: '%s' needs the subcommand 'new' (see "
                   "conclave-ceremony --help)\n",
                   cmd.c_str());
      return kCeremonyExitUsage;
    }
    if (cmd == "identity") return IdentityNewMain(argc - 2, argv + 2);
    if (cmd == "witness") return WitnessNewMain(argc - 2, argv + 2);
    return LogKeyNewMain(argc - 2, argv + 2);
  }
  if (cmd == "simulate") return SimulateMain(argc - 1, argv + 1, false);
  if (cmd == "dealer") return SimulateMain(argc - 1, argv + 1, true);
  if (cmd == "verify") return VerifyMain(argc - 1, argv + 1);
  if (cmd == "plan") return PlanMain(argc - 1, argv + 1);
  if (cmd == "participant") {
    if (sub != "new") {
      std::fputs("conclave-ceremony: 'participant' needs 'new'\n", stderr);
      return kCeremonyExitUsage;
    }
    return ParticipantNewMain(argc - 2, argv + 2);
  }
  if (cmd == "endorse") return EndorseMain(argc - 1, argv + 1);
  if (cmd == "round1") return Round1Main(argc - 1, argv + 1);
  if (cmd == "round2") return Round2Main(argc - 1, argv + 1);
  if (cmd == "finish") return FinishMain(argc - 1, argv + 1);
  if (cmd == "roster") return RosterMain(argc - 2, argv + 2);
  if (cmd == "drill") return DrillMain(argc - 1, argv + 1);
  if (cmd == "simulate-reshare") return SimulateReshareMain(argc - 1, argv + 1);
  if (cmd == "simulate-refresh") return SimulateRefreshMain(argc - 1, argv + 1);
  if (cmd == "rekey") return RekeyMain(argc - 1, argv + 1);
  if (cmd == "verify-chain") return VerifyChainMain(argc - 1, argv + 1);
  if (cmd == "reshare") return ReshareMain(argc - 2, argv + 2);
  std::fprintf(stderr,
               "conclave-ceremony: unknown command '%s' (see "
               "conclave-ceremony --help)\n",
               cmd.c_str());
  return kCeremonyExitUsage;
}
