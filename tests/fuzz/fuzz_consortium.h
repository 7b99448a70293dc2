// A fixed consortium for the fuzz targets that need a roster and a signer:
// the roster and editor (1,1)'s sealed identity checked in under
// tests/fuzz/data (written once by fuzz_make_seeds, like the seeds signed by
// its editors), so that the signed seeds verify in every run and fuzzed
// bodies can be signed to reach the parsers behind the signature check.
#ifndef CONCLAVE_TESTS_FUZZ_FUZZ_CONSORTIUM_H_
#define CONCLAVE_TESTS_FUZZ_FUZZ_CONSORTIUM_H_

#include <memory>
#include <string>

#include "keyceremony/roster.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/fuzz/fuzz_check.h"

namespace conclave::fuzz {

// The fixture's passphrase (every sealed file under data/ and the sealed
// seeds): tests/quorum_fixture.h's default.
inline constexpr char kFuzzPassphrase[] = "correct horse battery staple";
// The clock of the signed seeds (tests/quorum_fixture.h kFixtureNow).
inline constexpr uint64_t kFuzzNow = 1'760'000'000;

inline std::string FuzzDataPath(const std::string& name) {
  return std::string(CONCLAVE_FUZZ_DATA_DIR) + "/" + name;
}

struct FuzzConsortium {
  keyceremony::VerifiedRoster roster;
  std::unique_ptr<quorum::EditorKeys> editor;  // (1,1)
};

inline const FuzzConsortium& GetFuzzConsortium() {
  static const FuzzConsortium* c = [] {
    auto roster =
        keyceremony::ReadRosterFile(FuzzDataPath("consortium.roster"));
    FUZZ_CHECK(roster.ok());
    auto identity =
        ReadSealedFile(FuzzDataPath("identity.age"),
                       SecretBytes::CopyFrom(AsBytes(kFuzzPassphrase)));
    FUZZ_CHECK(identity.ok());
    auto keys = quorum::EditorKeys::FromIdentity(
        identity->message().editor_identity(), *roster);
    FUZZ_CHECK(keys.ok());
    auto* out = new FuzzConsortium{std::move(*roster), nullptr};
    out->editor = std::make_unique<quorum::EditorKeys>(std::move(*keys));
    return out;
  }();
  return *c;
}

}  // namespace conclave::fuzz

#endif  // CONCLAVE_TESTS_FUZZ_FUZZ_CONSORTIUM_H_
