#include "daemon/checkpointer.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/settled.h"
#include "base/file_util.h"
#include "daemon/daemon_log.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Str(uint64_t v) { return std::to_string(v); }

}  // namespace

Checkpointer::Checkpointer(CheckpointerOptions options)
    : options_(std::move(options)), view_(options_.store) {}

StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Create(
    CheckpointerOptions options) {
  if (options.store == nullptr || options.signer == nullptr ||
      options.keys == nullptr) {
    return InvalidArgumentError("checkpointer: missing store, key or roster");
  }
  std::unique_ptr<Checkpointer> c(new Checkpointer(std::move(options)));
  c->LoadSaved();
  return c;
}

Checkpointer::~Checkpointer() { Stop(); }

Settlement Checkpointer::SettlementAt(uint64_t size) const {
  if (options_.settlement_at) return options_.settlement_at(size);
  return Settlement{options_.keys, options_.witnesses};
}

void Checkpointer::LoadSaved() {
  const fs::path& path = options_.settled_file;
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return;
  std::ifstream in(path, std::ios::binary);
  std::string note((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    LogLine("saved settled checkpoint unreadable; waiting for a new one");
    return;
  }
  // The log key is the same in every epoch: verify the log's signature to
  // learn the size, then settle under the roster in force at that size.
  auto cosigned = audit::VerifyCosignedCheckpoint(note, options_.keys->origin,
                                                  *options_.keys->log_key,
                                                  options_.keys->witnesses);
  const quorum::RosterLogKeys* in_force =
      cosigned.ok() ? SettlementAt(cosigned->checkpoint.size).keys : nullptr;
  if (in_force != nullptr && in_force != options_.keys) {
    cosigned = audit::VerifyCosignedCheckpoint(
        note, in_force->origin, *in_force->log_key, in_force->witnesses);
  }
  const quorum::RosterLogKeys& keys =
      in_force != nullptr ? *in_force : *options_.keys;
  Status bad;
  if (!cosigned.ok()) {
    bad = cosigned.status();
  } else {
    auto settled = audit::Settle(*cosigned, {}, keys.witnesses);
    if (!settled.ok()) {
      bad = settled.status();
    } else if (cosigned->checkpoint.size > options_.store->LogSize()) {
      bad = DataLossError("it is larger than the stored log");
    } else {
      auto root = audit::RootHash(view_, cosigned->checkpoint.size);
      if (!root.ok()) {
        bad = root.status();
      } else if (*root != cosigned->checkpoint.root_hash) {
        bad = DataLossError("its root is not the stored tree's");
      }
    }
  }
  if (!bad.ok()) {
    LogLine("saved settled checkpoint ignored: " + bad.message());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  settled_size_ = cosigned->checkpoint.size;
  settled_note_ = std::move(note);
  LogLine("loaded settled checkpoint of size " + Str(settled_size_));
}

void Checkpointer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  dirty_ = true;
  WitnessClient* witnesses =
      SettlementAt(options_.store->LogSize() + 1).witnesses;
  if (witnesses == nullptr) {
    LogLine(
        "no witnesses configured (--witness ORG=URL): no checkpoint will "
        "settle and no release can happen");
  } else if (Status s = witnesses->CheckCanSettle(); !s.ok()) {
    LogLine("too few witnesses configured: " + s.message());
  }
  thread_ = std::thread([this] { Run(); });
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  settled_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  wake_cv_.notify_all();
}

bool Checkpointer::WaitSettled(uint64_t size,
                               std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return settled_cv_.wait_for(lock, timeout, [&] {
    return stopping_ || settled_size_ >= size;
  }) && settled_size_ >= size;
}

std::string Checkpointer::ReasonLocked(uint64_t committed) const {
  if (settled_size_ >= committed) return "";
  if (SettlementAt(committed).witnesses == nullptr) {
    return "no witnesses are configured (conclaved --witness ORG=URL): no "
           "checkpoint can settle";
  }
  std::string reason;
  if (in_flight_size_ != 0) {
    reason = "the checkpoint of size " + Str(in_flight_size_) +
             " is with the witnesses";
  }
  if (!last_reason_.empty()) {
    if (!reason.empty()) reason += "; ";
    reason +=
        "last round (size " + Str(last_round_size_) + "): " + last_reason_;
  }
  if (reason.empty()) {
    reason = "the checkpoint of size " + Str(committed) +
             " has not been sent to the witnesses yet";
  }
  return reason;
}

CheckpointState Checkpointer::State() const {
  const uint64_t committed = options_.store->LogSize();
  std::lock_guard<std::mutex> lock(mu_);
  CheckpointState s;
  s.settled_note = settled_note_;
  s.settled_size = settled_size_;
  s.committed_size = committed;
  s.unsettled_reason = ReasonLocked(committed);
  return s;
}

void Checkpointer::Run() {
  auto next_maintenance = Clock::now();
  auto next_retry = Clock::now();
  std::chrono::milliseconds backoff = options_.retry_min;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_cv_.wait_for(lock, options_.period,
                        [&] { return stopping_ || dirty_; });
      if (stopping_) return;
      dirty_ = false;
    }
    if (options_.maintenance && Clock::now() >= next_maintenance) {
      options_.maintenance();
      next_maintenance = Clock::now() + options_.period;
    }
    if (!options_.store->FatalError().ok()) continue;
    const uint64_t size = options_.store->LogSize();
    uint64_t settled;
    uint64_t last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      settled = settled_size_;
      last = last_round_size_;
    }
    if (size <= settled) continue;
    if (size == last && Clock::now() < next_retry) continue;
    if (Round(size)) {
      backoff = options_.retry_min;
    } else {
      next_retry = Clock::now() + backoff;
      backoff = std::min(backoff * 2, options_.retry_max);
    }
  }
}

