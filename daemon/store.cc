#include "daemon/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/sqlite.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using sqlite::Db;
using sqlite::Stmt;

constexpr int kSchemaVersion = 2;

// Every record names the leaf that logged it (REFERENCES log_leaves), so no
// row can commit without its leaf (brief §6: "The daemon appends the leaf in
// the same transaction as the change"). Hashes are 32 bytes; the store does
// not check anything it would have to parse.
constexpr char kSchema[] = R"sql(
CREATE TABLE log_leaves (
  idx INTEGER PRIMARY KEY CHECK (idx >= 0),
  leaf BLOB NOT NULL
);
-- Perfect-subtree hashes at their post-order positions (audit/merkle.h
-- PostorderPosition), as FileLogStorage keeps them: roots and proofs are
-- O(log n) primary-key lookups.
CREATE TABLE log_nodes (
  pos INTEGER PRIMARY KEY CHECK (pos >= 0),
  hash BLOB NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE submissions (
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
  header_hash BLOB NOT NULL CHECK (length(header_hash) = 32),
  size INTEGER NOT NULL CHECK (size >= 0),
  file_hash BLOB NOT NULL CHECK (length(file_hash) = 32),
  linked_to_leaf INTEGER REFERENCES log_leaves(idx),
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL
);
CREATE INDEX submissions_file_hash ON submissions(file_hash);
CREATE TABLE submission_exclusions (
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  org_id INTEGER NOT NULL CHECK (org_id BETWEEN 1 AND 4294967295),
  PRIMARY KEY (submission_id, org_id)
);
CREATE TABLE requests (
  id BLOB PRIMARY KEY CHECK (length(id) = 32),
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  org_id INTEGER NOT NULL,
  editor_index INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  statement BLOB NOT NULL,
  expires_unix INTEGER NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('open', 'released', 'expired', 'withdrawn')),
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  state_leaf_index INTEGER REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL
);
CREATE INDEX requests_submission ON requests(submission_id);
CREATE INDEX requests_state ON requests(state, expires_unix);
CREATE TABLE votes (
  request_id BLOB NOT NULL REFERENCES requests(id),
  org_id INTEGER NOT NULL,
  editor_index INTEGER NOT NULL,
  decision INTEGER NOT NULL,
  statement BLOB NOT NULL,
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL,
  UNIQUE (request_id, org_id, editor_index)
);
CREATE TABLE approvals (
  request_id BLOB NOT NULL REFERENCES requests(id),
  org_id INTEGER NOT NULL,
  editor_index INTEGER NOT NULL,
  approval BLOB NOT NULL,
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL,
  UNIQUE (request_id, org_id, editor_index)
);
CREATE TABLE withdrawals (
  request_id BLOB NOT NULL REFERENCES requests(id),
  org_id INTEGER NOT NULL,
  editor_index INTEGER NOT NULL,
  statement BLOB NOT NULL,
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL,
  UNIQUE (request_id, org_id, editor_index)
);
CREATE TABLE rosters (
  epoch INTEGER PRIMARY KEY CHECK (epoch >= 1),
  roster BLOB NOT NULL,
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL
);
-- Signed API calls' nonces for the replay window (brief §7).
CREATE TABLE api_nonces (
  signer TEXT NOT NULL,
  nonce BLOB NOT NULL,
  timestamp_unix INTEGER NOT NULL,
  PRIMARY KEY (signer, nonce)
);
CREATE INDEX api_nonces_time ON api_nonces(timestamp_unix);
)sql";

// Version 2 (issue 8): anonymous contacts and editors' replies. Applied on
// top of version 1 when an existing database is opened.
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE contacts (
  lookup_id BLOB PRIMARY KEY CHECK (length(lookup_id) = 32),
  auth_key BLOB NOT NULL CHECK (length(auth_key) = 33),
  reply_recipient TEXT NOT NULL,
  submission_id TEXT NOT NULL UNIQUE REFERENCES submissions(id),
  created_unix INTEGER NOT NULL
);
CREATE TABLE replies (
  id BLOB PRIMARY KEY CHECK (length(id) = 32),
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  org_id INTEGER NOT NULL,
  editor_index INTEGER NOT NULL,
  statement BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  leaf_index INTEGER NOT NULL UNIQUE REFERENCES log_leaves(idx),
  received_unix INTEGER NOT NULL
);
CREATE INDEX replies_submission ON replies(submission_id, leaf_index);
CREATE INDEX submissions_linked ON submissions(linked_to_leaf);
)sql";

// ---- column readers ----

StatusOr<Sha256Digest> DigestColumn(const Stmt& s, int col, const char* what) {
  const Bytes b = s.Blob(col);
  if (b.size() != kSha256Size) {
    return DataLossError(std::string("stored ") + what + " is " +
                         std::to_string(b.size()) + " bytes, not 32");
  }
  Sha256Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

std::optional<uint64_t> OptionalU64(const Stmt& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return static_cast<uint64_t>(s.Int(col));
}

StatusOr<RequestState> ParseState(const std::string& s) {
  if (s == "open") return RequestState::kOpen;
  if (s == "released") return RequestState::kReleased;
  if (s == "expired") return RequestState::kExpired;
  if (s == "withdrawn") return RequestState::kWithdrawn;
  return DataLossError("stored request state \"" + s + "\" is unknown");
}

constexpr char kSubmissionColumns[] =
    "SELECT id, header_hash, size, file_hash, linked_to_leaf, leaf_index, "
    "received_unix FROM submissions ";

StatusOr<SubmissionRecord> ReadSubmission(Db& db, const Stmt& s) {
  SubmissionRecord r;
  r.id = s.Text(0);
  CONCLAVE_ASSIGN_OR_RETURN(r.header_hash, DigestColumn(s, 1, "header hash"));
  r.size = static_cast<uint64_t>(s.Int(2));
  CONCLAVE_ASSIGN_OR_RETURN(r.file_hash, DigestColumn(s, 3, "file hash"));
  r.linked_to_leaf = OptionalU64(s, 4);
  r.leaf_index = static_cast<uint64_t>(s.Int(5));
  r.received_unix = s.Int(6);
  CONCLAVE_ASSIGN_OR_RETURN(
      Stmt ex, db.Prepare("SELECT org_id FROM submission_exclusions "
                          "WHERE submission_id = ?1 ORDER BY org_id"));
  ex.Bind(1, std::string_view(r.id));
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(bool row, ex.Step());
    if (!row) break;
    r.excluded_orgs.push_back(static_cast<uint32_t>(ex.Int(0)));
  }
  return r;
}

constexpr char kRequestColumns[] =
    "SELECT id, submission_id, org_id, editor_index, epoch, statement, "
    "expires_unix, state, leaf_index, state_leaf_index, received_unix "
    "FROM requests ";

