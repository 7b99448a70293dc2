// Thin RAII layer over the SQLite C API for the daemon's store (brief §7:
// "SQLite (WAL, synchronous=FULL) as the embedded default"). Every statement
// is prepared once per connection and run with bound parameters: no SQL is
// ever built from data.
//
// Internal to daemon/; the store's public API (store.h) does not expose it.
#ifndef CONCLAVE_DAEMON_SQLITE_H_
#define CONCLAVE_DAEMON_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.h"
#include "base/status.h"
#include "daemon/storage_faults.h"

namespace conclave::daemon::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// SQLite's extended result code → Status. SQLITE_FULL is RESOURCE_EXHAUSTED
// (the transaction is rolled back, nothing is lost); a failed fsync is
// DATA_LOSS (see IsSyncFailure); corruption is DATA_LOSS; contention and
// other I/O errors are UNAVAILABLE; constraint violations FAILED_PRECONDITION.
Status ErrorStatus(int extended_rc, std::string_view what,
                   std::string_view detail);

// After a failed fsync the kernel may have dropped the dirty pages and
// cleared the error: whether the data reached the disk is unknown, and a
// retry can report success for data that is gone. Such failures are fatal to
// the daemon (issue 7: "A failed fsync stops the daemon").
bool IsSyncFailure(int extended_rc);

class Db;

// A prepared statement borrowed from a Db's cache; reset and its bindings
// cleared when it goes out of scope. Bound blobs and text are not copied:
// they must outlive the last Step().
class Stmt {
 public:
  // `in_use` (a cached statement's flag) is cleared on destruction; `owned`
  // is a one-off statement finalized then.
  Stmt(Db* db, sqlite3_stmt* stmt, bool* in_use, StmtPtr owned = nullptr)
      : db_(db), stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept
      : db_(other.db_),
        stmt_(other.stmt_),
        in_use_(other.in_use_),
        owned_(std::move(other.owned_)),
        bind_status_(std::move(other.bind_status_)) {
    other.stmt_ = nullptr;
    other.in_use_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Parameters are 1-based, as in SQL.
  Stmt& Bind(int index, int64_t value);
  // INVALID_ARGUMENT at Step() if the value does not fit SQLite's int64.
  Stmt& BindU64(int index, uint64_t value);
  Stmt& Bind(int index, ByteSpan blob);
  Stmt& Bind(int index, std::string_view text);
  Stmt& BindNull(int index);

  // True while a row is available, false when done.
  StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Ready to bind and run again.
  void Reset();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  Bytes Blob(int col) const;
  std::string Text(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  StmtPtr owned_;
  Status bind_status_;
};

class Db {
 public:
  // Opens (creating if `create`) the database at `path`. `vfs` names a
  // registered VFS, or nullptr for the default.
  static StatusOr<std::unique_ptr<Db>> Open(const std::filesystem::path& path,
                                            bool create, const char* vfs);

  sqlite3* get() const { return db_.get(); }

  // SQL without parameters (PRAGMA, BEGIN, COMMIT).
  Status Exec(const char* sql);
  // The single text value of a PRAGMA or query without parameters.
  StatusOr<std::string> QueryText(const char* sql);
  // A cached prepared statement for `sql`.
  StatusOr<Stmt> Prepare(const std::string& sql);

  // A Status for the connection's last error (code `rc`), noting sync
  // failures so that the caller can make them fatal.
  Status Error(int rc, std::string_view what);
  // True once any statement on this connection saw a failed fsync.
  bool sync_failed() const { return sync_failed_; }

 private:
  explicit Db(DbPtr db) : db_(std::move(db)) {}
  DbPtr db_;
  struct Cached {
    StmtPtr stmt;
    bool in_use = false;
  };
  // unordered_map never moves its elements, so Stmt may point into them.
  std::unordered_map<std::string, Cached> cache_;
  bool sync_failed_ = false;
};

// A VFS that wraps the default one and asks a StorageFaults before each
// write, sync and truncate, failing them as the OS would (SQLITE_FULL,
// SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC). One per store; connections using
// it must be closed before it is destroyed.
class FaultVfs {
 public:
  static StatusOr<std::unique_ptr<FaultVfs>> Register(StorageFaults* faults);
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const char* name() const { return name_.c_str(); }
  StorageFaults* faults() const { return faults_; }
  sqlite3_vfs* real() const { return real_; }

 private:
  FaultVfs() = default;
  sqlite3_vfs vfs_{};
  sqlite3_vfs* real_ = nullptr;
  StorageFaults* faults_ = nullptr;
  std::string name_;
  bool registered_ = false;
};

}  // namespace conclave::daemon::sqlite

#endif  // CONCLAVE_DAEMON_SQLITE_H_
