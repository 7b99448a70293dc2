// Ciphertext blobs on disk, content-addressed by SHA-256 (brief §7:
// "ciphertext blobs content-addressed on disk (temp → fsync → rename → fsync
// dir → then the row)").
//
//   DIR/ab/cdef…   the blob whose SHA-256 is hex "abcdef…" (2 + 62 chars)
//   DIR/tmp/       files being written; never read
//
// A blob is durable when Writer::Commit() returns: the caller inserts the
// row naming it only afterwards, in the store transaction that also appends
// the audit leaf. A crash between the two leaves an orphaned blob, which is
// harmless (nothing refers to it) and removed by CollectGarbage().
#ifndef CONCLAVE_DAEMON_BLOB_STORE_H_
#define CONCLAVE_DAEMON_BLOB_STORE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/hash.h"
#include "daemon/storage_faults.h"

namespace conclave::daemon {

// Thread-safe.
class BlobStore {
 public:
  // Opens `dir`, creating it (and DIR/tmp) if missing. `faults` (tests
  // only) must outlive the store.
  static StatusOr<std::unique_ptr<BlobStore>> Open(
      const std::filesystem::path& dir, StorageFaults* faults = nullptr);

  // Streams one blob into a temporary file. Nothing is visible until
  // Commit(); destroying an uncommitted writer deletes the temporary file.
  class Writer {
   public:
    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&&) = delete;
    Writer(const Writer&) = delete;
    ~Writer();

    // RESOURCE_EXHAUSTED when the disk is full, UNAVAILABLE on other I/O
    // errors; the writer is then unusable.
    Status Write(ByteSpan data);
    uint64_t size() const { return size_; }
    // fsync → rename to its content address → fsync the directory. Returns
    // the SHA-256 (the blob's name). A failed fsync is DATA_LOSS and fatal:
    // the store refuses every later write (see BlobStore::fatal_error()).
    StatusOr<Sha256Digest> Commit();

   private:
    friend class BlobStore;
    Writer(BlobStore* store, int fd, std::filesystem::path temp)
        : store_(store), fd_(fd), temp_(std::move(temp)) {}
    void Discard();
    BlobStore* store_;
    int fd_;
    std::filesystem::path temp_;
    Sha256Hasher hasher_;
    uint64_t size_ = 0;
    bool failed_ = false;
  };

  StatusOr<Writer> NewWriter();
  // The whole blob in one call.
  StatusOr<Sha256Digest> Put(ByteSpan data);

  // The blob's bytes, verified against its name: DATA_LOSS if they do not
  // hash to it, NOT_FOUND if absent, OUT_OF_RANGE if larger than max_size.
  StatusOr<Bytes> Get(const Sha256Digest& hash, uint64_t max_size) const;
  // Hashes the blob in chunks without holding it in memory; same errors.
  Status Verify(const Sha256Digest& hash) const;
  // Verifies the blob, then hands it to `sink` in chunks of at most
  // `chunk_size` bytes, hashing again as it goes; DATA_LOSS after the last
  // chunk if the file changed in between (the consumer must then discard
  // what it got). A sink error stops the stream and is returned.
  Status Stream(const Sha256Digest& hash, size_t chunk_size,
                const std::function<Status(ByteSpan)>& sink) const;
  bool Contains(const Sha256Digest& hash) const;
  std::filesystem::path PathFor(const Sha256Digest& hash) const;

  struct GcStats {
    uint64_t blobs_removed = 0;
    uint64_t temp_files_removed = 0;
    uint64_t bytes_removed = 0;
  };
  // Removes blobs that `referenced` says nothing refers to, and abandoned
  // temporary files, but only those not modified for `min_age`: a blob
  // written moments ago may be waiting for its row's commit.
  StatusOr<GcStats> CollectGarbage(
      const std::function<StatusOr<bool>(const Sha256Digest&)>& referenced,
      std::chrono::seconds min_age);

  // OK, or the first fatal error (a failed fsync); once set, every write
  // fails with it until the process restarts.
  Status fatal_error() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  BlobStore(std::filesystem::path dir, StorageFaults* faults)
      : dir_(std::move(dir)), faults_(faults) {}
  StorageFault Ask(StorageOp op, const std::filesystem::path& p) const;
  Status Sync(int fd, const std::filesystem::path& p);
  Status SyncDir(const std::filesystem::path& dir);
  Status Latch(Status s);

  std::filesystem::path dir_;
  StorageFaults* faults_;
  // Writers hold it shared while they publish; the collector exclusively
  // while it decides and unlinks, so a blob found present by Commit() is
  // never deleted under it.
  mutable std::shared_mutex gc_mu_;
  mutable std::mutex fatal_mu_;
  Status fatal_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_BLOB_STORE_H_
