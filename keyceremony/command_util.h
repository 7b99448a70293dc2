// What every conclave-ceremony subcommand shares: parsing with --help and
// required options, and reporting usage errors and failures with the exit
// codes of ceremony_commands.h.
#ifndef CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_
#define CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_

#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace conclave::keyceremony {

// Said in the help of every command that reads a passphrase.
extern const char kPassphraseHelp[];

// "conclave-ceremony CMD: FAILED: message"; the exit code for the status.
int Fail(const std::string& cmd, const Status& status);
// "conclave-ceremony CMD: message (see ... --help)"; the usage exit code.
int Usage(const std::string& cmd, const std::string& message);

// Adds --help and, if asked, --passphrase-file.
void AddCommonOptions(cxxopts::Options* options, bool passphrase);

// Parses argv into *out. Returns an exit code when the command should stop
// here: after printing --help (with `footer` and the exit codes), or on a
// usage error (unknown option, stray argument, missing required option).
std::optional<int> ParseCommand(const std::string& cmd,
                                cxxopts::Options& options, int argc,
                                char** argv, const std::string& footer,
                                const std::vector<std::string>& required,
                                cxxopts::ParseResult* out);

// The value of a string option, if given.
std::optional<std::string> OptionalString(const cxxopts::ParseResult& r,
                                          const std::string& name);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_
