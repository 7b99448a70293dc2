#include "audit/merkle.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

namespace conclave::audit {
namespace {

// A consistency proof for trees below 2^64 leaves has at most 1 + 64 hashes.
constexpr size_t kMaxProofHashes = 65;

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// MTH(D[begin:end]) for a range shaped like a tree node (begin aligned to the
// node's width). The left child of any split is a perfect subtree, so this
// recurses only to the right: O(log n) reads.
StatusOr<Hash> RangeHash(const TreeHashSource& tree, uint64_t begin,
                         uint64_t end) {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    const int level = std::countr_zero(n);
    return tree.SubtreeHash(level, begin >> level);
  }
  // RFC 6962 §2.1: k is the largest power of two smaller than n.
  const uint64_t k = std::bit_floor(n - 1);
  CONCLAVE_ASSIGN_OR_RETURN(Hash left, RangeHash(tree, begin, begin + k));
  CONCLAVE_ASSIGN_OR_RETURN(Hash right, RangeHash(tree, begin + k, end));
  return HashChildren(left, right);
}

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), m absolute.
Status AppendPath(const TreeHashSource& tree, uint64_t m, uint64_t begin,
                  uint64_t end, std::vector<Hash>* out) {
  const uint64_t n = end - begin;
  if (n == 1) return OkStatus();
  const uint64_t k = std::bit_floor(n - 1);
  if (m < begin + k) {
    CONCLAVE_RETURN_IF_ERROR(AppendPath(tree, m, begin, begin + k, out));
    CONCLAVE_ASSIGN_OR_RETURN(Hash h, RangeHash(tree, begin + k, end));
    out->push_back(h);
  } else {
    CONCLAVE_RETURN_IF_ERROR(AppendPath(tree, m, begin + k, end, out));
    CONCLAVE_ASSIGN_OR_RETURN(Hash h, RangeHash(tree, begin, begin + k));
    out->push_back(h);
  }
  return OkStatus();
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), m absolute.
Status AppendSubproof(const TreeHashSource& tree, uint64_t m, uint64_t begin,
                      uint64_t end, bool b, std::vector<Hash>* out) {
  if (m == end) {
    if (!b) {
      CONCLAVE_ASSIGN_OR_RETURN(Hash h, RangeHash(tree, begin, end));
      out->push_back(h);
    }
    return OkStatus();
  }
  const uint64_t k = std::bit_floor(end - begin - 1);
  if (m <= begin + k) {
    CONCLAVE_RETURN_IF_ERROR(AppendSubproof(tree, m, begin, begin + k, b, out));
    CONCLAVE_ASSIGN_OR_RETURN(Hash h, RangeHash(tree, begin + k, end));
    out->push_back(h);
  } else {
    CONCLAVE_RETURN_IF_ERROR(
        AppendSubproof(tree, m, begin + k, end, false, out));
    CONCLAVE_ASSIGN_OR_RETURN(Hash h, RangeHash(tree, begin, begin + k));
    out->push_back(h);
  }
  return OkStatus();
}

Status CheckAvailable(const TreeHashSource& tree, uint64_t size) {
  if (size > tree.Size()) {
    return OutOfRangeError("tree size " + std::to_string(size) +
                           " is larger than the log (" +
                           std::to_string(tree.Size()) + " leaves)");
  }
  return OkStatus();
}

Status WrongLength(std::string_view what, size_t got, size_t want) {
  return InvalidArgumentError(std::string(what) + " has wrong length (" +
                              std::to_string(got) + " hashes, want " +
                              std::to_string(want) + ")");
}

}  // namespace

Hash HashLeaf(ByteSpan leaf) {
  Sha256Hasher h;
  const uint8_t prefix = kLeafPrefix;
  h.Update(ByteSpan(&prefix, 1));
  h.Update(leaf);
  return h.Finish();
}

Hash HashChildren(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * kHashSize];
  buf[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 1 + kHashSize);
  return Sha256(ByteSpan(buf, sizeof(buf)));
}

Hash EmptyRootHash() { return Sha256(ByteSpan()); }

