// Ceremony inputs: the roster (a signed protobuf every tool verifies before
// use) and COCKTAIL round-1 messages. The first byte selects; for round 1
// the next two give n and t. Properties: nothing crashes, and a round-1
// message that decodes re-encodes to exactly the input.
#include <cstdint>

#include "keyceremony/cocktail.h"
#include "keyceremony/roster.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  if (data[0] % 2 == 0) {
    (void)keyceremony::VerifyEncodedRoster(ByteSpan(data + 1, size - 1));
    return 0;
  }
  const uint32_t n = 1 + data[1] % 8;
  const uint32_t t = 1 + data[2] % n;
  ByteSpan encoded(data + 3, size - 3);
  auto msg = cocktail::DecodeRound1Message(encoded, n, t);
  if (msg.ok()) {
    Bytes again = cocktail::EncodeRound1Message(*msg);
    FUZZ_CHECK(again.size() == encoded.size() &&
               std::equal(again.begin(), again.end(), encoded.begin()));
  }
  return 0;
}
