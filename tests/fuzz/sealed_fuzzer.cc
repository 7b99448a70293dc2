// Sealed files (brief §2; sealed/sealed_file.h): the age scrypt path and the
// SealedSecret protobuf behind it, then the roster checks every tool makes
// before using what it opened (keyceremony::CheckEditorShare,
// quorum::EditorKeys::FromIdentity against the consortium of
// tests/fuzz/data). The first byte selects:
//   0  the input is a sealed file, opened with the fixture's passphrase
//      (work factors above 12 are skipped: 2^22 would take seconds and
//      gigabytes per input; the reader's 10..22 bound is a unit test);
//   1  the input is a plaintext, sealed here (work factor 10) and opened,
//      so that the protobuf parse is reached with arbitrary bytes.
// Properties: a refusal is INVALID_ARGUMENT or UNAUTHENTICATED and never
// contains the passphrase; what opens holds exactly one kind of secret,
// and in mode 1 it opens if and only if the plaintext parses as one.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "age/age.h"
#include "age/header.h"
#include "age/scrypt.h"
#include "keyceremony/roster.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_consortium.h"

using namespace conclave;

namespace {

constexpr int kMaxFuzzWorkFactor = 12;

// Plain writes: durability is not what is fuzzed here.
void Write(const std::filesystem::path& path, ByteSpan bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good());
}

const std::filesystem::path& FilePath() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      ("sealed-fuzzer-" + std::to_string(getpid()) + ".age");
  return p;
}

// True when every scrypt stanza of a parseable header asks for a small
// work factor (anything that does not parse is cheap to refuse).
bool Cheap(ByteSpan file) {
  auto header = age::ParseHeader(file);
  if (!header.ok()) return true;
  for (const age::Stanza& s : header->stanzas) {
    if (s.type != "scrypt" || s.args.size() != 2) continue;
    const std::string& wf = s.args[1];
    if (wf.empty() || wf.size() > 2) return false;
    for (char ch : wf) {
      if (ch < '0' || ch > '9') return true;
    }
    if (std::stoi(wf) > kMaxFuzzWorkFactor) return false;
  }
  return true;
}

// Opens the file at FilePath(); whether it opened.
bool Open() {
  const SecretBytes passphrase =
      SecretBytes::CopyFrom(AsBytes(fuzz::kFuzzPassphrase));
  StatusOr<OpenedSecret> opened = ReadSealedFile(FilePath(), passphrase);
  if (!opened.ok()) {
    const StatusCode c = opened.status().code();
    FUZZ_CHECK(c == StatusCode::kInvalidArgument ||
               c == StatusCode::kUnauthenticated);
    FUZZ_CHECK(opened.status().message().find(fuzz::kFuzzPassphrase) ==
               std::string::npos);
    return false;
  }
  const v1::SealedSecret& m = opened->message();
  FUZZ_CHECK(m.secret_case() != v1::SealedSecret::SECRET_NOT_SET);
  const keyceremony::VerifiedRoster& roster = fuzz::GetFuzzConsortium().roster;
  if (m.has_editor_share()) {
    Status s = keyceremony::CheckEditorShare(m.editor_share(), roster);
    (void)s;
  } else if (m.has_editor_identity()) {
    auto keys = quorum::EditorKeys::FromIdentity(m.editor_identity(), roster);
    (void)keys;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const ByteSpan input(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    // Armored files are skipped too (their header is only seen after
    // dearmoring); age_decrypt_fuzzer covers armor.
    static constexpr char kArmor[] = "-----BEGIN";
    if (input.size() >= sizeof(kArmor) - 1 &&
        std::equal(kArmor, kArmor + sizeof(kArmor) - 1, input.begin())) {
      return 0;
    }
    if (!Cheap(input)) return 0;
    Write(FilePath(), input);
    (void)Open();
    return 0;
  }
  auto recipient = age::ScryptRecipient::Create(
      SecretBytes::CopyFrom(AsBytes(fuzz::kFuzzPassphrase)), 10);
  FUZZ_CHECK(recipient.ok());
  const age::Recipient* recipients[] = {&*recipient};
  auto file = age::EncryptToMemory(recipients, input);
  FUZZ_CHECK(file.ok());
  Write(FilePath(), *file);
  v1::SealedSecret direct;
  const bool parses =
      direct.ParseFromArray(input.data(), static_cast<int>(input.size())) &&
      direct.secret_case() != v1::SealedSecret::SECRET_NOT_SET;
  FUZZ_CHECK(Open() == parses);
  return 0;
}
