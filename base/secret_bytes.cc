#include "base/secret_bytes.h"

#include <openssl/crypto.h>

#include <ostream>

namespace conclave {

void CleanseMemory(void* p, size_t n) {
  if (p != nullptr && n > 0) OPENSSL_cleanse(p, n);
}

void PrintTo(const SecretBytes& s, std::ostream* os) {
  *os << "[secret: " << s.size() << " bytes]";
}

}  // namespace conclave
