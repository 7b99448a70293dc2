// Quorum messages (quorum/statements.h, evidence.h, approval.h). A small
// consortium is made once per process so that fuzzed bodies can be signed by
// a real editor and reach the parsers behind the signature check. The first
// byte selects:
//   0  a log leaf: if it parses, it re-encodes to exactly the input;
//   1  log evidence, verified against the roster;
//   2  a request body, given this roster's fingerprint and epoch, signed;
//   3  a vote body, signed; 4  a withdrawal body, signed;
//   5  an approval (clear part and ciphertext), and the ciphertext opened.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "crypto/random.h"
#include "keyceremony/simulate.h"
#include "quorum/approval.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;

namespace {

struct Consortium {
  keyceremony::VerifiedRoster roster;
  std::unique_ptr<quorum::EditorKeys> editor;
};

const Consortium& GetConsortium() {
  static const Consortium* consortium = [] {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() /
                         ("quorum-fuzzer-" + HexEncode(RandomBytes(8).span()));
    keyceremony::CeremonyOptions options;
    options.orgs = 3;
    options.threshold = 2;
    options.editors = {{1, 1}, {1, 1}, {1, 1}};
    options.work_factor = 10;
    const SecretBytes passphrase = SecretBytes::CopyFrom(AsBytes("fuzz"));
    FUZZ_CHECK(keyceremony::RunCeremony(options, dir, passphrase).ok());
    auto roster = keyceremony::ReadRosterFile(dir / "consortium.roster");
    FUZZ_CHECK(roster.ok());
    auto identity =
        ReadSealedFile(dir / "org1" / "editor1" / "identity.age", passphrase);
    FUZZ_CHECK(identity.ok());
    auto keys = quorum::EditorKeys::FromIdentity(
        identity->message().editor_identity(), *roster);
    FUZZ_CHECK(keys.ok());
    fs::remove_all(dir);
    auto* c = new Consortium{std::move(*roster), nullptr};
    c->editor = std::make_unique<quorum::EditorKeys>(std::move(*keys));
    return c;
  }();
  return *consortium;
}

v1::SignedStatement Sign(std::string_view dst, const std::string& body) {
  return quorum::SignStatement(dst, ToBytes(body), *GetConsortium().editor);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Consortium& c = GetConsortium();
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto leaf = quorum::ParseLogLeaf(AsBytes(input));
      if (leaf.ok()) {
        const Bytes again = quorum::EncodeLogLeaf(*leaf);
        FUZZ_CHECK(AsStringView(again) == input);
      }
      break;
    }
    case 1: {
      v1::LogEvidence evidence;
      if (evidence.ParseFromString(input)) {
        (void)quorum::VerifyLogEvidence(evidence, c.roster);
      }
      break;
    }
    case 2: {
      v1::RequestBody body;
      if (!body.ParseFromString(input)) break;
      body.set_roster_fingerprint(AsString(c.roster.fingerprint));
      body.set_epoch(c.roster.body.epoch());
      body.set_org_id(1);
      body.set_editor_index(1);
      (void)quorum::VerifyRequest(
          c.roster, Sign(quorum::kRequestDst, body.SerializeAsString()));
      // The raw input too: non-canonical encodings must be refused cleanly.
      (void)quorum::VerifyRequest(c.roster, Sign(quorum::kRequestDst, input));
      break;
    }
    case 3:
      (void)quorum::VerifyVote(c.roster, Sign(quorum::kVoteDst, input));
      break;
    case 4:
      (void)quorum::VerifyWithdrawal(c.roster,
                                     Sign(quorum::kWithdrawalDst, input));
      break;
    case 5: {
      v1::Approval approval;
      if (!approval.ParseFromString(input)) break;
      (void)quorum::VerifyApprovalStatement(c.roster, approval);
      quorum::ApprovalAddress address;
      address.org_id = 1;
      address.editor_index = 1;
      address.epoch = 1;
      (void)quorum::OpenPartial(AsBytes(approval.ciphertext()),
                                Scalar::FromUint64(7), address);
      break;
    }
  }
  return 0;
}
