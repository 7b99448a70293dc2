// The operating system CSPRNG through OpenSSL's DRBG.
#ifndef CONCLAVE_CRYPTO_RANDOM_H_
#define CONCLAVE_CRYPTO_RANDOM_H_

#include <cstddef>

#include "base/secret_bytes.h"

namespace conclave {

// Aborts the process if the CSPRNG fails: no caller can do anything safe
// without randomness, and continuing would risk nonce reuse.
SecretBytes RandomBytes(size_t n);
void FillRandom(std::span<uint8_t> out);

}  // namespace conclave

#endif  // CONCLAVE_CRYPTO_RANDOM_H_
