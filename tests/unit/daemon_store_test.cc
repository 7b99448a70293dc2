// The daemon's durable store (brief §6, §7; issue 7 "Storage"): records and
// audit leaves in one SQLite transaction, resend semantics, blobs,
// fault injection, crash recovery and concurrency. The concurrency test runs
// under ThreadSanitizer in `make test-tsan` (every ctest runs there).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.h"
#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "base/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "daemon/blob_store.h"
#include "daemon/sqlite_log_storage.h"
#include "daemon/storage_faults.h"
#include "daemon/store.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;

Bytes B(std::string_view s) { return ToBytes(s); }

Sha256Digest H(std::string_view s) { return Sha256(AsBytes(s)); }

std::string SubmissionId(int i) {
  return HexEncode(Sha256(AsBytes("enc " + std::to_string(i))));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (fs::path(::testing::TempDir()) / "storeXXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "data";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Store> OpenOrDie(const StoreOptions& options = {}) {
    auto s = Store::Open(dir_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    return std::move(s).value();
  }

  // Stores a blob and its submission with a leaf; returns the leaf index.
  static uint64_t AddSubmission(Store& store, int i,
                                std::vector<uint32_t> excluded = {}) {
    const Bytes file = B("age file " + std::to_string(i));
    auto hash = store.blobs().Put(file);
    EXPECT_TRUE(hash.ok()) << hash.status().ToString();
    SubmissionRecord r;
    r.id = SubmissionId(i);
    r.header_hash = H("header " + std::to_string(i));
    r.size = file.size();
    r.file_hash = *hash;
    r.excluded_orgs = std::move(excluded);
    r.received_unix = 1000 + i;
    auto txn = store.Begin();
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    auto leaf = txn->InsertSubmission(r, B("leaf submission " + r.id));
    EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_TRUE(txn->Commit().ok());
    return leaf.ok() ? *leaf : 0;
  }

  static RequestRecord MakeRequest(int submission, std::string_view tag) {
    RequestRecord r;
    r.statement = B("request statement " + std::string(tag));
    r.id = Sha256(r.statement);
    r.submission_id = SubmissionId(submission);
    r.org_id = 1;
    r.editor_index = 1;
    r.epoch = 1;
    r.expires_unix = 5000;
    r.received_unix = 2000;
    return r;
  }

  static uint64_t AddRequest(Store& store, const RequestRecord& r) {
    auto txn = store.Begin();
    EXPECT_TRUE(txn.ok());
    auto leaf = txn->InsertRequest(r, B("leaf request " + HexEncode(r.id)));
    EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_TRUE(txn->Commit().ok());
    return leaf.ok() ? *leaf : 0;
  }

  static VoteRecord MakeVote(const Sha256Digest& request, uint32_t org,
                             uint32_t editor, std::string_view body) {
    VoteRecord v;
    v.request_id = request;
    v.org_id = org;
    v.editor_index = editor;
    v.decision = 1;
    v.statement = B("vote " + std::string(body));
    v.received_unix = 3000;
    return v;
  }

  // Every leaf of the store, in order.
  static std::vector<Bytes> AllLeaves(const RecordReader& r) {
    std::vector<Bytes> out;
    for (uint64_t i = 0; i < r.LogSize(); ++i) {
      auto leaf = r.LogLeaf(i);
      EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
      out.push_back(leaf.ok() ? *leaf : Bytes());
    }
    return out;
  }

  static audit::Hash MemoryRoot(const std::vector<Bytes>& leaves) {
    audit::MemoryLogStorage mem;
    for (const Bytes& l : leaves) EXPECT_TRUE(mem.Append(l).ok());
    EXPECT_TRUE(mem.Commit().ok());
    auto root = audit::RootHash(mem, mem.Size());
    EXPECT_TRUE(root.ok());
    return *root;
  }

  // An independent connection, to check what SQLite itself says.
  std::string IndependentQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ / "conclave.db").c_str(), &db,
                              SQLITE_OPEN_READWRITE, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    std::string out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      if (!out.empty()) out += "|";
      out += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  fs::path root_;
  fs::path dir_;
};

// ---- schema, pragmas, basics ----

