// Audit log Merkle tree and storage (docs/performance.md):
//   - BM_AppendMemory: MemoryLogStorage::Append, 256-byte leaves;
//   - BM_AppendFile/batch: FileLogStorage, Commit() every `batch` leaves.
//     batch = 1 makes every leaf durable before the next (what the daemon
//     needs per request when requests arrive one at a time); batch = N is
//     group commit: a crash loses at most the N - 1 leaves staged since the
//     last Commit(), none of which was acknowledged. Two fdatasyncs of data
//     plus one of the commit record per Commit();
//   - BM_{Inclusion,Consistency}Proof{Memory,File}/log2(n) and
//     BM_Verify{Inclusion,Consistency}/log2(n) at n = 2^10 and 2^20;
//   - BM_RootOfExport: the root of 1,000,000 leaves read from a file of
//     length-prefixed records (the offline verify path: read + hash, O(log n)
//     memory).
// Files go to $CONCLAVE_BENCH_DIR or the current directory; fsync cost is that
// file system's.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "audit/log_storage.h"
#include "audit/merkle.h"

namespace conclave::audit {
namespace {

namespace fs = std::filesystem;

constexpr size_t kLeafSize = 256;

fs::path BenchDir(const std::string& name) {
  const char* env = std::getenv("CONCLAVE_BENCH_DIR");
  fs::path base = env ? fs::path(env) : fs::current_path();
  return base / ("audit_bench_" + name + "_" + std::to_string(::getpid()));
}

Bytes LeafFor(uint64_t i) {
  Bytes leaf(kLeafSize);
  for (size_t j = 0; j < leaf.size(); ++j) {
    leaf[j] = static_cast<uint8_t>((i >> (8 * (j % 8))) + j);
  }
  return leaf;
}

void BM_AppendMemory(benchmark::State& state) {
  MemoryLogStorage s;
  const Bytes leaf = LeafFor(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Append(leaf));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendMemory);

void BM_AppendFile(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const fs::path dir = BenchDir("append" + std::to_string(batch));
  fs::remove_all(dir);
  auto s = FileLogStorage::Open(dir);
  if (!s.ok()) {
    state.SkipWithError(s.status().ToString().c_str());
    return;
  }
  const Bytes leaf = LeafFor(2);
  int staged = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*s)->Append(leaf));
    if (++staged == batch) {
      if (!(*s)->Commit().ok()) state.SkipWithError("commit failed");
      staged = 0;
    }
  }
  if (!(*s)->Commit().ok()) state.SkipWithError("commit failed");
  state.SetItemsProcessed(state.iterations());
  s->reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_AppendFile)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();

// Trees shared by the proof benchmarks, built once.
const MemoryLogStorage& MemoryTree(int log2n) {
  static std::unique_ptr<MemoryLogStorage> trees[64];
  if (!trees[log2n]) {
    trees[log2n] = std::make_unique<MemoryLogStorage>();
    for (uint64_t i = 0; i < (uint64_t{1} << log2n); ++i) {
      (void)trees[log2n]->Append(LeafFor(i));
    }
  }
  return *trees[log2n];
}

const FileLogStorage& FileTree(int log2n) {
  static std::unique_ptr<FileLogStorage> trees[64];
  if (!trees[log2n]) {
    const fs::path dir = BenchDir("tree" + std::to_string(log2n));
    fs::remove_all(dir);
    trees[log2n] = std::move(FileLogStorage::Open(dir)).value();
    for (uint64_t i = 0; i < (uint64_t{1} << log2n); ++i) {
      (void)trees[log2n]->Append(LeafFor(i));
      if (i % 4096 == 4095) (void)trees[log2n]->Commit();
    }
    (void)trees[log2n]->Commit();
    std::atexit([] {
      for (int k : {10, 20}) {
        fs::remove_all(BenchDir("tree" + std::to_string(k)));
      }
    });
  }
  return *trees[log2n];
}

template <typename Tree>
void InclusionProofBench(benchmark::State& state, const Tree& tree) {
  const uint64_t n = tree.Size();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto p = InclusionProof(tree, rng() % n, n);
    benchmark::DoNotOptimize(p);
  }
}

