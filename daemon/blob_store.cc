#include "daemon/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadChunk = size_t{1} << 20;

Status IoError(std::string_view what, const fs::path& path, int err) {
  const std::string msg =
      std::string(what) + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    return Status(StatusCode::kResourceExhausted, "disk full: " + msg);
  }
  return Status(StatusCode::kUnavailable, msg);
}

Status FatalSync(const fs::path& path, int err) {
  return DataLossError(
      "fatal storage error, the daemon must stop: cannot "
      "fsync " +
      path.string() + ": " + std::strerror(err));
}

int FaultErrno(StorageFault f) {
  return f == StorageFault::kDiskFull ? ENOSPC : EIO;
}

// The last-modified time as an age, for the garbage collector's grace
// period.
std::chrono::seconds AgeOf(const fs::path& p, std::error_code& ec) {
  const auto t = fs::last_write_time(p, ec);
  if (ec) return std::chrono::seconds(0);
  const auto now = fs::file_time_type::clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>(now - t);
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

StatusOr<std::unique_ptr<BlobStore>> BlobStore::Open(const fs::path& dir,
                                                     StorageFaults* faults) {
  std::error_code ec;
  fs::create_directories(dir / "tmp", ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + dir.string() + ": " + ec.message());
  }
  std::unique_ptr<BlobStore> s(new BlobStore(dir, faults));
  // The directories themselves must survive a crash before any blob does.
  CONCLAVE_RETURN_IF_ERROR(s->SyncDir(dir));
  CONCLAVE_RETURN_IF_ERROR(s->SyncDir(
      dir.parent_path().empty() ? fs::path(".") : dir.parent_path()));
  return s;
}

StorageFault BlobStore::Ask(StorageOp op, const fs::path& p) const {
  if (faults_ == nullptr) return StorageFault::kNone;
  return faults_->Before(op, p.string());
}

Status BlobStore::Latch(Status s) {
  std::lock_guard<std::mutex> lock(fatal_mu_);
  if (fatal_.ok()) fatal_ = s;
  return s;
}

Status BlobStore::fatal_error() const {
  std::lock_guard<std::mutex> lock(fatal_mu_);
  return fatal_;
}

Status BlobStore::Sync(int fd, const fs::path& p) {
  const StorageFault f = Ask(StorageOp::kSync, p);
  if (f != StorageFault::kNone) return Latch(FatalSync(p, FaultErrno(f)));
  if (::fsync(fd) != 0) return Latch(FatalSync(p, errno));
  return OkStatus();
}

Status BlobStore::SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir, errno);
  Status s = Sync(fd, dir);
  ::close(fd);
  return s;
}

fs::path BlobStore::PathFor(const Sha256Digest& hash) const {
  const std::string hex = HexEncode(hash);
  return dir_ / hex.substr(0, 2) / hex.substr(2);
}

// ---- Writer ----

StatusOr<BlobStore::Writer> BlobStore::NewWriter() {
  CONCLAVE_RETURN_IF_ERROR(fatal_error());
  std::string temp = (dir_ / "tmp" / "blob-XXXXXX").string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return IoError("cannot create a file in", dir_ / "tmp", errno);
  // Ciphertext is not secret, but nothing outside the daemon needs it.
  ::fchmod(fd, 0600);
  return Writer(this, fd, fs::path(temp));
}

BlobStore::Writer::Writer(Writer&& other) noexcept
    : store_(other.store_),
      fd_(other.fd_),
      temp_(std::move(other.temp_)),
      hasher_(std::move(other.hasher_)),
      size_(other.size_),
      failed_(other.failed_) {
  other.fd_ = -1;
  other.temp_.clear();
}

BlobStore::Writer::~Writer() { Discard(); }

void BlobStore::Writer::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

