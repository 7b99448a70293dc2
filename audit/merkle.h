// Merkle tree hashing and proofs for the audit log: RFC 6962 §2.1, as
// restated (with verification algorithms) in RFC 9162 §2.1.
//
//   leaf hash   = SHA-256(0x00 || leaf)
//   node hash   = SHA-256(0x01 || left || right)
//   empty tree  = SHA-256("")
//
// Proof BUILDING reads hashes through TreeHashSource, so storage (see
// log_storage.h) is separate from the algorithms. Every node of a Merkle tree
// of size n is either a perfect subtree (2^level leaves, aligned) or lies on
// the tree's right edge; a proof holds at most one right-edge node, so roots
// and proofs cost O(log n) reads of stored perfect-subtree hashes.
//
// Verification is pure and strict: every hash must be 32 bytes and a proof
// must have exactly the length RFC 9162 implies for the sizes given.
#ifndef CONCLAVE_AUDIT_MERKLE_H_
#define CONCLAVE_AUDIT_MERKLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/hash.h"

namespace conclave::audit {

using Hash = Sha256Digest;
inline constexpr size_t kHashSize = kSha256Size;

// SHA-256(0x00 || leaf) (RFC 6962 §2.1).
Hash HashLeaf(ByteSpan leaf);
// SHA-256(0x01 || left || right) (RFC 6962 §2.1).
Hash HashChildren(const Hash& left, const Hash& right);
// MTH({}) = SHA-256() (RFC 6962 §2.1).
Hash EmptyRootHash();

// A 32-byte hash from wire bytes; INVALID_ARGUMENT on any other length.
StatusOr<Hash> HashFromBytes(ByteSpan bytes);
// A proof from wire bytes: the concatenation of its 32-byte hashes (the form
// C2SP tlog-witness and the export format use). INVALID_ARGUMENT unless the
// length is a multiple of 32 and at most 64 hashes.
StatusOr<std::vector<Hash>> ProofFromBytes(ByteSpan bytes);
Bytes ProofToBytes(std::span<const Hash> proof);

// Read access to the hashes of perfect subtrees of a growing tree. The node
// (level, index) covers leaves [index * 2^level, (index + 1) * 2^level); it
// exists once Size() >= (index + 1) * 2^level and never changes afterwards.
class TreeHashSource {
 public:
  virtual ~TreeHashSource() = default;
  // Number of leaves.
  virtual uint64_t Size() const = 0;
  // OUT_OF_RANGE if the node is not complete yet; DATA_LOSS or UNAVAILABLE
  // if storage fails.
  virtual StatusOr<Hash> SubtreeHash(int level, uint64_t index) const = 0;
};

// Root hash of the first `size` leaves of `tree` (size <= tree.Size(), so
// historic roots are available too). O(log n) reads.
StatusOr<Hash> RootHash(const TreeHashSource& tree, uint64_t size);

// RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index`
// in the tree of the first `size` leaves. O(log n) reads.
StatusOr<std::vector<Hash>> InclusionProof(const TreeHashSource& tree,
                                           uint64_t index, uint64_t size);

// RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]) for 0 < size1 <= size2.
// O(log n) reads.
StatusOr<std::vector<Hash>> ConsistencyProof(const TreeHashSource& tree,
                                             uint64_t size1, uint64_t size2);

// Number of hashes in a valid inclusion proof (RFC 9162 §2.1.3);
// nullopt if index >= size.
std::optional<size_t> InclusionProofLength(uint64_t index, uint64_t size);
// Number of hashes in a valid consistency proof (RFC 9162 §2.1.4);
// nullopt unless 0 < size1 <= size2.
std::optional<size_t> ConsistencyProofLength(uint64_t size1, uint64_t size2);

// RFC 9162 §2.1.3.2. Errors: INVALID_ARGUMENT for "leaf index >= size" and
// "inclusion proof has wrong length"; UNAUTHENTICATED for "root mismatch".
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
// The root the proof implies for the leaf (same checks, no comparison).
StatusOr<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index,
                                      uint64_t size,
                                      std::span<const Hash> proof);

// RFC 9162 §2.1.4.2, extended to size1 == size2 (empty proof, equal roots).
// size1 == 0 is refused: the RFC defines proofs only for 0 < size1, and every
// tree extends the empty tree, so such a "proof" proves nothing.
// Errors: INVALID_ARGUMENT for bad sizes or "consistency proof has wrong
// length"; UNAUTHENTICATED for "root mismatch" (old or new root).
Status VerifyConsistency(uint64_t size1, uint64_t size2,
                         std::span<const Hash> proof, const Hash& root1,
                         const Hash& root2);

// The same checks over wire bytes (hashes of any length are refused with
// INVALID_ARGUMENT), for callers that hold undecoded input.
Status VerifyInclusionBytes(ByteSpan leaf_hash, uint64_t index, uint64_t size,
                            std::span<const ByteSpan> proof, ByteSpan root);
Status VerifyConsistencyBytes(uint64_t size1, uint64_t size2,
                              std::span<const ByteSpan> proof, ByteSpan root1,
                              ByteSpan root2);

// Streaming root computation in O(log n) memory: the "compact range" of
// perfect subtrees covering [0, size). For recomputing the root of an export
// without keeping its leaves, or of a suffix of the log given the peaks of
// its prefix (LeftPeaks below; quorum/evidence.h).
class CompactRange {
 public:
  CompactRange() = default;
  // The range of the first `size` leaves from the roots of the perfect
  // subtrees covering [0, size), largest first (one per set bit of size).
  // INVALID_ARGUMENT unless peaks.size() == popcount(size). The hashes
  // themselves cannot be checked here: only a root computed from them and
  // compared with a trusted one vouches for them.
  static StatusOr<CompactRange> FromPeaks(uint64_t size,
                                          std::vector<Hash> peaks);

  void AppendLeaf(ByteSpan leaf) { AppendLeafHash(HashLeaf(leaf)); }
  void AppendLeafHash(const Hash& leaf_hash);
  uint64_t size() const { return size_; }
  // MTH of everything appended (EmptyRootHash() when nothing was).
  Hash Root() const;
  // Roots of the perfect subtrees covering [0, size()), largest first.
  const std::vector<Hash>& peaks() const { return peaks_; }

 private:
  uint64_t size_ = 0;
  // Roots of the perfect subtrees covering [0, size_), largest first; their
  // sizes are the set bits of size_.
  std::vector<Hash> peaks_;
};

// The roots of the perfect subtrees covering the first `size` leaves of
// `tree`, largest first: for each set bit 2^k of size, from the highest,
// the subtree of 2^k leaves that starts where the previous one ended (the
// RFC 9162 §2.1.1 decomposition of MTH(D[0:size]) into its left subtrees).
// CompactRange::FromPeaks(size, peaks) continues from them. OUT_OF_RANGE if
// size > tree.Size(). popcount(size) reads.
StatusOr<std::vector<Hash>> LeftPeaks(const TreeHashSource& tree,
                                      uint64_t size);

// Position of node (level, index) when the complete subtrees of a growing
// tree are written in the order they complete (post-order): leaf i and then
// every node it completes, lowest first. The file-backed store keeps its
// hashes at these positions; NodeCountForSize(n) = 2n - popcount(n) nodes
// exist for n leaves.
uint64_t PostorderPosition(int level, uint64_t index);
uint64_t NodeCountForSize(uint64_t size);

}  // namespace conclave::audit

#endif  // CONCLAVE_AUDIT_MERKLE_H_
