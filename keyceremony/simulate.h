// Key-ceremony outputs made in one process (brief §4): the single-key steps
// (`identity new`, `witness new`, `log-key new`) and the whole ceremony with
// every participant simulated (`simulate`: COCKTAIL-DKG among the
// organisations) or with a trusted dealer (`dealer`: weaker — one machine
// knows the consortium private key while it deals).
//
// Output layout (issue 5):
//   DIR/consortium.pub        age1tag1… recipient on the first line
//   DIR/consortium.roster     the signed roster (roster.h)
//   DIR/cocktail.record       simulate only: COCKTAIL transcript T and the
//                             CertEq signatures (CheckCocktailRecord)
//   DIR/log.age, log.vkey     the daemon's log key
//   DIR/drill/drill-N.age     drill files (conclave-drill-pok), ids in roster
//   DIR/orgI/witness.age, witness.vkey
//   DIR/orgI/editorJ/identity.age, share.age, editor.card
#ifndef CONCLAVE_KEYCEREMONY_SIMULATE_H_
#define CONCLAVE_KEYCEREMONY_SIMULATE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {

// ---- Single keys ----

struct NewIdentity {
  v1::PublicCard card;
  Ed25519PrivateKey signing_key;  // for the caller to sign with, then drop
};

// An editor identity: fresh Ed25519 and P-256 keys, sealed in
// DIR/identity.age, and the self-signed public card in DIR/editor.card.
// `editor_index` 0 means "assigned later by the plan". Refuses to overwrite.
StatusOr<NewIdentity> CreateEditorIdentity(uint32_t org_id,
                                           uint32_t editor_index,
                                           const std::string& name,
                                           const std::filesystem::path& dir,
                                           const SecretBytes& passphrase,
                                           int work_factor);

// The organisation's witness key, sealed in DIR/witness.age; its vkey
// (tlog-cosignature/v1, type 0x04) in DIR/witness.vkey. Returns the vkey.
StatusOr<std::string> CreateWitnessKey(uint32_t org_id, const std::string& name,
                                       const std::filesystem::path& dir,
                                       const SecretBytes& passphrase,
                                       int work_factor);
// The default witness name of an organisation: "witness-orgI".
std::string DefaultWitnessName(uint32_t org_id);

// The daemon's log key, sealed in DIR/log.age; its vkey (signed-note
// Ed25519, type 0x01) in DIR/log.vkey. Returns the vkey.
StatusOr<std::string> CreateLogKey(const std::string& origin,
                                   const std::filesystem::path& dir,
                                   const SecretBytes& passphrase,
                                   int work_factor);

// ---- Steps shared by simulate and the file-round ceremony (rounds.h) ----

// An editor's sealed share.age (EditorShare at `epoch`, 1 at the ceremony).
Status SealEditorShare(const std::filesystem::path& path, const Point& y,
                       uint32_t org, const Share& share, const Point& y_oj,
                       const SecretBytes& passphrase, int work_factor,
                       uint64_t epoch = 1);

// COCKTAIL-DKG among m organisations at positions 1..m, every participant
// in this process (simulate, and the one-process rekey of reshare_commands):
// x_o per position, the aggregate commitments, Y, and the public record.
// The static keys and round-1 secrets die inside.
struct KeyGenOutput {
  std::vector<Scalar> org_secrets;  // x_o, position o-1 (secret)
  std::vector<Point> commitments;   // C_agg, t points
  Point y = Point::Infinity();
  Bytes transcript_hash;
  Bytes session_id;
  v1::CocktailRecord record;  // DKG only: T and the CertEq signatures
};
StatusOr<KeyGenOutput> RunCocktailInProcess(uint32_t m, uint32_t t);

// Splits x_o k-of-n_o (Feldman) among the editors already listed in `org`
// (n_o = |editors|): sets X_o, the editor commitments and every editor's
// Y_oj, checks every share, and returns y_o1..y_on_o (secret).
StatusOr<std::vector<Share>> SplitOrganisationSecret(
    const Scalar& x_o, uint32_t k, v1::RosterOrganisation* org);

// Writes `count` drill files (drill proof, to Y) as DIR/drill-N.age and adds
// their submission ids to `body`. Returns the ids.
StatusOr<std::vector<std::string>> MakeDrillFiles(
    const Point& y, uint32_t count, const std::filesystem::path& dir,
    v1::RosterBody* body);

// ---- Rekey with every editor in this process (reshare.h "Rekey") ----

// An editor of the roster being rekeyed, with both private keys.
struct RekeyEditor {
  uint32_t org_id = 0;  // permanent id
  uint32_t editor_index = 0;
  const Ed25519PrivateKey* signing = nullptr;
  const Scalar* receiving = nullptr;
};

struct RekeyOutput {
  v1::RosterBody body;     // the new roster's: unsigned, no drill ids yet
  v1::RekeyRecord record;  // complete (the re-deal certified by everyone)
  Point y = Point::Infinity();
  // By permanent (org id, editor index); secret.
  std::map<std::pair<uint32_t, uint32_t>, ReceivedShare> shares;
  size_t dealers = 0;  // 0 without a re-deal
};

// A COCKTAIL-DKG among previous's organisations at positions 1..m, split
// among their editors; when the ids are not 1..m, the DKG's roster is
// signed by every editor and re-dealt (MakeRedealPlan) to the permanent
// ids, the DKG's shares living only in memory. `editors` must hold every
// editor of `previous`. The caller adds drill files, has every editor sign
// the body and checks it with VerifyRosterSuccessor and CheckRekeyRecord.
StatusOr<RekeyOutput> RunRekeyInProcess(const VerifiedRoster& previous,
                                        std::span<const RekeyEditor> editors);

// ---- The whole ceremony ----

// n_o editors, k_o of whom are needed.
struct EditorSplit {
  uint32_t editors = 1;
  uint32_t threshold = 1;
};

// "E:K" for every organisation, or "E1:K1,E2:K2,…" with exactly `orgs`
// entries. Each needs 1 <= K <= E. INVALID_ARGUMENT naming the bad entry.
StatusOr<std::vector<EditorSplit>> ParseEditorList(std::string_view list,
                                                   uint32_t orgs);

enum class KeyGenerationMode {
  kCocktailDkg,    // every organisation a COCKTAIL participant
  kTrustedDealer,  // one dealer knows x while dealing (weaker)
};

struct CeremonyOptions {
  uint32_t orgs = 0;
  uint32_t threshold = 0;
  std::vector<EditorSplit> editors;  // one per organisation
  int work_factor = 18;              // scrypt log2 N of every sealed file
  KeyGenerationMode mode = KeyGenerationMode::kCocktailDkg;
  std::string log_origin = "conclave.example/log";
  uint32_t drill_files = 1;
  uint64_t max_request_lifetime_seconds = 7 * 24 * 3600;
};

struct CeremonyResult {
  std::string recipient;  // age1tag1…
  Sha256Digest roster_fingerprint{};
  std::vector<std::string> drill_ids;
  size_t sealed_files = 0;
};

// Runs the ceremony with every participant in this process and writes the
// layout above into `out` (created; refused if it exists and is not empty).
// Every secret (COCKTAIL static keys, round-1 secrets, x_o, the dealer's x)
// is erased when the call returns; only the sealed files keep shares. The
// roster is written last and verified with VerifyRoster before returning.
StatusOr<CeremonyResult> RunCeremony(const CeremonyOptions& options,
                                     const std::filesystem::path& out,
                                     const SecretBytes& passphrase);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_SIMULATE_H_
