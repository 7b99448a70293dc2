#include "daemon/daemon_log.h"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>

namespace conclave::daemon {
namespace {

std::mutex& LogMutex() {
  static std::mutex mu;
  return mu;
}

std::function<void(std::string_view)>& Sink() {
  static std::function<void(std::string_view)> sink;
  return sink;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void LogLine(std::string_view event) {
  std::string line = "conclaved " + UtcNow() + " ";
  line.reserve(line.size() + event.size() + 1);
  for (char c : event) {
    const auto u = static_cast<unsigned char>(c);
    // Control characters could forge extra lines in the operator's log.
    line.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(LogMutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  if (Sink()) Sink()(std::string_view(line).substr(0, line.size() - 1));
}

void SetLogSinkForTesting(std::function<void(std::string_view)> sink) {
  std::lock_guard<std::mutex> lock(LogMutex());
  Sink() = std::move(sink);
}

}  // namespace conclave::daemon
