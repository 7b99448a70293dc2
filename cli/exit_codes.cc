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

}  // namespace conclave::cli
