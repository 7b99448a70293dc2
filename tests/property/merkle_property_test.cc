// audit/merkle.h and audit/log_storage.h against a plain recursive reference
// (RFC 6962 §2.1 MTH, RFC 9162 §2.1.3.1 PATH and §2.1.4.1 PROOF written as
// the RFC states them), for every size 0..64 and random sizes up to 300;
// then the file-backed store: reopen, crash tails, corrupt middles.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "audit/log_storage.h"
#include "audit/merkle.h"

namespace conclave::audit {
namespace {

namespace fs = std::filesystem;

// ---- Reference, over leaf hashes D[0:n] -------------------------------

uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash RefMth(const std::vector<Hash>& d, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 0) return EmptyRootHash();
  if (n == 1) return d[begin];
  const uint64_t k = LargestPowerOfTwoBelow(n);
  return HashChildren(RefMth(d, begin, begin + k), RefMth(d, begin + k, end));
}

// PATH(m, D[begin:end]) with m relative to begin.
std::vector<Hash> RefPath(const std::vector<Hash>& d, uint64_t m,
                          uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 1) return {};
  const uint64_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(d, m, begin, begin + k);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefPath(d, m - k, begin + k, end);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

// SUBPROOF(m, D[begin:end], b) with m relative to begin.
std::vector<Hash> RefSubproof(const std::vector<Hash>& d, uint64_t m,
                              uint64_t begin, uint64_t end, bool b) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {RefMth(d, begin, end)};
  }
  const uint64_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(d, m, begin, begin + k, b);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefSubproof(d, m - k, begin + k, end, false);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

// -----------------------------------------------------------------------

Bytes RandomLeaf(std::mt19937_64& rng) {
  Bytes leaf(rng() % 40);
  for (auto& b : leaf) b = static_cast<uint8_t>(rng());
  return leaf;
}

struct Fixture {
  std::vector<Bytes> leaves;
  std::vector<Hash> hashes;
  MemoryLogStorage store;
};

Fixture Build(uint64_t n, uint64_t seed) {
  Fixture f;
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < n; ++i) {
    f.leaves.push_back(RandomLeaf(rng));
    f.hashes.push_back(HashLeaf(f.leaves.back()));
    EXPECT_EQ(*f.store.Append(f.leaves.back()), i);
  }
  return f;
}

Hash Flip(Hash h, size_t bit) {
  h[bit / 8 % kHashSize] ^= static_cast<uint8_t>(1u << (bit % 8));
  return h;
}