StatusOr<RequestRecord> ReadRequest(const Stmt& s) {
  RequestRecord r;
  CONCLAVE_ASSIGN_OR_RETURN(r.id, DigestColumn(s, 0, "request id"));
  r.submission_id = s.Text(1);
  r.org_id = static_cast<uint32_t>(s.Int(2));
  r.editor_index = static_cast<uint32_t>(s.Int(3));
  r.epoch = static_cast<uint64_t>(s.Int(4));
  r.statement = s.Blob(5);
  r.expires_unix = s.Int(6);
  CONCLAVE_ASSIGN_OR_RETURN(r.state, ParseState(s.Text(7)));
  r.leaf_index = static_cast<uint64_t>(s.Int(8));
  r.state_leaf_index = OptionalU64(s, 9);
  r.received_unix = s.Int(10);
  return r;
}

constexpr char kRosterColumns[] =
    "SELECT epoch, roster, leaf_index, received_unix FROM rosters ";

RosterRecord ReadRoster(const Stmt& s) {
  RosterRecord r;
  r.epoch = static_cast<uint64_t>(s.Int(0));
  r.roster = s.Blob(1);
  r.leaf_index = static_cast<uint64_t>(s.Int(2));
  r.received_unix = s.Int(3);
  return r;
}

// The editors' statements share one shape: (request, org, editor) unique,
// the bytes as received, the leaf. Fixed SQL per table, never assembled
// from data.
struct EditorSql {
  const char* find;    // ?1 request, ?2 org, ?3 editor → bytes
  const char* insert;  // ?1..?3, ?4 decision, ?5 bytes, ?6 leaf, ?7 time
  const char* list;    // ?1 request → request, org, editor, decision,
                       // bytes, leaf, time
};

constexpr EditorSql kVoteSql = {
    "SELECT statement FROM votes WHERE request_id = ?1 AND org_id = ?2 AND "
    "editor_index = ?3",
    "INSERT INTO votes (request_id, org_id, editor_index, decision, "
    "statement, leaf_index, received_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7)",
    "SELECT request_id, org_id, editor_index, decision, statement, "
    "leaf_index, received_unix FROM votes WHERE request_id = ?1 ORDER BY "
    "leaf_index"};
constexpr EditorSql kApprovalSql = {
    "SELECT approval FROM approvals WHERE request_id = ?1 AND org_id = ?2 "
    "AND editor_index = ?3",
    "INSERT INTO approvals (request_id, org_id, editor_index, approval, "
    "leaf_index, received_unix) VALUES (?1, ?2, ?3, ?5, ?6, ?7)",
    "SELECT request_id, org_id, editor_index, 0, approval, leaf_index, "
    "received_unix FROM approvals WHERE request_id = ?1 ORDER BY leaf_index"};
constexpr EditorSql kWithdrawalSql = {
    "SELECT statement FROM withdrawals WHERE request_id = ?1 AND org_id = ?2 "
    "AND editor_index = ?3",
    "INSERT INTO withdrawals (request_id, org_id, editor_index, statement, "
    "leaf_index, received_unix) VALUES (?1, ?2, ?3, ?5, ?6, ?7)",
    "SELECT request_id, org_id, editor_index, 0, statement, leaf_index, "
    "received_unix FROM withdrawals WHERE request_id = ?1 ORDER BY "
    "leaf_index"};

struct EditorRow {
  Sha256Digest request_id;
  uint32_t org_id;
  uint32_t editor_index;
  uint32_t decision;
  Bytes bytes;
  uint64_t leaf_index;
  int64_t received_unix;
};

// Steps `s` to its end, appending read(db, s) for each row; `read` returns
// T or StatusOr<T>, and its first error stops the walk.
template <typename T, typename Read>
Status AppendRows(Db& db, Stmt& s, const Read& read, std::vector<T>* out) {
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return OkStatus();
    CONCLAVE_ASSIGN_OR_RETURN(T r, StatusOr<T>(read(db, s)));
    out->push_back(std::move(r));
  }
}

StatusOr<std::vector<EditorRow>> ListEditorRows(Db& db, const EditorSql& sql,
                                                const Sha256Digest& request) {
  CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql.list));
  s.Bind(1, ByteSpan(request));
  std::vector<EditorRow> out;
  CONCLAVE_RETURN_IF_ERROR(AppendRows(
      db, s,
      [](Db&, const Stmt& st) -> StatusOr<EditorRow> {
        EditorRow r;
        CONCLAVE_ASSIGN_OR_RETURN(r.request_id,
                                  DigestColumn(st, 0, "request id"));
        r.org_id = static_cast<uint32_t>(st.Int(1));
        r.editor_index = static_cast<uint32_t>(st.Int(2));
        r.decision = static_cast<uint32_t>(st.Int(3));
        r.bytes = st.Blob(4);
        r.leaf_index = static_cast<uint64_t>(st.Int(5));
        r.received_unix = st.Int(6);
        return r;
      },
      &out));
  return out;
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

StatusOr<uint64_t> CountRows(Db& db, const char* sql, const char* what) {
  CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql));
  CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return InternalError(std::string("no count of ") + what);
  const int64_t count = s.Int(0);
  const int64_t max = s.Int(1);
  if (count < 0 || max != count - 1) {
    return DataLossError(
        std::string("the log's ") + what + " are not contiguous from 0 (" +
        std::to_string(count) + " rows, highest " + std::to_string(max) + ")");
  }
  return static_cast<uint64_t>(count);
}

// Reads the log's shape from `db` and returns the tree's peaks. With
// `verify`, recomputes every stored hash from the leaves (RFC 6962 §2.1).
// The caller provides a consistent snapshot (a read transaction, or the
// writer with no transaction open).
StatusOr<audit::PostorderBuilder> RebuildLog(Db& db, bool verify) {
  CONCLAVE_ASSIGN_OR_RETURN(
      uint64_t size,
      CountRows(db, "SELECT count(*), coalesce(max(idx), -1) FROM log_leaves",
                "leaves"));
  CONCLAVE_ASSIGN_OR_RETURN(
      uint64_t nodes,
      CountRows(db, "SELECT count(*), coalesce(max(pos), -1) FROM log_nodes",
                "hashes"));
  if (nodes != audit::NodeCountForSize(size)) {
    return DataLossError("the log has " + std::to_string(size) +
                         " leaves but " + std::to_string(nodes) +
                         " stored hashes (expected " +
                         std::to_string(audit::NodeCountForSize(size)) + ")");
  }
  audit::PostorderBuilder builder;
  if (verify) {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt leaves, db.Prepare("SELECT leaf FROM log_leaves ORDER BY idx"));
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt hashes, db.Prepare("SELECT hash FROM log_nodes ORDER BY pos"));
    std::vector<audit::Hash> emitted;
    for (uint64_t i = 0; i < size; ++i) {
      CONCLAVE_ASSIGN_OR_RETURN(bool row, leaves.Step());
      if (!row) return DataLossError("the log lost a leaf while reading");
      emitted.clear();
      builder.Append(audit::HashLeaf(leaves.Blob(0)), &emitted);
      for (const audit::Hash& want : emitted) {
        CONCLAVE_ASSIGN_OR_RETURN(row, hashes.Step());
        if (!row) return DataLossError("the log lost a hash while reading");
        CONCLAVE_ASSIGN_OR_RETURN(audit::Hash got,
                                  DigestColumn(hashes, 0, "log hash"));
        if (got != want) {
          return DataLossError("stored Merkle hashes do not match leaf " +
                               std::to_string(i));
        }
      }
    }
    return builder;
  }
  // The peaks are the perfect subtrees for the set bits of size.
  CONCLAVE_ASSIGN_OR_RETURN(
      Stmt node, db.Prepare("SELECT hash FROM log_nodes WHERE pos = ?1"));
  std::vector<audit::Hash> peaks;
  uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if (!(size & width)) continue;
    node.BindU64(1, audit::PostorderPosition(level, start >> level));
    CONCLAVE_ASSIGN_OR_RETURN(bool row, node.Step());
    if (!row) return DataLossError("a peak of the log is missing");
    CONCLAVE_ASSIGN_OR_RETURN(audit::Hash h, DigestColumn(node, 0, "peak"));
    peaks.push_back(h);
    node.Reset();
    start += width;
  }
  builder.Reset(size, std::move(peaks));
  return builder;
}

