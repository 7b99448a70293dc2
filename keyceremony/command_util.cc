#include "keyceremony/command_util.h"

#include <cstdio>

#include "keyceremony/ceremony_commands.h"
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

}  // namespace conclave::keyceremony
