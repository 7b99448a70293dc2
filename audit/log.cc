#include "audit/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/file_util.h"

namespace conclave::audit {

namespace {

Status IoError(const std::string& what, const std::filesystem::path& path) {
  return Status(StatusCode::kUnavailable,
                what + " " + path.string() + ": " + std::strerror(errno));
}

// Streams the leaves file into a temp file beside it, then fsync, rename,
// fsync the directory (the pattern of base/file_util.h, which needs the
// whole content in memory; an export may be hundreds of megabytes).
Status WriteLeavesFile(const std::filesystem::path& dir,
                       const LogStorage& leaves, uint64_t count) {
  const std::filesystem::path path = dir / kExportLeavesFile;
  const std::filesystem::path tmp = dir / ".leaves.tmp";
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", tmp);
  Bytes buf;
  buf.reserve(1 << 20);
  auto flush = [&]() -> Status {
    size_t off = 0;
    while (off < buf.size()) {
      const ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot write", tmp);
      off += static_cast<size_t>(n);
    }
    buf.clear();
    return OkStatus();
  };
  Status status;
  for (uint64_t i = 0; i < count && status.ok(); ++i) {
    auto leaf = leaves.Leaf(i);
    if (!leaf.ok()) {
      status = leaf.status();
      break;
    }
    const uint32_t n = static_cast<uint32_t>(leaf->size());
    const uint8_t len[4] = {
        static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
        static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    buf.insert(buf.end(), len, len + 4);
    buf.insert(buf.end(), leaf->begin(), leaf->end());
    if (buf.size() >= (1 << 20)) status = flush();
  }
  if (status.ok()) status = flush();
  if (status.ok() && ::fsync(fd) != 0) status = IoError("cannot fsync", tmp);
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = IoError("cannot rename into", path);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return IoError("cannot open", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return IoError("cannot fsync", dir);
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<Log>> Log::Create(std::unique_ptr<LogStorage> storage,
                                           std::string_view origin,
                                           Ed25519PrivateKey log_key) {
  if (storage == nullptr) return InvalidArgumentError("log: no storage");
  CONCLAVE_RETURN_IF_ERROR(ValidateKeyName(origin).Annotate("log origin"));
  CONCLAVE_ASSIGN_OR_RETURN(
      auto signer, Ed25519NoteSigner::Create(origin, std::move(log_key)));
  return std::unique_ptr<Log>(new Log(std::move(storage), std::move(signer)));
}

std::string Log::vkey() const { return verifier_->vkey(); }

StatusOr<uint64_t> Log::Append(ByteSpan leaf) { return storage_->Append(leaf); }

StatusOr<uint64_t> Log::AppendBatch(std::span<const Bytes> leaves) {
  const uint64_t first = storage_->Size();
  for (const Bytes& leaf : leaves) {
    auto index = storage_->Append(leaf);
    if (!index.ok()) {
      storage_->Rollback();
      return index.status();
    }
  }
  Status s = storage_->Commit();
  if (!s.ok()) {
    storage_->Rollback();
    return s;
  }
  return first;
}

StatusOr<Checkpoint> Log::CurrentCheckpoint() const {
  if (storage_->CommittedSize() != storage_->Size()) {
    return FailedPreconditionError(
        "log has uncommitted leaves: commit before signing a checkpoint");
  }
  Checkpoint cp;
  cp.origin = origin();
  cp.size = storage_->Size();
  CONCLAVE_ASSIGN_OR_RETURN(cp.root_hash, RootHash(*storage_, cp.size));
  return cp;
}

StatusOr<std::string> Log::SignCheckpoint() const {
  CONCLAVE_ASSIGN_OR_RETURN(Checkpoint cp, CurrentCheckpoint());
  CONCLAVE_ASSIGN_OR_RETURN(std::string text, FormatCheckpoint(cp));
  const NoteSigner* signers[] = {signer_.get()};
  return SignNote(text, signers);
}

StatusOr<std::vector<Hash>> Log::InclusionProof(uint64_t index,
                                                uint64_t size) const {
  return audit::InclusionProof(*storage_, index, size);
}

StatusOr<std::vector<Hash>> Log::ConsistencyProof(uint64_t size1,
                                                  uint64_t size2) const {
  return audit::ConsistencyProof(*storage_, size1, size2);
}

Status Log::WriteExport(const std::filesystem::path& dir,
                        std::string_view checkpoint_note) const {
  NoteVerifierSet keys;
  CONCLAVE_RETURN_IF_ERROR(keys.Add(verifier_.get()));
  auto opened = OpenNote(checkpoint_note, keys);
  if (!opened.ok()) {
    return FailedPreconditionError(
        "export: the checkpoint is not signed by this log: " +
        opened.status().message());
  }
  CONCLAVE_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(opened->text));
  if (cp.origin != origin()) {
    return FailedPreconditionError("export: checkpoint origin \"" + cp.origin +
                                   "\" is not this log's");
  }
  if (cp.size > storage_->CommittedSize()) {
    return FailedPreconditionError(
        "export: the checkpoint covers uncommitted leaves");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Hash root, RootHash(*storage_, cp.size));
  if (root != cp.root_hash) {
    return FailedPreconditionError(
        "export: the checkpoint's root does not match the stored tree");
  }
  return WriteExportFiles(dir, *storage_, cp.size, checkpoint_note, vkey());
}

StatusOr<std::string> AppendSignatureLines(std::string_view note,
                                           std::string_view lines) {
  CONCLAVE_ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  // Parse the lines by attaching them to a dummy text.
  CONCLAVE_ASSIGN_OR_RETURN(Note extra,
                            ParseNote("x\n\n" + std::string(lines)));
  std::string out(note);
  for (const NoteSignature& sig : extra.signatures) {
    const std::string line = sig.ToLine();
    bool present = false;
    for (const NoteSignature& have : parsed.signatures) {
      if (have.ToLine() == line) present = true;
    }
    if (present) continue;
    out += line;
    parsed.signatures.push_back(sig);
  }
  // The result must still be a well-formed note.
  CONCLAVE_RETURN_IF_ERROR(ParseNote(out).status());
  return out;
}

Status WriteExportFiles(const std::filesystem::path& dir,
                        const LogStorage& leaves, uint64_t count,
                        std::string_view checkpoint_note,
                        std::string_view vkey) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + dir.string() + ": " + ec.message());
  }
  if (count > leaves.Size()) {
    return InvalidArgumentError("export: more leaves asked than stored");
  }
  // Leaves and key first, checkpoint last: a reader that sees the new
  // checkpoint sees the leaves it covers.
  CONCLAVE_RETURN_IF_ERROR(WriteLeavesFile(dir, leaves, count));
  const std::string vkey_line = std::string(vkey) + "\n";
  CONCLAVE_RETURN_IF_ERROR(
      WriteFileAtomically(dir / kExportVkeyFile, AsBytes(vkey_line), 0644));
  return WriteFileAtomically(dir / kExportCheckpointFile,
                             AsBytes(checkpoint_note), 0644);
}

}  // namespace conclave::audit