StatusOr<Hash> HashFromBytes(ByteSpan bytes) {
  if (bytes.size() != kHashSize) {
    return InvalidArgumentError("hash has " + std::to_string(bytes.size()) +
                                " bytes, want 32");
  }
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

StatusOr<std::vector<Hash>> ProofFromBytes(ByteSpan bytes) {
  if (bytes.size() % kHashSize != 0) {
    return InvalidArgumentError("proof length " + std::to_string(bytes.size()) +
                                " is not a multiple of 32");
  }
  if (bytes.size() / kHashSize > kMaxProofHashes) {
    return InvalidArgumentError("proof has more than 65 hashes");
  }
  std::vector<Hash> proof(bytes.size() / kHashSize);
  for (size_t i = 0; i < proof.size(); ++i) {
    std::copy_n(bytes.begin() + i * kHashSize, kHashSize, proof[i].begin());
  }
  return proof;
}

Bytes ProofToBytes(std::span<const Hash> proof) {
  Bytes out;
  out.reserve(proof.size() * kHashSize);
  for (const Hash& h : proof) out.insert(out.end(), h.begin(), h.end());
  return out;
}

StatusOr<Hash> RootHash(const TreeHashSource& tree, uint64_t size) {
  CONCLAVE_RETURN_IF_ERROR(CheckAvailable(tree, size));
  if (size == 0) return EmptyRootHash();
  return RangeHash(tree, 0, size);
}

StatusOr<std::vector<Hash>> InclusionProof(const TreeHashSource& tree,
                                           uint64_t index, uint64_t size) {
  if (index >= size) {
    return InvalidArgumentError("leaf index >= size (" + std::to_string(index) +
                                " >= " + std::to_string(size) + ")");
  }
  CONCLAVE_RETURN_IF_ERROR(CheckAvailable(tree, size));
  std::vector<Hash> proof;
  proof.reserve(64);
  CONCLAVE_RETURN_IF_ERROR(AppendPath(tree, index, 0, size, &proof));
  return proof;
}

StatusOr<std::vector<Hash>> ConsistencyProof(const TreeHashSource& tree,
                                             uint64_t size1, uint64_t size2) {
  if (size1 == 0) {
    return InvalidArgumentError(
        "consistency proof from an empty tree is meaningless (size1 = 0)");
  }
  if (size1 > size2) {
    return InvalidArgumentError("size1 > size2 (" + std::to_string(size1) +
                                " > " + std::to_string(size2) + ")");
  }
  CONCLAVE_RETURN_IF_ERROR(CheckAvailable(tree, size2));
  std::vector<Hash> proof;
  proof.reserve(65);
  // PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1).
  CONCLAVE_RETURN_IF_ERROR(
      AppendSubproof(tree, size1, 0, size2, /*b=*/true, &proof));
  return proof;
}

std::optional<size_t> InclusionProofLength(uint64_t index, uint64_t size) {
  if (index >= size) return std::nullopt;
  // Below the level where the paths to `index` and to the last leaf split,
  // every level contributes one hash ("inner"); above it, only the levels
  // where the path has a left sibling do ("border").
  const int inner = std::bit_width(index ^ (size - 1));
  // inner can be 64 (the paths split at the root of a 2^64-leaf tree);
  // shifting a 64-bit value by 64 is undefined, and nothing is left above.
  const int border = inner >= 64 ? 0 : std::popcount(index >> inner);
  return static_cast<size_t>(inner + border);
}

std::optional<size_t> ConsistencyProofLength(uint64_t size1, uint64_t size2) {
  if (size1 == 0 || size1 > size2) return std::nullopt;
  if (size1 == size2) return 0;
  // The old tree's last node at level s = ctz(size1) is proven like a leaf
  // of the tree of level-s nodes; unless size1 is a power of two (then that
  // node is the old root, which the verifier has) the node itself is sent.
  const int s = std::countr_zero(size1);
  const uint64_t index = (size1 - 1) >> s;
  const uint64_t nodes = ((size2 - 1) >> s) + 1;
  const size_t seed = std::has_single_bit(size1) ? 0 : 1;
  return *InclusionProofLength(index, nodes) + seed;
}

StatusOr<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index,
                                      uint64_t size,
                                      std::span<const Hash> proof) {
  // RFC 9162 §2.1.3.2 step 1.
  if (index >= size) {
    return InvalidArgumentError("leaf index >= size (" + std::to_string(index) +
                                " >= " + std::to_string(size) + ")");
  }
  const size_t want = *InclusionProofLength(index, size);
  if (proof.size() != want) {
    return WrongLength("inclusion proof", proof.size(), want);
  }
  // Steps 2-5.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return WrongLength("inclusion proof", proof.size(), want);
    if ((fn & 1) || fn == sn) {
      r = HashChildren(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 6, first half (the length check above makes it unreachable).
  if (sn != 0) return WrongLength("inclusion proof", proof.size(), want);
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Hash computed, RootFromInclusionProof(leaf_hash, index, size, proof));
  if (computed != root) {
    return UnauthenticatedError(
        "inclusion proof does not lead to the root: root mismatch");
  }
  return OkStatus();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2,
                         std::span<const Hash> proof, const Hash& root1,
                         const Hash& root2) {
  if (size1 == 0) {
    return InvalidArgumentError(
        "consistency proof from an empty tree is meaningless (size1 = 0)");
  }
  if (size1 > size2) {
    return InvalidArgumentError("size1 > size2 (" + std::to_string(size1) +
                                " > " + std::to_string(size2) + ")");
  }
  const size_t want = *ConsistencyProofLength(size1, size2);
  if (proof.size() != want) {
    return WrongLength("consistency proof", proof.size(), want);
  }
  if (size1 == size2) {
    if (root1 != root2) {
      return UnauthenticatedError(
          "equal tree sizes with different roots: root mismatch");
    }
    return OkStatus();
  }
  // RFC 9162 §2.1.4.2. Step 1 (empty path) is excluded by the length check.
  // Step 2: when size1 is a power of two the old root is the path's seed.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  // Steps 3-4.
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Hash fr = path[0];
  Hash sr = path[0];
  // Step 6.
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return WrongLength("consistency proof", proof.size(), want);
    if ((fn & 1) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return WrongLength("consistency proof", proof.size(), want);
  if (fr != root1) {
    return UnauthenticatedError(
        "consistency proof does not lead to the old root: root mismatch");
  }
  if (sr != root2) {
    return UnauthenticatedError(
        "consistency proof does not lead to the new root: root mismatch");
  }
  return OkStatus();
}

namespace {

StatusOr<std::vector<Hash>> HashesFromSpans(std::span<const ByteSpan> in,
                                            std::string_view what) {
  if (in.size() > kMaxProofHashes) {
    return InvalidArgumentError(std::string(what) + " has more than 65 hashes");
  }
  std::vector<Hash> out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto h = HashFromBytes(in[i]);
    if (!h.ok()) {
      return h.status().Annotate(std::string(what) + " element " +
                                 std::to_string(i));
    }
    out.push_back(*h);
  }
  return out;
}

}  // namespace

Status VerifyInclusionBytes(ByteSpan leaf_hash, uint64_t index, uint64_t size,
                            std::span<const ByteSpan> proof, ByteSpan root) {
  auto leaf = HashFromBytes(leaf_hash);
  if (!leaf.ok()) return leaf.status().Annotate("leaf hash");
  auto r = HashFromBytes(root);
  if (!r.ok()) return r.status().Annotate("root");
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Hash> p,
                            HashesFromSpans(proof, "inclusion proof"));
  return VerifyInclusion(*leaf, index, size, p, *r);
}

