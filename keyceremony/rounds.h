// The multi-machine key ceremony as file rounds on removable media (issue 5,
// docs/ceremony.md): plan → participant keys endorsed by every editor →
// round 1 → round 2 (CertEq) → finish (editor split) → roster assembled,
// signed by every editor, finalized. Each step is a pure-ish function over
// protobuf files so that the command-line tool and the tests share it; the
// COCKTAIL maths is cocktail.h, the editor split and drill files simulate.h;
// the drill itself runs through quorum decryption (quorum/drill.h).
//
// Organisation ids in a plan are 1..m: at epoch 1 they are the COCKTAIL
// positions (roster.h insists). Every round file names the plan's
// fingerprint, SHA-256 of CeremonyPlan.signed, so files of another ceremony
// are refused; every failure names the organisation at fault.
#ifndef CONCLAVE_KEYCEREMONY_ROUNDS_H_
#define CONCLAVE_KEYCEREMONY_ROUNDS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/sealed.pb.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "keyceremony/cocktail.h"
#include "keyceremony/roster.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {

inline constexpr std::string_view kParticipantKeyDst =
    "conclave/v1/participant-key";
inline constexpr std::string_view kRound1FileDst = "conclave/v1/round1-file";
// File name suffixes in the exchange directories.
inline constexpr std::string_view kRound1Suffix = ".round1";
inline constexpr std::string_view kRound2Suffix = ".round2";
inline constexpr std::string_view kFinishSuffix = ".finish";
inline constexpr size_t kMaxCeremonyFileSize = size_t{16} << 20;

// ---- Plan ----

struct PlanOrganisationInput {
  std::string name;
  std::string witness_vkey;
  uint32_t editor_threshold = 1;
  std::vector<v1::PublicCard> cards;  // editor j at position j-1
};

struct PlanInput {
  uint32_t threshold = 0;
  std::vector<PlanOrganisationInput> organisations;  // id = position + 1
  std::string log_vkey;
  uint64_t max_request_lifetime_seconds = 7 * 24 * 3600;
  uint32_t drill_files = 1;
  // A rekey of an existing roster (reshare.h MakePlanRekey): organisation
  // i's cards then name its permanent id rekey->organisation_ids(i-1).
  std::optional<v1::PlanRekey> rekey;
};

// A fresh plan (random session id) without participant keys. Every card is
// verified and must name its organisation; indices are assigned by order.
StatusOr<v1::CeremonyPlan> MakePlan(const PlanInput& input);

// A rekey plan's DKG: organisation ids in the plan (positions 1..m) and the
// editors' permanent ids (PlanRekey.organisation_ids) differ. Everything in
// the DKG rounds uses positions; editors and people use permanent ids.
bool IsRekeyPlan(const v1::PlanBody& body);
// The DKG's roster is re-dealt to the permanent ids afterwards (they are
// not 1..m): its shares are intermediate.
bool RekeyNeedsRedeal(const v1::PlanBody& body);
// The permanent id of plan position `position` (the position itself unless
// a rekey plan).
uint32_t PermanentId(const v1::PlanBody& body, uint32_t position);
// The plan position of the organisation with permanent id `org_id`;
// NOT_FOUND naming the ids of the plan.
StatusOr<uint32_t> PlanPosition(const v1::PlanBody& body, uint32_t org_id);

struct CheckedPlan {
  v1::PlanBody body;
  Sha256Digest fingerprint{};
  std::vector<std::vector<v1::PublicCardBody>> cards;  // per organisation
  std::vector<std::optional<Point>> participants;      // P_o or absent
  // Editor indices that endorsed P_o, per organisation (all verified).
  std::vector<std::vector<uint32_t>> endorsed_by;
};

// Parses and checks the plan: ids 1..m, 1 <= t <= m, 1 <= k_o <= n_o, cards
// verify (and name the organisation's id: its permanent id in a rekey
// plan), vkeys parse, participant keys decode and are distinct, and every
// endorsement present verifies (UNAUTHENTICATED naming the editor if not).
StatusOr<CheckedPlan> CheckPlan(const v1::CeremonyPlan& plan);
// FAILED_PRECONDITION naming every organisation without a participant key
// and every editor who has not endorsed theirs.
Status RequireComplete(const CheckedPlan& plan);

StatusOr<v1::CeremonyPlan> ReadPlan(const std::filesystem::path& path);
// Replaces the plan file (a plan moves forward as keys and endorsements are
// added); create=true refuses an existing file.
Status WritePlan(const std::filesystem::path& path,
                 const v1::CeremonyPlan& plan, bool create);

// u32be(|DST|) ‖ DST ‖ fingerprint ‖ u32be(org) ‖ P_o.
Bytes ParticipantKeyStatement(const Sha256Digest& fingerprint, uint32_t org,
                              const Point& key);