void CheckInclusion(const Fixture& f, uint64_t index, uint64_t size) {
  SCOPED_TRACE("index " + std::to_string(index) + " size " +
               std::to_string(size));
  const Hash root = RefMth(f.hashes, 0, size);
  auto proof = InclusionProof(f.store, index, size);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(*proof, RefPath(f.hashes, index, 0, size));
  EXPECT_EQ(proof->size(), *InclusionProofLength(index, size));
  const Hash& leaf = f.hashes[index];
  EXPECT_TRUE(VerifyInclusion(leaf, index, size, *proof, root).ok());
  // Every tampered element, the wrong leaf, the wrong root, the wrong index.
  for (size_t i = 0; i < proof->size(); ++i) {
    std::vector<Hash> bad = *proof;
    bad[i] = Flip(bad[i], i * 37);
    EXPECT_EQ(VerifyInclusion(leaf, index, size, bad, root).code(),
              StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(VerifyInclusion(Flip(leaf, 3), index, size, *proof, root).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyInclusion(leaf, index, size, *proof, Flip(root, 200)).code(),
            StatusCode::kUnauthenticated);
  if (size > 1) {
    EXPECT_FALSE(
        VerifyInclusion(leaf, (index + 1) % size, size, *proof, root).ok());
  }
  // (No check with size + 1: RFC 9162 proofs do not always bind the size,
  // e.g. PATH(0, D[3]) verifies unchanged as a proof for size 4.)
  // Length changes are caught before any hashing.
  std::vector<Hash> longer = *proof;
  longer.push_back(root);
  EXPECT_EQ(VerifyInclusion(leaf, index, size, longer, root).code(),
            StatusCode::kInvalidArgument);
  if (!proof->empty()) {
    std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
    EXPECT_EQ(VerifyInclusion(leaf, index, size, shorter, root).code(),
              StatusCode::kInvalidArgument);
  }
}

void CheckConsistency(const Fixture& f, uint64_t size1, uint64_t size2) {
  SCOPED_TRACE("size1 " + std::to_string(size1) + " size2 " +
               std::to_string(size2));
  const Hash root1 = RefMth(f.hashes, 0, size1);
  const Hash root2 = RefMth(f.hashes, 0, size2);
  auto proof = ConsistencyProof(f.store, size1, size2);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(*proof, RefSubproof(f.hashes, size1, 0, size2, true));
  EXPECT_EQ(proof->size(), *ConsistencyProofLength(size1, size2));
  EXPECT_TRUE(VerifyConsistency(size1, size2, *proof, root1, root2).ok());
  for (size_t i = 0; i < proof->size(); ++i) {
    std::vector<Hash> bad = *proof;
    bad[i] = Flip(bad[i], i * 41 + 1);
    EXPECT_EQ(VerifyConsistency(size1, size2, bad, root1, root2).code(),
              StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(
      VerifyConsistency(size1, size2, *proof, Flip(root1, 9), root2).code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(
      VerifyConsistency(size1, size2, *proof, root1, Flip(root2, 9)).code(),
      StatusCode::kUnauthenticated);
  if (size1 != size2) {
    EXPECT_FALSE(VerifyConsistency(size1, size2, *proof, root2, root1).ok());
    EXPECT_FALSE(
        VerifyConsistency(size1 + 1, size2, *proof, root1, root2).ok());
    EXPECT_FALSE(VerifyConsistency(size2, size1, *proof, root1, root2).ok());
  }
  EXPECT_EQ(VerifyConsistency(0, size2, {}, EmptyRootHash(), root2).code(),
            StatusCode::kInvalidArgument);
}

TEST(MerklePropertyTest, RootsMatchReferenceForEverySizeTo300) {
  const Fixture f = Build(300, 1);
  CompactRange range;
  for (uint64_t n = 0; n <= 300; ++n) {
    const Hash want = RefMth(f.hashes, 0, n);
    auto got = RootHash(f.store, n);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, want) << n;
    ASSERT_EQ(range.Root(), want) << n;
    if (n < 300) range.AppendLeafHash(f.hashes[n]);
  }
  EXPECT_EQ(RootHash(f.store, 301).status().code(), StatusCode::kOutOfRange);
}

TEST(MerklePropertyTest, EveryInclusionProofSmallSizes) {
  const Fixture f = Build(64, 2);
  for (uint64_t size = 1; size <= 64; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      CheckInclusion(f, index, size);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(MerklePropertyTest, EveryInclusionProofRandomSizesTo300) {
  const Fixture f = Build(300, 3);
  std::mt19937_64 rng(33);
  for (int round = 0; round < 8; ++round) {
    const uint64_t size = 65 + rng() % 236;
    for (uint64_t index = 0; index < size; ++index) {
      CheckInclusion(f, index, size);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  // And the powers of two and their neighbours.
  for (uint64_t size : {127u, 128u, 129u, 255u, 256u, 257u, 300u}) {
    for (uint64_t index : {uint64_t{0}, size / 2, size - 1}) {
      CheckInclusion(f, index, size);
    }
  }
}

TEST(MerklePropertyTest, EveryConsistencyPairSmallSizes) {
  const Fixture f = Build(64, 4);
  for (uint64_t size2 = 1; size2 <= 64; ++size2) {
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      CheckConsistency(f, size1, size2);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(MerklePropertyTest, RandomConsistencyPairsTo300) {
  const Fixture f = Build(300, 5);
  std::mt19937_64 rng(55);
  for (int i = 0; i < 600; ++i) {
    const uint64_t size2 = 1 + rng() % 300;
    const uint64_t size1 = 1 + rng() % size2;
    CheckConsistency(f, size1, size2);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(MerklePropertyTest, ProofLengthsAtLargeSizes) {
  // No tree needed: the formulas against the RFC's recursion on sizes alone.
  EXPECT_EQ(InclusionProofLength(0, 1), 0u);
  EXPECT_EQ(InclusionProofLength(0, uint64_t{1} << 20), 20u);
  EXPECT_EQ(InclusionProofLength((uint64_t{1} << 20), (uint64_t{1} << 20) + 1),
            1u);
  EXPECT_EQ(InclusionProofLength(5, 5), std::nullopt);
  EXPECT_EQ(ConsistencyProofLength(0, 5), std::nullopt);
  EXPECT_EQ(ConsistencyProofLength(6, 5), std::nullopt);
  EXPECT_EQ(ConsistencyProofLength(uint64_t{1} << 10, uint64_t{1} << 20), 10u);
  EXPECT_EQ(InclusionProofLength(0, ~uint64_t{0}), 64u);
  EXPECT_EQ(InclusionProofLength(~uint64_t{0} - 1, ~uint64_t{0}), 63u);
}

TEST(MerklePropertyTest, WireFormRefusesBadLengths) {
  EXPECT_EQ(HashFromBytes(Bytes(31)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ProofFromBytes(Bytes(33)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ProofFromBytes(Bytes(66 * 32)).status().code(),
            StatusCode::kInvalidArgument);
  auto p = ProofFromBytes(Bytes(64, 7));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(ProofToBytes(*p), Bytes(64, 7));
  const Bytes h(32, 1), short_h(31, 1);
  const ByteSpan proof[] = {ByteSpan(short_h)};
  EXPECT_EQ(VerifyInclusionBytes(h, 0, 2, proof, h).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusionBytes(short_h, 0, 1, {}, h).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistencyBytes(1, 1, {}, h, short_h).code(),
            StatusCode::kInvalidArgument);
}

TEST(MerklePropertyTest, ErrorMessagesSayWhatIsWrong) {
  const Fixture f = Build(8, 6);
  const Hash root = RefMth(f.hashes, 0, 8);
  auto proof = *InclusionProof(f.store, 3, 8);
  Status s = VerifyInclusion(f.hashes[3], 8, 8, proof, root);
  EXPECT_NE(s.message().find("leaf index >= size"), std::string::npos)
      << s.ToString();
  proof.pop_back();
  s = VerifyInclusion(f.hashes[3], 3, 8, proof, root);
  EXPECT_NE(s.message().find("inclusion proof has wrong length"),
            std::string::npos);
  s = VerifyInclusion(f.hashes[3], 3, 8, *InclusionProof(f.store, 3, 8),
                      f.hashes[0]);
  EXPECT_NE(s.message().find("root mismatch"), std::string::npos);
  EXPECT_EQ(InclusionProof(f.store, 8, 8).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(f.store, 0, 9).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(ConsistencyProof(f.store, 0, 8).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(f.store, 5, 4).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(MemoryLogStorageTest, RollbackAndBounds) {
  MemoryLogStorage s;
  ASSERT_TRUE(s.Append(Bytes{1}).ok());
  ASSERT_TRUE(s.Commit().ok());
  const Hash root = *RootHash(s, 1);
  ASSERT_TRUE(s.Append(Bytes{2}).ok());
  ASSERT_TRUE(s.Append(Bytes{3}).ok());
  EXPECT_EQ(s.Size(), 3u);
  EXPECT_EQ(s.CommittedSize(), 1u);
  s.Rollback();
  EXPECT_EQ(s.Size(), 1u);
  EXPECT_EQ(*RootHash(s, 1), root);
  ASSERT_TRUE(s.Append(Bytes{4}).ok());
  EXPECT_EQ(*s.Leaf(1), Bytes{4});
  EXPECT_EQ(*s.LeafHash(1), HashLeaf(Bytes{4}));
  EXPECT_EQ(s.Leaf(2).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s.SubtreeHash(1, 1).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s.SubtreeHash(64, 0).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s.Append(Bytes(kMaxLeafSize + 1)).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- File-backed storage ------------------------------------------------

class FileLogStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("merkle_store_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<FileLogStorage> OpenOk(FileLogOptions o = {}) {
    auto s = FileLogStorage::Open(dir_, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  StatusCode OpenCode(FileLogOptions o = {}) {
    return FileLogStorage::Open(dir_, o).status().code();
  }
  // Appends n random leaves to the store and to `mirror`, then commits.
  void AddAndCommit(LogStorage& s, MemoryLogStorage& mirror, int n,
                    std::mt19937_64& rng) {
    for (int i = 0; i < n; ++i) {
      Bytes leaf = RandomLeaf(rng);
      ASSERT_EQ(*s.Append(leaf), *mirror.Append(leaf));
    }
    ASSERT_TRUE(s.Commit().ok());
    ASSERT_TRUE(mirror.Commit().ok());
  }
  void ExpectSame(const LogStorage& s, const MemoryLogStorage& m) {
    ASSERT_EQ(s.Size(), m.Size());
    EXPECT_EQ(*RootHash(s, s.Size()), *RootHash(m, m.Size()));
    for (uint64_t i = 0; i < m.Size(); ++i) {
      EXPECT_EQ(*s.Leaf(i), *m.Leaf(i)) << i;
      EXPECT_EQ(*s.LeafHash(i), *m.LeafHash(i)) << i;
    }
    for (int level = 0; level < 10; ++level) {
      for (uint64_t i = 0; i < (m.Size() >> level); ++i) {
        EXPECT_EQ(*s.SubtreeHash(level, i), *m.SubtreeHash(level, i));
      }
    }
  }
  Bytes ReadAll(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)),
                 std::istreambuf_iterator<char>());
  }
  void WriteAll(const std::string& name, const Bytes& data) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }

  fs::path dir_;
};

TEST_F(FileLogStorageTest, MatchesMemoryStoreAcrossReopens) {
  std::mt19937_64 rng(7);
  MemoryLogStorage mirror;
  for (int round = 0; round < 6; ++round) {
    auto s = OpenOk(FileLogOptions{.verify_on_open = round % 2 == 0});
    ASSERT_TRUE(s);
    ExpectSame(*s, mirror);
    AddAndCommit(*s, mirror, 1 + static_cast<int>(rng() % 60), rng);
    // Staged leaves are readable and provable before Commit().
    AddAndCommit(*s, mirror, 3, rng);
    Bytes staged = RandomLeaf(rng);
    ASSERT_TRUE(s->Append(staged).ok());
    ASSERT_TRUE(mirror.Append(staged).ok());
    ExpectSame(*s, mirror);
    for (uint64_t i = 0; i < mirror.Size(); i += 7) {
      EXPECT_EQ(*InclusionProof(*s, i, s->Size()),
                *InclusionProof(mirror, i, mirror.Size()));
    }
    EXPECT_EQ(*ConsistencyProof(*s, 1, s->Size()),
              *ConsistencyProof(mirror, 1, mirror.Size()));
    // Closing without Commit() drops the staged leaf.
    mirror.Rollback();
  }
  auto s = OpenOk();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->recovered_tail_bytes(), 0u);
  ExpectSame(*s, mirror);
}

TEST_F(FileLogStorageTest, RollbackDiscardsStagedLeaves) {
  std::mt19937_64 rng(8);
  MemoryLogStorage mirror;
  auto s = OpenOk();
  ASSERT_TRUE(s);
  AddAndCommit(*s, mirror, 5, rng);
  ASSERT_TRUE(s->Append(Bytes{1, 2, 3}).ok());
  s->Rollback();
  ExpectSame(*s, mirror);
  AddAndCommit(*s, mirror, 4, rng);
  s.reset();
  s = OpenOk();
  ExpectSame(*s, mirror);
}

TEST_F(FileLogStorageTest, SecondOpenIsRefused) {
  auto s = OpenOk();
  ASSERT_TRUE(s);
  EXPECT_EQ(OpenCode(), StatusCode::kFailedPrecondition);
}

TEST_F(FileLogStorageTest, CrashBeforeCommitRecordRollsBackTheBatch) {
  std::mt19937_64 rng(9);
  MemoryLogStorage mirror;
  Bytes old_commit;
  {
    auto s = OpenOk();
    AddAndCommit(*s, mirror, 20, rng);
    old_commit = ReadAll("commit");
    // A second batch whose data reached the disk but whose commit record
    // did not: put the old commit file back.
    for (int i = 0; i < 9; ++i) ASSERT_TRUE(s->Append(RandomLeaf(rng)).ok());
    ASSERT_TRUE(s->Commit().ok());
  }
  WriteAll("commit", old_commit);
  auto s = OpenOk();
  ASSERT_TRUE(s);
  EXPECT_GT(s->recovered_tail_bytes(), 0u);
  ExpectSame(*s, mirror);
  // The log goes on from the recovered point.
  AddAndCommit(*s, mirror, 3, rng);
  s.reset();
  s = OpenOk();
  EXPECT_EQ(s->recovered_tail_bytes(), 0u);
  ExpectSame(*s, mirror);
}

TEST_F(FileLogStorageTest, TornTailsAreTruncated) {
  std::mt19937_64 rng(10);
  MemoryLogStorage mirror;
  {
    auto s = OpenOk();
    AddAndCommit(*s, mirror, 13, rng);
  }
  // A half-written record and a half-written hash past the commit point.
  Bytes leaves = ReadAll("leaves"), hashes = ReadAll("hashes");
  leaves.insert(leaves.end(), {0, 0, 0, 9, 'a', 'b'});
  hashes.insert(hashes.end(), 17, 0xee);
  WriteAll("leaves", leaves);
  WriteAll("hashes", hashes);
  auto s = OpenOk();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->recovered_tail_bytes(), 6u + 17u);
  ExpectSame(*s, mirror);
  EXPECT_EQ(ReadAll("leaves").size(), leaves.size() - 6);
}

TEST_F(FileLogStorageTest, TornCommitSlotFallsBackToThePreviousCommit) {
  std::mt19937_64 rng(11);
  MemoryLogStorage mirror;
  {
    auto s = OpenOk();
    AddAndCommit(*s, mirror, 4, rng);  // seq 1, slot 1
    ASSERT_TRUE(s->Append(Bytes{42}).ok());
    ASSERT_TRUE(s->Commit().ok());  // seq 2, slot 0
  }
  Bytes commit = ReadAll("commit");
  commit[40] ^= 1;  // inside slot 0's root: its checksum no longer matches
  WriteAll("commit", commit);
  auto s = OpenOk();
  ASSERT_TRUE(s);
  ExpectSame(*s, mirror);
}

TEST_F(FileLogStorageTest, CorruptMiddleIsRefused) {
  std::mt19937_64 rng(12);
  MemoryLogStorage mirror;
  {
    auto s = OpenOk();
    AddAndCommit(*s, mirror, 30, rng);
  }
  const Bytes leaves = ReadAll("leaves"), hashes = ReadAll("hashes");
  // A flipped byte in a leaf in the middle.
  Bytes bad = leaves;
  bad[8 + 4 + 60] ^= 0x20;
  WriteAll("leaves", bad);
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  // A length prefix in the middle that runs off the committed region.
  bad = leaves;
  bad[8] = 0x7f;
  WriteAll("leaves", bad);
  EXPECT_EQ(OpenCode({.verify_on_open = false}), StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  WriteAll("leaves", leaves);
  // A flipped stored hash.
  bad = hashes;
  bad[8 + 32 * 5 + 1] ^= 1;
  WriteAll("hashes", bad);
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  // A flipped peak is caught even without full verification.
  bad = hashes;
  bad[8 + 32 * PostorderPosition(4, 0)] ^= 1;
  WriteAll("hashes", bad);
  EXPECT_EQ(OpenCode({.verify_on_open = false}), StatusCode::kDataLoss);
  WriteAll("hashes", hashes);
  // Committed bytes that went missing.
  WriteAll("leaves", Bytes(leaves.begin(), leaves.end() - 1));
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  WriteAll("leaves", leaves);
  WriteAll("hashes", Bytes(hashes.begin(), hashes.end() - 32));
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  WriteAll("hashes", hashes);
  // Both commit slots destroyed.
  WriteAll("commit", Bytes(1024, 0));
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
  fs::remove(dir_ / "commit");
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
}

TEST_F(FileLogStorageTest, WrongMagicIsRefused) {
  { OpenOk(); }
  Bytes leaves = ReadAll("leaves");
  leaves[0] = 'X';
  WriteAll("leaves", leaves);
  EXPECT_EQ(OpenCode(), StatusCode::kDataLoss);
}

TEST_F(FileLogStorageTest, BoundsAndLimits) {
  auto s = OpenOk();
  ASSERT_TRUE(s);
  EXPECT_EQ(*RootHash(*s, 0), EmptyRootHash());
  EXPECT_EQ(s->Leaf(0).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s->SubtreeHash(0, 0).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s->Append(Bytes(kMaxLeafSize + 1)).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(s->Append(Bytes{}).ok());  // an empty leaf is a leaf
  ASSERT_TRUE(s->Commit().ok());
  s.reset();
  s = OpenOk();
  EXPECT_EQ(s->Size(), 1u);
  EXPECT_EQ(*s->Leaf(0), Bytes{});
  EXPECT_EQ(*RootHash(*s, 1), HashLeaf(Bytes{}));
}

TEST(PostorderTest, PositionsFollowAppendOrder) {
  PostorderBuilder b;
  std::vector<Hash> out, leaf_hashes;
  for (uint64_t i = 0; i < 100; ++i) {
    leaf_hashes.push_back(HashLeaf(Bytes{static_cast<uint8_t>(i)}));
    b.Append(leaf_hashes.back(), &out);
    ASSERT_EQ(out.size(), NodeCountForSize(i + 1));
  }
  for (int level = 0; level < 7; ++level) {
    for (uint64_t i = 0; i < (100u >> level); ++i) {
      EXPECT_EQ(out[PostorderPosition(level, i)],
                RefMth(leaf_hashes, i << level, (i + 1) << level));
    }
  }
}

}  // namespace
}  // namespace conclave::audit
