// The anonymous contact's parsers (brief §8, daemon/contact.h): receipt
// text as a person types it, the ECDSA challenge signature and key from the
// intake's JSON, and an editor's reply as the whistleblower's page opens
// it. The first byte selects the parser.
//
// Properties: a parsed receipt is 16 bytes and formats back to text that
// parses to the same bytes; verification and decryption refuse with a
// typed error or accept, never crash.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/byte_io.h"
#include "base/bytes.h"
#include "crypto/ecdsa.h"
#include "daemon/contact.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;

namespace {

const daemon::ReceiptKeys& FixedKeys() {
  static const daemon::ReceiptKeys* keys = [] {
    const Bytes receipt(daemon::kReceiptSize, 0x5a);
    auto k = daemon::DeriveReceiptKeys(receipt);
    FUZZ_CHECK(k.ok());
    return new daemon::ReceiptKeys(std::move(k).value());
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(ByteSpan(data, size));
  uint8_t selector;
  if (!in.ReadU8(&selector)) return 0;
  const ByteSpan rest = in.rest();
  switch (selector % 3) {
    case 0: {
      const std::string_view text(reinterpret_cast<const char*>(rest.data()),
                                  rest.size());
      auto receipt = daemon::ParseReceipt(text);
      if (!receipt.ok()) {
        FUZZ_CHECK(receipt.status().code() == StatusCode::kInvalidArgument);
        return 0;
      }
      FUZZ_CHECK(receipt->size() == daemon::kReceiptSize);
      const ByteSpan bytes(receipt->data(), receipt->size());
      auto again = daemon::ParseReceipt(daemon::FormatReceipt(bytes));
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(), again->data()));
      break;
    }
    case 1: {
      // key (33 or 65 bytes, chosen by the next byte) ‖ signature (64) ‖
      // message.
      uint8_t form;
      ByteSpan key, sig;
      if (!in.ReadU8(&form)) return 0;
      if (!in.ReadBytes(form % 2 ? 65 : 33, &key) || !in.ReadBytes(64, &sig)) {
        return 0;
      }
      const Status s = EcdsaP256Sha256Verify(key, in.rest(), sig);
      FUZZ_CHECK(s.ok() || s.code() == StatusCode::kInvalidArgument ||
                 s.code() == StatusCode::kUnauthenticated);
      break;
    }
    case 2: {
      auto text = daemon::DecryptReply(FixedKeys(), rest);
      FUZZ_CHECK(text.ok() ||
                 text.status().code() == StatusCode::kInvalidArgument ||
                 text.status().code() == StatusCode::kUnauthenticated ||
                 text.status().code() == StatusCode::kNotFound ||
                 text.status().code() == StatusCode::kDataLoss);
      break;
    }
  }
  return 0;
}