TEST_F(StoreTest, OpenCreatesWalDatabaseWithSchema) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LogSize(), 0u);
  EXPECT_EQ(store->LogRoot(), audit::EmptyRootHash());
  EXPECT_TRUE(fs::exists(dir_ / "conclave.db"));
  EXPECT_TRUE(fs::is_directory(dir_ / "blobs"));
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all,
            fs::perms::owner_all);
  // journal_mode is persistent in the file: any connection sees WAL.
  EXPECT_EQ(IndependentQuery("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(IndependentQuery("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(IndependentQuery("SELECT count(*) FROM sqlite_schema WHERE type = "
                             "'table' AND name IN ('log_leaves', 'log_nodes', "
                             "'submissions', 'requests', 'votes', "
                             "'approvals', 'withdrawals', 'rosters', "
                             "'api_nonces')"),
            "9");
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto store = OpenOrDie();
  auto again = Store::Open(dir_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  store.reset();
  EXPECT_TRUE(Store::Open(dir_).ok());
}

TEST_F(StoreTest, BeginTwiceOnOneThreadIsRefusedNotDeadlocked) {
  auto store = OpenOrDie();
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  auto second = store->Begin();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  txn->Rollback();
  EXPECT_FALSE(txn->active());
  EXPECT_TRUE(store->Begin().ok());
}

// ---- submissions ----

TEST_F(StoreTest, SubmissionRoundTripAndDuplicateRefused) {
  auto store = OpenOrDie();
  const uint64_t leaf = AddSubmission(*store, 7, {2, 5});
  EXPECT_EQ(leaf, 0u);
  EXPECT_EQ(store->LogSize(), 1u);

  auto got = store->GetSubmission(SubmissionId(7));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, SubmissionId(7));
  EXPECT_EQ(got->header_hash, H("header 7"));
  EXPECT_EQ(got->size, B("age file 7").size());
  EXPECT_EQ(got->file_hash, Sha256(B("age file 7")));
  EXPECT_EQ(got->excluded_orgs, (std::vector<uint32_t>{2, 5}));
  EXPECT_FALSE(got->linked_to_leaf.has_value());
  EXPECT_EQ(got->leaf_index, 0u);
  EXPECT_EQ(got->received_unix, 1007);
  EXPECT_EQ(*store->LogLeaf(0), B("leaf submission " + SubmissionId(7)));

  // A known id is refused whatever else differs (brief §2), and nothing
  // is appended.
  SubmissionRecord dup = *got;
  dup.header_hash = H("other");
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  auto again = txn->InsertSubmission(dup, B("leaf dup"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(txn->PendingLeaves(), 0u);
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_EQ(store->LogSize(), 1u);

  EXPECT_EQ(store->GetSubmission(SubmissionId(8)).status().code(),
            StatusCode::kNotFound);
  auto list = store->ListSubmissions();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(*store->BlobReferenced(Sha256(B("age file 7"))));
  EXPECT_FALSE(*store->BlobReferenced(H("nothing")));
}

TEST_F(StoreTest, SubmissionRowNeedsItsBlobFirst) {
  auto store = OpenOrDie();
  SubmissionRecord r;
  r.id = SubmissionId(1);
  r.file_hash = H("never stored");
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  auto s = txn->InsertSubmission(r, B("leaf"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->LogSize(), 0u);
}

TEST_F(StoreTest, SubmissionFieldsAreCheckedForShape) {
  auto store = OpenOrDie();
  auto hash = store->blobs().Put(B("x"));
  ASSERT_TRUE(hash.ok());
  SubmissionRecord r;
  r.id = "abc";
  r.file_hash = *hash;
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->InsertSubmission(r, B("l")).status().code(),
            StatusCode::kInvalidArgument);
  r.id = SubmissionId(1);
  r.excluded_orgs = {3, 3};
  EXPECT_EQ(txn->InsertSubmission(r, B("l")).status().code(),
            StatusCode::kInvalidArgument);
  r.excluded_orgs = {0};
  EXPECT_EQ(txn->InsertSubmission(r, B("l")).status().code(),
            StatusCode::kInvalidArgument);
  r.excluded_orgs = {1, 4};
  EXPECT_TRUE(txn->InsertSubmission(r, B("l")).ok());
  EXPECT_TRUE(txn->Commit().ok());
}

// ---- requests ----

TEST_F(StoreTest, RequestLifecycleIsCompareAndSet) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  const RequestRecord req = MakeRequest(1, "a");
  const uint64_t req_leaf = AddRequest(*store, req);
  EXPECT_EQ(req_leaf, 1u);

  auto got = store->GetRequest(req.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, RequestState::kOpen);
  EXPECT_EQ(got->statement, req.statement);
  EXPECT_EQ(got->submission_id, SubmissionId(1));
  EXPECT_EQ(got->expires_unix, 5000);
  EXPECT_FALSE(got->state_leaf_index.has_value());

  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  // Resend semantics.
  EXPECT_EQ(txn->InsertRequest(req, B("l")).status().code(),
            StatusCode::kAlreadyExists);
  RequestRecord changed = req;
  changed.statement = B("another signature");
  EXPECT_EQ(txn->InsertRequest(changed, B("l")).status().code(),
            StatusCode::kFailedPrecondition);
  RequestRecord orphan = MakeRequest(99, "b");
  EXPECT_EQ(txn->InsertRequest(orphan, B("l")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(txn->PendingLeaves(), 0u);

  // A state change needs a leaf of this transaction.
  EXPECT_EQ(txn->SetRequestState(req.id, RequestState::kOpen,
                                 RequestState::kExpired, req_leaf)
                .code(),
            StatusCode::kFailedPrecondition);
  auto expiry = txn->AppendLeaf(B("leaf expiry"));
  ASSERT_TRUE(expiry.ok());
  EXPECT_EQ(txn->SetRequestState(H("unknown"), RequestState::kOpen,
                                 RequestState::kExpired, *expiry)
                .code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(txn->SetRequestState(req.id, RequestState::kOpen,
                                   RequestState::kExpired, *expiry)
                  .ok());
  // The transaction sees its own write; readers do not, yet.
  EXPECT_EQ(txn->GetRequest(req.id)->state, RequestState::kExpired);
  EXPECT_EQ(store->GetRequest(req.id)->state, RequestState::kOpen);
  EXPECT_EQ(txn->SetRequestState(req.id, RequestState::kOpen,
                                 RequestState::kReleased, *expiry)
                .code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(txn->Commit().ok());

  got = store->GetRequest(req.id);
  EXPECT_EQ(got->state, RequestState::kExpired);
  EXPECT_EQ(got->state_leaf_index, std::optional<uint64_t>(*expiry));
  EXPECT_EQ(store->ListRequests(RequestState::kOpen)->size(), 0u);
  EXPECT_EQ(store->ListRequests(RequestState::kExpired)->size(), 1u);
  EXPECT_EQ(store->ListRequests()->size(), 1u);
}

TEST_F(StoreTest, ExpiredOpenRequestsAreListedForTheSweep) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  RequestRecord early = MakeRequest(1, "early");
  early.expires_unix = 100;
  RequestRecord late = MakeRequest(1, "late");
  late.expires_unix = 900;
  AddRequest(*store, early);
  AddRequest(*store, late);
  auto due = store->ListExpiredOpenRequests(500);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, early.id);
  EXPECT_EQ(store->ListExpiredOpenRequests(900)->size(), 2u);
}

// ---- votes, approvals, withdrawals: byte-identical resend ----

TEST_F(StoreTest, VoteResendIsIdempotentAndDifferentVoteRefused) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  const RequestRecord req = MakeRequest(1, "a");
  AddRequest(*store, req);

  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  const VoteRecord v = MakeVote(req.id, 2, 1, "yes");
  auto leaf = txn->InsertVote(v, B("leaf vote"));
  ASSERT_TRUE(leaf.ok());
  // Within the same transaction too.
  EXPECT_EQ(txn->InsertVote(v, B("leaf vote")).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(txn->Commit().ok());

  txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  auto resend = txn->InsertVote(v, B("leaf vote"));
  EXPECT_EQ(resend.status().code(), StatusCode::kAlreadyExists);
  VoteRecord other = v;
  other.statement = B("vote no");
  other.decision = 2;
  EXPECT_EQ(txn->InsertVote(other, B("leaf vote 2")).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      txn->InsertVote(MakeVote(H("nope"), 2, 1, "x"), B("l")).status().code(),
      StatusCode::kNotFound);
  // Refusals leave the transaction usable.
  EXPECT_TRUE(txn->InsertVote(MakeVote(req.id, 2, 2, "yes"), B("l2")).ok());
  EXPECT_TRUE(txn->InsertVote(MakeVote(req.id, 3, 1, "yes"), B("l3")).ok());
  ASSERT_TRUE(txn->Commit().ok());

  auto votes = store->ListVotes(req.id);
  ASSERT_TRUE(votes.ok());
  ASSERT_EQ(votes->size(), 3u);
  EXPECT_EQ((*votes)[0].statement, v.statement);
  EXPECT_EQ((*votes)[0].leaf_index, *leaf);
  EXPECT_EQ((*votes)[0].decision, 1u);
  EXPECT_EQ(*store->LogLeaf(*leaf), B("leaf vote"));
}

TEST_F(StoreTest, ApprovalAndWithdrawalResendSemantics) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  const RequestRecord req = MakeRequest(1, "a");
  AddRequest(*store, req);

  ApprovalRecord a;
  a.request_id = req.id;
  a.org_id = 1;
  a.editor_index = 2;
  a.approval = B("approval bytes");
  WithdrawalRecord w;
  w.request_id = req.id;
  w.org_id = 1;
  w.editor_index = 1;
  w.statement = B("withdraw");

  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->InsertApproval(a, B("leaf approval")).ok());
  auto wleaf = txn->InsertWithdrawal(w, B("leaf withdrawal"));
  ASSERT_TRUE(wleaf.ok());
  ASSERT_TRUE(txn->SetRequestState(req.id, RequestState::kOpen,
                                   RequestState::kWithdrawn, *wleaf)
                  .ok());
  ASSERT_TRUE(txn->Commit().ok());

  txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->InsertApproval(a, B("x")).status().code(),
            StatusCode::kAlreadyExists);
  ApprovalRecord a2 = a;
  a2.approval = B("approval bytes, different ciphertext");
  EXPECT_EQ(txn->InsertApproval(a2, B("x")).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->InsertWithdrawal(w, B("x")).status().code(),
            StatusCode::kAlreadyExists);
  WithdrawalRecord w2 = w;
  w2.statement = B("withdraw again");
  EXPECT_EQ(txn->InsertWithdrawal(w2, B("x")).status().code(),
            StatusCode::kFailedPrecondition);
  txn->Rollback();

  EXPECT_EQ(store->ListApprovals(req.id)->size(), 1u);
  EXPECT_EQ((*store->ListApprovals(req.id))[0].approval, a.approval);
  EXPECT_EQ(store->ListWithdrawals(req.id)->size(), 1u);
  EXPECT_EQ(store->GetRequest(req.id)->state, RequestState::kWithdrawn);
}

// ---- rosters and nonces ----

TEST_F(StoreTest, RosterChainOnlyGrows) {
  auto store = OpenOrDie();
  EXPECT_EQ(store->LatestRoster().status().code(), StatusCode::kNotFound);
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  RosterRecord r1{1, B("roster 1"), 0, 10};
  RosterRecord r2{2, B("roster 2"), 0, 20};
  ASSERT_TRUE(txn->InsertRoster(r1, B("leaf roster 1")).ok());
  ASSERT_TRUE(txn->InsertRoster(r2, B("leaf roster 2")).ok());
  ASSERT_TRUE(txn->Commit().ok());

  txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->InsertRoster(r1, B("x")).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(txn->InsertRoster(RosterRecord{2, B("forged"), 0, 0}, B("x"))
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->InsertRoster(RosterRecord{0, B("zero"), 0, 0}, B("x"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  txn->Rollback();
  auto latest = store->LatestRoster();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->epoch, 2u);
  EXPECT_EQ(latest->roster, B("roster 2"));
  EXPECT_EQ(store->GetRoster(1)->leaf_index, 0u);
}

TEST_F(StoreTest, NonceReplayIsRefusedAndOldNoncesPruned) {
  auto store = OpenOrDie();
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->RecordNonce({"1/1", B("nonce-a"), 100}).ok());
  EXPECT_EQ(txn->RecordNonce({"1/1", B("nonce-a"), 101}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(txn->RecordNonce({"2/1", B("nonce-a"), 100}).ok());
  EXPECT_TRUE(txn->RecordNonce({"1/1", B("nonce-b"), 500}).ok());
  EXPECT_EQ(txn->RecordNonce({"", B("n"), 1}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(txn->Commit().ok());

  txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->RecordNonce({"1/1", B("nonce-a"), 600}).code(),
            StatusCode::kAlreadyExists);
  txn->Rollback();

  auto pruned = store->PruneNonces(200);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2u);
  txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->RecordNonce({"1/1", B("nonce-b"), 600}).code(),
            StatusCode::kAlreadyExists);
}

// ---- transactions and the log ----

TEST_F(StoreTest, UncommittedWorkIsInvisibleAndRolledBack) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  const audit::Hash root1 = store->LogRoot();
  {
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    auto hash = store->blobs().Put(B("age file 2"));
    ASSERT_TRUE(hash.ok());
    SubmissionRecord r;
    r.id = SubmissionId(2);
    r.file_hash = *hash;
    ASSERT_TRUE(txn->InsertSubmission(r, B("leaf 2")).ok());
    ASSERT_TRUE(txn->AppendLeaf(B("leaf 3")).ok());
    EXPECT_EQ(txn->LogSize(), 3u);
    EXPECT_EQ(txn->PendingLeaves(), 2u);
    EXPECT_TRUE(txn->GetSubmission(SubmissionId(2)).ok());
    // Readers see the committed state only.
    EXPECT_EQ(store->LogSize(), 1u);
    EXPECT_EQ(store->GetSubmission(SubmissionId(2)).status().code(),
              StatusCode::kNotFound);
    EXPECT_EQ(store->LogLeaf(1).status().code(), StatusCode::kOutOfRange);
    // Destroyed without Commit(): rolled back.
  }
  EXPECT_EQ(store->LogSize(), 1u);
  EXPECT_EQ(store->LogRoot(), root1);
  EXPECT_EQ(store->GetSubmission(SubmissionId(2)).status().code(),
            StatusCode::kNotFound);
  // The next transaction reuses the indices.
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(*txn->AppendLeaf(B("leaf after rollback")), 1u);
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(store->LogRoot(),
            MemoryRoot({B("leaf submission " + SubmissionId(1)),
                        B("leaf after rollback")}));
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, BatchedLeavesMatchMemoryLogStorageRootsAndProofs) {
  auto store = OpenOrDie();
  audit::MemoryLogStorage mem;
  std::vector<Bytes> batch;
  for (int i = 0; i < 70; ++i) batch.push_back(B("leaf " + std::to_string(i)));
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  auto first = txn->AppendLeaves(batch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 0u);
  ASSERT_TRUE(txn->Commit().ok());
  for (const Bytes& l : batch) ASSERT_TRUE(mem.Append(l).ok());
  ASSERT_TRUE(mem.Commit().ok());

  SqliteLogStorage view(store.get());
  EXPECT_EQ(view.Size(), 70u);
  EXPECT_EQ(view.CommittedSize(), 70u);
  EXPECT_EQ(store->LogRoot(), *audit::RootHash(mem, 70));
  for (uint64_t size : {1u, 2u, 3u, 31u, 32u, 33u, 64u, 70u}) {
    EXPECT_EQ(*audit::RootHash(view, size), *audit::RootHash(mem, size))
        << size;
    for (uint64_t i : {uint64_t{0}, size / 2, size - 1}) {
      EXPECT_EQ(*audit::InclusionProof(view, i, size),
                *audit::InclusionProof(mem, i, size));
    }
    EXPECT_EQ(*audit::ConsistencyProof(view, size, 70),
              *audit::ConsistencyProof(mem, size, 70));
  }
  EXPECT_EQ(view.SubtreeHash(0, 70).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(view.Leaf(70).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(*view.Leaf(69), B("leaf 69"));
}

TEST_F(StoreTest, AuditLogRunsOnTheStoreView) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  auto log =
      audit::Log::Create(std::make_unique<SqliteLogStorage>(store.get()),
                         "conclave.example/log", Ed25519PrivateKey::Generate());
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::vector<Bytes> leaves = {B("daemon started"), B("expiry")};
  auto first = (*log)->AppendBatch(leaves);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 1u);
  EXPECT_EQ(store->LogSize(), 3u);
  auto cp = (*log)->CurrentCheckpoint();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->size, 3u);
  EXPECT_EQ(cp->root_hash, store->LogRoot());
  EXPECT_TRUE((*log)->SignCheckpoint().ok());

  // A view's staged leaves are its own; the store's readers do not see them,
  // and a checkpoint is refused until they commit.
  ASSERT_TRUE((*log)->Append(B("staged")).ok());
  EXPECT_EQ((*log)->storage().Size(), 4u);
  EXPECT_EQ((*log)->storage().CommittedSize(), 3u);
  EXPECT_EQ(store->LogSize(), 3u);
  EXPECT_FALSE((*log)->CurrentCheckpoint().ok());
  (*log)->storage().Rollback();
  EXPECT_EQ((*log)->Size(), 3u);
  EXPECT_TRUE((*log)->CurrentCheckpoint().ok());
  EXPECT_EQ(store->LogRoot(),
            MemoryRoot({B("leaf submission " + SubmissionId(1)),
                        B("daemon started"), B("expiry")}));
}

TEST_F(StoreTest, OversizedLeafRefusedWithoutSideEffects) {
  auto store = OpenOrDie();
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  Bytes big(audit::kMaxLeafSize + 1, 0);
  EXPECT_EQ(txn->AppendLeaf(big).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(txn->LogSize(), 0u);
  EXPECT_TRUE(txn->AppendLeaf(B("ok")).ok());
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);
}

// ---- reopen, tampering ----

TEST_F(StoreTest, ReopenKeepsEveryCommittedRowAndLeaf) {
  std::vector<Bytes> leaves;
  Sha256Digest req_id;
  {
    auto store = OpenOrDie();
    AddSubmission(*store, 1, {3});
    const RequestRecord req = MakeRequest(1, "r");
    req_id = req.id;
    AddRequest(*store, req);
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    for (uint32_t e = 1; e <= 5; ++e) {
      ASSERT_TRUE(txn->InsertVote(MakeVote(req.id, 1, e, std::to_string(e)),
                                  B("leaf vote " + std::to_string(e)))
                      .ok());
    }
    ASSERT_TRUE(txn->Commit().ok());
    leaves = AllLeaves(*store);
  }
  auto store = OpenOrDie();
  EXPECT_EQ(AllLeaves(*store), leaves);
  EXPECT_EQ(store->LogRoot(), MemoryRoot(leaves));
  EXPECT_EQ(store->ListVotes(req_id)->size(), 5u);
  EXPECT_EQ(store->GetSubmission(SubmissionId(1))->excluded_orgs,
            std::vector<uint32_t>{3});
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, TamperedLogHashOrLeafIsDataLossOnOpen) {
  {
    auto store = OpenOrDie();
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(txn->AppendLeaf(B("leaf " + std::to_string(i))).ok());
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  // Rewrite one interior hash behind the store's back.
  IndependentQuery("UPDATE log_nodes SET hash = zeroblob(32) WHERE pos = 2");
  auto reopened = Store::Open(dir_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss);

  // Without full verification the peaks still open; CheckIntegrity finds it.
  StoreOptions quick;
  quick.verify_log_on_open = false;
  auto store = Store::Open(dir_, quick);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->CheckIntegrity(false).code(), StatusCode::kDataLoss);
  store->reset();

  IndependentQuery(
      "UPDATE log_nodes SET hash = (SELECT hash FROM log_nodes "
      "WHERE pos = 3) WHERE pos = 2");  // still wrong
  IndependentQuery("DELETE FROM log_nodes WHERE pos = 7");
  reopened = Store::Open(dir_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss);
}

TEST_F(StoreTest, TamperedLeafIsDataLossOnOpen) {
  {
    auto store = OpenOrDie();
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        txn->AppendLeaves(std::vector<Bytes>{B("a"), B("b"), B("c")}).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  IndependentQuery("UPDATE log_leaves SET leaf = x'00' WHERE idx = 1");
  auto reopened = Store::Open(dir_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss);
}

// ---- blobs ----

TEST_F(StoreTest, BlobsAreContentAddressedAndVerifiedOnRead) {
  auto blobs = BlobStore::Open(root_ / "blobs");
  ASSERT_TRUE(blobs.ok());
  const Bytes data = B("ciphertext");
  auto hash = (*blobs)->Put(data);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, Sha256(data));
  const std::string hex = HexEncode(*hash);
  const fs::path path = root_ / "blobs" / hex.substr(0, 2) / hex.substr(2);
  EXPECT_EQ((*blobs)->PathFor(*hash), path);
  EXPECT_TRUE(fs::is_regular_file(path));
  EXPECT_EQ(*(*blobs)->Get(*hash, 1 << 20), data);
  EXPECT_TRUE((*blobs)->Verify(*hash).ok());
  EXPECT_EQ((*blobs)->Get(*hash, 3).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ((*blobs)->Get(H("absent"), 100).status().code(),
            StatusCode::kNotFound);
  // Putting the same content again is harmless.
  EXPECT_EQ(*(*blobs)->Put(data), *hash);
  EXPECT_TRUE(fs::is_empty(root_ / "blobs" / "tmp"));

  // Streaming, in small chunks.
  Bytes streamed;
  int chunks = 0;
  ASSERT_TRUE((*blobs)
                  ->Stream(*hash, 3,
                           [&](ByteSpan c) {
                             ++chunks;
                             streamed.insert(streamed.end(), c.begin(),
                                             c.end());
                             return OkStatus();
                           })
                  .ok());
  EXPECT_EQ(streamed, data);
  EXPECT_EQ(chunks, 4);

  // One flipped byte on disk: DATA_LOSS, never the wrong bytes.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.put('C');
  }
  EXPECT_EQ((*blobs)->Get(*hash, 1 << 20).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ((*blobs)->Verify(*hash).code(), StatusCode::kDataLoss);
  EXPECT_EQ(
      (*blobs)->Stream(*hash, 1024, [](ByteSpan) { return OkStatus(); }).code(),
      StatusCode::kDataLoss);
  // A second Put of the true content repairs it.
  ASSERT_TRUE((*blobs)->Put(data).ok());
  EXPECT_EQ(*(*blobs)->Get(*hash, 1 << 20), data);
}

TEST_F(StoreTest, StreamingBlobWriterCommitsOrLeavesNothing) {
  auto blobs = BlobStore::Open(root_ / "blobs");
  ASSERT_TRUE(blobs.ok());
  Bytes whole;
  {
    auto w = (*blobs)->NewWriter();
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 100; ++i) {
      const Bytes chunk(1000, static_cast<uint8_t>(i));
      whole.insert(whole.end(), chunk.begin(), chunk.end());
      ASSERT_TRUE(w->Write(chunk).ok());
    }
    EXPECT_EQ(w->size(), 100000u);
    auto hash = w->Commit();
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(*hash, Sha256(whole));
    EXPECT_EQ(w->Commit().status().code(), StatusCode::kFailedPrecondition);
  }
  {
    auto w = (*blobs)->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->Write(B("abandoned upload")).ok());
  }
  EXPECT_TRUE(fs::is_empty(root_ / "blobs" / "tmp"));
  EXPECT_FALSE((*blobs)->Contains(Sha256(B("abandoned upload"))));
}

