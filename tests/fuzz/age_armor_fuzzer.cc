// Strict ASCII armor reading (C2SP age, RFC 7468). Property: whatever the
// reader accepts re-armors (ArmorWriter) to a text that reads back to the
// same bytes.
#include <cstdint>

#include "age/armor.h"
#include "age/io.h"
#include "tests/fuzz/fuzz_check.h"

namespace age = conclave::age;
using conclave::Bytes;
using conclave::ByteSpan;

namespace {
// Reads everything, or fails.
bool Dearmor(ByteSpan in, Bytes* out) {
  age::MemoryReader source(in);
  age::ArmorReader reader(source);
  uint8_t buf[4096];
  for (;;) {
    auto n = reader.Read(buf);
    if (!n.ok()) return false;
    if (*n == 0) return true;
    out->insert(out->end(), buf, buf + *n);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes decoded;
  if (!Dearmor(ByteSpan(data, size), &decoded)) return 0;
  FUZZ_CHECK(decoded.size() <= size);
  age::MemoryWriter text;
  age::ArmorWriter writer(text);
  FUZZ_CHECK(writer.Write(decoded).ok());
  FUZZ_CHECK(writer.Finish().ok());
  Bytes again;
  FUZZ_CHECK(Dearmor(text.bytes(), &again));
  FUZZ_CHECK(again == decoded);
  return 0;
}
