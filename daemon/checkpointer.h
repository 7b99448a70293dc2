// conclaved's checkpointer (brief §6; issue 7): a thread that signs the
// committed tree with the log key, gathers the witnesses' cosignatures
// through the WitnessClient and keeps the latest SETTLED checkpoint, which
// is what the daemon serves and what posting calls wait for.
//
// It wakes on every commit (Notify) and periodically. Batching is natural:
// each round signs whatever size is committed when it starts, so commits
// made while a round is out to the witnesses are covered by the next one.
// An unsettled size is retried with exponential backoff.
//
// The latest settled checkpoint is kept durably in one file, replaced
// atomically (temp → fsync → rename → fsync dir): DATA_DIR/settled-checkpoint
// holds the note with its cosignature lines. On start it is verified again
// (log signature, cosignatures, settled under the roster, root equal to the
// stored tree's at its size) and ignored, with a log line, if anything is
// off; the witnesses then settle the next checkpoint afresh.
#ifndef CONCLAVE_DAEMON_CHECKPOINTER_H_
#define CONCLAVE_DAEMON_CHECKPOINTER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "audit/note.h"
#include "base/status.h"
#include "daemon/sqlite_log_storage.h"
#include "daemon/store.h"
#include "daemon/witness_client.h"
#include "quorum/evidence.h"

namespace conclave::daemon {

inline constexpr char kSettledCheckpointFile[] = "settled-checkpoint";

// What settles a checkpoint: the roster's log keys and the witness client
// of its organisations (nullptr: none configured, nothing settles).
struct Settlement {
  const quorum::RosterLogKeys* keys = nullptr;
  WitnessClient* witnesses = nullptr;
};

struct CheckpointerOptions {
  Store* store = nullptr;
  // The log key's note signer; its name is the origin.
  const audit::Ed25519NoteSigner* signer = nullptr;
  // nullptr when no witness is configured: then nothing ever settles.
  WitnessClient* witnesses = nullptr;
  // The roster's log key and witnesses, to re-verify the saved checkpoint.
  const quorum::RosterLogKeys* keys = nullptr;
  // The roster in force at a checkpoint size (brief §9: a checkpoint of
  // size N settles under the latest roster whose `roster` leaf index is
  // below N). Unset: `keys` and `witnesses` at every size. The pointers
  // must stay valid while the checkpointer runs.
  std::function<Settlement(uint64_t size)> settlement_at;
  std::filesystem::path settled_file;
  // Run on the checkpointer thread at most once per `period` (the expiry
  // sweep, nonce pruning).
  std::function<void()> maintenance;
  std::chrono::milliseconds period{1000};
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30000};
};

struct CheckpointState {
  std::string settled_note;  // "" until a checkpoint settles
  uint64_t settled_size = 0;
  uint64_t committed_size = 0;
  // "" when the committed tree is settled; otherwise why not (no witnesses,
  // the witnesses' answers, a round in progress).
  std::string unsettled_reason;
};

class Checkpointer {
 public:
  // Loads the saved settled checkpoint (if any). Does not start the thread.
  static StatusOr<std::unique_ptr<Checkpointer>> Create(
      CheckpointerOptions options);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Start();
  // Joins the thread (a round in progress finishes first: up to the witness
  // client's deadline) and wakes every waiter. Idempotent.
  void Stop();

  // A commit happened: sign the new size soon.
  void Notify();

  // Waits until a settled checkpoint has at least `size` leaves; false on
  // timeout or Stop().
  bool WaitSettled(uint64_t size, std::chrono::milliseconds timeout);

  CheckpointState State() const;

 private:
  explicit Checkpointer(CheckpointerOptions options);
  void LoadSaved();
  void Run();
  // One signing + cosigning round at `size`; true if it settled.
  bool Round(uint64_t size);
  std::string ReasonLocked(uint64_t committed) const;
  Settlement SettlementAt(uint64_t size) const;

  CheckpointerOptions options_;
  SqliteLogStorage view_;  // the checkpointer thread's own view

  mutable std::mutex mu_;
  std::condition_variable wake_cv_;
  std::condition_variable settled_cv_;
  bool dirty_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::string settled_note_;
  uint64_t settled_size_ = 0;
  uint64_t in_flight_size_ = 0;
  uint64_t last_round_size_ = 0;
  std::string last_reason_;
  std::thread thread_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_CHECKPOINTER_H_
