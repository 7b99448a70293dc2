#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>

namespace conclave::cli {

bool WantProgress(std::optional<uint64_t> total_size) {
  if (!isatty(STDERR_FILENO)) return false;
  return !total_size.has_value() || *total_size > kProgressThreshold;
}

ProgressBar::ProgressBar(std::string label, std::optional<uint64_t> total,
                         bool enabled, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string ProgressBar::FormatBytes(double n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", n, kUnits[u]);
  return buf;
}

void ProgressBar::Update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void ProgressBar::Draw(uint64_t done) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  const std::string rate =
      secs > 0 ? FormatBytes(static_cast<double>(done) / secs) + "/s" : "";
  if (total_ && *total_ > 0) {
    constexpr int kWidth = 30;
    const double frac =
        std::min(1.0, static_cast<double>(done) / static_cast<double>(*total_));
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(out_, "\r%s %3d%% [%s] %s / %s  %s   ", label_.c_str(),
                 static_cast<int>(frac * 100), bar.c_str(),
                 FormatBytes(static_cast<double>(done)).c_str(),
                 FormatBytes(static_cast<double>(*total_)).c_str(),
                 rate.c_str());
  } else {
    std::fprintf(out_, "\r%s %s  %s   ", label_.c_str(),
                 FormatBytes(static_cast<double>(done)).c_str(), rate.c_str());
  }
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_) return;
  Draw(done_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace conclave::cli
