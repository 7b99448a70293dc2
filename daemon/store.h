// The daemon's durable store (brief §6, §7; issue 7 "Storage"): one SQLite
// database, DIR/conclave.db, holding the records the daemon keeps AND the
// audit log, so that a state change and its audit leaf are one SQLite
// transaction, committed before the daemon replies (fail closed); plus the
// ciphertext blobs under DIR/blobs (blob_store.h).
//
// How a service handler uses it:
//
//   validate the call (signatures, roster, policy) outside the store;
//   CONCLAVE_ASSIGN_OR_RETURN(auto txn, store->Begin());
//   re-read what the decision depends on through `txn` (it sees the latest
//     committed state plus its own writes, and no other writer runs);
//   CONCLAVE_ASSIGN_OR_RETURN(uint64_t leaf, txn.InsertVote(record, leaf));
//   maybe txn.SetRequestState(...) when the quorum completes;
//   CONCLAVE_RETURN_IF_ERROR(txn.Commit());  // durable (fsync) on return
//   reply.
//
// Keep transactions short: they hold the only writer. Write the blob
// (BlobStore, durable on return) and verify signatures before Begin(); the
// nonce of a signed call is best recorded in the same transaction as its
// state change (RecordNonce), so a call that fails leaves no trace.
//
// Any error, or a Transaction destroyed without Commit(), rolls everything
// back: records and leaves alike. The store keeps bytes and the fields it
// indexes; it parses and verifies nothing (the daemon is not trusted, brief
// §1, and neither is its store: clients verify what it serves).
//
// Thread-safety: Store is thread-safe. Writers are serialised (one SQLite
// write connection behind a mutex, held by a Transaction for its lifetime);
// reads through Store go to a small pool of read-only connections and see
// the last committed state (SQLite WAL snapshots), never another thread's
// uncommitted writes. A Transaction belongs to one thread at a time; a
// thread that holds one must not call Begin() again (FAILED_PRECONDITION).
//
// Errors: NOT_FOUND, ALREADY_EXISTS and FAILED_PRECONDITION as each method
// says; RESOURCE_EXHAUSTED for a full disk (the transaction is rolled back,
// the store stays usable); UNAVAILABLE for other I/O errors; DATA_LOSS for
// corruption and for a failed fsync. A failed fsync is fatal: after one the
// state on disk is unknown, FatalError() returns it and every later Begin()
// refuses with it. The daemon must stop (issue 7: "A failed fsync stops the
// daemon"); on restart SQLite recovers whatever reached the disk, and a
// client retrying the unacknowledged call gets the resend semantics below.
#ifndef CONCLAVE_DAEMON_STORE_H_
#define CONCLAVE_DAEMON_STORE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "base/bytes.h"
#include "base/status.h"
#include "crypto/hash.h"
#include "daemon/blob_store.h"
#include "daemon/storage_faults.h"