template <typename Tree>
void ConsistencyProofBench(benchmark::State& state, const Tree& tree) {
  const uint64_t n = tree.Size();
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto p = ConsistencyProof(tree, 1 + rng() % n, n);
    benchmark::DoNotOptimize(p);
  }
}

void BM_InclusionProofMemory(benchmark::State& state) {
  InclusionProofBench(state, MemoryTree(static_cast<int>(state.range(0))));
}
void BM_InclusionProofFile(benchmark::State& state) {
  InclusionProofBench(state, FileTree(static_cast<int>(state.range(0))));
}
void BM_ConsistencyProofMemory(benchmark::State& state) {
  ConsistencyProofBench(state, MemoryTree(static_cast<int>(state.range(0))));
}
void BM_ConsistencyProofFile(benchmark::State& state) {
  ConsistencyProofBench(state, FileTree(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_InclusionProofMemory)->Arg(10)->Arg(20);
BENCHMARK(BM_InclusionProofFile)->Arg(10)->Arg(20);
BENCHMARK(BM_ConsistencyProofMemory)->Arg(10)->Arg(20);
BENCHMARK(BM_ConsistencyProofFile)->Arg(10)->Arg(20);

void BM_VerifyInclusion(benchmark::State& state) {
  const MemoryLogStorage& tree = MemoryTree(static_cast<int>(state.range(0)));
  const uint64_t n = tree.Size();
  const uint64_t index = n / 3;
  const auto proof = *InclusionProof(tree, index, n);
  const Hash root = *RootHash(tree, n);
  const Hash leaf = *tree.LeafHash(index);
  for (auto _ : state) {
    Status s = VerifyInclusion(leaf, index, n, proof, root);
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_VerifyInclusion)->Arg(10)->Arg(20);

void BM_VerifyConsistency(benchmark::State& state) {
  const MemoryLogStorage& tree = MemoryTree(static_cast<int>(state.range(0)));
  const uint64_t n = tree.Size();
  const uint64_t m = n / 3;
  const auto proof = *ConsistencyProof(tree, m, n);
  const Hash root1 = *RootHash(tree, m);
  const Hash root2 = *RootHash(tree, n);
  for (auto _ : state) {
    Status s = VerifyConsistency(m, n, proof, root1, root2);
    if (!s.ok()) state.SkipWithError("verification failed");
  }
}
BENCHMARK(BM_VerifyConsistency)->Arg(10)->Arg(20);

void BM_RootOfExport(benchmark::State& state) {
  constexpr uint64_t kLeaves = 1'000'000;
  const fs::path file = BenchDir("export");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    for (uint64_t i = 0; i < kLeaves; ++i) {
      const Bytes leaf = LeafFor(i);
      const uint8_t len[4] = {0, 0, static_cast<uint8_t>(leaf.size() >> 8),
                              static_cast<uint8_t>(leaf.size())};
      out.write(reinterpret_cast<const char*>(len), 4);
      out.write(reinterpret_cast<const char*>(leaf.data()),
                static_cast<std::streamsize>(leaf.size()));
    }
  }
  for (auto _ : state) {
    std::ifstream in(file, std::ios::binary);
    CompactRange range;
    Bytes leaf;
    uint8_t len[4];
    while (in.read(reinterpret_cast<char*>(len), 4)) {
      const size_t n = (size_t{len[0]} << 24) | (size_t{len[1]} << 16) |
                       (size_t{len[2]} << 8) | len[3];
      leaf.resize(n);
      in.read(reinterpret_cast<char*>(leaf.data()),
              static_cast<std::streamsize>(n));
      range.AppendLeaf(leaf);
    }
    if (range.size() != kLeaves) state.SkipWithError("short export");
    benchmark::DoNotOptimize(range.Root());
  }
  state.SetItemsProcessed(state.iterations() * kLeaves);
  fs::remove(file);
}
BENCHMARK(BM_RootOfExport)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace conclave::audit

BENCHMARK_MAIN();