TEST_F(StoreTest, OrphanedBlobsAreCollectedAfterTheGracePeriod) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  auto orphan = store->blobs().Put(B("crash between blob and row"));
  ASSERT_TRUE(orphan.ok());
  { std::ofstream(dir_ / "blobs" / "tmp" / "blob-leftover") << "partial"; }
  // Young files stay: their rows may be about to commit.
  auto young = store->CollectOrphanBlobs(std::chrono::hours(1));
  ASSERT_TRUE(young.ok());
  EXPECT_EQ(young->blobs_removed, 0u);
  EXPECT_TRUE(store->blobs().Contains(*orphan));

  auto stats = store->CollectOrphanBlobs(std::chrono::seconds(0));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blobs_removed, 1u);
  EXPECT_EQ(stats->temp_files_removed, 1u);
  EXPECT_FALSE(store->blobs().Contains(*orphan));
  EXPECT_TRUE(store->blobs().Contains(Sha256(B("age file 1"))));
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, CheckIntegrityFindsAMissingOrCorruptBlob) {
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
  fs::remove(store->blobs().PathFor(Sha256(B("age file 1"))));
  EXPECT_EQ(store->CheckIntegrity(true).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->CheckIntegrity(false).ok());
}

// ---- fault injection (issue 10: disk full, fsync failure) ----

