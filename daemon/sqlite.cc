#include "daemon/sqlite.h"

#include <atomic>
#include <limits>

namespace conclave::daemon::sqlite {

Status ErrorStatus(int rc, std::string_view what, std::string_view detail) {
  std::string msg = std::string(what) + ": " + sqlite3_errstr(rc);
  if (!detail.empty() && detail != sqlite3_errstr(rc)) {
    msg += " (" + std::string(detail) + ")";
  }
  if (IsSyncFailure(rc)) {
    return DataLossError("fatal storage error, the daemon must stop: " + msg);
  }
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status(StatusCode::kResourceExhausted, "disk full: " + msg);
    case SQLITE_NOMEM:
      return Status(StatusCode::kResourceExhausted, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(msg);
    case SQLITE_CONSTRAINT:
      return FailedPreconditionError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return Status(StatusCode::kUnavailable, msg);
    default:
      return InternalError(msg);
  }
}

bool IsSyncFailure(int rc) {
  return rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC;
}

// ---- Stmt ----

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

Stmt& Stmt::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = db_->Error(rc, "bind");
  }
  return *this;
}

Stmt& Stmt::BindU64(int index, uint64_t value) {
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    if (bind_status_.ok()) {
      bind_status_ = InvalidArgumentError("value " + std::to_string(value) +
                                          " is too large to store");
    }
    return *this;
  }
  return Bind(index, static_cast<int64_t>(value));
}

Stmt& Stmt::Bind(int index, ByteSpan blob) {
  // A zero-length blob must still be a blob, not NULL.
  static const uint8_t kEmpty = 0;
  const int rc =
      sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(),
                          blob.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = db_->Error(rc, "bind");
  }
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  static const char kEmpty = 0;
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.empty() ? &kEmpty : text.data(),
                          text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = db_->Error(rc, "bind");
  }
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = db_->Error(rc, "bind");
  }
  return *this;
}

StatusOr<bool> Stmt::Step() {
  CONCLAVE_RETURN_IF_ERROR(bind_status_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "sqlite statement");
}

Status Stmt::Run() {
  CONCLAVE_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return InternalError("statement returned a row unexpectedly");
  return OkStatus();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = OkStatus();
}

bool Stmt::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

Bytes Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  const auto* b = static_cast<const uint8_t*>(p);
  return Bytes(b, b + n);
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

// ---- Db ----

StatusOr<std::unique_ptr<Db>> Db::Open(const std::filesystem::path& path,
                                       bool create, const char* vfs) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time, under the
  // store's own locks.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    const int ext = raw ? sqlite3_extended_errcode(raw) : rc;
    return ErrorStatus(ext, "cannot open " + path.string(),
                       raw ? sqlite3_errmsg(raw) : "");
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(std::move(db)));
}

Status Db::Error(int rc, std::string_view what) {
  int ext = sqlite3_extended_errcode(db_.get());
  // The connection's code can lag the call's (e.g. for bind errors).
  if ((ext & 0xff) != (rc & 0xff)) ext = rc;
  if (IsSyncFailure(ext)) sync_failed_ = true;
  return ErrorStatus(ext, what, sqlite3_errmsg(db_.get()));
}

Status Db::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return OkStatus();
}

StatusOr<std::string> Db::QueryText(const char* sql) {
  CONCLAVE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  CONCLAVE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::string();
  return stmt.Text(0);
}

StatusOr<Stmt> Db::Prepare(const std::string& sql) {
  auto prepare = [&](unsigned flags) -> StatusOr<StmtPtr> {
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                           flags, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return Error(rc, "prepare");
    if (raw == nullptr) return InternalError("prepare: empty statement");
    return stmt;
  };
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    CONCLAVE_ASSIGN_OR_RETURN(StmtPtr stmt, prepare(SQLITE_PREPARE_PERSISTENT));
    it = cache_.emplace(sql, Cached{std::move(stmt)}).first;
  }
  if (it->second.in_use) {
    // The same SQL nested inside its own iteration: a one-off copy.
    CONCLAVE_ASSIGN_OR_RETURN(StmtPtr stmt, prepare(0));
    sqlite3_stmt* raw = stmt.get();
    return Stmt(this, raw, nullptr, std::move(stmt));
  }
  it->second.in_use = true;
  return Stmt(this, it->second.stmt.get(), &it->second.in_use);
}

