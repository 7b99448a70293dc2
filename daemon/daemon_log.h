// conclaved's log lines (issue 7: "clear log lines"): one line per state
// change on stderr, "conclaved <UTC time> <event>". Lines carry ids,
// organisations, editors and leaf indices only: never secrets, never a
// request's reason or a vote's comment (not secret, but possibly
// sensitive), never submission contents.
#ifndef CONCLAVE_DAEMON_DAEMON_LOG_H_
#define CONCLAVE_DAEMON_DAEMON_LOG_H_

#include <functional>
#include <string_view>

namespace conclave::daemon {

// Writes one line (a trailing newline is added; embedded control characters
// are replaced by '?'). Thread-safe: lines never interleave.
void LogLine(std::string_view event);

// Tests: every line also goes to `sink` (nullptr: stderr only). Set before
// starting threads that log.
void SetLogSinkForTesting(std::function<void(std::string_view)> sink);

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_DAEMON_LOG_H_