// Records P_o for `org` (refused if it already has one).
Status AddParticipant(v1::CeremonyPlan* plan, uint32_t org, const Point& key);
// The editor of `identity` signs their organisation's participant-key
// statement (identity.org_id is the permanent id; PlanPosition maps it).
// Returns the editor index. NOT_FOUND if the identity's key is not one of
// the plan's cards; FAILED_PRECONDITION if P_o is not yet there.
StatusOr<uint32_t> Endorse(v1::CeremonyPlan* plan,
                           const v1::EditorIdentity& identity);

// The COCKTAIL session of a complete plan: P_1..P_m and the recommended
// context over the plan's session id.
StatusOr<cocktail::Session> PlanSession(const CheckedPlan& plan);

// Opens a sealed participant key and checks it is this plan's P_o for its
// organisation (PERMISSION_DENIED otherwise). Returns d_o and sets *org.
StatusOr<Scalar> OpenParticipantKey(const CheckedPlan& plan,
                                    const std::filesystem::path& path,
                                    const SecretBytes& passphrase,
                                    uint32_t* org);

// ---- Rounds ----

StatusOr<v1::Round1File> MakeRound1File(const CheckedPlan& plan,
                                        const cocktail::Session& session,
                                        uint32_t org, const Scalar& key);

// Reads every DIR/*.round1: each must name this plan and an organisation of
// it once, carry a valid signature by that organisation's P_o and a
// well-formed message; every organisation must be present. Errors name the
// organisation (or file) at fault.
StatusOr<std::vector<cocktail::Round1Message>> LoadRound1Dir(
    const CheckedPlan& plan, const cocktail::Session& session,
    const std::filesystem::path& dir);

// Round 2 at `org`: every check of cocktail::Round2, then sig_o over T.
// On a failure *blame names the culprit.
StatusOr<v1::Round2File> MakeRound2File(
    const CheckedPlan& plan, const cocktail::Session& session, uint32_t org,
    const Scalar& key, std::span<const cocktail::Round1Message> messages,
    cocktail::Blame* blame);

// A human-readable evidence report for a blame (no secrets of the reporter).
std::string BlameReport(const cocktail::Blame& blame, ByteSpan transcript);

// Reads every DIR/*.round2 and checks the CertEq certificate on T: m
// signatures, in organisation order. Returns them.
StatusOr<std::vector<Bytes>> LoadRound2Dir(const CheckedPlan& plan,
                                           const cocktail::Session& session,
                                           ByteSpan transcript,
                                           const std::filesystem::path& dir);

// ---- Finish ----

struct FinishOutput {
  v1::FinishFile file;        // public
  std::vector<Share> shares;  // y_o1..y_on_o (secret)
  Point consortium_key = Point::Infinity();
};

// Recomputes x_o (cocktail::Round2), checks the certificate, splits x_o
// k_o-of-n_o among the organisation's editors. x_o dies inside.
StatusOr<FinishOutput> Finish(const CheckedPlan& plan,
                              const cocktail::Session& session, uint32_t org,
                              const Scalar& key,
                              std::span<const cocktail::Round1Message> messages,
                              std::span<const Bytes> certeq_signatures);

// ---- Roster ----

struct AssembledRoster {
  v1::Roster roster;  // no signatures yet
  v1::CocktailRecord record;
  Sha256Digest fingerprint{};
};

// Builds the epoch-1 roster body from the plan, round files and every
// organisation's finish file (*.finish in any of finish_dirs), writes drill
// files into drill_dir and lists them. A rekey plan gives the REKEY body
// (epoch, previous fingerprint, next_organisation_id from PlanRekey) with
// ids = positions: the new roster when the ids are 1..m, else the DKG
// roster to be re-dealt (reshare.h "Rekey").
StatusOr<AssembledRoster> AssembleRoster(
    const CheckedPlan& plan, const cocktail::Session& session,
    std::span<const cocktail::Round1Message> messages,
    std::span<const Bytes> certeq_signatures,
    std::span<const std::filesystem::path> finish_dirs,
    const std::filesystem::path& drill_dir);

// Adds the signature of the editor of `identity` to an unsigned or partly
// signed roster (refuses a second signature by the same editor). In a
// rekey's DKG roster (ids = positions) the editor is found by key.
StatusOr<v1::RosterSignature> SignAssembledRoster(
    v1::Roster* roster, const v1::EditorIdentity& identity);

// Overwrites a file with zeros, syncs and removes it. (On flash media this
// is best effort: the runbook says to destroy the stick.)
Status ShredFile(const std::filesystem::path& path);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_ROUNDS_H_
