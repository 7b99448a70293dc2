// Checkpoint bodies, decimal sizes and fork-evidence files on arbitrary
// bytes. Properties: no crash; whatever parses re-encodes to exactly the
// input (the parsers are canonical).
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/checkpoint.h"
#include "audit/client_state.h"
#include "audit/cosignature.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;
using namespace conclave::audit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  auto cp = ParseCheckpoint(in);
  if (cp.ok()) {
    auto text = FormatCheckpoint(*cp);
    FUZZ_CHECK(text.ok());
    FUZZ_CHECK(*text == in);
    auto msg = CosignatureV1Message(in, 1);
    FUZZ_CHECK(msg.ok());
  }
  auto n = ParseDecimalU64(in);
  if (n.ok()) FUZZ_CHECK(std::to_string(*n) == in);

  auto e = ParseForkEvidence(in);
  if (e.ok()) FUZZ_CHECK(EncodeForkEvidence(*e) == in);

  if (size == kCosignatureV1Size) {
    auto ts = CosignatureV1Timestamp(ByteSpan(data, size));
    FUZZ_CHECK(ts.ok() == (data[0] < 0x80));
  }
  return 0;
}
