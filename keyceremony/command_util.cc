#include "keyceremony/command_util.h"

#include <cstdio>

#include "age/p256tag.h"
#include "keyceremony/ceremony_commands.h"
#include "keyceremony/reshare.h"
#include "keyceremony/reshare_commands.h"
#include "sealed/passphrase.h"

namespace conclave::keyceremony {

const char kPassphraseHelp[] = R"(
Passphrases are never taken from the command line (other users can read it).
Without --passphrase-file you are asked on the terminal, without echo.
With --passphrase-file F the first line of F is used: for scripts and tests
only; on a real ceremony machine type it.
)";

int Fail(const std::string& cmd, const Status& status) {
  std::fprintf(stderr, "conclave-ceremony %s: FAILED: %s\n", cmd.c_str(),
               status.message().c_str());
  return CeremonyExitCodeFor(status);
}

int Usage(const std::string& cmd, const std::string& message) {
  std::fprintf(stderr,
               "conclave-ceremony %s: %s (see conclave-ceremony %s --help)\n",
               cmd.c_str(), message.c_str(), cmd.c_str());
  return kCeremonyExitUsage;
}

void AddCommonOptions(cxxopts::Options* options, bool passphrase) {
  options->add_options()("h,help", "this help");
  if (passphrase) {
    options->add_options()("passphrase-file",
                           "read passphrases from the first line of F "
                           "(scripts and tests only; on a ceremony laptop, "
                           "type them)",
                           cxxopts::value<std::string>(), "F");
  }
}

std::optional<int> ParseCommand(const std::string& cmd,
                                cxxopts::Options& options, int argc,
                                char** argv, const std::string& footer,
                                const std::vector<std::string>& required,
                                cxxopts::ParseResult* out) {
  try {
    *out = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
  if (out->count("help")) {
    std::printf("%s%s\n%s", options.help({""}).c_str(), footer.c_str(),
                CeremonyExitCodeHelp());
    return kCeremonyExitOk;
  }
  if (!out->unmatched().empty()) {
    return Usage(cmd, "unexpected argument '" + out->unmatched().front() + "'");
  }
  std::string missing;
  for (const std::string& name : required) {
    if (!out->count(name)) missing += (missing.empty() ? "--" : ", --") + name;
  }
  if (!missing.empty()) return Usage(cmd, "required: " + missing);
  return std::nullopt;
}

std::optional<std::string> OptionalString(const cxxopts::ParseResult& r,
                                          const std::string& name) {
  if (!r.count(name)) return std::nullopt;
  return r[name].as<std::string>();
}

StatusOr<SecretBytes> CommandPassphrase(const cxxopts::ParseResult& r,
                                        const std::string& prompt,
                                        bool confirm) {
  return GetPassphrase(OptionalString(r, "passphrase-file"), prompt, confirm);
}

StatusOr<v1::EditorIdentity> OpenEditorIdentity(const std::string& path,
                                                const cxxopts::ParseResult& r) {
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes pass,
      CommandPassphrase(r, "Passphrase of " + path + ": ", false));
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened, ReadSealedFile(path, pass));
  if (!opened.message().has_editor_identity()) {
    return InvalidArgumentError(path + " is not an editor identity");
  }
  return opened.message().editor_identity();
}

StatusOr<OpenedSecret> OpenShareFile(const std::string& path,
                                     const cxxopts::ParseResult& r) {
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes pass,
      CommandPassphrase(r, "Passphrase of your share " + path + ": ", false));
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened, ReadSealedFile(path, pass));
  if (!opened.message().has_editor_share()) {
    return InvalidArgumentError(path + " is not a share file");
  }
  return opened;
}

const char kRekeyDestroyBox[] = R"(
+------------------------------------------------------------------------+
| DESTROY THE INTERMEDIATE SHARES AND THE OLD SHARES.                    |
| Intermediate DKG shares (a rekey with a re-deal) served only the       |
| re-deal: once the drill of the new roster has passed, destroy every    |
| one and every copy; t of them open everything sent to the NEW key.     |
| Old shares still open every submission made to the OLD key: keep them  |
| only under the old rules until those are dealt with, then destroy      |
| them and every copy. Destroy the .round1 and .dealing files too.       |
+------------------------------------------------------------------------+
)";

StatusOr<RosterDir> ReadRosterDir(const std::filesystem::path& dir) {
  RosterDir out;
  CONCLAVE_ASSIGN_OR_RETURN(out.chain, ReadRosterChain(dir));
  StatusOr<std::vector<VerifiedRoster>> verified = VerifyRosterChain(out.chain);
  if (!verified.ok()) {
    return verified.status().Annotate("the rosters in " + dir.string());
  }
  out.roster = std::move(verified->back());
  return out;
}

Status WriteRosterDir(const std::filesystem::path& dir,
                      std::span<const v1::Roster> chain,
                      const v1::Roster& roster,
                      const VerifiedRoster& verified) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir / "chain", ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + (dir / "chain").string());
  }
  for (const v1::Roster& r : chain) {
    v1::RosterBody b;
    if (!b.ParseFromString(r.signed_())) {
      return InvalidArgumentError("a roster of the chain does not parse");
    }
    const fs::path p =
        dir / "chain" / ("epoch-" + std::to_string(b.epoch()) + ".roster");
    if (fs::exists(p, ec)) continue;  // already there (a rerun)
    CONCLAVE_RETURN_IF_ERROR(WriteNewMessage(p, r));
  }
  CONCLAVE_RETURN_IF_ERROR(WriteNewMessage(dir / "consortium.roster", roster));
  const std::string recipient =
      age::EncodeP256TagRecipient(verified.consortium_key);
  return CreateFileAtomically(
      dir / "consortium.pub",
      AsBytes(recipient + "\n# roster fingerprint (SHA-256): " +
              HexEncode(verified.fingerprint) + "\n"),
      0644);
}

Status WriteRekeyOutputs(const std::filesystem::path& dir,
                         const RosterDir& previous, const v1::Roster& roster,
                         const VerifiedRoster& verified,
                         const v1::RekeyRecord& record) {
  CONCLAVE_RETURN_IF_ERROR(WriteNewMessage(dir / "rekey.record", record));
  return WriteRosterDir(dir, previous.chain, roster, verified);
}

}  // namespace conclave::keyceremony
