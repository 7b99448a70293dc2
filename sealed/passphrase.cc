#include "sealed/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"

namespace conclave {

namespace {

constexpr size_t kMaxPassphraseFile = 64 * 1024;

// Reads one line from fd into a SecretBytes, byte by byte so that nothing
// beyond the line is consumed and no stdio buffer keeps a copy.
StatusOr<SecretBytes> ReadLine(int fd) {
  SecretBytes line;
  for (;;) {
    uint8_t c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status(
          StatusCode::kUnavailable,
          std::string("cannot read the passphrase: ") + std::strerror(errno));
    }
    if (n == 0 || c == '\n') break;
    line.Append(ByteSpan(&c, 1));
  }
  if (!line.empty() && line[line.size() - 1] == '\r') {
    line.Resize(line.size() - 1);
  }
  return line;
}

}  // namespace

StatusOr<SecretBytes> ReadPassphraseFile(const std::string& path) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes raw, ReadFileBytes(path, kMaxPassphraseFile));
  SecretBytes contents = SecretBytes::CopyFrom(raw);
  CleanseMemory(raw.data(), raw.size());
  size_t end = 0;
  while (end < contents.size() && contents[end] != '\n') ++end;
  if (end > 0 && contents[end - 1] == '\r') --end;
  if (end == 0) {
    return InvalidArgumentError("the passphrase file " + path +
                                " has an empty first line");
  }
  return SecretBytes::CopyFrom(contents.span().first(end));
}

StatusOr<SecretBytes> PromptPassphrase(const std::string& prompt,
                                       bool confirm) {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) {
    return FailedPreconditionError(
        "no terminal to ask for the passphrase; use --passphrase-file FILE");
  }
  struct termios old_mode;
  if (::tcgetattr(tty, &old_mode) != 0) {
    ::close(tty);
    return FailedPreconditionError(
        "cannot turn off echo on this terminal; use --passphrase-file FILE");
  }
  struct termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto ask = [&](const std::string& text) -> StatusOr<SecretBytes> {
    if (::write(tty, text.data(), text.size()) < 0) {
      return Status(StatusCode::kUnavailable, "cannot write the prompt");
    }
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
    StatusOr<SecretBytes> line = ReadLine(tty);
    ::tcsetattr(tty, TCSAFLUSH, &old_mode);
    return line;
  };
  StatusOr<SecretBytes> first = ask(prompt + ": ");
  if (first.ok() && first->empty()) {
    first = InvalidArgumentError("the passphrase is empty");
  }
  if (first.ok() && confirm) {
    StatusOr<SecretBytes> again = ask("Repeat the passphrase: ");
    if (!again.ok()) {
      first = again.status();
    } else if (!first->ConstantTimeEquals(*again)) {
      first = InvalidArgumentError("the two passphrases differ");
    }
  }
  ::close(tty);
  return first;
}

StatusOr<SecretBytes> GetPassphrase(const std::optional<std::string>& file,
                                    const std::string& prompt, bool confirm) {
  if (file.has_value()) return ReadPassphraseFile(*file);
  return PromptPassphrase(prompt, confirm);
}

}  // namespace conclave
