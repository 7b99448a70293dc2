#include "daemon/storage_faults.h"

namespace conclave::daemon {

void FaultInjector::Add(const Rule& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(State{rule});
}

void FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

uint64_t FaultInjector::injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

StorageFault FaultInjector::Before(StorageOp op, std::string_view path) {
  std::lock_guard<std::mutex> lock(mu_);
  for (State& s : rules_) {
    if (s.rule.op != op) continue;
    if (!s.rule.path_contains.empty() &&
        path.find(s.rule.path_contains) == std::string_view::npos) {
      continue;
    }
    const uint64_t n = s.seen++;
    if (n < s.rule.skip) continue;
    if (s.rule.times != 0 && s.failed >= s.rule.times) continue;
    ++s.failed;
    ++injected_;
    return s.rule.fault;
  }
  return StorageFault::kNone;
}

}  // namespace conclave::daemon
