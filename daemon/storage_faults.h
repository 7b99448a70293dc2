// Fault injection for the daemon's storage layer (issue 10: "disk full and
// fsync failure through a fault-injection hook in the storage layer").
//
// The store consults a StorageFaults object, when one is configured, before
// every write, fsync and rename it makes: the blob store directly, SQLite
// through a shim VFS (daemon/sqlite.h) wrapped around the default one, so
// SQLite itself sees ENOSPC or EIO and reacts as it would to the real thing.
// Production runs without one (and without the shim).
#ifndef CONCLAVE_DAEMON_STORAGE_FAULTS_H_
#define CONCLAVE_DAEMON_STORAGE_FAULTS_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace conclave::daemon {

enum class StorageOp {
  kWrite,   // write(2) of file content (SQLite pages, WAL frames, blobs)
  kSync,    // fsync/fdatasync of a file or a directory
  kRename,  // the rename that publishes a blob
};

enum class StorageFault {
  kNone,
  kDiskFull,  // ENOSPC: the operation fails, nothing is lost, retry later
  kIoError,   // EIO
};

// Must be thread-safe: the store calls it from every worker thread.
class StorageFaults {
 public:
  virtual ~StorageFaults() = default;
  // Called before `op` on `path` (a file or directory name); anything but
  // kNone makes the operation fail as the OS would have.
  virtual StorageFault Before(StorageOp op, std::string_view path) = 0;
};

// A scriptable StorageFaults for tests: "the 3rd fsync of a path containing
// '-wal' fails", "every write fails with ENOSPC from now on".
class FaultInjector final : public StorageFaults {
 public:
  struct Rule {
    StorageOp op = StorageOp::kWrite;
    StorageFault fault = StorageFault::kIoError;
    std::string path_contains;  // empty: any path
    uint64_t skip = 0;          // let this many matching calls through first
    uint64_t times = 1;         // then fail this many (0: for ever)
  };

  void Add(const Rule& rule);
  void Clear();
  // Calls that matched a rule and were made to fail.
  uint64_t injected() const;

  StorageFault Before(StorageOp op, std::string_view path) override;

 private:
  struct State {
    Rule rule;
    uint64_t seen = 0;
    uint64_t failed = 0;
  };
  mutable std::mutex mu_;
  std::vector<State> rules_;
  uint64_t injected_ = 0;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_STORAGE_FAULTS_H_