TEST_F(StoreTest, DiskFullOnCommitRollsBackAndTheStoreRecovers) {
  FaultInjector faults;
  StoreOptions options;
  options.faults = &faults;
  auto store = OpenOrDie(options);
  AddSubmission(*store, 1);
  const audit::Hash root = store->LogRoot();

  faults.Add({StorageOp::kWrite, StorageFault::kDiskFull, "-wal", 0, 0});
  {
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    Status s = OkStatus();
    auto leaf = txn->AppendLeaf(B("lost to a full disk"));
    if (!leaf.ok()) s = leaf.status();
    if (s.ok()) s = txn->Commit();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  }
  EXPECT_GT(faults.injected(), 0u);
  // Not fatal: the transaction was rolled back and nothing is unknown.
  EXPECT_TRUE(store->FatalError().ok());
  EXPECT_EQ(store->LogSize(), 1u);
  EXPECT_EQ(store->LogRoot(), root);

  faults.Clear();
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  EXPECT_EQ(*txn->AppendLeaf(B("after space was freed")), 1u);
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(AllLeaves(*store),
            (std::vector<Bytes>{B("leaf submission " + SubmissionId(1)),
                                B("after space was freed")}));
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, FailedFsyncOnCommitIsFatal) {
  FaultInjector faults;
  StoreOptions options;
  options.faults = &faults;
  std::vector<Bytes> acknowledged;
  {
    auto store = OpenOrDie(options);
    AddSubmission(*store, 1);
    acknowledged = AllLeaves(*store);

    faults.Add({StorageOp::kSync, StorageFault::kIoError, "-wal", 0, 1});
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->AppendLeaf(B("never acknowledged")).ok());
    Status s = txn->Commit();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_EQ(faults.injected(), 1u);

    // Latched: the daemon must stop; no further write is attempted even
    // though the next fsync would succeed.
    EXPECT_EQ(store->FatalError().code(), StatusCode::kDataLoss);
    auto again = store->Begin();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(store->LogSize(), 1u);
    // Reads still work (the service may answer them while stopping).
    EXPECT_TRUE(store->GetSubmission(SubmissionId(1)).ok());
  }
  // After a restart the store opens consistent; the unacknowledged leaf may
  // or may not have reached the disk, the acknowledged ones did.
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->FatalError().ok());
  const std::vector<Bytes> leaves = AllLeaves(*store);
  ASSERT_GE(leaves.size(), acknowledged.size());
  EXPECT_TRUE(
      std::equal(acknowledged.begin(), acknowledged.end(), leaves.begin()));
  EXPECT_EQ(store->LogRoot(), MemoryRoot(leaves));
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

