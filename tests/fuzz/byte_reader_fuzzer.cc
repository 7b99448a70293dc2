// ByteReader never reads out of bounds, and a failed read consumes nothing.
// The first input byte drives a sequence of operations over the rest.
#include <cstdint>

#include "base/byte_io.h"
#include "tests/fuzz/fuzz_check.h"

using conclave::ByteReader;
using conclave::ByteSpan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ByteSpan ops(data, size / 2);
  ByteReader r(ByteSpan(data + size / 2, size - size / 2));
  for (uint8_t op : ops) {
    const size_t before = r.remaining();
    bool ok = false;
    size_t want = 0;
    switch (op % 8) {
      case 0: {
        uint8_t v;
        ok = r.ReadU8(&v);
        want = 1;
        break;
      }
      case 1: {
        uint16_t v;
        ok = r.ReadU16(&v);
        want = 2;
        break;
      }
      case 2: {
        uint32_t v;
        ok = r.ReadU32(&v);
        want = 4;
        break;
      }
      case 3: {
        uint64_t v;
        ok = r.ReadU64(&v);
        want = 8;
        break;
      }
      case 4: {
        ByteSpan b;
        want = op / 8;
        ok = r.ReadBytes(want, &b);
        if (ok) FUZZ_CHECK(b.size() == want);
        break;
      }
      case 5: {
        ByteSpan b;
        ok = r.ReadU16LengthPrefixed(&b);
        want = ok ? b.size() + 2 : 0;
        break;
      }
      case 6: {
        ByteSpan b;
        ok = r.ReadU32LengthPrefixed(&b);
        want = ok ? b.size() + 4 : 0;
        break;
      }
      case 7:
        want = op / 8;
        ok = r.Skip(want);
        break;
    }
    if (ok) {
      FUZZ_CHECK(before - r.remaining() == want);
    } else {
      FUZZ_CHECK(r.remaining() == before);
    }
  }
  return 0;
}
