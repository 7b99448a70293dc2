// conclave: the command-line client of the Conclave threshold key escrow.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/audit_command.h"
#include "cli/encrypt_command.h"
#include "cli/exit_codes.h"
#include "cli/inspect_command.h"
#include "cli/online_commands.h"
#include "cli/roster_commands.h"

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

%ONLINE%
Commands:
  encrypt   encrypt a file (or stdin) as a submission to the consortium key;
            only a quorum of member organisations can decrypt it
  inspect   describe a submission without decrypting it: id, sender proof,
            excluded organisations, whether it is for the given key, size
  audit     review the audit log: verify an export offline (tree,
            checkpoint, witness cosignatures, settled rule, pinned state)
  submit    send a submission to the daemon (anonymous; prints its id last)
  submissions  list the submissions the daemon holds
  messages     the anonymous contacts' threads (follow-ups, replies)
  reply        answer a whistleblower who kept a receipt
  request   ask for a submission to be decrypted (prints the request id
            last); `request export` writes a bundle for an air-gapped editor
  requests  list every request with its state and vote progress
  approve   show a request, vote on it, release once the quorum is complete
  release   release your pending partial decryptions (online), or, with
            --bundle, on an air-gapped machine
  withdraw  withdraw your own request
  decrypt   the requester: combine the approvals and decrypt
  approval upload  upload approvals made on an air-gapped machine
  roster push  send the next roster epoch (membership change) to the daemon
  roster show  the daemon's roster chain, verified: epochs, fingerprints

The daemon is --server ADDR, before or after the command (or
$CONCLAVE_SERVER); without --tls-ca only loopback or unix:PATH.

Examples:
  conclave encrypt --to consortium.pub -o leak.age documents.zip
  conclave encrypt --to consortium.pub --exclude 3 < notes.txt > notes.age
  conclave encrypt --roster consortium.roster --exclude "Organisation 3" \
      -o leak.age documents.zip
  conclave inspect leak.age --roster consortium.roster
  conclave audit verify --offline export/ --roster consortium.roster
  conclave --server 127.0.0.1:7443 submit leak.age
  conclave --server 127.0.0.1:7443 approve --roster consortium.roster \
      --identity identity.age --share share.age --request-id 8c1d...

)";

void PrintUsage(std::FILE* out) {
  std::string usage = kUsage;
  const size_t at = usage.find("%ONLINE%\n");
  if (at != std::string::npos) {
    usage.replace(at, 9, std::string(conclave::cli::OnlineUsage()) + "\n");
  }
  std::fputs(usage.c_str(), out);
}

}  // namespace

int main(int argc_in, char** argv_in) {
  using namespace conclave::cli;
  // Global options before the command (conclave --server ADDR submit F)
  // join the command's own options.
  conclave::StatusOr<std::vector<std::string>> hoisted =
      HoistGlobalOptions(argc_in, argv_in);
  if (!hoisted.ok()) {
    std::fprintf(stderr, "conclave: %s\n", hoisted.status().message().c_str());
    return kExitUsage;
  }
  std::vector<char*> args;
  for (std::string& a : *hoisted) args.push_back(a.data());
  args.push_back(nullptr);
  const int argc = static_cast<int>(hoisted->size());
  char** argv = args.data();
  if (argc < 2) {
    PrintUsage(stderr);
    std::fputs(OnlineExitCodeHelp(), stderr);
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage(stdout);
    std::fputs(OnlineExitCodeHelp(), stdout);
    return kExitOk;
  }
  const std::string sub = argc >= 3 ? argv[2] : "";
  if (cmd == "encrypt") return EncryptMain(argc - 1, argv + 1);
  if (cmd == "inspect") return InspectMain(argc - 1, argv + 1);
  if (cmd == "audit") return AuditMain(argc - 1, argv + 1);
  if (cmd == "submit") return SubmitMain(argc - 1, argv + 1);
  if (cmd == "submissions") return SubmissionsMain(argc - 1, argv + 1);
  if (cmd == "reply") return ReplyMain(argc - 1, argv + 1);
  if (cmd == "messages") return MessagesMain(argc - 1, argv + 1);
  if (cmd == "request") {
    if (sub == "export") return RequestExportMain(argc - 2, argv + 2);
    return RequestMain(argc - 1, argv + 1);
  }
  if (cmd == "requests") return RequestsMain(argc - 1, argv + 1);
  if (cmd == "approve") return ApproveMain(argc - 1, argv + 1);
  if (cmd == "release") return ReleaseMain(argc - 1, argv + 1);
  if (cmd == "withdraw") return WithdrawMain(argc - 1, argv + 1);
  if (cmd == "decrypt") return DecryptMain(argc - 1, argv + 1);
  if (cmd == "roster") {
    if (sub == "push") return RosterPushMain(argc - 2, argv + 2);
    if (sub == "show") return RosterShowMain(argc - 2, argv + 2);
    std::fputs(
        "conclave: 'roster' needs the subcommand 'push' or 'show' (see "
        "conclave --help)\n",
        stderr);
    return kExitUsage;
  }
  if (cmd == "approval") {
    if (sub == "upload") return ApprovalUploadMain(argc - 2, argv + 2);
    std::fputs(
        "conclave: 'approval' needs the subcommand 'upload' (see conclave "
        "--help)\n",
        stderr);
    return kExitUsage;
  }
  std::fprintf(
      stderr,
      "conclave: unknown command '%s' (commands: encrypt, inspect, audit, "
      "submit, submissions, request, requests, approve, release, withdraw, "
      "decrypt, approval; see conclave --help)\n",
      cmd.c_str());
  return kExitUsage;
}
