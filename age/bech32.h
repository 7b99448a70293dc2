// Bech32 (BIP 173) as age uses it: no 90-character limit, all-lowercase or
// all-uppercase, checksum over the lowercase string (C2SP age
// "Conventions"). Used for "age1..." recipients and "AGE-SECRET-KEY-1..."
// identities.
#ifndef CONCLAVE_AGE_BECH32_H_
#define CONCLAVE_AGE_BECH32_H_

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/secret_bytes.h"

namespace conclave::age {

struct Bech32Decoded {
  std::string hrp;   // lowercased
  SecretBytes data;  // 8-bit data (may be a secret key)
  bool uppercase = false;
};

// INVALID_ARGUMENT (untagged) on mixed case, bad characters, bad checksum,
// bad padding bits. Never echoes the input (it may be a secret key).
StatusOr<Bech32Decoded> Bech32Decode(std::string_view s);

// Lowercase (or uppercase) encoding of `data` under `hrp` (given lowercase).
std::string Bech32Encode(std::string_view hrp, ByteSpan data,
                         bool uppercase = false);

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_BECH32_H_