audit::Hash RootOfPeaks(const std::vector<audit::Hash>& peaks) {
  if (peaks.empty()) return audit::EmptyRootHash();
  audit::Hash r = peaks.back();
  for (size_t i = peaks.size() - 1; i-- > 0;) {
    r = audit::HashChildren(peaks[i], r);
  }
  return r;
}

Status SyncDirectory(const fs::path& dir, StorageFaults* faults) {
  if (faults != nullptr &&
      faults->Before(StorageOp::kSync, dir.string()) != StorageFault::kNone) {
    return DataLossError(
        "fatal storage error, the daemon must stop: cannot "
        "fsync " +
        dir.string());
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot open " + dir.string() + ": " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return DataLossError(
        "fatal storage error, the daemon must stop: cannot "
        "fsync " +
        dir.string() + ": " + std::strerror(err));
  }
  return OkStatus();
}

}  // namespace

std::string_view RequestStateName(RequestState state) {
  switch (state) {
    case RequestState::kOpen:
      return "open";
    case RequestState::kReleased:
      return "released";
    case RequestState::kExpired:
      return "expired";
    case RequestState::kWithdrawn:
      return "withdrawn";
  }
  return "unknown";
}

// ---- RecordReader ----

template <typename T, typename Bind, typename Read>
StatusOr<std::vector<T>> RecordReader::QueryRows(const std::string& sql,
                                                 const Bind& bind,
                                                 const Read& read) const {
  std::vector<T> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql));
    bind(s);
    return AppendRows(db, s, read, &out);
  }));
  return out;
}

namespace {

// For queries without parameters.
void BindNothing(Stmt&) {}

StatusOr<RequestRecord> ReadRequestRow(Db&, const Stmt& s) {
  return ReadRequest(s);
}

}  // namespace

StatusOr<SubmissionRecord> RecordReader::GetSubmission(
    std::string_view id) const {
  std::optional<SubmissionRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare(std::string(kSubmissionColumns) + "WHERE id = ?1"));
    s.Bind(1, id);
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no submission " + std::string(id));
    CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord r, ReadSubmission(db, s));
    out = std::move(r);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<std::vector<SubmissionRecord>> RecordReader::ListSubmissions(
    uint64_t from_leaf, size_t limit) const {
  return QueryRows<SubmissionRecord>(
      std::string(kSubmissionColumns) +
          "WHERE leaf_index >= ?1 ORDER BY leaf_index LIMIT ?2",
      [&](Stmt& s) { s.BindU64(1, from_leaf).BindU64(2, limit); },
      ReadSubmission);
}

StatusOr<bool> RecordReader::BlobReferenced(
    const Sha256Digest& file_hash) const {
  bool found = false;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s,
        db.Prepare("SELECT 1 FROM submissions WHERE file_hash = ?1 LIMIT 1"));
    s.Bind(1, ByteSpan(file_hash));
    CONCLAVE_ASSIGN_OR_RETURN(found, s.Step());
    return OkStatus();
  }));
  return found;
}

StatusOr<RequestRecord> RecordReader::GetRequest(const Sha256Digest& id) const {
  std::optional<RequestRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare(std::string(kRequestColumns) + "WHERE id = ?1"));
    s.Bind(1, ByteSpan(id));
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no request " + HexEncode(id));
    CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, ReadRequest(s));
    out = std::move(r);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<std::vector<RequestRecord>> RecordReader::ListRequests(
    std::optional<RequestState> state, uint64_t from_leaf, size_t limit) const {
  return QueryRows<RequestRecord>(
      std::string(kRequestColumns) +
          "WHERE (?1 IS NULL OR state = ?1) AND leaf_index >= ?2 "
          "ORDER BY leaf_index LIMIT ?3",
      [&](Stmt& s) {
        if (state) {
          s.Bind(1, RequestStateName(*state));
        } else {
          s.BindNull(1);
        }
        s.BindU64(2, from_leaf).BindU64(3, limit);
      },
      ReadRequestRow);
}

StatusOr<std::vector<RequestRecord>> RecordReader::ListExpiredOpenRequests(
    int64_t now_unix) const {
  return QueryRows<RequestRecord>(
      std::string(kRequestColumns) +
          "WHERE state = 'open' AND expires_unix <= ?1 ORDER BY leaf_index",
      [&](Stmt& s) { s.Bind(1, now_unix); }, ReadRequestRow);
}

// The rows of one editor-statement table, each made into its record type.
template <typename Record, typename Make>
Status CollectEditorRecords(Db& db, const EditorSql& sql,
                            const Sha256Digest& request_id, Make make,
                            std::vector<Record>* out) {
  CONCLAVE_ASSIGN_OR_RETURN(auto rows, ListEditorRows(db, sql, request_id));
  for (EditorRow& r : rows) out->push_back(make(r));
  return OkStatus();
}

StatusOr<std::vector<VoteRecord>> RecordReader::ListVotes(
    const Sha256Digest& request_id) const {
  std::vector<VoteRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) {
    return CollectEditorRecords(
        db, kVoteSql, request_id,
        [](EditorRow& r) {
          return VoteRecord{r.request_id,   r.org_id,           r.editor_index,
                            r.decision,     std::move(r.bytes), r.leaf_index,
                            r.received_unix};
        },
        &out);
  }));
  return out;
}

StatusOr<std::vector<ApprovalRecord>> RecordReader::ListApprovals(
    const Sha256Digest& request_id) const {
  std::vector<ApprovalRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) {
    return CollectEditorRecords(
        db, kApprovalSql, request_id,
        [](EditorRow& r) {
          return ApprovalRecord{r.request_id,   r.org_id,
                                r.editor_index, std::move(r.bytes),
                                r.leaf_index,   r.received_unix};
        },
        &out);
  }));
  return out;
}

StatusOr<std::vector<WithdrawalRecord>> RecordReader::ListWithdrawals(
    const Sha256Digest& request_id) const {
  std::vector<WithdrawalRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) {
    return CollectEditorRecords(
        db, kWithdrawalSql, request_id,
        [](EditorRow& r) {
          return WithdrawalRecord{r.request_id,   r.org_id,
                                  r.editor_index, std::move(r.bytes),
                                  r.leaf_index,   r.received_unix};
        },
        &out);
  }));
  return out;
}

