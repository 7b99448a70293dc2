#include "daemon/sqlite_log_storage.h"

namespace conclave::daemon {

const RecordReader& SqliteLogStorage::reader() const {
  if (txn_ && txn_->active()) return *txn_;
  return *store_;
}

uint64_t SqliteLogStorage::Size() const { return reader().LogSize(); }

uint64_t SqliteLogStorage::CommittedSize() const { return store_->LogSize(); }

StatusOr<audit::Hash> SqliteLogStorage::SubtreeHash(int level,
                                                    uint64_t index) const {
  return reader().LogSubtreeHash(level, index);
}

StatusOr<Bytes> SqliteLogStorage::Leaf(uint64_t index) const {
  return reader().LogLeaf(index);
}

StatusOr<uint64_t> SqliteLogStorage::Append(ByteSpan leaf) {
  if (!txn_ || !txn_->active()) {
    txn_.reset();
    auto txn = store_->Begin();
    if (!txn.ok()) return txn.status();
    txn_.emplace(std::move(txn).value());
  }
  return txn_->AppendLeaf(leaf);
}

Status SqliteLogStorage::Commit() {
  if (!txn_ || !txn_->active()) return OkStatus();
  Status s = txn_->Commit();
  txn_.reset();
  return s;
}

void SqliteLogStorage::Rollback() { txn_.reset(); }

}  // namespace conclave::daemon
