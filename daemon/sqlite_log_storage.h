// The store's audit log as an audit::LogStorage, for audit::Log (signing
// checkpoints, proofs, exports) and anything else written against that
// interface.
//
// A thin NON-OWNING view: the Store keeps the leaves and hashes (in
// conclave.db, beside the records, so that a record and its leaf commit
// together) and must outlive every view; audit::Log::Create takes the view
// by unique_ptr and owns only the view.
//
// Reads show the committed log, never another thread's open transaction:
// Size() == CommittedSize() unless this view itself has staged leaves.
// Append() begins a store transaction that the view holds (keeping other
// writers waiting) until Commit() or Rollback(), so audit::Log::AppendBatch
// is one SQLite transaction and one fsync. Service handlers append through
// Store::Transaction instead, beside their records; use the view's Append
// only for leaves without records, from one thread.
//
// Like every LogStorage, one view is not thread-safe; distinct views on one
// Store may be used from distinct threads.
#ifndef CONCLAVE_DAEMON_SQLITE_LOG_STORAGE_H_
#define CONCLAVE_DAEMON_SQLITE_LOG_STORAGE_H_

#include <memory>
#include <optional>

#include "audit/log_storage.h"
#include "daemon/store.h"

namespace conclave::daemon {

class SqliteLogStorage final : public audit::LogStorage {
 public:
  explicit SqliteLogStorage(Store* store) : store_(store) {}
  ~SqliteLogStorage() override = default;  // an open transaction rolls back

  uint64_t Size() const override;
  StatusOr<audit::Hash> SubtreeHash(int level, uint64_t index) const override;
  StatusOr<uint64_t> Append(ByteSpan leaf) override;
  Status Commit() override;
  void Rollback() override;
  uint64_t CommittedSize() const override;
  StatusOr<Bytes> Leaf(uint64_t index) const override;

 private:
  const RecordReader& reader() const;
  Store* store_;
  std::optional<Store::Transaction> txn_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_SQLITE_LOG_STORAGE_H_