// ---- Contacts and replies (issue 8) ----

namespace {

constexpr char kContactColumns[] =
    "SELECT lookup_id, auth_key, reply_recipient, submission_id, "
    "created_unix FROM contacts ";

ContactRecord ReadContact(const Stmt& s) {
  ContactRecord r;
  r.lookup_id = s.Blob(0);
  r.auth_key = s.Blob(1);
  r.reply_recipient = s.Text(2);
  r.submission_id = s.Text(3);
  r.created_unix = s.Int(4);
  return r;
}

constexpr char kReplyColumns[] =
    "SELECT id, submission_id, org_id, editor_index, statement, ciphertext, "
    "leaf_index, received_unix FROM replies ";

StatusOr<ReplyRecord> ReadReply(const Stmt& s) {
  ReplyRecord r;
  CONCLAVE_ASSIGN_OR_RETURN(r.id, DigestColumn(s, 0, "reply id"));
  r.submission_id = s.Text(1);
  r.org_id = static_cast<uint32_t>(s.Int(2));
  r.editor_index = static_cast<uint32_t>(s.Int(3));
  r.statement = s.Blob(4);
  r.ciphertext = s.Blob(5);
  r.leaf_index = static_cast<uint64_t>(s.Int(6));
  r.received_unix = s.Int(7);
  return r;
}

ContactRecord ReadContactRow(Db&, const Stmt& s) { return ReadContact(s); }
StatusOr<ReplyRecord> ReadReplyRow(Db&, const Stmt& s) { return ReadReply(s); }

}  // namespace

StatusOr<ContactRecord> RecordReader::GetContact(ByteSpan lookup_id) const {
  std::optional<ContactRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(std::string(kContactColumns) +
                                                 "WHERE lookup_id = ?1"));
    s.Bind(1, lookup_id);
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no such contact");
    out = ReadContact(s);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<ContactRecord> RecordReader::GetContactForSubmission(
    std::string_view submission_id) const {
  std::optional<ContactRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(std::string(kContactColumns) +
                                                 "WHERE submission_id = ?1"));
    s.Bind(1, submission_id);
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return NotFoundError("submission " + std::string(submission_id) +
                           " has no contact key");
    }
    out = ReadContact(s);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<std::vector<ContactRecord>> RecordReader::ListContacts() const {
  return QueryRows<ContactRecord>(
      "SELECT c.lookup_id, c.auth_key, c.reply_recipient, c.submission_id, "
      "c.created_unix FROM contacts c JOIN submissions s ON s.id = "
      "c.submission_id ORDER BY s.leaf_index",
      BindNothing, ReadContactRow);
}

StatusOr<std::vector<SubmissionRecord>> RecordReader::ListLinkedSubmissions(
    uint64_t first_leaf) const {
  return QueryRows<SubmissionRecord>(
      std::string(kSubmissionColumns) +
          "WHERE linked_to_leaf = ?1 ORDER BY leaf_index",
      [&](Stmt& s) { s.BindU64(1, first_leaf); }, ReadSubmission);
}

StatusOr<std::vector<uint64_t>> RecordReader::ListLinkTargets() const {
  return QueryRows<uint64_t>(
      "SELECT DISTINCT linked_to_leaf FROM submissions "
      "WHERE linked_to_leaf IS NOT NULL ORDER BY 1",
      BindNothing,
      [](Db&, const Stmt& s) { return static_cast<uint64_t>(s.Int(0)); });
}

StatusOr<std::vector<RequestRecord>> RecordReader::ListRequestsForSubmission(
    std::string_view submission_id) const {
  return QueryRows<RequestRecord>(
      std::string(kRequestColumns) +
          "WHERE submission_id = ?1 ORDER BY leaf_index",
      [&](Stmt& s) { s.Bind(1, submission_id); }, ReadRequestRow);
}

StatusOr<std::vector<ReplyRecord>> RecordReader::ListReplies(
    std::string_view submission_id) const {
  return QueryRows<ReplyRecord>(
      std::string(kReplyColumns) +
          "WHERE submission_id = ?1 ORDER BY leaf_index",
      [&](Stmt& s) { s.Bind(1, submission_id); }, ReadReplyRow);
}

StatusOr<RosterRecord> RecordReader::GetRoster(uint64_t epoch) const {
  std::optional<RosterRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare(std::string(kRosterColumns) + "WHERE epoch = ?1"));
    s.BindU64(1, epoch);
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row)
      return NotFoundError("no roster for epoch " + std::to_string(epoch));
    out = ReadRoster(s);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<RosterRecord> RecordReader::LatestRoster() const {
  std::optional<RosterRecord> out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt s,
                              db.Prepare(std::string(kRosterColumns) +
                                         "ORDER BY epoch DESC LIMIT 1"));
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return NotFoundError("no roster stored yet");
    out = ReadRoster(s);
    return OkStatus();
  }));
  return std::move(*out);
}

StatusOr<Bytes> RecordReader::LogLeaf(uint64_t index) const {
  const uint64_t size = LogSize();
  if (index >= size) {
    return OutOfRangeError("leaf index >= size (" + std::to_string(index) +
                           " >= " + std::to_string(size) + ")");
  }
  Bytes out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare("SELECT leaf FROM log_leaves WHERE idx = ?1"));
    s.BindU64(1, index);
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row)
      return DataLossError("log leaf " + std::to_string(index) + " is missing");
    out = s.Blob(0);
    return OkStatus();
  }));
  return out;
}

StatusOr<audit::Hash> RecordReader::LogSubtreeHash(int level,
                                                   uint64_t index) const {
  CONCLAVE_RETURN_IF_ERROR(CheckNodeExists(level, index, LogSize()));
  audit::Hash out;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare("SELECT hash FROM log_nodes WHERE pos = ?1"));
    s.BindU64(1, audit::PostorderPosition(level, index));
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return DataLossError("a Merkle hash of the log is missing");
    CONCLAVE_ASSIGN_OR_RETURN(out, DigestColumn(s, 0, "log hash"));
    return OkStatus();
  }));
  return out;
}

// ---- Store ----

StatusOr<std::unique_ptr<Store>> Store::Open(const fs::path& dir,
                                             const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  store->dir_ = dir;
  CONCLAVE_RETURN_IF_ERROR(store->Init(options));
  return store;
}