TEST_F(StoreTest, BlobDiskFullIsRecoverableAndBlobFsyncFailureFatal) {
  FaultInjector faults;
  StoreOptions options;
  options.faults = &faults;
  auto store = OpenOrDie(options);

  faults.Add({StorageOp::kWrite, StorageFault::kDiskFull, "blobs", 0, 1});
  auto full = store->blobs().Put(B("big upload"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(store->FatalError().ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "blobs" / "tmp"));
  EXPECT_TRUE(store->blobs().Put(B("big upload")).ok());

  faults.Add({StorageOp::kRename, StorageFault::kIoError, "blobs", 0, 1});
  EXPECT_EQ(store->blobs().Put(B("rename fails")).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(store->FatalError().ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "blobs" / "tmp"));

  faults.Add({StorageOp::kSync, StorageFault::kIoError, "blobs", 0, 1});
  auto lost = store->blobs().Put(B("fsync fails"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store->FatalError().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store->Begin().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(store->blobs().Put(B("anything")).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(StoreTest, FailedDirectoryFsyncAfterRenameIsFatal) {
  FaultInjector faults;
  auto blobs = BlobStore::Open(root_ / "blobs", &faults);
  ASSERT_TRUE(blobs.ok());
  // The first sync is the file's; the second the shard directory's.
  faults.Add({StorageOp::kSync, StorageFault::kIoError, "", 1, 1});
  auto s = (*blobs)->Put(B("x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE((*blobs)->fatal_error().ok());
}

// ---- crash: SIGKILL with a transaction open ----

TEST_F(StoreTest, KilledWithAnOpenTransactionRecoversCommittedStateOnly) {
  constexpr int kCommitted = 20;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: no gtest assertions; any failure is a nonzero exit.
    auto opened = Store::Open(dir_);
    if (!opened.ok()) _exit(2);
    Store& store = **opened;
    for (int i = 0; i < kCommitted; ++i) {
      auto hash = store.blobs().Put(B("age file " + std::to_string(i)));
      if (!hash.ok()) _exit(3);
      SubmissionRecord r;
      r.id = SubmissionId(i);
      r.file_hash = *hash;
      r.size = 10;
      auto txn = store.Begin();
      if (!txn.ok()) _exit(4);
      if (!txn->InsertSubmission(r, B("leaf submission " + r.id)).ok()) {
        _exit(5);
      }
      if (i % 2 == 0 &&
          !txn->AppendLeaf(B("extra leaf " + std::to_string(i))).ok()) {
        _exit(6);
      }
      if (!txn->Commit().ok()) _exit(7);
    }
    // A blob whose row never commits, and a transaction in flight.
    auto orphan = store.blobs().Put(B("orphan"));
    if (!orphan.ok()) _exit(8);
    auto txn = store.Begin();
    if (!txn.ok()) _exit(9);
    SubmissionRecord r;
    r.id = SubmissionId(1000);
    r.file_hash = *orphan;
    if (!txn->InsertSubmission(r, B("uncommitted")).ok()) _exit(10);
    for (int i = 0; i < 50; ++i) {
      if (!txn->AppendLeaf(B("uncommitted " + std::to_string(i))).ok()) {
        _exit(11);
      }
    }
    ::kill(::getpid(), SIGKILL);
    _exit(12);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  std::vector<Bytes> expected;
  for (int i = 0; i < kCommitted; ++i) {
    expected.push_back(B("leaf submission " + SubmissionId(i)));
    if (i % 2 == 0) expected.push_back(B("extra leaf " + std::to_string(i)));
  }
  EXPECT_EQ(IndependentQuery("PRAGMA integrity_check"), "ok");
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AllLeaves(*store), expected);
  EXPECT_EQ(store->LogRoot(), MemoryRoot(expected));
  for (int i = 0; i < kCommitted; ++i) {
    auto sub = store->GetSubmission(SubmissionId(i));
    ASSERT_TRUE(sub.ok()) << i;
    EXPECT_EQ(*store->blobs().Get(sub->file_hash, 1000),
              B("age file " + std::to_string(i)));
  }
  EXPECT_EQ(store->GetSubmission(SubmissionId(1000)).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(store->CheckIntegrity(/*verify_blobs=*/true).ok());
  // The orphan is harmless and collectable.
  EXPECT_TRUE(store->blobs().Contains(Sha256(B("orphan"))));
  auto gc = store->CollectOrphanBlobs(std::chrono::seconds(0));
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->blobs_removed, 1u);
  EXPECT_FALSE(store->blobs().Contains(Sha256(B("orphan"))));
  // And the log goes on from where the committed state ended.
  auto txn = store->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(*txn->AppendLeaf(B("after restart")), expected.size());
  ASSERT_TRUE(txn->Commit().ok());
}

// ---- concurrency (runs under TSan in `make test-tsan`) ----

// 50 editors vote on one request from 50 threads while readers poll. Each
// handler does what the service will: one transaction that inserts the vote
// with its leaf, re-counts the votes inside the transaction, and marks the
// request released when the count reaches the threshold. Exactly one
// release, one row per editor, every leaf accounted for.
TEST_F(StoreTest, FiftyConcurrentVotesCrossTheThresholdOnce) {
  constexpr int kThreads = 50;
  constexpr size_t kThreshold = 10;
  auto store = OpenOrDie();
  AddSubmission(*store, 1);
  const RequestRecord req = MakeRequest(1, "contended");
  AddRequest(*store, req);

  std::atomic<int> releases{0};
  std::atomic<int> resends{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<uint64_t> vote_leaf(kThreads + 1, 0);

  auto vote = [&](int editor) {
    const VoteRecord v =
        MakeVote(req.id, 1 + editor % 5, static_cast<uint32_t>(editor),
                 "editor " + std::to_string(editor));
    const Bytes leaf = B("leaf vote " + std::to_string(editor));
    auto txn = store->Begin();
    if (!txn.ok()) {
      ++failures;
      return;
    }
    auto index = txn->InsertVote(v, leaf);
    if (!index.ok()) {
      ++failures;
      return;
    }
    auto votes = txn->ListVotes(req.id);
    auto current = txn->GetRequest(req.id);
    if (!votes.ok() || !current.ok()) {
      ++failures;
      return;
    }
    bool released = false;
    if (votes->size() >= kThreshold && current->state == RequestState::kOpen) {
      if (!txn->SetRequestState(req.id, RequestState::kOpen,
                                RequestState::kReleased, *index)
               .ok()) {
        ++failures;
        return;
      }
      released = true;
    }
    if (!txn->Commit().ok()) {
      ++failures;
      return;
    }
    vote_leaf[editor] = *index;  // each thread its own slot
    if (released) ++releases;
    // The same editor resends, and then tries to change its vote.
    auto again = store->Begin();
    if (!again.ok()) {
      ++failures;
      return;
    }
    if (again->InsertVote(v, leaf).status().code() ==
        StatusCode::kAlreadyExists) {
      ++resends;
    }
    VoteRecord changed = v;
    changed.statement = B("changed my mind");
    if (again->InsertVote(changed, B("x")).status().code() ==
        StatusCode::kFailedPrecondition) {
      ++conflicts;
    }
  };

  // Readers run against committed snapshots the whole time.
  std::vector<std::thread> readers;
  std::atomic<int> reader_errors{0};
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      SqliteLogStorage view(store.get());
      uint64_t last = 0;
      while (!done.load()) {
        const uint64_t size = view.Size();
        if (size < last) ++reader_errors;
        last = size;
        if (size > 0 && !audit::RootHash(view, size).ok()) ++reader_errors;
        auto votes = store->ListVotes(req.id);
        if (!votes.ok() || votes->size() > kThreads) ++reader_errors;
        (void)store->LogRoot();
      }
    });
  }
  std::vector<std::thread> threads;
  for (int e = 1; e <= kThreads; ++e) threads.emplace_back(vote, e);
  for (auto& t : threads) t.join();
  done = true;
  for (auto& t : readers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(releases.load(), 1);
  EXPECT_EQ(resends.load(), kThreads);
  EXPECT_EQ(conflicts.load(), kThreads);

  auto votes = store->ListVotes(req.id);
  ASSERT_TRUE(votes.ok());
  ASSERT_EQ(votes->size(), static_cast<size_t>(kThreads));
  std::vector<bool> seen(kThreads + 1, false);
  for (const VoteRecord& v : *votes) {
    ASSERT_GE(v.editor_index, 1u);
    ASSERT_LE(v.editor_index, static_cast<uint32_t>(kThreads));
    EXPECT_FALSE(seen[v.editor_index]);
    seen[v.editor_index] = true;
    EXPECT_EQ(v.leaf_index, vote_leaf[v.editor_index]);
    EXPECT_EQ(*store->LogLeaf(v.leaf_index),
              B("leaf vote " + std::to_string(v.editor_index)));
  }
  // Submission + request + one leaf per vote, nothing else.
  EXPECT_EQ(store->LogSize(), 2u + kThreads);
  const std::vector<Bytes> leaves = AllLeaves(*store);
  EXPECT_EQ(store->LogRoot(), MemoryRoot(leaves));
  auto released = store->GetRequest(req.id);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->state, RequestState::kReleased);
  // The release is recorded at the vote that completed the quorum: the
  // threshold-th vote in log order.
  EXPECT_EQ(released->state_leaf_index,
            std::optional<uint64_t>((*votes)[kThreshold - 1].leaf_index));
  EXPECT_TRUE(store->CheckIntegrity(true).ok());
}

}  // namespace
}  // namespace conclave::daemon
