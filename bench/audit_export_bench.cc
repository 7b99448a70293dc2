// `verify --offline` of a 1,000,000-leaf audit log export (issue 4 target:
// under 5 s for the tree and the checkpoint).
//
//   build/<dir>/bin/audit_export_bench
//
// The export is written once to $CONCLAVE_BENCH_EXPORT_DIR (default
// /tmp/conclave-export-bench) and kept, so the real command can be timed on
// the same data; the bench prints that command.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "audit/checkpoint.h"
#include "audit/export.h"
#include "audit/log.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "crypto/ed25519.h"

namespace conclave::audit {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kLeaves = 1000000;
// About the size of a request/vote leaf: ids, hashes, a signature.
constexpr size_t kLeafSize = 200;

struct BenchExport {
  fs::path dir;
  std::string vkey;
};

const BenchExport& GetExport() {
  static const BenchExport e = [] {
    BenchExport out;
    const char* env = std::getenv("CONCLAVE_BENCH_EXPORT_DIR");
    out.dir = env ? env : "/tmp/conclave-export-bench";
    fs::create_directories(out.dir);
    auto signer = Ed25519NoteSigner::Create("bench.consortium.example",
                                            Ed25519PrivateKey::Generate())
                      .value();
    out.vkey = signer->Verifier()->vkey();
    std::ofstream leaves(out.dir / kExportLeavesFile,
                         std::ios::binary | std::ios::trunc);
    CompactRange range;
    std::string leaf(kLeafSize, 'x');
    for (uint64_t i = 0; i < kLeaves; ++i) {
      std::snprintf(leaf.data(), 32, "leaf %020llu",
                    static_cast<unsigned long long>(i));
      const char len[4] = {0, 0, static_cast<char>(kLeafSize >> 8),
                           static_cast<char>(kLeafSize & 0xFF)};
      leaves.write(len, 4);
      leaves.write(leaf.data(), leaf.size());
      range.AppendLeaf(AsBytes(leaf));
    }
    leaves.close();
    Checkpoint cp{signer->name(), kLeaves, range.Root(), {}};
    const NoteSigner* signers[] = {signer.get()};
    const std::string note =
        SignNote(FormatCheckpoint(cp).value(), signers).value();
    std::ofstream(out.dir / kExportCheckpointFile, std::ios::binary) << note;
    std::ofstream(out.dir / kExportVkeyFile) << out.vkey << "\n";
    std::fprintf(stderr,
                 "export: %s (%llu leaves of %zu bytes)\n"
                 "time the command with:\n"
                 "  time conclave audit verify --offline %s --log-vkey '%s'\n",
                 out.dir.c_str(), static_cast<unsigned long long>(kLeaves),
                 kLeafSize, out.dir.c_str(), out.vkey.c_str());
    return out;
  }();
  return e;
}

void BM_VerifyOffline1M(benchmark::State& state) {
  const BenchExport& e = GetExport();
  ExportVerifyOptions opts;
  opts.log_vkey = e.vkey;
  for (auto _ : state) {
    auto r = VerifyExport(e.dir, opts);
    if (!r.ok() || r->leaf_count != kLeaves) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kLeaves);
  state.SetBytesProcessed(state.iterations() * kLeaves * (kLeafSize + 4));
}
BENCHMARK(BM_VerifyOffline1M)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace conclave::audit

BENCHMARK_MAIN();