Status Store::Init(const StoreOptions& options) {
  if (options.read_connections < 1) {
    return InvalidArgumentError("store: at least one read connection");
  }
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    if (!dir_.parent_path().empty())
      fs::create_directories(dir_.parent_path(), ec);
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status(StatusCode::kUnavailable, "cannot create " + dir_.string() +
                                                  ": " + std::strerror(errno));
    }
    CONCLAVE_RETURN_IF_ERROR(SyncDirectory(
        dir_.parent_path().empty() ? fs::path(".") : dir_.parent_path(),
        options.faults));
  }

  // One daemon per directory: the in-memory tree assumes a single writer.
  const fs::path lock_path = dir_ / "conclave.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    return Status(
        StatusCode::kUnavailable,
        "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPreconditionError("store " + dir_.string() +
                                     " is already open in another process "
                                     "or store object");
    }
    return Status(
        StatusCode::kUnavailable,
        "cannot lock " + lock_path.string() + ": " + std::strerror(errno));
  }

  const char* vfs_name = nullptr;
  if (options.faults != nullptr) {
    CONCLAVE_ASSIGN_OR_RETURN(vfs_, sqlite::FaultVfs::Register(options.faults));
    vfs_name = vfs_->name();
  }

  const fs::path db_file = db_path();
  const bool existed = fs::exists(db_file, ec);
  CONCLAVE_ASSIGN_OR_RETURN(writer_,
                            Db::Open(db_file, /*create=*/true, vfs_name));
  sqlite3_busy_timeout(writer_->get(), options.busy_timeout_ms);
  // Brief §7: WAL, synchronous=FULL (the WAL is fsynced at every commit).
  CONCLAVE_ASSIGN_OR_RETURN(std::string mode,
                            writer_->QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return Status(
        StatusCode::kUnavailable,
        "cannot switch " + db_file.string() + " to WAL mode (" + mode + ")");
  }
  CONCLAVE_RETURN_IF_ERROR(writer_->Exec("PRAGMA synchronous=FULL"));
  CONCLAVE_RETURN_IF_ERROR(writer_->Exec("PRAGMA foreign_keys=ON"));
  CONCLAVE_ASSIGN_OR_RETURN(std::string fk,
                            writer_->QueryText("PRAGMA foreign_keys"));
  if (fk != "1") return InternalError("sqlite refused foreign keys");
  // The schema comes only from this file: ignore SQL functions in views or
  // triggers someone might plant in the database.
  CONCLAVE_RETURN_IF_ERROR(writer_->Exec("PRAGMA trusted_schema=OFF"));

  CONCLAVE_ASSIGN_OR_RETURN(std::string version,
                            writer_->QueryText("PRAGMA user_version"));
  if (version == "0") {
    CONCLAVE_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    Status s = writer_->Exec(kSchema);
    if (s.ok()) s = writer_->Exec(kSchemaV2);
    if (s.ok()) {
      s = writer_->Exec(
          ("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    }
    if (s.ok()) s = writer_->Exec("COMMIT");
    if (!s.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return s.Annotate("creating the store's schema");
    }
    if (!existed) CONCLAVE_RETURN_IF_ERROR(SyncDirectory(dir_, options.faults));
  } else if (version == "1") {
    CONCLAVE_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    Status s = writer_->Exec(kSchemaV2);
    if (s.ok()) s = writer_->Exec("PRAGMA user_version=2");
    if (s.ok()) s = writer_->Exec("COMMIT");
    if (!s.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return s.Annotate("upgrading the store's schema to version 2");
    }
  } else if (version != std::to_string(kSchemaVersion)) {
    return FailedPreconditionError("store schema version " + version +
                                   " is not the supported " +
                                   std::to_string(kSchemaVersion));
  }
  CONCLAVE_RETURN_IF_ERROR(LoadLog(options.verify_log_on_open));

  for (int i = 0; i < options.read_connections; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(auto reader,
                              Db::Open(db_file, /*create=*/false, vfs_name));
    sqlite3_busy_timeout(reader->get(), options.busy_timeout_ms);
    CONCLAVE_RETURN_IF_ERROR(reader->Exec("PRAGMA query_only=ON"));
    CONCLAVE_RETURN_IF_ERROR(reader->Exec("PRAGMA trusted_schema=OFF"));
    free_readers_.push_back(reader.get());
    readers_.push_back(std::move(reader));
  }

  CONCLAVE_ASSIGN_OR_RETURN(blobs_,
                            BlobStore::Open(dir_ / "blobs", options.faults));
  return OkStatus();
}

Status Store::LoadLog(bool verify) {
  CONCLAVE_RETURN_IF_ERROR(writer_->Exec("BEGIN"));
  auto rebuilt = RebuildLog(*writer_, verify);
  (void)writer_->Exec("COMMIT");
  if (!rebuilt.ok()) return rebuilt.status();
  std::lock_guard<std::mutex> lock(state_mu_);
  committed_ = std::move(rebuilt).value();
  return OkStatus();
}

Store::~Store() {
  // Connections close before the lock is released, and before the VFS they
  // may use is unregistered.
  blobs_.reset();
  free_readers_.clear();
  readers_.clear();
  writer_.reset();
  vfs_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Store::Latch(const Status& s) {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (fatal_.ok()) fatal_ = s;
}

Status Store::FatalError() const {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (!fatal_.ok()) return fatal_;
  }
  return blobs_ ? blobs_->fatal_error() : OkStatus();
}

uint64_t Store::LogSize() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return committed_.size();
}

audit::Hash Store::LogRoot() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return RootOfPeaks(committed_.peaks());
}

Db* Store::AcquireReader() const {
  std::unique_lock<std::mutex> lock(pool_mu_);
  pool_cv_.wait(lock, [this] { return !free_readers_.empty(); });
  Db* db = free_readers_.back();
  free_readers_.pop_back();
  return db;
}

void Store::ReleaseReader(Db* db) const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    free_readers_.push_back(db);
  }
  pool_cv_.notify_one();
}

Status Store::WithDb(const DbFn& fn) const {
  Db* db = AcquireReader();
  Status s = fn(*db);
  ReleaseReader(db);
  return s;
}

StatusOr<Store::Transaction> Store::Begin() {
  if (writer_owner_.load() == std::this_thread::get_id()) {
    return FailedPreconditionError(
        "this thread already holds the store's write transaction");
  }
  std::unique_lock<std::mutex> lock(writer_mu_);
  CONCLAVE_RETURN_IF_ERROR(FatalError());
  // IMMEDIATE: take SQLite's write lock now, so the transaction cannot fail
  // later for want of it.
  Status s = writer_->Exec("BEGIN IMMEDIATE");
  if (!s.ok()) {
    if (writer_->sync_failed()) Latch(s);
    return s;
  }
  writer_owner_.store(std::this_thread::get_id());
  audit::PostorderBuilder builder;
  {
    std::lock_guard<std::mutex> state_lock(state_mu_);
    builder = committed_;
  }
  return Transaction(this, std::move(lock), std::move(builder));
}

StatusOr<uint64_t> Store::PruneNonces(int64_t older_than_unix) {
  CONCLAVE_ASSIGN_OR_RETURN(Transaction txn, Begin());
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t n, txn.PruneNonces(older_than_unix));
  CONCLAVE_RETURN_IF_ERROR(txn.Commit());
  return n;
}

StatusOr<BlobStore::GcStats> Store::CollectOrphanBlobs(
    std::chrono::seconds min_age) {
  return blobs_->CollectGarbage(
      [this](const Sha256Digest& h) { return BlobReferenced(h); }, min_age);
}

