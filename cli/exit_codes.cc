#include "cli/exit_codes.h"

namespace conclave::cli {

ExitCode ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kUnavailable:
      return kExitIo;
    case StatusCode::kInvalidArgument:
    case StatusCode::kDataLoss:
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
      return kExitBadInput;
    default:
      return kExitInternal;
  }
}

ExitCode OnlineExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kAborted:
      return kExitFork;
    case StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    case StatusCode::kUnavailable:
      // Local I/O is UNAVAILABLE too; the client marks transport failures.
      return status.message().rfind("cannot reach the daemon", 0) == 0
                 ? kExitUnreachable
                 : kExitIo;
    case StatusCode::kPermissionDenied:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
    case StatusCode::kResourceExhausted:
      return kExitRefused;
    default:
      return ExitCodeFor(status);
  }
}

std::string UserMessage(const Status& status) {
  std::string m = status.message();
  while (m.size() > 2 && m[0] == '[') {
    const size_t end = m.find("] ");
    if (end == std::string::npos) break;
    m.erase(0, end + 2);
  }
  return m;
}

const char* ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success (inspect: nothing wrong found)\n"
         "  1  usage error: unknown option, missing or malformed argument\n"
         "  2  bad input: malformed recipient, not an age file, or not a\n"
         "     valid submission (inspect lists what is wrong)\n"
         "  3  I/O error: cannot read the input or write the output\n"
         "  4  internal error (please report it)\n";
}

const char* OnlineExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success (inspect: nothing wrong found)\n"
         "  1  usage error: unknown option, missing or malformed argument\n"
         "  2  bad input: not a valid submission, or a file, signature,\n"
         "     proof or reply that does not verify (wrong passphrase, ...)\n"
         "  3  I/O error: cannot read an input or write an output\n"
         "  4  internal error (please report it)\n"
         "  5  cannot reach the daemon (address, network, TLS, timeout)\n"
         "  6  refused: not a member, an excluded organisation, not the\n"
         "     requester, an expired or withdrawn request, a duplicate, a\n"
         "     rate limit, a stale call (check this computer's clock)\n"
         "  7  waiting: the quorum is not complete yet, or no settled\n"
         "     checkpoint covers the request yet; try again later or --wait\n"
         "  8  the audit log forked, was rolled back or showed a split view:\n"
         "     the evidence is kept under the client state (--state); do not\n"
         "     trust the daemon and tell the consortium\n";
}

}  // namespace conclave::cli
