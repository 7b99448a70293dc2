// Strict P-256 point and scalar decoding (brief §3). Properties: whatever
// decodes re-encodes to exactly the input (there is one encoding per point in
// each form), is never infinity, and scalars decode only below n.
#include <cstdint>
#include <cstring>

#include "crypto/p256.h"
#include "tests/fuzz/fuzz_check.h"

using conclave::ByteSpan;
using conclave::Point;
using conclave::Scalar;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  auto point = Point::Decode(in);
  if (point.ok()) {
    FUZZ_CHECK(!point->IsInfinity());
    if (size == conclave::kP256CompressedPointSize) {
      auto enc = point->EncodeCompressed();
      FUZZ_CHECK(std::memcmp(enc.data(), data, size) == 0);
    } else {
      FUZZ_CHECK(size == conclave::kP256UncompressedPointSize);
      auto enc = point->EncodeUncompressed();
      FUZZ_CHECK(std::memcmp(enc.data(), data, size) == 0);
    }
  }
  FUZZ_CHECK(Point::DecodeCompressed(in).ok() ==
             (point.ok() && size == conclave::kP256CompressedPointSize));
  FUZZ_CHECK(Point::DecodeUncompressed(in).ok() ==
             (point.ok() && size == conclave::kP256UncompressedPointSize));

  auto scalar = Scalar::FromBytes(in);
  if (scalar.ok()) {
    auto again = scalar->ToPublicBytes();
    FUZZ_CHECK(size == again.size() &&
               std::memcmp(again.data(), data, size) == 0);
  }
  return 0;
}
