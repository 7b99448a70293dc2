// Signed-note parsing and verification on arbitrary bytes. Properties: no
// crash; a parsed note re-encodes to exactly the input (the parser is
// canonical); an opened note has at least one verified signature; a parsed
// vkey re-encodes to the input.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "audit/cosignature.h"
#include "audit/note.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;
using namespace conclave::audit;

namespace {

struct Keys {
  std::unique_ptr<Ed25519NoteVerifier> spec;
  std::unique_ptr<CosignatureV1Verifier> witness;
  NoteVerifierSet set;
  Keys() {
    spec = std::move(*Ed25519NoteVerifier::FromVerifierKey(
        "example.com/"
        "foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"));
    Bytes key(32, 0x42);
    witness = std::move(*CosignatureV1Verifier::Create("w.example/1", key));
    (void)set.Add(spec.get());
    (void)set.Add(witness.get());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Keys* keys = new Keys();
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  auto note = ParseNote(in);
  if (note.ok()) {
    auto again = FormatNote(*note);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == in);
  }
  auto opened = OpenNote(in, keys->set);
  if (opened.ok()) {
    FUZZ_CHECK(note.ok());
    FUZZ_CHECK(!opened->verified.empty());
    FUZZ_CHECK(opened->text == note->text);
  }
  // The first line as a vkey.
  std::string_view line = in.substr(0, in.find('\n'));
  auto vkey = ParseVerifierKey(line);
  if (vkey.ok()) {
    FUZZ_CHECK(EncodeVerifierKey(vkey->name, vkey->sig_type,
                                 vkey->public_key) == line);
  }
  return 0;
}
