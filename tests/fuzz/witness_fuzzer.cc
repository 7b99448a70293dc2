// The witness's request parser and state file (tlog-witness add-checkpoint;
// the persisted state). The first byte selects:
//  - even: an add-checkpoint body against a witness that knows one log and
//    has cosigned its size-2 checkpoint. Property: a 200 comes with a state
//    update that never moves the log backwards.
//  - odd: the state file. Property: what parses re-encodes to exactly the
//    input.
#include <cstdint>
#include <string_view>

#include "audit/note.h"
#include "tests/fuzz/fuzz_check.h"
#include "witness/witness.h"

using namespace conclave;

namespace {

Ed25519PrivateKey KeyFromByte(uint8_t b) {
  uint8_t seed[32];
  for (uint8_t& s : seed) s = b;
  return *Ed25519PrivateKey::FromSeed(ByteSpan(seed, 32));
}

const witness::WitnessConfig& Config() {
  static const witness::WitnessConfig* config = [] {
    auto* c = new witness::WitnessConfig;
    c->signer =
        *audit::CosignatureV1Signer::Create("witness.example", KeyFromByte(7));
    c->clock = [] { return uint64_t{1700000000}; };
    auto log_key = KeyFromByte(9);
    auto verifier = *audit::Ed25519NoteVerifier::Create("log.example",
                                                        log_key.public_key());
    FUZZ_CHECK(c->AddLogVkey(verifier->vkey()).ok());
    return c;
  }();
  return *config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    witness::WitnessState state;
    state.witness_vkey = Config().signer->Verifier()->vkey();
    witness::LogRecord record;
    record.size = 2;
    state.logs["log.example"] = record;
    witness::AddCheckpointOutcome out =
        witness::ProcessAddCheckpoint(Config(), state, rest);
    if (out.reply.status == 200) {
      FUZZ_CHECK(out.update.has_value());
      FUZZ_CHECK(out.update->second.size >= 2);
    } else {
      FUZZ_CHECK(!out.update.has_value());
    }
  } else {
    auto parsed = witness::ParseWitnessState(rest);
    if (parsed.ok()) {
      FUZZ_CHECK(witness::EncodeWitnessState(*parsed) == rest);
    }
  }
  return 0;
}