namespace conclave::daemon {

namespace sqlite {
class Db;
class FaultVfs;
}  // namespace sqlite

// Request lifecycle (issue 7): open → released | expired | withdrawn.
enum class RequestState { kOpen, kReleased, kExpired, kWithdrawn };
std::string_view RequestStateName(RequestState state);

// A submission as intake accepted it (brief §2). Its ciphertext is the blob
// named file_hash.
struct SubmissionRecord {
  std::string id;  // lowercase hex SHA-256(enc), 64 characters
  Sha256Digest header_hash{};
  uint64_t size = 0;                    // bytes of the whole age file
  Sha256Digest file_hash{};             // SHA-256 of the file: the blob's name
  std::vector<uint32_t> excluded_orgs;  // ascending, as in the stanza
  std::optional<uint64_t> linked_to_leaf;  // follow-ups: the first's leaf
  uint64_t leaf_index = 0;                 // set by the store
  int64_t received_unix = 0;
};

struct RequestRecord {
  Sha256Digest id{};  // SHA-256 of the signed bytes (brief §5)
  std::string submission_id;
  uint32_t org_id = 0;  // the requester
  uint32_t editor_index = 0;
  uint64_t epoch = 0;
  Bytes statement;  // the SignedStatement exactly as received
  int64_t expires_unix = 0;
  RequestState state = RequestState::kOpen;  // inserted open
  uint64_t leaf_index = 0;                   // set by the store
  std::optional<uint64_t> state_leaf_index;  // the leaf that closed it
  int64_t received_unix = 0;
};

struct VoteRecord {
  Sha256Digest request_id{};
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  uint32_t decision = 0;    // the protobuf Decision value
  Bytes statement;          // the SignedStatement exactly as received
  uint64_t leaf_index = 0;  // set by the store
  int64_t received_unix = 0;
};

struct ApprovalRecord {
  Sha256Digest request_id{};
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Bytes approval;  // the Approval (signed part + ciphertext) as received
  uint64_t leaf_index = 0;
  int64_t received_unix = 0;
};

struct WithdrawalRecord {
  Sha256Digest request_id{};
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Bytes statement;
  uint64_t leaf_index = 0;
  int64_t received_unix = 0;
};

// The chain of rosters (brief §9: "The daemon keeps the chain of rosters").
struct RosterRecord {
  uint64_t epoch = 0;
  Bytes roster;  // as signed
  uint64_t leaf_index = 0;
  int64_t received_unix = 0;
};

// A signed API call's (signer, nonce), kept for the replay window (brief
// §7). The caller checks the timestamp against the window; the store
// refuses a nonce it already holds for the signer.
struct NonceRecord {
  std::string signer;  // e.g. "org/editor" or the key; opaque to the store
  Bytes nonce;
  int64_t timestamp_unix = 0;
};

// An anonymous contact (brief §8; daemon/contact.h): what the whistleblower's
// receipt derives, stored with their first submission. Never the receipt.
struct ContactRecord {
  Bytes lookup_id;              // 32 bytes
  Bytes auth_key;               // 33 bytes, SEC1 compressed
  std::string reply_recipient;  // "age1tag1…"
  std::string submission_id;    // the first submission
  int64_t created_unix = 0;
};

// An editor's reply to a contact: the signed ReplyBody and the age file.
struct ReplyRecord {
  Sha256Digest id{};  // SHA-256 of the ciphertext
  std::string submission_id;
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Bytes statement;          // the SignedStatement exactly as received
  Bytes ciphertext;         // age file to the contact's reply recipient
  uint64_t leaf_index = 0;  // set by the store
  int64_t received_unix = 0;
};

struct StoreOptions {
  // Tests only: consulted before every write, fsync and rename (SQLite's
  // through a shim VFS). Must outlive the store.
  StorageFaults* faults = nullptr;
  int read_connections = 4;
  int busy_timeout_ms = 5000;
  // Recompute every Merkle hash from the leaves on Open() (about a second
  // per million leaves) and refuse with DATA_LOSS on any difference. When
  // false, only the counts and the peaks are read.
  bool verify_log_on_open = true;
};

// Reads, shared by Store (the committed state) and Store::Transaction (the
// committed state plus its own writes). NOT_FOUND for a missing record.
class RecordReader {
 public:
  virtual ~RecordReader() = default;

  StatusOr<SubmissionRecord> GetSubmission(std::string_view id) const;
  // In log order, from the first with leaf_index >= from_leaf.
  StatusOr<std::vector<SubmissionRecord>> ListSubmissions(
      uint64_t from_leaf = 0, size_t limit = 1000) const;
  // True if a submission row names this blob (garbage collection).
  StatusOr<bool> BlobReferenced(const Sha256Digest& file_hash) const;

  StatusOr<RequestRecord> GetRequest(const Sha256Digest& id) const;
  // In log order; all states if `state` is empty.
  StatusOr<std::vector<RequestRecord>> ListRequests(
      std::optional<RequestState> state = std::nullopt, uint64_t from_leaf = 0,
      size_t limit = 1000) const;
  // Open requests with expires_unix <= now_unix, for the expiry sweep.
  StatusOr<std::vector<RequestRecord>> ListExpiredOpenRequests(
      int64_t now_unix) const;

  // In log order.
  StatusOr<std::vector<VoteRecord>> ListVotes(
      const Sha256Digest& request_id) const;
  StatusOr<std::vector<ApprovalRecord>> ListApprovals(
      const Sha256Digest& request_id) const;
  StatusOr<std::vector<WithdrawalRecord>> ListWithdrawals(
      const Sha256Digest& request_id) const;

  // Contacts (NOT_FOUND when none). By lookup id, or by the first
  // submission's id.
  StatusOr<ContactRecord> GetContact(ByteSpan lookup_id) const;
  StatusOr<ContactRecord> GetContactForSubmission(
      std::string_view submission_id) const;
  // Every contact, in the order of their first submission.
  StatusOr<std::vector<ContactRecord>> ListContacts() const;
  // Follow-ups linked to the submission logged at `first_leaf`, log order.
  StatusOr<std::vector<SubmissionRecord>> ListLinkedSubmissions(
      uint64_t first_leaf) const;
  // Submissions that have follow-ups (their leaf indices).
  StatusOr<std::vector<uint64_t>> ListLinkTargets() const;
  // Requests for one submission, log order.
  StatusOr<std::vector<RequestRecord>> ListRequestsForSubmission(
      std::string_view submission_id) const;
  // Replies in a thread (by its first submission), oldest first.
  StatusOr<std::vector<ReplyRecord>> ListReplies(
      std::string_view submission_id) const;

