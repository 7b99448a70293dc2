// A one-line progress bar on stderr for long encryptions. It draws only
// when enabled (the caller decides: stderr is a terminal and the input is
// large or of unknown size) and at most ten times a second.
#ifndef CONCLAVE_CLI_PROGRESS_H_
#define CONCLAVE_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace conclave::cli {

// Inputs above this size (or of unknown size) get a progress bar.
inline constexpr uint64_t kProgressThreshold = 16ull << 20;

// True if a bar should be drawn: stderr is a terminal, and the size is
// unknown or above the threshold.
bool WantProgress(std::optional<uint64_t> total_size);

class ProgressBar {
 public:
  ProgressBar(std::string label, std::optional<uint64_t> total, bool enabled,
              std::FILE* out = stderr);
  // Thread-compatible: call from one thread at a time.
  void Update(uint64_t done);
  // Draws the final state and ends the line (only if anything was drawn).
  void Finish();

  // "1.5 GiB", "512 KiB", "17 B".
  static std::string FormatBytes(double n);

 private:
  void Draw(uint64_t done);

  std::string label_;
  std::optional<uint64_t> total_;
  bool enabled_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
  uint64_t done_ = 0;
};

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_PROGRESS_H_
