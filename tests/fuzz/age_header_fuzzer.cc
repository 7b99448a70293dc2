// age header parsing (C2SP age "Header"). Properties: a header that parses
// has exactly one encoding, so re-encoding its stanzas and MAC gives back the
// consumed bytes; the streaming reader agrees with the in-memory parser; and
// the consumed prefix parses alone to the same header.
#include <cstdint>
#include <string>

#include "age/base64.h"
#include "age/header.h"
#include "age/io.h"
#include "tests/fuzz/fuzz_check.h"

using conclave::Bytes;
using conclave::ByteSpan;
namespace age = conclave::age;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  size_t consumed = 0;
  auto header = age::ParseHeader(in, &consumed);

  age::MemoryReader mem(in);
  age::BufferedReader buf(mem);
  auto streamed = age::ReadHeader(buf);
  FUZZ_CHECK(streamed.ok() == header.ok());
  if (!header.ok()) return 0;

  FUZZ_CHECK(consumed == header->bytes.size() && consumed <= size);
  FUZZ_CHECK(Bytes(data, data + consumed) == header->bytes);
  FUZZ_CHECK(!header->stanzas.empty());
  FUZZ_CHECK(header->stanzas.size() <= age::kMaxStanzas);
  FUZZ_CHECK(header->mac.size() == age::kHeaderMacSize);
  FUZZ_CHECK(streamed->bytes == header->bytes &&
             streamed->stanzas == header->stanzas &&
             streamed->mac == header->mac);

  // Canonical re-encoding.
  std::string text(age::kVersionLine);
  for (const age::Stanza& s : header->stanzas) {
    auto enc = age::EncodeStanza(s);
    FUZZ_CHECK(enc.ok());
    text += *enc;
  }
  text += "---";
  const ByteSpan mac_input = header->MacInput();
  FUZZ_CHECK(std::string(mac_input.begin(), mac_input.end()) == text);
  text += " " + age::Base64Encode(header->mac) + "\n";
  FUZZ_CHECK(Bytes(text.begin(), text.end()) == header->bytes);

  // The header alone parses to the same thing.
  size_t again_consumed = 0;
  auto again = age::ParseHeader(header->bytes, &again_consumed);
  FUZZ_CHECK(again.ok() && again_consumed == consumed &&
             again->stanzas == header->stanzas);
  return 0;
}