Status Store::CheckIntegrity(bool verify_blobs) const {
  std::vector<Sha256Digest> blobs;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    // One snapshot for every check.
    CONCLAVE_RETURN_IF_ERROR(db.Exec("BEGIN"));
    Status s = [&]() -> Status {
      {
        CONCLAVE_ASSIGN_OR_RETURN(Stmt ic,
                                  db.Prepare("PRAGMA integrity_check"));
        std::string problems;
        for (;;) {
          CONCLAVE_ASSIGN_OR_RETURN(bool row, ic.Step());
          if (!row) break;
          const std::string line = ic.Text(0);
          if (line != "ok") problems += line + "; ";
        }
        if (!problems.empty()) {
          return DataLossError("integrity_check: " + problems);
        }
      }
      {
        CONCLAVE_ASSIGN_OR_RETURN(Stmt fk,
                                  db.Prepare("PRAGMA foreign_key_check"));
        CONCLAVE_ASSIGN_OR_RETURN(bool row, fk.Step());
        if (row) {
          return DataLossError("foreign_key_check: table " + fk.Text(0) +
                               " has a row whose reference is missing");
        }
      }
      CONCLAVE_ASSIGN_OR_RETURN(audit::PostorderBuilder b,
                                RebuildLog(db, /*verify=*/true));
      if (b.size() < LogSize()) {
        return DataLossError("the database holds fewer leaves than committed");
      }
      if (verify_blobs) {
        CONCLAVE_ASSIGN_OR_RETURN(
            Stmt fh, db.Prepare("SELECT file_hash FROM submissions"));
        for (;;) {
          CONCLAVE_ASSIGN_OR_RETURN(bool row, fh.Step());
          if (!row) break;
          CONCLAVE_ASSIGN_OR_RETURN(Sha256Digest h,
                                    DigestColumn(fh, 0, "file hash"));
          blobs.push_back(h);
        }
      }
      return OkStatus();
    }();
    (void)db.Exec("COMMIT");
    return s;
  }));
  for (const Sha256Digest& h : blobs) {
    CONCLAVE_RETURN_IF_ERROR(blobs_->Verify(h));
  }
  return OkStatus();
}

// ---- Transaction ----

enum class Store::Transaction::EditorTable : int {
  kVote,
  kApproval,
  kWithdrawal
};

Store::Transaction::Transaction(Store* store, std::unique_lock<std::mutex> lock,
                                audit::PostorderBuilder builder)
    : store_(store),
      lock_(std::move(lock)),
      builder_(std::move(builder)),
      begin_size_(builder_.size()) {}

Store::Transaction::Transaction(Transaction&& other) noexcept
    : store_(other.store_),
      lock_(std::move(other.lock_)),
      builder_(std::move(other.builder_)),
      begin_size_(other.begin_size_),
      poisoned_(std::move(other.poisoned_)) {
  other.store_ = nullptr;
}

Store::Transaction& Store::Transaction::operator=(
    Transaction&& other) noexcept {
  if (this != &other) {
    Rollback();
    store_ = other.store_;
    lock_ = std::move(other.lock_);
    builder_ = std::move(other.builder_);
    begin_size_ = other.begin_size_;
    poisoned_ = std::move(other.poisoned_);
    other.store_ = nullptr;
  }
  return *this;
}

Store::Transaction::~Transaction() { Rollback(); }

uint64_t Store::Transaction::LogSize() const { return builder_.size(); }

uint64_t Store::Transaction::PendingLeaves() const {
  return builder_.size() - begin_size_;
}

Status Store::Transaction::Usable() const {
  if (store_ == nullptr) {
    return FailedPreconditionError("the transaction is finished");
  }
  return poisoned_;
}

Status Store::Transaction::Poison(Status s) {
  if (poisoned_.ok()) poisoned_ = s;
  if (store_ != nullptr && store_->writer_->sync_failed()) store_->Latch(s);
  return s;
}

Status Store::Transaction::WithDb(const DbFn& fn) const {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  Db& db = *store_->writer_;
  Status s = fn(db);
  // Some errors (a full disk, I/O) make SQLite roll back by itself; the
  // transaction is gone then, whatever this call was.
  if (!s.ok() && sqlite3_get_autocommit(db.get())) {
    if (poisoned_.ok()) poisoned_ = s;
  }
  if (!s.ok() && db.sync_failed()) store_->Latch(s);
  return s;
}

Status Store::Transaction::CheckOwnLeaf(uint64_t leaf_index) const {
  if (leaf_index < begin_size_ || leaf_index >= builder_.size()) {
    return FailedPreconditionError(
        "leaf " + std::to_string(leaf_index) +
        " was not appended in this transaction: a state change is logged in "
        "its own transaction");
  }
  return OkStatus();
}

StatusOr<uint64_t> Store::Transaction::AppendLeafLocked(ByteSpan leaf) {
  const uint64_t index = builder_.size();
  const uint64_t first_pos = audit::NodeCountForSize(index);
  std::vector<audit::Hash> nodes;
  builder_.Append(audit::HashLeaf(leaf), &nodes);
  Status s = WithDb([&](Db& db) -> Status {
    {
      CONCLAVE_ASSIGN_OR_RETURN(
          Stmt ins,
          db.Prepare("INSERT INTO log_leaves (idx, leaf) VALUES (?1, ?2)"));
      ins.BindU64(1, index).Bind(2, leaf);
      CONCLAVE_RETURN_IF_ERROR(ins.Run());
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      CONCLAVE_ASSIGN_OR_RETURN(
          Stmt ins,
          db.Prepare("INSERT INTO log_nodes (pos, hash) VALUES (?1, ?2)"));
      ins.BindU64(1, first_pos + i).Bind(2, ByteSpan(nodes[i]));
      CONCLAVE_RETURN_IF_ERROR(ins.Run());
    }
    return OkStatus();
  });
  // The builder has moved on: a half-written leaf can only be rolled back.
  if (!s.ok()) return Poison(s);
  return index;
}

StatusOr<uint64_t> Store::Transaction::AppendLeaf(ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf of " + std::to_string(leaf.size()) +
                                " bytes is larger than the limit");
  }
  return AppendLeafLocked(leaf);
}

StatusOr<uint64_t> Store::Transaction::AppendLeaves(
    std::span<const Bytes> leaves) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  for (const Bytes& leaf : leaves) {
    if (leaf.size() > audit::kMaxLeafSize) {
      return InvalidArgumentError("leaf of " + std::to_string(leaf.size()) +
                                  " bytes is larger than the limit");
    }
  }
  const uint64_t first = builder_.size();
  for (const Bytes& leaf : leaves) {
    CONCLAVE_RETURN_IF_ERROR(AppendLeafLocked(leaf).status());
  }
  return first;
}

