// What every conclave-ceremony subcommand shares: parsing with --help and
// required options, and reporting usage errors and failures with the exit
// codes of ceremony_commands.h.
#ifndef CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_
#define CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_

#include <cxxopts.hpp>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/file_util.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "keyceremony/roster.h"
#include "keyceremony/rounds.h"
#include "sealed/sealed_file.h"

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

// A passphrase: the first line of --passphrase-file if given, else typed at
// `prompt` (twice when `confirm`, for a file about to be sealed).
StatusOr<SecretBytes> CommandPassphrase(const cxxopts::ParseResult& r,
                                        const std::string& prompt,
                                        bool confirm);

// An editor's identity.age, opened ("Passphrase of PATH: ").
// INVALID_ARGUMENT if it holds something else. The copy lives for one
// command; protobuf strings are not wiped.
StatusOr<v1::EditorIdentity> OpenEditorIdentity(const std::string& path,
                                                const cxxopts::ParseResult& r);

// An editor's share.age, opened ("Passphrase of your share PATH: ").
// INVALID_ARGUMENT if it holds something else.
StatusOr<OpenedSecret> OpenShareFile(const std::string& path,
                                     const cxxopts::ParseResult& r);

// ---- Rekey (reshare.h "Rekey") ----

// The roster in force in DIR (DIR/consortium.roster, and DIR/chain/ if
// there, as finalize and simulate-reshare write) checked along its chain
// with VerifyRosterChain: `chain` every roster, epoch 1 first, `roster`
// the last one verified.
struct RosterDir {
  std::vector<v1::Roster> chain;
  VerifiedRoster roster;
};
StatusOr<RosterDir> ReadRosterDir(const std::filesystem::path& dir);

// A new epoch's directory, as verify-chain reads it: chain/epoch-N.roster
// for every roster of `chain` (one already there is kept), then
// consortium.roster and consortium.pub (refused if they exist).
Status WriteRosterDir(const std::filesystem::path& dir,
                      std::span<const v1::Roster> chain,
                      const v1::Roster& roster, const VerifiedRoster& verified);

// The outputs of a finished rekey in DIR: chain/epoch-N.roster for every
// roster of `previous`, consortium.roster, consortium.pub and rekey.record
// (`verify-chain --dir DIR` checks them). Refuses existing files.
Status WriteRekeyOutputs(const std::filesystem::path& dir,
                         const RosterDir& previous, const v1::Roster& roster,
                         const VerifiedRoster& verified,
                         const v1::RekeyRecord& record);

// Said when a rekey is final: the old shares (and any intermediate DKG
// shares) must be destroyed.
extern const char kRekeyDestroyBox[];

// `msg` serialized into a new file (0644; the write is atomic and refuses
// an existing file).
template <typename M>
Status WriteNewMessage(const std::filesystem::path& path, const M& msg) {
  std::string s;
  if (!msg.SerializeToString(&s)) {
    return InternalError("cannot serialize " + path.string());
  }
  return CreateFileAtomically(path, AsBytes(s), 0644);
}

// `msg` serialized over `path` (atomic replace, 0644).
template <typename M>
Status ReplaceMessage(const std::filesystem::path& path, const M& msg) {
  std::string s;
  if (!msg.SerializeToString(&s)) {
    return InternalError("cannot serialize " + path.string());
  }
  return WriteFileAtomically(path, AsBytes(s), 0644);
}

// A message file of at most kMaxCeremonyFileSize; INVALID_ARGUMENT "PATH is
// not WHAT" (`what` with its article: "a roster") if it does not parse.
template <typename M>
StatusOr<M> ReadMessageFile(const std::filesystem::path& path,
                            const std::string& what) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes data,
                            ReadFileBytes(path, kMaxCeremonyFileSize));
  M m;
  if (!m.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return InvalidArgumentError(path.string() + " is not " + what);
  }
  return m;
}

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_COMMAND_UTIL_H_
