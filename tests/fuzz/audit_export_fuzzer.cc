// The export format reader (`conclave audit verify --offline`): arbitrary
// `checkpoint`, `log.vkey` and `leaves` files. Input layout: u16 length of
// the checkpoint, u16 length of the vkey, then checkpoint, vkey, leaves.
// Property: verification never crashes, and any success has exactly as many
// leaves as the checkpoint says.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "audit/export.h"
#include "base/byte_io.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;

namespace {
// Plain writes: the atomic, fsynced writer would make each run take
// milliseconds, and durability is not what is fuzzed here.
void Write(const std::filesystem::path& path, ByteSpan bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(ByteSpan(data, size));
  uint16_t checkpoint_len, vkey_len;
  ByteSpan checkpoint, vkey;
  if (!in.ReadU16(&checkpoint_len) || !in.ReadU16(&vkey_len) ||
      !in.ReadBytes(checkpoint_len, &checkpoint) ||
      !in.ReadBytes(vkey_len, &vkey)) {
    return 0;
  }
  static const std::filesystem::path dir = [] {
    std::filesystem::path d =
        std::filesystem::temp_directory_path() /
        ("conclave-fuzz-export-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  Write(dir / "checkpoint", checkpoint);
  Write(dir / "log.vkey", vkey);
  Write(dir / "leaves", in.rest());
  auto result = audit::VerifyExport(dir, audit::ExportVerifyOptions{});
  if (result.ok()) {
    FUZZ_CHECK(result->leaf_count == result->checkpoint.size);
  }
  return 0;
}