  StatusOr<RosterRecord> GetRoster(uint64_t epoch) const;
  // NOT_FOUND before the first roster.
  StatusOr<RosterRecord> LatestRoster() const;

  // The audit log as this reader sees it.
  virtual uint64_t LogSize() const = 0;
  // OUT_OF_RANGE if index >= LogSize().
  StatusOr<Bytes> LogLeaf(uint64_t index) const;
  // The perfect-subtree hash (audit::TreeHashSource), one indexed lookup.
  StatusOr<audit::Hash> LogSubtreeHash(int level, uint64_t index) const;

 protected:
  using DbFn = std::function<Status(sqlite::Db&)>;
  virtual Status WithDb(const DbFn& fn) const = 0;

 private:
  // One SELECT: bind(Stmt&) sets its parameters, read(Db&, const Stmt&)
  // makes each row a T (or an error). Defined in store.cc.
  template <typename T, typename Bind, typename Read>
  StatusOr<std::vector<T>> QueryRows(const std::string& sql, const Bind& bind,
                                     const Read& read) const;
};

class Store final : public RecordReader {
 public:
  class Transaction;

  // Opens DIR (created 0700 if missing): DIR/conclave.db, DIR/blobs. An
  // exclusive lock on DIR/conclave.lock keeps a second daemon out
  // (FAILED_PRECONDITION). DATA_LOSS if the log's stored hashes do not
  // match its leaves.
  static StatusOr<std::unique_ptr<Store>> Open(
      const std::filesystem::path& dir, const StoreOptions& options = {});
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Waits for the writer, then starts a write transaction. Refuses with the
  // fatal error after a failed fsync.
  StatusOr<Transaction> Begin();

  BlobStore& blobs() { return *blobs_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path db_path() const { return dir_ / "conclave.db"; }

  // Committed leaves only.
  uint64_t LogSize() const override;
  // MTH of the committed log (RFC 6962 §2.1), from the peaks kept in
  // memory: no I/O.
  audit::Hash LogRoot() const;

  // OK, or the first fatal storage error (a failed fsync, here or in the
  // blob store). Once set, the store refuses every write.
  Status FatalError() const;

  // Deletes nonces older than `older_than_unix` (outside the replay
  // window); returns how many.
  StatusOr<uint64_t> PruneNonces(int64_t older_than_unix);

  // Removes blobs no submission row names, once older than `min_age` (a
  // blob is written before its row commits; the grace period covers that).
  StatusOr<BlobStore::GcStats> CollectOrphanBlobs(
      std::chrono::seconds min_age = std::chrono::hours(1));

  // PRAGMA integrity_check and foreign_key_check, the log's hashes
  // recomputed from its leaves over one consistent snapshot, and, if
  // `verify_blobs`, every submission's blob hashed. DATA_LOSS on any fault.
  Status CheckIntegrity(bool verify_blobs) const;

 protected:
  Status WithDb(const DbFn& fn) const override;

 private:
  friend class Transaction;
  Store() = default;
  Status Init(const StoreOptions& options);
  Status LoadLog(bool verify);
  void Latch(const Status& s);
  sqlite::Db* AcquireReader() const;
  void ReleaseReader(sqlite::Db* db) const;

  std::filesystem::path dir_;
  int lock_fd_ = -1;
  // Declared before the connections: destroyed after them.
  std::unique_ptr<sqlite::FaultVfs> vfs_;
  std::unique_ptr<sqlite::Db> writer_;
  std::vector<std::unique_ptr<sqlite::Db>> readers_;
  std::unique_ptr<BlobStore> blobs_;

  std::mutex writer_mu_;  // held by the open Transaction
  std::atomic<std::thread::id> writer_owner_{};

  mutable std::mutex pool_mu_;
  mutable std::condition_variable pool_cv_;
  mutable std::vector<sqlite::Db*> free_readers_;

  mutable std::mutex state_mu_;
  audit::PostorderBuilder committed_;  // the committed tree's peaks
  Status fatal_;
};

// One SQLite write transaction (BEGIN IMMEDIATE … COMMIT). Move-only; rolls
// back when destroyed uncommitted. Every Insert* appends the record's audit
// leaf and the row together and returns the leaf's index; a refused insert
// (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION from the checks below)
// changes nothing and the transaction stays usable. Any other failure
// poisons it: later calls and Commit() return that error, and the
// transaction must be dropped.
class Store::Transaction final : public RecordReader {
 public:
  Transaction(Transaction&& other) noexcept;
  // Rolls back this transaction first if it is still open.
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  ~Transaction() override;

