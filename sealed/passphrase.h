// Passphrases for sealed files: from a prompt on the terminal without echo,
// or from the first line of a file (--passphrase-file), never from argv.
#ifndef CONCLAVE_SEALED_PASSPHRASE_H_
#define CONCLAVE_SEALED_PASSPHRASE_H_

#include <optional>
#include <string>

#include "base/secret_bytes.h"

namespace conclave {

// The first line of `path` (without its line ending). INVALID_ARGUMENT if it
// is empty; NOT_FOUND / UNAVAILABLE for I/O problems.
StatusOr<SecretBytes> ReadPassphraseFile(const std::string& path);

// Prompts on /dev/tty with echo off. With `confirm`, asks twice and refuses
// a mismatch (for new sealed files). FAILED_PRECONDITION without a terminal,
// with a message pointing at --passphrase-file.
StatusOr<SecretBytes> PromptPassphrase(const std::string& prompt, bool confirm);

// --passphrase-file if given, else the prompt.
StatusOr<SecretBytes> GetPassphrase(const std::optional<std::string>& file,
                                    const std::string& prompt, bool confirm);

}  // namespace conclave

#endif  // CONCLAVE_SEALED_PASSPHRASE_H_