StatusOr<uint64_t> Store::Transaction::InsertSubmission(
    const SubmissionRecord& r, ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (r.id.size() != 64) {
    return InvalidArgumentError("submission id must be 64 hex characters");
  }
  for (size_t i = 0; i < r.excluded_orgs.size(); ++i) {
    if (r.excluded_orgs[i] == 0 ||
        (i > 0 && r.excluded_orgs[i] <= r.excluded_orgs[i - 1])) {
      return InvalidArgumentError(
          "excluded organisations must be nonzero and strictly ascending");
    }
  }
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf is larger than the limit");
  }
  auto existing = GetSubmission(r.id);
  if (existing.ok()) {
    return AlreadyExistsError("submission " + r.id + " is already held");
  }
  if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  // Brief §7: the blob is durable before its row.
  if (!store_->blobs_->Contains(r.file_hash)) {
    return FailedPreconditionError("the blob of submission " + r.id +
                                   " is not stored yet");
  }
  if (r.linked_to_leaf && *r.linked_to_leaf >= builder_.size()) {
    return InvalidArgumentError("linked_to_leaf is not a leaf of the log");
  }
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, AppendLeafLocked(leaf));
  Status s = WithDb([&](Db& db) -> Status {
    {
      CONCLAVE_ASSIGN_OR_RETURN(
          Stmt ins,
          db.Prepare("INSERT INTO submissions (id, header_hash, size, "
                     "file_hash, linked_to_leaf, leaf_index, received_unix) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      ins.Bind(1, std::string_view(r.id))
          .Bind(2, ByteSpan(r.header_hash))
          .BindU64(3, r.size)
          .Bind(4, ByteSpan(r.file_hash));
      if (r.linked_to_leaf) {
        ins.BindU64(5, *r.linked_to_leaf);
      } else {
        ins.BindNull(5);
      }
      ins.BindU64(6, index).Bind(7, r.received_unix);
      CONCLAVE_RETURN_IF_ERROR(ins.Run());
    }
    for (uint32_t org : r.excluded_orgs) {
      CONCLAVE_ASSIGN_OR_RETURN(
          Stmt ins, db.Prepare("INSERT INTO submission_exclusions "
                               "(submission_id, org_id) VALUES (?1, ?2)"));
      ins.Bind(1, std::string_view(r.id)).Bind(2, int64_t{org});
      CONCLAVE_RETURN_IF_ERROR(ins.Run());
    }
    return OkStatus();
  });
  if (!s.ok()) return Poison(s);
  return index;
}

StatusOr<uint64_t> Store::Transaction::InsertRequest(const RequestRecord& r,
                                                     ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf is larger than the limit");
  }
  auto existing = GetRequest(r.id);
  if (existing.ok()) {
    if (existing->statement == r.statement) {
      return AlreadyExistsError("request " + HexEncode(r.id) +
                                " is already held (identical resend)");
    }
    return FailedPreconditionError("request " + HexEncode(r.id) +
                                   " is held with different statement bytes");
  }
  if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  auto submission = GetSubmission(r.submission_id);
  if (!submission.ok()) return submission.status();
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, AppendLeafLocked(leaf));
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt ins,
        db.Prepare("INSERT INTO requests (id, submission_id, org_id, "
                   "editor_index, epoch, statement, expires_unix, state, "
                   "leaf_index, state_leaf_index, received_unix) VALUES (?1, "
                   "?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, NULL, ?9)"));
    ins.Bind(1, ByteSpan(r.id))
        .Bind(2, std::string_view(r.submission_id))
        .Bind(3, int64_t{r.org_id})
        .Bind(4, int64_t{r.editor_index})
        .BindU64(5, r.epoch)
        .Bind(6, ByteSpan(r.statement))
        .Bind(7, r.expires_unix)
        .BindU64(8, index)
        .Bind(9, r.received_unix);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return index;
}

StatusOr<uint64_t> Store::Transaction::InsertEditorStatement(
    EditorTable table, const Sha256Digest& request_id, uint32_t org_id,
    uint32_t editor_index, std::optional<uint32_t> decision, ByteSpan bytes,
    int64_t received, ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  const EditorSql& sql = table == EditorTable::kVote       ? kVoteSql
                         : table == EditorTable::kApproval ? kApprovalSql
                                                           : kWithdrawalSql;
  const char* what = table == EditorTable::kVote       ? "vote"
                     : table == EditorTable::kApproval ? "approval"
                                                       : "withdrawal";
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf is larger than the limit");
  }
  const std::string who = std::string(what) + " of organisation " +
                          std::to_string(org_id) + " editor " +
                          std::to_string(editor_index) + " on request " +
                          HexEncode(request_id);
  std::optional<Bytes> held;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql.find));
    s.Bind(1, ByteSpan(request_id))
        .Bind(2, int64_t{org_id})
        .Bind(3, int64_t{editor_index});
    CONCLAVE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) held = s.Blob(0);
    return OkStatus();
  }));
  if (held) {
    // Compare exact bytes: the resend must be the same signed statement,
    // not merely an equivalent one (brief §2, never re-serialize).
    if (*held == Bytes(bytes.begin(), bytes.end())) {
      return AlreadyExistsError(who + " is already held (identical resend)");
    }
    return FailedPreconditionError(
        who +
        " is already held with different bytes; a second, different "
        "statement by the same editor is refused");
  }
  CONCLAVE_RETURN_IF_ERROR(GetRequest(request_id).status());
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, AppendLeafLocked(leaf));
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Stmt ins, db.Prepare(sql.insert));
    ins.Bind(1, ByteSpan(request_id))
        .Bind(2, int64_t{org_id})
        .Bind(3, int64_t{editor_index});
    if (decision) ins.Bind(4, int64_t{*decision});
    ins.Bind(5, bytes).BindU64(6, index).Bind(7, received);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return index;
}

StatusOr<uint64_t> Store::Transaction::InsertVote(const VoteRecord& r,
                                                  ByteSpan leaf) {
  return InsertEditorStatement(EditorTable::kVote, r.request_id, r.org_id,
                               r.editor_index, r.decision, r.statement,
                               r.received_unix, leaf);
}

StatusOr<uint64_t> Store::Transaction::InsertApproval(const ApprovalRecord& r,
                                                      ByteSpan leaf) {
  return InsertEditorStatement(EditorTable::kApproval, r.request_id, r.org_id,
                               r.editor_index, std::nullopt, r.approval,
                               r.received_unix, leaf);
}

StatusOr<uint64_t> Store::Transaction::InsertWithdrawal(
    const WithdrawalRecord& r, ByteSpan leaf) {
  return InsertEditorStatement(EditorTable::kWithdrawal, r.request_id, r.org_id,
                               r.editor_index, std::nullopt, r.statement,
                               r.received_unix, leaf);
}

StatusOr<uint64_t> Store::Transaction::InsertRoster(const RosterRecord& r,
                                                    ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (r.epoch < 1) return InvalidArgumentError("roster epochs start at 1");
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf is larger than the limit");
  }
  auto same = GetRoster(r.epoch);
  if (same.ok()) {
    if (same->roster == r.roster) {
      return AlreadyExistsError("roster epoch " + std::to_string(r.epoch) +
                                " is already held (identical)");
    }
    return FailedPreconditionError("a different roster for epoch " +
                                   std::to_string(r.epoch) + " is held");
  }
  if (same.status().code() != StatusCode::kNotFound) return same.status();
  auto latest = LatestRoster();
  if (latest.ok() && latest->epoch >= r.epoch) {
    return FailedPreconditionError("roster epoch " + std::to_string(r.epoch) +
                                   " is not above the latest (" +
                                   std::to_string(latest->epoch) + ")");
  }
  if (!latest.ok() && latest.status().code() != StatusCode::kNotFound) {
    return latest.status();
  }
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, AppendLeafLocked(leaf));
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt ins, db.Prepare("INSERT INTO rosters (epoch, roster, leaf_index, "
                             "received_unix) VALUES (?1, ?2, ?3, ?4)"));
    ins.BindU64(1, r.epoch)
        .Bind(2, ByteSpan(r.roster))
        .BindU64(3, index)
        .Bind(4, r.received_unix);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return index;
}