  // Leaves that carry no record (daemon start, expiry, refusals…).
  StatusOr<uint64_t> AppendLeaf(ByteSpan leaf);
  // Many leaves in this one transaction (a batch: one fsync at Commit).
  // Returns the index of the first.
  StatusOr<uint64_t> AppendLeaves(std::span<const Bytes> leaves);
  // Leaves including this transaction's.
  uint64_t LogSize() const override;
  // Leaves appended by this transaction so far.
  uint64_t PendingLeaves() const;

  // ALREADY_EXISTS if the id is known (brief §2: "the daemon refuses an id
  // it already holds"); FAILED_PRECONDITION unless the blob file_hash is
  // already in the blob store (blob first, then the row, brief §7).
  StatusOr<uint64_t> InsertSubmission(const SubmissionRecord& record,
                                      ByteSpan leaf);
  // Inserted as open. NOT_FOUND for an unknown submission; for a known id,
  // ALREADY_EXISTS if the statement bytes are identical (an idempotent
  // resend), FAILED_PRECONDITION if they differ.
  StatusOr<uint64_t> InsertRequest(const RequestRecord& record, ByteSpan leaf);
  // One per (request, org, editor). NOT_FOUND for an unknown request;
  // ALREADY_EXISTS for a byte-identical resend; FAILED_PRECONDITION for a
  // different statement by the same editor (issue 7: "a byte-identical
  // resend is idempotent, a different second vote by the same editor is
  // refused").
  StatusOr<uint64_t> InsertVote(const VoteRecord& record, ByteSpan leaf);
  // Same rules as votes.
  StatusOr<uint64_t> InsertApproval(const ApprovalRecord& record,
                                    ByteSpan leaf);
  StatusOr<uint64_t> InsertWithdrawal(const WithdrawalRecord& record,
                                      ByteSpan leaf);
  // Epochs only grow: FAILED_PRECONDITION for an epoch not above the latest
  // (unless it is a byte-identical resend of a stored one: ALREADY_EXISTS).
  StatusOr<uint64_t> InsertRoster(const RosterRecord& record, ByteSpan leaf);

  // A contact for a submission held (NOT_FOUND otherwise), one per
  // submission and per lookup id (ALREADY_EXISTS). No leaf of its own: the
  // submission's leaf is the record; the log never sees the contact.
  Status InsertContact(const ContactRecord& record);
  // NOT_FOUND for an unknown submission; ALREADY_EXISTS for a ciphertext
  // already held.
  StatusOr<uint64_t> InsertReply(const ReplyRecord& record, ByteSpan leaf);

  // Compare-and-set of a request's state; `leaf_index` is the leaf that
  // records the change (a vote completing the quorum, an expiry, a
  // withdrawal), appended in this transaction. NOT_FOUND for an unknown
  // request; FAILED_PRECONDITION if the state is not `expected` (another
  // handler got there first) or the leaf is not this transaction's.
  Status SetRequestState(const Sha256Digest& request_id, RequestState expected,
                         RequestState next, uint64_t leaf_index);

  // ALREADY_EXISTS if (signer, nonce) is held: a replay.
  Status RecordNonce(const NonceRecord& record);
  StatusOr<uint64_t> PruneNonces(int64_t older_than_unix);

  // Makes everything durable (SQLite COMMIT with synchronous=FULL: the WAL
  // is fsynced before it returns). On failure everything is rolled back.
  Status Commit();
  // Discards everything; the transaction is finished.
  void Rollback();
  bool active() const { return store_ != nullptr; }

 protected:
  Status WithDb(const DbFn& fn) const override;

 private:
  friend class Store;
  Transaction(Store* store, std::unique_lock<std::mutex> lock,
              audit::PostorderBuilder builder);
  Status Usable() const;
  Status Poison(Status s);
  StatusOr<uint64_t> AppendLeafLocked(ByteSpan leaf);
  Status CheckOwnLeaf(uint64_t leaf_index) const;
  // Shared by votes, approvals and withdrawals.
  enum class EditorTable : int;
  StatusOr<uint64_t> InsertEditorStatement(
      EditorTable table, const Sha256Digest& request_id, uint32_t org_id,
      uint32_t editor_index, std::optional<uint32_t> decision, ByteSpan bytes,
      int64_t received, ByteSpan leaf);
  void Finish();

  Store* store_;
  std::unique_lock<std::mutex> lock_;
  audit::PostorderBuilder builder_;  // staged tree
  uint64_t begin_size_;              // log size when the transaction began
  mutable Status poisoned_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_STORE_H_