Status VerifyConsistencyBytes(uint64_t size1, uint64_t size2,
                              std::span<const ByteSpan> proof, ByteSpan root1,
                              ByteSpan root2) {
  auto r1 = HashFromBytes(root1);
  if (!r1.ok()) return r1.status().Annotate("root1");
  auto r2 = HashFromBytes(root2);
  if (!r2.ok()) return r2.status().Annotate("root2");
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Hash> p,
                            HashesFromSpans(proof, "consistency proof"));
  return VerifyConsistency(size1, size2, p, *r1, *r2);
}

StatusOr<CompactRange> CompactRange::FromPeaks(uint64_t size,
                                               std::vector<Hash> peaks) {
  const size_t want = static_cast<size_t>(std::popcount(size));
  if (peaks.size() != want) {
    return InvalidArgumentError(
        "compact range of size " + std::to_string(size) + " needs " +
        std::to_string(want) + " peaks, got " + std::to_string(peaks.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.peaks_ = std::move(peaks);
  return range;
}

StatusOr<std::vector<Hash>> LeftPeaks(const TreeHashSource& tree,
                                      uint64_t size) {
  CONCLAVE_RETURN_IF_ERROR(CheckAvailable(tree, size));
  std::vector<Hash> peaks;
  peaks.reserve(std::popcount(size));
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    CONCLAVE_ASSIGN_OR_RETURN(Hash h, tree.SubtreeHash(level, begin >> level));
    peaks.push_back(h);
    begin += width;
  }
  return peaks;
}

void CompactRange::AppendLeafHash(const Hash& leaf_hash) {
  // Each trailing one bit of size_ is a peak the new leaf completes.
  Hash h = leaf_hash;
  for (uint64_t s = size_; s & 1; s >>= 1) {
    h = HashChildren(peaks_.back(), h);
    peaks_.pop_back();
  }
  peaks_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (peaks_.empty()) return EmptyRootHash();
  Hash r = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) r = HashChildren(peaks_[i], r);
  return r;
}

uint64_t PostorderPosition(int level, uint64_t index) {
  // Leaf j and the ctz(j + 1) nodes it completes take 1 + ctz(j + 1)
  // positions, so leaves 0..i-1 take 2i - popcount(i) of them; the node
  // (level, index) follows its last leaf and its own lower ancestors.
  const uint64_t last = ((index + 1) << level) - 1;
  return 2 * last - std::popcount(last) + level;
}

uint64_t NodeCountForSize(uint64_t size) {
  return 2 * size - std::popcount(size);
}

}  // namespace conclave::audit
