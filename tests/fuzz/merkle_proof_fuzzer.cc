// Merkle proof verification (RFC 9162 §2.1.3.2, §2.1.4.2) over attacker-chosen
// sizes, hashes and proofs: the verifier must answer INVALID_ARGUMENT or
// UNAUTHENTICATED, never crash. A third mode builds a tree from the input and
// checks that honest proofs verify and every one-bit change is refused.
//
// Input: selector byte, then
//   0: index u64 || size u64 || leaf hash[32] || root[32] || proof bytes
//   1: size1 u64 || size2 u64 || root1[32] || root2[32] || proof bytes
//   2: size1 u8 || size2 u8 || flip u16 || leaves (u8 length || bytes)...
#include <cstdint>
#include <vector>

#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "base/byte_io.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;
using namespace conclave::audit;

namespace {

bool Expected(const Status& s) {
  return s.ok() || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kUnauthenticated;
}

std::vector<ByteSpan> Split(ByteSpan rest) {
  std::vector<ByteSpan> out;
  // Element boundaries every 32 bytes, the last one possibly short.
  for (size_t i = 0; i < rest.size(); i += 32) {
    out.push_back(rest.subspan(i, std::min<size_t>(32, rest.size() - i)));
  }
  return out;
}

void BuildAndCheck(ByteReader& in) {
  uint8_t a, b;
  uint16_t flip;
  if (!in.ReadU8(&a) || !in.ReadU8(&b) || !in.ReadU16(&flip)) return;
  MemoryLogStorage tree;
  ByteSpan leaf;
  uint8_t len;
  while (tree.Size() < 200 && in.ReadU8(&len) && in.ReadBytes(len, &leaf)) {
    FUZZ_CHECK(tree.Append(leaf).ok());
  }
  const uint64_t n = tree.Size();
  if (n == 0) return;
  const uint64_t size2 = 1 + b % n;
  const uint64_t size1 = 1 + a % size2;
  const uint64_t index = a % size2;
  const Hash root1 = *RootHash(tree, size1);
  const Hash root2 = *RootHash(tree, size2);

  auto incl = InclusionProof(tree, index, size2);
  FUZZ_CHECK(incl.ok());
  const Hash leaf_hash = *tree.LeafHash(index);
  FUZZ_CHECK(VerifyInclusion(leaf_hash, index, size2, *incl, root2).ok());
  if (!incl->empty()) {
    std::vector<Hash> bad = *incl;
    bad[(flip >> 8) % bad.size()][flip % 32 % kHashSize] ^=
        static_cast<uint8_t>(1u << (flip % 8));
    FUZZ_CHECK(VerifyInclusion(leaf_hash, index, size2, bad, root2).code() ==
               StatusCode::kUnauthenticated);
  }

  auto cons = ConsistencyProof(tree, size1, size2);
  FUZZ_CHECK(cons.ok());
  FUZZ_CHECK(VerifyConsistency(size1, size2, *cons, root1, root2).ok());
  if (!cons->empty()) {
    std::vector<Hash> bad = *cons;
    bad[(flip >> 8) % bad.size()][flip % 32 % kHashSize] ^=
        static_cast<uint8_t>(1u << (flip % 8));
    FUZZ_CHECK(VerifyConsistency(size1, size2, bad, root1, root2).code() ==
               StatusCode::kUnauthenticated);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(ByteSpan(data, size));
  uint8_t selector;
  if (!in.ReadU8(&selector)) return 0;
  switch (selector % 3) {
    case 0: {
      uint64_t index, tree_size;
      ByteSpan leaf, root;
      if (!in.ReadU64(&index) || !in.ReadU64(&tree_size) ||
          !in.ReadBytes(32, &leaf) || !in.ReadBytes(32, &root)) {
        return 0;
      }
      ByteSpan rest;
      FUZZ_CHECK(in.ReadBytes(in.remaining(), &rest));
      const std::vector<ByteSpan> proof = Split(rest);
      const Status s =
          VerifyInclusionBytes(leaf, index, tree_size, proof, root);
      FUZZ_CHECK(Expected(s));
      // The root the proof implies is the root it verifies against.
      auto p = ProofFromBytes(rest);
      if (p.ok()) {
        auto implied =
            RootFromInclusionProof(*HashFromBytes(leaf), index, tree_size, *p);
        FUZZ_CHECK(implied.ok() ==
                   (s.ok() || s.code() == StatusCode::kUnauthenticated));
        if (implied.ok()) {
          FUZZ_CHECK(VerifyInclusion(*HashFromBytes(leaf), index, tree_size, *p,
                                     *implied)
                         .ok());
        }
      }
      break;
    }
    case 1: {
      uint64_t size1, size2;
      ByteSpan root1, root2;
      if (!in.ReadU64(&size1) || !in.ReadU64(&size2) ||
          !in.ReadBytes(32, &root1) || !in.ReadBytes(32, &root2)) {
        return 0;
      }
      ByteSpan rest;
      FUZZ_CHECK(in.ReadBytes(in.remaining(), &rest));
      FUZZ_CHECK(Expected(
          VerifyConsistencyBytes(size1, size2, Split(rest), root1, root2)));
      break;
    }
    default:
      BuildAndCheck(in);
  }
  return 0;
}
