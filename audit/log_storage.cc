#include "audit/log_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

namespace conclave::audit {
namespace {

namespace fs = std::filesystem;

constexpr char kLeavesMagic[] = "CLVLEAF1";
constexpr char kHashesMagic[] = "CLVHASH1";
constexpr char kCommitMagic[] = "CLVCMIT1";
constexpr size_t kMagicSize = 8;
constexpr size_t kRecordHeaderSize = 4;
// Slots sit in different 512-byte sectors so a torn write of one cannot
// damage the other.
constexpr size_t kCommitSlotStride = 512;
constexpr size_t kCommitBodySize = 8 + 8 + 8 + 8 + kHashSize;
constexpr size_t kCommitSlotSize = kCommitBodySize + kHashSize;
constexpr size_t kReadChunk = size_t{1} << 20;

Status IoError(std::string_view what, const fs::path& path, int err) {
  return Status(
      StatusCode::kUnavailable,
      std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

void PutU64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

Status PreadFull(int fd, uint8_t* out, size_t n, uint64_t offset,
                 const fs::path& path) {
  while (n > 0) {
    ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path, errno);
    }
    if (r == 0) {
      return DataLossError("unexpected end of " + path.string() +
                           " at offset " + std::to_string(offset));
    }
    out += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return OkStatus();
}

Status PwriteFull(int fd, const uint8_t* data, size_t n, uint64_t offset,
                  const fs::path& path) {
  while (n > 0) {
    ssize_t r = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    data += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return OkStatus();
}

Status SyncFd(int fd, const fs::path& path) {
  if (::fdatasync(fd) != 0) return IoError("cannot fdatasync", path, errno);
  return OkStatus();
}

Status SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("cannot fsync directory", dir, err);
  return OkStatus();
}

StatusOr<uint64_t> FileSize(int fd, const fs::path& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

// Writes `data` to a new file at `path` (temp file, fsync, rename) so the
// file exists complete or not at all.
Status CreateDurably(const fs::path& path, ByteSpan data) {
  const fs::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", tmp, errno);
  Status s = PwriteFull(fd, data.data(), data.size(), 0, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("cannot fsync", tmp, errno);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return IoError("cannot rename", tmp, errno);
  }
  return OkStatus();
}

// Sequential reads through a buffer, for scanning a file once on open.
class SequentialReader {
 public:
  SequentialReader(int fd, const fs::path& path, uint64_t begin, uint64_t end)
      : fd_(fd), path_(path), next_(begin), end_(end) {}

  uint64_t position() const { return next_ - (buf_.size() - pos_); }
  bool at_end() const { return pos_ == buf_.size() && next_ == end_; }

  // False at the region's end; errors only from I/O.
  StatusOr<bool> Read(uint8_t* out, size_t n) {
    while (n > 0) {
      if (pos_ == buf_.size()) {
        if (next_ == end_) return false;
        const size_t len =
            static_cast<size_t>(std::min<uint64_t>(kReadChunk, end_ - next_));
        buf_.resize(len);
        CONCLAVE_RETURN_IF_ERROR(
            PreadFull(fd_, buf_.data(), len, next_, path_));
        next_ += len;
        pos_ = 0;
      }
      const size_t take = std::min(n, buf_.size() - pos_);
      std::memcpy(out, buf_.data() + pos_, take);
      pos_ += take;
      out += take;
      n -= take;
    }
    return true;
  }

 private:
  int fd_;
  const fs::path& path_;
  uint64_t next_;
  uint64_t end_;
  Bytes buf_;
  size_t pos_ = 0;
};

Hash RootFromPeaks(const std::vector<Hash>& peaks) {
  if (peaks.empty()) return EmptyRootHash();
  Hash r = peaks.back();
  for (size_t i = peaks.size() - 1; i-- > 0;) r = HashChildren(peaks[i], r);
  return r;
}

Status CheckNodeExists(int level, uint64_t index, uint64_t size) {
  if (level < 0 || level > 63 || index >= (size >> level)) {
    return OutOfRangeError("no complete subtree at level " +
                           std::to_string(level) + ", index " +
                           std::to_string(index) + " in a tree of " +
                           std::to_string(size) + " leaves");
  }
  return OkStatus();
}

struct CommitRecord {
  uint64_t seq = 0;
  uint64_t size = 0;
  uint64_t leaf_bytes = 0;
  Hash root{};
};

std::array<uint8_t, kCommitSlotSize> EncodeCommit(const CommitRecord& c) {
  std::array<uint8_t, kCommitSlotSize> out{};
  std::memcpy(out.data(), kCommitMagic, kMagicSize);
  PutU64(c.seq, out.data() + 8);
  PutU64(c.size, out.data() + 16);
  PutU64(c.leaf_bytes, out.data() + 24);
  std::copy(c.root.begin(), c.root.end(), out.begin() + 32);
  const Hash check = Sha256(ByteSpan(out.data(), kCommitBodySize));
  std::copy(check.begin(), check.end(), out.begin() + kCommitBodySize);
  return out;
}

// nullopt for a slot that was never written or was torn.
std::optional<CommitRecord> DecodeCommit(ByteSpan slot) {
  if (slot.size() < kCommitSlotSize) return std::nullopt;
  if (std::memcmp(slot.data(), kCommitMagic, kMagicSize) != 0) {
    return std::nullopt;
  }
  const Hash check = Sha256(slot.first(kCommitBodySize));
  if (!std::equal(check.begin(), check.end(), slot.begin() + kCommitBodySize)) {
    return std::nullopt;
  }
  CommitRecord c;
  c.seq = GetU64(slot.data() + 8);
  c.size = GetU64(slot.data() + 16);
  c.leaf_bytes = GetU64(slot.data() + 24);
  std::copy_n(slot.begin() + 32, kHashSize, c.root.begin());
  return c;
}

}  // namespace

void PostorderBuilder::Append(const Hash& leaf_hash, std::vector<Hash>* out) {
  Hash h = leaf_hash;
  out->push_back(h);
  // Each trailing one bit of size_ is a peak the new leaf completes.
  for (uint64_t s = size_; s & 1; s >>= 1) {
    h = HashChildren(peaks_.back(), h);
    peaks_.pop_back();
    out->push_back(h);
  }
  peaks_.push_back(h);
  ++size_;
}

void PostorderBuilder::Reset(uint64_t size, std::vector<Hash> peaks) {
  size_ = size;
  peaks_ = std::move(peaks);
}

// ---- MemoryLogStorage ----

StatusOr<Hash> MemoryLogStorage::SubtreeHash(int level, uint64_t index) const {
  CONCLAVE_RETURN_IF_ERROR(CheckNodeExists(level, index, Size()));
  return nodes_[PostorderPosition(level, index)];
}

StatusOr<uint64_t> MemoryLogStorage::Append(ByteSpan leaf) {
  if (leaf.size() > kMaxLeafSize) {
    return InvalidArgumentError("leaf of " + std::to_string(leaf.size()) +
                                " bytes is larger than the limit");
  }
  const uint64_t index = leaves_.size();
  leaves_.push_back(ToBytes(leaf));
  builder_.Append(HashLeaf(leaf), &nodes_);
  return index;
}

Status MemoryLogStorage::Commit() {
  committed_ = leaves_.size();
  committed_builder_ = builder_;
  return OkStatus();
}

void MemoryLogStorage::Rollback() {
  leaves_.resize(committed_);
  nodes_.resize(NodeCountForSize(committed_));
  builder_ = committed_builder_;
}

StatusOr<Bytes> MemoryLogStorage::Leaf(uint64_t index) const {
  if (index >= leaves_.size()) {
    return OutOfRangeError("leaf index >= size (" + std::to_string(index) +
                           " >= " + std::to_string(leaves_.size()) + ")");
  }
  return leaves_[index];
}

// ---- FileLogStorage ----

StatusOr<std::unique_ptr<FileLogStorage>> FileLogStorage::Open(
    const fs::path& dir, const FileLogOptions& options) {
  std::unique_ptr<FileLogStorage> s(new FileLogStorage());
  s->dir_ = dir;
  CONCLAVE_RETURN_IF_ERROR(s->Load(options));
  return s;
}

FileLogStorage::~FileLogStorage() {
  for (int fd : {leaves_fd_, hashes_fd_, commit_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Status FileLogStorage::Load(const FileLogOptions& options) {
  const fs::path leaves_path = dir_ / "leaves";
  const fs::path hashes_path = dir_ / "hashes";
  const fs::path commit_path = dir_ / "commit";
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    if (!fs::create_directory(dir_, ec)) {
      return IoError("cannot create directory", dir_, ec.value());
    }
  }

  // A log is initialised once its commit file exists; data files without
  // one are the remains of an interrupted creation, or of something else.
  if (!fs::exists(commit_path, ec)) {
    for (const fs::path& p : {leaves_path, hashes_path}) {
      if (fs::exists(p, ec) && fs::file_size(p, ec) > kMagicSize) {
        return DataLossError(p.string() +
                             " holds data but the log has no commit file");
      }
    }
    CONCLAVE_RETURN_IF_ERROR(
        CreateDurably(leaves_path, AsBytes(std::string_view(kLeavesMagic, 8))));
    CONCLAVE_RETURN_IF_ERROR(
        CreateDurably(hashes_path, AsBytes(std::string_view(kHashesMagic, 8))));
    CommitRecord first{/*seq=*/0, /*size=*/0, /*leaf_bytes=*/kMagicSize,
                       EmptyRootHash()};
    const auto slot = EncodeCommit(first);
    CONCLAVE_RETURN_IF_ERROR(CreateDurably(commit_path, slot));
    CONCLAVE_RETURN_IF_ERROR(SyncDir(dir_));
  }

  leaves_fd_ = ::open(leaves_path.c_str(), O_RDWR | O_CLOEXEC);
  if (leaves_fd_ < 0) return IoError("cannot open", leaves_path, errno);
  if (::flock(leaves_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPreconditionError("audit log " + dir_.string() +
                                     " is already open in another process");
    }
    return IoError("cannot lock", leaves_path, errno);
  }
  hashes_fd_ = ::open(hashes_path.c_str(), O_RDWR | O_CLOEXEC);
  if (hashes_fd_ < 0) return IoError("cannot open", hashes_path, errno);
  commit_fd_ = ::open(commit_path.c_str(), O_RDWR | O_CLOEXEC);
  if (commit_fd_ < 0) return IoError("cannot open", commit_path, errno);

  // The newest intact commit slot.
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t commit_len,
                            FileSize(commit_fd_, commit_path));
  Bytes commit_bytes(std::min<uint64_t>(commit_len, 2 * kCommitSlotStride));
  CONCLAVE_RETURN_IF_ERROR(PreadFull(commit_fd_, commit_bytes.data(),
                                     commit_bytes.size(), 0, commit_path));
  std::optional<CommitRecord> commit;
  for (size_t slot = 0; slot < 2; ++slot) {
    const size_t off = slot * kCommitSlotStride;
    if (commit_bytes.size() <= off) break;
    auto c = DecodeCommit(ByteSpan(commit_bytes).subspan(off));
    if (c && c->seq % 2 == slot && (!commit || c->seq > commit->seq)) {
      commit = c;
    }
  }
  if (!commit) {
    return DataLossError(commit_path.string() + " has no intact commit record");
  }
  if (commit->leaf_bytes < kMagicSize + kRecordHeaderSize * commit->size ||
      commit->size > (uint64_t{1} << 62)) {
    return DataLossError("commit record is inconsistent");
  }

  // Magic numbers, then the tails past the commit point.
  auto check_magic = [](int fd, const fs::path& p, const char* magic) {
    uint8_t got[kMagicSize];
    Status s = PreadFull(fd, got, kMagicSize, 0, p);
    if (!s.ok() || std::memcmp(got, magic, kMagicSize) != 0) {
      return DataLossError(p.string() + " is not a conclave audit log file");
    }
    return OkStatus();
  };
  CONCLAVE_RETURN_IF_ERROR(check_magic(leaves_fd_, leaves_path, kLeavesMagic));
  CONCLAVE_RETURN_IF_ERROR(check_magic(hashes_fd_, hashes_path, kHashesMagic));
  const uint64_t nodes = NodeCountForSize(commit->size);
  const uint64_t hashes_len = kMagicSize + nodes * kHashSize;
  struct Part {
    int fd;
    const fs::path& path;
    uint64_t committed_len;
  };
  for (const Part& part : {Part{leaves_fd_, leaves_path, commit->leaf_bytes},
                           Part{hashes_fd_, hashes_path, hashes_len}}) {
    CONCLAVE_ASSIGN_OR_RETURN(uint64_t len, FileSize(part.fd, part.path));
    if (len < part.committed_len) {
      return DataLossError(part.path.string() + " is " + std::to_string(len) +
                           " bytes, shorter than its last commit (" +
                           std::to_string(part.committed_len) +
                           "): committed data is lost");
    }
    if (len > part.committed_len) {
      if (::ftruncate(part.fd, static_cast<off_t>(part.committed_len)) != 0) {
        return IoError("cannot truncate", part.path, errno);
      }
      CONCLAVE_RETURN_IF_ERROR(SyncFd(part.fd, part.path));
      recovered_tail_bytes_ += len - part.committed_len;
    }
  }

  // Scan the committed records: the framing must account for exactly
  // commit->size leaves and commit->leaf_bytes bytes.
  offsets_.clear();
  offsets_.reserve(commit->size + 1);
  SequentialReader leaves(leaves_fd_, leaves_path, kMagicSize,
                          commit->leaf_bytes);
  SequentialReader hashes(hashes_fd_, hashes_path, kMagicSize, hashes_len);
  PostorderBuilder rebuilt;
  std::vector<Hash> emitted;
  Bytes leaf;
  for (uint64_t i = 0; i < commit->size; ++i) {
    const uint64_t offset = leaves.position();
    offsets_.push_back(offset);
    uint8_t header[kRecordHeaderSize];
    CONCLAVE_ASSIGN_OR_RETURN(bool got, leaves.Read(header, sizeof(header)));
    const uint32_t len = (uint32_t{header[0]} << 24) |
                         (uint32_t{header[1]} << 16) |
                         (uint32_t{header[2]} << 8) | header[3];
    const auto corrupt = [&] {
      return DataLossError("corrupt record for leaf " + std::to_string(i) +
                           " at offset " + std::to_string(offset) + " of " +
                           leaves_path.string() +
                           " (inside the committed log)");
    };
    if (!got || len > kMaxLeafSize) return corrupt();
    leaf.resize(len);
    CONCLAVE_ASSIGN_OR_RETURN(got, leaves.Read(leaf.data(), len));
    if (!got) return corrupt();
    if (options.verify_on_open) {
      emitted.clear();
      rebuilt.Append(HashLeaf(leaf), &emitted);
      for (const Hash& want : emitted) {
        Hash stored;
        CONCLAVE_ASSIGN_OR_RETURN(got, hashes.Read(stored.data(), kHashSize));
        if (!got || stored != want) {
          return DataLossError("stored hashes do not match leaf " +
                               std::to_string(i) + " of " +
                               leaves_path.string());
        }
      }
    }
  }
  if (!leaves.at_end()) {
    return DataLossError(leaves_path.string() +
                         " has bytes between its last committed record and "
                         "the commit point");
  }
  offsets_.push_back(commit->leaf_bytes);

  if (!options.verify_on_open) {
    // The peaks are the perfect subtrees for the set bits of size.
    std::vector<Hash> peaks;
    uint64_t start = 0;
    for (int level = 63; level >= 0; --level) {
      const uint64_t width = uint64_t{1} << level;
      if (!(commit->size & width)) continue;
      Hash h;
      CONCLAVE_RETURN_IF_ERROR(PreadFull(
          hashes_fd_, h.data(), kHashSize,
          kMagicSize + PostorderPosition(level, start >> level) * kHashSize,
          hashes_path));
      peaks.push_back(h);
      start += width;
    }
    rebuilt.Reset(commit->size, std::move(peaks));
  }
  if (RootFromPeaks(rebuilt.peaks()) != commit->root) {
    return DataLossError("stored hashes do not match the committed root of " +
                         dir_.string());
  }

  commit_seq_ = commit->seq;
  committed_size_ = commit->size;
  committed_leaf_bytes_ = commit->leaf_bytes;
  committed_nodes_ = nodes;
  committed_builder_ = rebuilt;
  builder_ = rebuilt;
  return OkStatus();
}

StatusOr<Hash> FileLogStorage::SubtreeHash(int level, uint64_t index) const {
  CONCLAVE_RETURN_IF_ERROR(CheckNodeExists(level, index, Size()));
  const uint64_t pos = PostorderPosition(level, index);
  if (pos >= committed_nodes_) return pending_nodes_[pos - committed_nodes_];
  Hash h;
  CONCLAVE_RETURN_IF_ERROR(PreadFull(hashes_fd_, h.data(), kHashSize,
                                     kMagicSize + pos * kHashSize,
                                     dir_ / "hashes"));
  return h;
}

StatusOr<uint64_t> FileLogStorage::Append(ByteSpan leaf) {
  if (broken_) {
    return FailedPreconditionError(
        "an earlier write to the audit log failed; reopen it to recover");
  }
  if (leaf.size() > kMaxLeafSize) {
    return InvalidArgumentError("leaf of " + std::to_string(leaf.size()) +
                                " bytes is larger than the limit");
  }
  const uint64_t index = builder_.size();
  const uint32_t len = static_cast<uint32_t>(leaf.size());
  const uint8_t header[kRecordHeaderSize] = {
      static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
      static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
  pending_leaf_bytes_.insert(pending_leaf_bytes_.end(), header,
                             header + kRecordHeaderSize);
  pending_leaf_bytes_.insert(pending_leaf_bytes_.end(), leaf.begin(),
                             leaf.end());
  offsets_.push_back(offsets_.back() + kRecordHeaderSize + leaf.size());
  builder_.Append(HashLeaf(leaf), &pending_nodes_);
  return index;
}

Status FileLogStorage::Commit() {
  if (broken_) {
    return FailedPreconditionError(
        "an earlier write to the audit log failed; reopen it to recover");
  }
  if (builder_.size() == committed_size_) return OkStatus();
  const fs::path leaves_path = dir_ / "leaves";
  const fs::path hashes_path = dir_ / "hashes";
  // Any failure leaves bytes past the commit point that only a reopen
  // (which truncates them) can clear.
  broken_ = true;
  CONCLAVE_RETURN_IF_ERROR(PwriteFull(leaves_fd_, pending_leaf_bytes_.data(),
                                      pending_leaf_bytes_.size(),
                                      committed_leaf_bytes_, leaves_path));
  const Bytes nodes = ProofToBytes(pending_nodes_);
  CONCLAVE_RETURN_IF_ERROR(PwriteFull(hashes_fd_, nodes.data(), nodes.size(),
                                      kMagicSize + committed_nodes_ * kHashSize,
                                      hashes_path));
  CONCLAVE_RETURN_IF_ERROR(SyncFd(leaves_fd_, leaves_path));
  CONCLAVE_RETURN_IF_ERROR(SyncFd(hashes_fd_, hashes_path));
  // Only now may the commit record point past the new bytes.
  CommitRecord c{commit_seq_ + 1, builder_.size(),
                 committed_leaf_bytes_ + pending_leaf_bytes_.size(),
                 RootFromPeaks(builder_.peaks())};
  const auto slot = EncodeCommit(c);
  const fs::path commit_path = dir_ / "commit";
  CONCLAVE_RETURN_IF_ERROR(PwriteFull(commit_fd_, slot.data(), slot.size(),
                                      (c.seq % 2) * kCommitSlotStride,
                                      commit_path));
  CONCLAVE_RETURN_IF_ERROR(SyncFd(commit_fd_, commit_path));
  broken_ = false;
  commit_seq_ = c.seq;
  committed_size_ = c.size;
  committed_leaf_bytes_ = c.leaf_bytes;
  committed_nodes_ += pending_nodes_.size();
  committed_builder_ = builder_;
  pending_leaf_bytes_.clear();
  pending_nodes_.clear();
  return OkStatus();
}

void FileLogStorage::Rollback() {
  builder_ = committed_builder_;
  pending_leaf_bytes_.clear();
  pending_nodes_.clear();
  offsets_.resize(committed_size_ + 1);
}

StatusOr<Bytes> FileLogStorage::Leaf(uint64_t index) const {
  if (index >= Size()) {
    return OutOfRangeError("leaf index >= size (" + std::to_string(index) +
                           " >= " + std::to_string(Size()) + ")");
  }
  const uint64_t start = offsets_[index] + kRecordHeaderSize;
  Bytes out(offsets_[index + 1] - start);
  if (start >= committed_leaf_bytes_) {
    const auto from = pending_leaf_bytes_.begin() +
                      static_cast<ptrdiff_t>(start - committed_leaf_bytes_);
    std::copy(from, from + static_cast<ptrdiff_t>(out.size()), out.begin());
    return out;
  }
  CONCLAVE_RETURN_IF_ERROR(
      PreadFull(leaves_fd_, out.data(), out.size(), start, dir_ / "leaves"));
  return out;
}

}  // namespace conclave::audit