bool Checkpointer::Round(uint64_t size) {
  WitnessClient* witnesses = SettlementAt(size).witnesses;
  if (witnesses == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    last_round_size_ = size;
    last_reason_ = "no witnesses are configured";
    return false;
  }
  auto note = [&]() -> StatusOr<std::string> {
    CONCLAVE_ASSIGN_OR_RETURN(audit::Hash root, audit::RootHash(view_, size));
    audit::Checkpoint cp;
    cp.origin = options_.signer->name();
    cp.size = size;
    cp.root_hash = root;
    CONCLAVE_ASSIGN_OR_RETURN(std::string text, audit::FormatCheckpoint(cp));
    const audit::NoteSigner* signers[] = {options_.signer};
    return audit::SignNote(text, signers);
  }();
  if (!note.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    last_round_size_ = size;
    last_reason_ = "cannot sign the checkpoint: " + note.status().message();
    LogLine("checkpoint " + Str(size) + ": " + last_reason_);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_size_ = size;
  }
  auto result = witnesses->Cosign(
      *note, size, [this](uint64_t old_size, uint64_t new_size) {
        return audit::ConsistencyProof(view_, old_size, new_size);
      });
  // A settled checkpoint is saved before anyone is told of it: after a
  // crash the daemon must never serve an older settled checkpoint than a
  // client has already seen (the client would suspect a fork).
  const bool settled = result.ok() && result->settled;
  if (settled && !options_.settled_file.empty()) {
    bool newer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      newer = size > settled_size_;
    }
    if (newer) {
      Status s =
          WriteFileAtomically(options_.settled_file, AsBytes(result->note));
      if (!s.ok()) {
        // Not a lost state change: the witnesses cosign this size again.
        LogLine("cannot save the settled checkpoint: " + s.message());
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_size_ = 0;
    last_round_size_ = size;
    std::string reason;
    if (!result.ok()) {
      reason = "cosigning failed: " + result.status().message();
    } else if (!result->settled) {
      reason = result->summary;
    } else if (size > settled_size_) {
      settled_size_ = size;
      settled_note_ = result->note;
    }
    if (!settled && reason != last_reason_) {
      LogLine("checkpoint " + Str(size) + " not settled: " + reason);
    }
    last_reason_ = std::move(reason);
  }
  if (settled) {
    settled_cv_.notify_all();
    LogLine("checkpoint " + Str(size) + " " + result->summary);
  }
  return settled;
}

}  // namespace conclave::daemon