Status BlobStore::Writer::Write(ByteSpan data) {
  if (fd_ < 0 || failed_) {
    return FailedPreconditionError("blob writer is closed or failed");
  }
  const StorageFault f = store_->Ask(StorageOp::kWrite, temp_);
  if (f != StorageFault::kNone) {
    failed_ = true;
    return IoError("cannot write", temp_, FaultErrno(f));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      return IoError("cannot write", temp_, errno);
    }
    done += static_cast<size_t>(n);
  }
  hasher_.Update(data);
  size_ += data.size();
  return OkStatus();
}

StatusOr<Sha256Digest> BlobStore::Writer::Commit() {
  if (fd_ < 0 || failed_) {
    return FailedPreconditionError("blob writer is closed or failed");
  }
  CONCLAVE_RETURN_IF_ERROR(store_->fatal_error());
  failed_ = true;  // until the end: a writer commits once
  // 1. The content is on disk before any name points to it.
  CONCLAVE_RETURN_IF_ERROR(store_->Sync(fd_, temp_));
  if (::close(fd_) != 0) {
    fd_ = -1;
    return IoError("cannot close", temp_, errno);
  }
  fd_ = -1;
  const Sha256Digest hash = hasher_.Finish();
  const fs::path final_path = store_->PathFor(hash);
  const fs::path shard = final_path.parent_path();

  std::shared_lock<std::shared_mutex> gc_lock(store_->gc_mu_);
  std::error_code ec;
  bool new_shard = false;
  if (!fs::exists(shard, ec)) {
    fs::create_directory(shard, ec);
    if (ec) {
      return Status(StatusCode::kUnavailable,
                    "cannot create " + shard.string() + ": " + ec.message());
    }
    new_shard = true;
  }
  // 2. Publish atomically. rename() over an existing blob of the same name
  // is harmless (same content) and repairs one that was damaged; it also
  // refreshes the mtime that the garbage collector's grace period reads.
  const StorageFault f = store_->Ask(StorageOp::kRename, final_path);
  if (f != StorageFault::kNone) {
    return IoError("cannot rename into", final_path, FaultErrno(f));
  }
  if (::rename(temp_.c_str(), final_path.c_str()) != 0) {
    return IoError("cannot rename into", final_path, errno);
  }
  temp_.clear();
  // 3. The name itself is durable (and the shard's, if it is new).
  CONCLAVE_RETURN_IF_ERROR(store_->SyncDir(shard));
  if (new_shard) CONCLAVE_RETURN_IF_ERROR(store_->SyncDir(store_->dir_));
  failed_ = false;
  return hash;
}

StatusOr<Sha256Digest> BlobStore::Put(ByteSpan data) {
  CONCLAVE_ASSIGN_OR_RETURN(Writer w, NewWriter());
  CONCLAVE_RETURN_IF_ERROR(w.Write(data));
  return w.Commit();
}

// ---- reading ----

bool BlobStore::Contains(const Sha256Digest& hash) const {
  std::error_code ec;
  return fs::is_regular_file(PathFor(hash), ec);
}

namespace {

// Streams the file through SHA-256 and, if `sink` is set, into it.
Status ReadAndCheck(const fs::path& path, const Sha256Digest& want,
                    uint64_t max_size, size_t chunk_size,
                    const std::function<Status(ByteSpan)>* sink) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("no blob " + path.string());
    return IoError("cannot open", path, errno);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", path, errno);
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return OutOfRangeError("blob " + path.string() + " is larger than " +
                           std::to_string(max_size) + " bytes");
  }
  Sha256Hasher hasher;
  Bytes buf(std::max<size_t>(1, std::min(chunk_size, kReadChunk)));
  uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path, errno);
    }
    if (n == 0) break;
    const ByteSpan got(buf.data(), static_cast<size_t>(n));
    total += got.size();
    if (total > max_size) {
      return OutOfRangeError("blob " + path.string() + " grew past " +
                             std::to_string(max_size) + " bytes");
    }
    hasher.Update(got);
    if (sink != nullptr) CONCLAVE_RETURN_IF_ERROR((*sink)(got));
  }
  if (hasher.Finish() != want) {
    return DataLossError("blob " + path.string() +
                         " does not match its SHA-256: it is corrupt");
  }
  return OkStatus();
}

}  // namespace