// ---- FaultVfs ----

namespace {

// Laid out by SQLite in szOsFile bytes: ours, then the real VFS's file.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
  FaultVfs* owner;
  const char* name;  // valid until xClose (sqlite3_vfs.xOpen contract)
};

FaultFile* AsFault(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return AsFault(f)->real; }
const sqlite3_io_methods* RealMethods(sqlite3_file* f) {
  return Real(f)->pMethods;
}

StorageFault Ask(sqlite3_file* f, StorageOp op) {
  FaultFile* ff = AsFault(f);
  return ff->owner->faults()->Before(op, ff->name ? ff->name : "(temp)");
}

int XClose(sqlite3_file* f) { return RealMethods(f)->xClose(Real(f)); }
int XRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return RealMethods(f)->xRead(Real(f), buf, n, off);
}
int XWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  switch (Ask(f, StorageOp::kWrite)) {
    case StorageFault::kNone:
      break;
    case StorageFault::kDiskFull:
      return SQLITE_FULL;
    case StorageFault::kIoError:
      return SQLITE_IOERR_WRITE;
  }
  return RealMethods(f)->xWrite(Real(f), buf, n, off);
}
int XTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (Ask(f, StorageOp::kWrite) != StorageFault::kNone) {
    return SQLITE_IOERR_TRUNCATE;
  }
  return RealMethods(f)->xTruncate(Real(f), size);
}
int XSync(sqlite3_file* f, int flags) {
  if (Ask(f, StorageOp::kSync) != StorageFault::kNone) {
    return SQLITE_IOERR_FSYNC;
  }
  return RealMethods(f)->xSync(Real(f), flags);
}
int XFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return RealMethods(f)->xFileSize(Real(f), size);
}
int XLock(sqlite3_file* f, int lock) {
  return RealMethods(f)->xLock(Real(f), lock);
}
int XUnlock(sqlite3_file* f, int lock) {
  return RealMethods(f)->xUnlock(Real(f), lock);
}
int XCheckReservedLock(sqlite3_file* f, int* out) {
  return RealMethods(f)->xCheckReservedLock(Real(f), out);
}
int XFileControl(sqlite3_file* f, int op, void* arg) {
  return RealMethods(f)->xFileControl(Real(f), op, arg);
}
int XSectorSize(sqlite3_file* f) {
  return RealMethods(f)->xSectorSize(Real(f));
}
int XDeviceCharacteristics(sqlite3_file* f) {
  return RealMethods(f)->xDeviceCharacteristics(Real(f));
}
int XShmMap(sqlite3_file* f, int page, int size, int extend,
            void volatile** out) {
  if (RealMethods(f)->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return RealMethods(f)->xShmMap(Real(f), page, size, extend, out);
}
int XShmLock(sqlite3_file* f, int offset, int n, int flags) {
  if (RealMethods(f)->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return RealMethods(f)->xShmLock(Real(f), offset, n, flags);
}
void XShmBarrier(sqlite3_file* f) {
  if (RealMethods(f)->iVersion >= 2) RealMethods(f)->xShmBarrier(Real(f));
}
int XShmUnmap(sqlite3_file* f, int del) {
  if (RealMethods(f)->iVersion < 2) return SQLITE_OK;
  return RealMethods(f)->xShmUnmap(Real(f), del);
}
int XFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  if (RealMethods(f)->iVersion < 3) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return RealMethods(f)->xFetch(Real(f), off, n, out);
}
int XUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  if (RealMethods(f)->iVersion < 3) return SQLITE_OK;
  return RealMethods(f)->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kFaultMethods = {
    3,
    XClose,
    XRead,
    XWrite,
    XTruncate,
    XSync,
    XFileSize,
    XLock,
    XUnlock,
    XCheckReservedLock,
    XFileControl,
    XSectorSize,
    XDeviceCharacteristics,
    XShmMap,
    XShmLock,
    XShmBarrier,
    XShmUnmap,
    XFetch,
    XUnfetch,
};

sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) {
  return static_cast<FaultVfs*>(vfs->pAppData)->real();
}

int VOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
          int* out_flags) {
  auto* owner = static_cast<FaultVfs*>(vfs->pAppData);
  FaultFile* f = AsFault(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->real->pMethods = nullptr;
  f->owner = owner;
  f->name = name;
  sqlite3_vfs* real = owner->real();
  const int rc = real->xOpen(real, name, f->real, flags, out_flags);
  // SQLite calls xClose exactly when pMethods is set, so mirror the real
  // file: a failed open that still needs closing is closed through us.
  if (f->real->pMethods != nullptr) f->base.pMethods = &kFaultMethods;
  return rc;
}
int VDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return RealVfs(vfs)->xDelete(RealVfs(vfs), name, sync_dir);
}
int VAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, out);
}
int VFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, n, out);
}
void* VDlOpen(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xDlOpen(RealVfs(vfs), name);
}
void VDlError(sqlite3_vfs* vfs, int n, char* out) {
  RealVfs(vfs)->xDlError(RealVfs(vfs), n, out);
}
void (*VDlSym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return RealVfs(vfs)->xDlSym(RealVfs(vfs), h, sym);
}
void VDlClose(sqlite3_vfs* vfs, void* h) {
  RealVfs(vfs)->xDlClose(RealVfs(vfs), h);
}
int VRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return RealVfs(vfs)->xRandomness(RealVfs(vfs), n, out);
}
int VSleep(sqlite3_vfs* vfs, int us) {
  return RealVfs(vfs)->xSleep(RealVfs(vfs), us);
}
int VCurrentTime(sqlite3_vfs* vfs, double* out) {
  return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), out);
}
int VGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return RealVfs(vfs)->xGetLastError(RealVfs(vfs), n, out);
}
int VCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  sqlite3_vfs* real = RealVfs(vfs);
  if (real->iVersion >= 2 && real->xCurrentTimeInt64 != nullptr) {
    return real->xCurrentTimeInt64(real, out);
  }
  double now = 0;
  const int rc = real->xCurrentTime(real, &now);
  *out = static_cast<sqlite3_int64>(now * 86400000.0);
  return rc;
}

std::atomic<uint64_t> next_vfs_id{0};

}  // namespace

StatusOr<std::unique_ptr<FaultVfs>> FaultVfs::Register(StorageFaults* faults) {
  if (faults == nullptr) return InvalidArgumentError("fault vfs: no faults");
  std::unique_ptr<FaultVfs> v(new FaultVfs());
  v->real_ = sqlite3_vfs_find(nullptr);
  if (v->real_ == nullptr) return InternalError("sqlite has no default vfs");
  v->faults_ = faults;
  v->name_ = "conclave-faults-" + std::to_string(next_vfs_id++);
  sqlite3_vfs& s = v->vfs_;
  s.iVersion = 2;
  s.szOsFile = static_cast<int>(sizeof(FaultFile)) + v->real_->szOsFile;
  s.mxPathname = v->real_->mxPathname;
  s.zName = v->name_.c_str();
  s.pAppData = v.get();
  s.xOpen = VOpen;
  s.xDelete = VDelete;
  s.xAccess = VAccess;
  s.xFullPathname = VFullPathname;
  s.xDlOpen = VDlOpen;
  s.xDlError = VDlError;
  s.xDlSym = VDlSym;
  s.xDlClose = VDlClose;
  s.xRandomness = VRandomness;
  s.xSleep = VSleep;
  s.xCurrentTime = VCurrentTime;
  s.xGetLastError = VGetLastError;
  s.xCurrentTimeInt64 = VCurrentTimeInt64;
  const int rc = sqlite3_vfs_register(&s, /*makeDflt=*/0);
  if (rc != SQLITE_OK) return ErrorStatus(rc, "register fault vfs", "");
  v->registered_ = true;
  return v;
}

FaultVfs::~FaultVfs() {
  if (registered_) sqlite3_vfs_unregister(&vfs_);
}

}  // namespace conclave::daemon::sqlite
