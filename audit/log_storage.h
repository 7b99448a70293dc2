// Storage for the audit log's leaves and Merkle hashes. The algorithms in
// merkle.h read it through TreeHashSource; both implementations keep every
// perfect-subtree hash (2n - popcount(n) of them for n leaves) so that roots
// and proofs cost O(log n) reads however large the log is.
//
// Appends are staged: visible to reads at once, durable only after Commit(),
// discarded by Rollback(). The daemon appends a leaf in the same transaction
// as the state change and replies only after Commit() (brief §6).
#ifndef CONCLAVE_AUDIT_LOG_STORAGE_H_
#define CONCLAVE_AUDIT_LOG_STORAGE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "audit/merkle.h"
#include "base/bytes.h"
#include "base/status.h"

namespace conclave::audit {

// The largest leaf either store accepts (a leaf is a log entry, not a file).
inline constexpr size_t kMaxLeafSize = size_t{1} << 24;

// Not thread-safe: one writer, and no reads concurrent with a write.
class LogStorage : public TreeHashSource {
 public:
  // Stages `leaf`; returns its index. INVALID_ARGUMENT if it is larger than
  // kMaxLeafSize, FAILED_PRECONDITION if an earlier write failed.
  virtual StatusOr<uint64_t> Append(ByteSpan leaf) = 0;
  // Makes every staged leaf durable (all of them or, after a crash, none).
  virtual Status Commit() = 0;
  // Discards the leaves staged since the last Commit().
  virtual void Rollback() = 0;
  // Leaves made durable by Commit(); Size() also counts staged ones.
  virtual uint64_t CommittedSize() const = 0;
  // The leaf's bytes; OUT_OF_RANGE if index >= Size().
  virtual StatusOr<Bytes> Leaf(uint64_t index) const = 0;
  StatusOr<Hash> LeafHash(uint64_t index) const {
    return SubtreeHash(0, index);
  }
};

// Keeps the hashes of the perfect subtrees as they complete, lowest first:
// the post-order of merkle.h's PostorderPosition. Internal to the stores,
// public for tests.
class PostorderBuilder {
 public:
  // Appends leaf_hash and the nodes it completes to `out`.
  void Append(const Hash& leaf_hash, std::vector<Hash>* out);
  uint64_t size() const { return size_; }
  // The perfect subtrees covering [0, size), largest first.
  const std::vector<Hash>& peaks() const { return peaks_; }
  void Reset(uint64_t size, std::vector<Hash> peaks);

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;
};

class MemoryLogStorage final : public LogStorage {
 public:
  uint64_t Size() const override { return leaves_.size(); }
  StatusOr<Hash> SubtreeHash(int level, uint64_t index) const override;
  StatusOr<uint64_t> Append(ByteSpan leaf) override;
  Status Commit() override;
  void Rollback() override;
  uint64_t CommittedSize() const override { return committed_; }
  StatusOr<Bytes> Leaf(uint64_t index) const override;

 private:
  std::vector<Bytes> leaves_;
  std::vector<Hash> nodes_;  // post-order
  PostorderBuilder builder_;
  PostorderBuilder committed_builder_;
  uint64_t committed_ = 0;
};

struct FileLogOptions {
  // Recompute every hash from the leaves on Open() and refuse (DATA_LOSS) on
  // any difference: O(n) hashing, about a second per million leaves. When
  // false, Open() still checks the record framing and the committed root.
  bool verify_on_open = true;
};

// Three files in one directory (layout in docs/audit-log.md, "Tree and
// proofs"):
//   leaves  "CLVLEAF1" then, per leaf, 4-byte big-endian length || bytes
//   hashes  "CLVHASH1" then the 32-byte perfect-subtree hashes in post-order
//   commit  two 512-byte slots, each: "CLVCMIT1" || seq || size ||
//           leaves file length || root || SHA-256 of the preceding bytes
// Commit() writes the staged bytes to leaves and hashes, fdatasyncs both,
// then writes the next commit slot and fdatasyncs it: the slot is the commit
// point. Open() takes the valid slot with the higher seq, truncates bytes past
// it in leaves and hashes (a torn or uncommitted tail), and refuses with
// DATA_LOSS anything wrong before it (a corrupt middle, a missing committed
// byte, a hash that does not match). An exclusive flock on the leaves file
// keeps a second process from opening the same log.
class FileLogStorage final : public LogStorage {
 public:
  // Opens the log in `dir`, creating the directory and an empty log if
  // neither exists.
  static StatusOr<std::unique_ptr<FileLogStorage>> Open(
      const std::filesystem::path& dir, const FileLogOptions& options = {});
  ~FileLogStorage() override;
  FileLogStorage(const FileLogStorage&) = delete;
  FileLogStorage& operator=(const FileLogStorage&) = delete;

  uint64_t Size() const override { return builder_.size(); }
  StatusOr<Hash> SubtreeHash(int level, uint64_t index) const override;
  StatusOr<uint64_t> Append(ByteSpan leaf) override;
  Status Commit() override;
  void Rollback() override;
  uint64_t CommittedSize() const override { return committed_size_; }
  StatusOr<Bytes> Leaf(uint64_t index) const override;

  // Bytes Open() cut from the leaves and hashes files as an uncommitted tail.
  uint64_t recovered_tail_bytes() const { return recovered_tail_bytes_; }

 private:
  FileLogStorage() = default;
  Status Load(const FileLogOptions& options);

  std::filesystem::path dir_;
  int leaves_fd_ = -1;
  int hashes_fd_ = -1;
  int commit_fd_ = -1;
  bool broken_ = false;  // a write failed; only reopening recovers

  // Committed state, as the newest commit slot records it.
  uint64_t commit_seq_ = 0;
  uint64_t committed_size_ = 0;
  uint64_t committed_leaf_bytes_ = 0;  // leaves file length
  uint64_t committed_nodes_ = 0;
  PostorderBuilder committed_builder_;

  // Staged state.
  PostorderBuilder builder_;
  Bytes pending_leaf_bytes_;
  std::vector<Hash> pending_nodes_;
  // Offset of each leaf's record in the leaves file (staged ones where they
  // will be written), plus the end.
  std::vector<uint64_t> offsets_;

  uint64_t recovered_tail_bytes_ = 0;
};

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_LOG_STORAGE_H_