StatusOr<Bytes> BlobStore::Get(const Sha256Digest& hash,
                               uint64_t max_size) const {
  Bytes out;
  const std::function<Status(ByteSpan)> append = [&](ByteSpan b) {
    out.insert(out.end(), b.begin(), b.end());
    return OkStatus();
  };
  CONCLAVE_RETURN_IF_ERROR(
      ReadAndCheck(PathFor(hash), hash, max_size, kReadChunk, &append));
  return out;
}

Status BlobStore::Verify(const Sha256Digest& hash) const {
  return ReadAndCheck(PathFor(hash), hash, UINT64_MAX, kReadChunk, nullptr);
}

Status BlobStore::Stream(const Sha256Digest& hash, size_t chunk_size,
                         const std::function<Status(ByteSpan)>& sink) const {
  CONCLAVE_RETURN_IF_ERROR(Verify(hash));
  return ReadAndCheck(PathFor(hash), hash, UINT64_MAX, chunk_size, &sink);
}

// ---- garbage collection ----

StatusOr<BlobStore::GcStats> BlobStore::CollectGarbage(
    const std::function<StatusOr<bool>(const Sha256Digest&)>& referenced,
    std::chrono::seconds min_age) {
  GcStats stats;
  auto remove = [&](const fs::path& p, uint64_t* counter) {
    std::error_code rec;
    const uint64_t size = fs::file_size(p, rec);
    if (fs::remove(p, rec)) {
      ++*counter;
      if (!rec) stats.bytes_removed += size;
    }
  };

  std::unique_lock<std::shared_mutex> gc_lock(gc_mu_);
  // Explicit increment(ec): the range-for form throws on errors.
  std::error_code ec;
  auto list = [&](const fs::path& dir,
                  const std::function<Status(const fs::path&)>& visit) {
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      CONCLAVE_RETURN_IF_ERROR(visit(it->path()));
    }
    if (ec) {
      return Status(StatusCode::kUnavailable,
                    "cannot list " + dir.string() + ": " + ec.message());
    }
    return OkStatus();
  };
  CONCLAVE_RETURN_IF_ERROR(list(dir_ / "tmp", [&](const fs::path& p) {
    std::error_code aec;
    if (AgeOf(p, aec) >= min_age && !aec) {
      remove(p, &stats.temp_files_removed);
    }
    return OkStatus();
  }));
  CONCLAVE_RETURN_IF_ERROR(list(dir_, [&](const fs::path& shard) {
    const std::string sname = shard.filename().string();
    std::error_code dec;
    if (sname.size() != 2 || !IsLowerHex(sname) ||
        !fs::is_directory(shard, dec)) {
      return OkStatus();
    }
    std::error_code sec;
    fs::directory_iterator it(shard, sec);
    for (; !sec && it != fs::directory_iterator(); it.increment(sec)) {
      const fs::path p = it->path();
      const std::string rest = p.filename().string();
      if (rest.size() != 62 || !IsLowerHex(rest)) continue;
      auto decoded = HexDecode(sname + rest);
      if (!decoded.ok() || decoded->size() != kSha256Size) continue;
      Sha256Digest hash;
      std::copy(decoded->begin(), decoded->end(), hash.begin());
      CONCLAVE_ASSIGN_OR_RETURN(bool used, referenced(hash));
      if (used) continue;
      std::error_code aec;
      if (AgeOf(p, aec) < min_age || aec) continue;
      remove(p, &stats.blobs_removed);
    }
    if (sec) {
      return Status(StatusCode::kUnavailable,
                    "cannot list " + shard.string() + ": " + sec.message());
    }
    return OkStatus();
  }));
  return stats;
}

}  // namespace conclave::daemon