Status Store::Transaction::InsertContact(const ContactRecord& r) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (r.lookup_id.size() != 32 || r.auth_key.size() != 33 ||
      r.reply_recipient.empty()) {
    return InvalidArgumentError(
        "a contact needs a 32-byte lookup id, a 33-byte key and a recipient");
  }
  CONCLAVE_RETURN_IF_ERROR(GetSubmission(r.submission_id).status());
  if (GetContact(r.lookup_id).ok() ||
      GetContactForSubmission(r.submission_id).ok()) {
    return AlreadyExistsError("this contact is already held");
  }
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt ins, db.Prepare("INSERT INTO contacts (lookup_id, auth_key, "
                             "reply_recipient, submission_id, created_unix) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)"));
    ins.Bind(1, ByteSpan(r.lookup_id))
        .Bind(2, ByteSpan(r.auth_key))
        .Bind(3, std::string_view(r.reply_recipient))
        .Bind(4, std::string_view(r.submission_id))
        .Bind(5, r.created_unix);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return OkStatus();
}

StatusOr<uint64_t> Store::Transaction::InsertReply(const ReplyRecord& r,
                                                   ByteSpan leaf) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (leaf.size() > audit::kMaxLeafSize) {
    return InvalidArgumentError("leaf is larger than the limit");
  }
  CONCLAVE_RETURN_IF_ERROR(GetSubmission(r.submission_id).status());
  bool held = false;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare("SELECT 1 FROM replies WHERE id = ?1"));
    s.Bind(1, ByteSpan(r.id));
    CONCLAVE_ASSIGN_OR_RETURN(held, s.Step());
    return OkStatus();
  }));
  if (held) {
    return AlreadyExistsError("reply " + HexEncode(r.id) + " is already held");
  }
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, AppendLeafLocked(leaf));
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt ins,
        db.Prepare("INSERT INTO replies (id, submission_id, org_id, "
                   "editor_index, statement, ciphertext, leaf_index, "
                   "received_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    ins.Bind(1, ByteSpan(r.id))
        .Bind(2, std::string_view(r.submission_id))
        .Bind(3, int64_t{r.org_id})
        .Bind(4, int64_t{r.editor_index})
        .Bind(5, ByteSpan(r.statement))
        .Bind(6, ByteSpan(r.ciphertext))
        .BindU64(7, index)
        .Bind(8, r.received_unix);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return index;
}

Status Store::Transaction::SetRequestState(const Sha256Digest& request_id,
                                           RequestState expected,
                                           RequestState next,
                                           uint64_t leaf_index) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (expected == next) {
    return InvalidArgumentError("a state change must change the state");
  }
  CONCLAVE_RETURN_IF_ERROR(CheckOwnLeaf(leaf_index));
  CONCLAVE_ASSIGN_OR_RETURN(RequestRecord current, GetRequest(request_id));
  if (current.state != expected) {
    return FailedPreconditionError(
        "request " + HexEncode(request_id) + " is " +
        std::string(RequestStateName(current.state)) + ", not " +
        std::string(RequestStateName(expected)));
  }
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt up, db.Prepare("UPDATE requests SET state = ?2, "
                            "state_leaf_index = ?3 WHERE id = ?1 AND "
                            "state = ?4"));
    up.Bind(1, ByteSpan(request_id))
        .Bind(2, RequestStateName(next))
        .BindU64(3, leaf_index)
        .Bind(4, RequestStateName(expected));
    CONCLAVE_RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db.get()) != 1) {
      return InternalError("request state update changed no row");
    }
    return OkStatus();
  });
  if (!s.ok()) return Poison(s);
  return OkStatus();
}

Status Store::Transaction::RecordNonce(const NonceRecord& r) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  if (r.signer.empty() || r.nonce.empty()) {
    return InvalidArgumentError("a nonce needs a signer and bytes");
  }
  bool held = false;
  CONCLAVE_RETURN_IF_ERROR(WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt s, db.Prepare("SELECT 1 FROM api_nonces WHERE signer = ?1 AND "
                           "nonce = ?2"));
    s.Bind(1, std::string_view(r.signer)).Bind(2, ByteSpan(r.nonce));
    CONCLAVE_ASSIGN_OR_RETURN(held, s.Step());
    return OkStatus();
  }));
  if (held) {
    return AlreadyExistsError("nonce already used by " + r.signer +
                              ": a replayed call");
  }
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt ins, db.Prepare("INSERT INTO api_nonces (signer, nonce, "
                             "timestamp_unix) VALUES (?1, ?2, ?3)"));
    ins.Bind(1, std::string_view(r.signer))
        .Bind(2, ByteSpan(r.nonce))
        .Bind(3, r.timestamp_unix);
    return ins.Run();
  });
  if (!s.ok()) return Poison(s);
  return OkStatus();
}

StatusOr<uint64_t> Store::Transaction::PruneNonces(int64_t older_than_unix) {
  CONCLAVE_RETURN_IF_ERROR(Usable());
  uint64_t n = 0;
  Status s = WithDb([&](Db& db) -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(
        Stmt del,
        db.Prepare("DELETE FROM api_nonces WHERE timestamp_unix < ?1"));
    del.Bind(1, older_than_unix);
    CONCLAVE_RETURN_IF_ERROR(del.Run());
    n = static_cast<uint64_t>(sqlite3_changes64(db.get()));
    return OkStatus();
  });
  if (!s.ok()) return Poison(s);
  return n;
}

Status Store::Transaction::Commit() {
  if (store_ == nullptr) {
    return FailedPreconditionError("the transaction is finished");
  }
  if (!poisoned_.ok()) {
    Status s = poisoned_;
    Rollback();
    return s;
  }
  Db& db = *store_->writer_;
  Status s = db.Exec("COMMIT");
  if (!s.ok()) {
    if (db.sync_failed()) store_->Latch(s);
    Rollback();
    return s;
  }
  {
    std::lock_guard<std::mutex> state_lock(store_->state_mu_);
    store_->committed_ = builder_;
  }
  Finish();
  return OkStatus();
}

void Store::Transaction::Rollback() {
  if (store_ == nullptr) return;
  Db& db = *store_->writer_;
  // After some errors SQLite has already rolled back.
  if (!sqlite3_get_autocommit(db.get())) (void)db.Exec("ROLLBACK");
  Finish();
}

void Store::Transaction::Finish() {
  store_->writer_owner_.store(std::thread::id());
  store_ = nullptr;
  if (lock_.owns_lock()) lock_.unlock();
}

}  // namespace conclave::daemon
