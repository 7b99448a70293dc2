#include "crypto/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace conclave {

void FillRandom(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (out.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("conclave: the system random number generator failed\n", stderr);
    std::abort();
  }
}

SecretBytes RandomBytes(size_t n) {
  SecretBytes out(n);
  FillRandom(out.mutable_span());
  return out;
}

}  // namespace conclave
