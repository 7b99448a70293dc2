// Membership change (brief §9): resharing and refresh that keep the
// consortium key Y, the successor-roster checks, and the stranding check.
//
// Resharing. The dealers are exactly the editors of an agreed quorum of the
// previous roster: t organisations o, k_o editors j in each (x_o is never
// reassembled). Dealer (o, j) holding y_oj deals
//   f_oj of degree t'-1, f_oj(0) = y_oj, Feldman commitments F_oj
//     (F_oj[0] must be the roster's Y_oj);
//   for each new organisation p, g_{oj,p} of degree k'_p-1 with
//     g_{oj,p}(0) = f_oj(p), commitments G_{oj,p} (G_{oj,p}[0] must be
//     F_oj(p), evaluated from F_oj);
//   g_{oj,p}(q) HPKE-sealed to new editor (p, q).
// With λ_o the Lagrange coefficients at 0 over the quorum's organisation ids
// and μ_oj those over the editors of o (all mod n):
//   y'_pq = Σ_o λ_o Σ_j μ_oj g_{oj,p}(q),
//   C'_k  = Σ λ_o μ_oj F_oj[k]      (C'_0 = Σ λ μ Y_oj = Y),
//   C'^p_k = Σ λ_o μ_oj G_{oj,p}[k] (C'^p_0 = X'_p = C'(p)).
//
// Refresh (same committee, t, k_o and editors). The same dealers and
// messages, but every f_oj has a zero constant term (F_oj[0] must be the
// point at infinity, encoded as the empty string) and the contributions are
// summed without weights: y'_pq = y_pq + Σ g_{oj,p}(q), so Y is unchanged and
// X_p, Y_pq change. The increments f_oj(p) reach p's editors only as the
// sharings g_{oj,p} (never in clear); their fresh non-constant coefficients
// are the zero refresh within each organisation.
//
// Rekey (brief §9; docs/protocol.md "Rekey"). A new COCKTAIL-DKG among the
// same committee evaluates at positions 1..m (the organisations in id
// order), the roster at the permanent ids. When the ids are 1..m the DKG's
// roster is the new roster. Otherwise the DKG's roster (ids = positions,
// same epoch, signed by every editor; never pushed) is re-dealt to the
// permanent ids by the machinery above with kind REKEY: the plan's
// `previous` is the DKG roster, its dealers a quorum of it, its
// organisations the permanent ones with cocktail_position = their position.
// The same people receive what they dealt, so no share leaves the
// committee; the successor is the rekey roster that continues the previous
// epoch.
//
// All functions are pure over protobufs (like rounds.h), so the one-process
// commands, the file rounds and the daemon share them. Every failure names
// the dealer (organisation, editor) or the roster entry at fault; messages
// never contain a share. Codes: INVALID_ARGUMENT for a malformed or wrong
// value, UNAUTHENTICATED for a signature or ciphertext that does not verify,
// FAILED_PRECONDITION for material of another plan/roster or a dealer that
// is missing.
#ifndef CONCLAVE_KEYCEREMONY_RESHARE_H_
#define CONCLAVE_KEYCEREMONY_RESHARE_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"
#include "keyceremony/roster.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {

inline constexpr std::string_view kReshareShareDst =
    "conclave/v1/reshare-share";
inline constexpr std::string_view kReshareDealingDst =
    "conclave/v1/reshare-dealing";
inline constexpr std::string_view kReshareTranscriptDst =
    "conclave/v1/reshare-transcript";

// The id a new organisation gets next: body.next_organisation_id, or (epoch
// 1 without it) max id + 1.
uint32_t NextOrganisationId(const v1::RosterBody& body);

// The default old quorum: the first t organisations of `previous` (roster
// order) whose id is not in `avoid`, falling back to avoided ones if fewer
// than t remain, and the first k_o editors of each.
std::vector<v1::ReshareDealer> DefaultDealers(
    const v1::RosterBody& previous, std::span<const uint32_t> avoid = {});

// Exactly a quorum of `previous`: t distinct organisations of it, in each
// exactly k_o distinct editors that exist, sorted (organisations ascending,
// editors ascending). INVALID_ARGUMENT naming what is wrong.
Status CheckDealerQuorum(const v1::RosterBody& previous,
                         std::span<const v1::ReshareDealer> dealers);

// ---- Rekey ----

// True when the organisation ids are 1..m in order (then a new DKG's
// positions are the ids and no re-deal is needed).
bool IdsArePositions(const v1::RosterBody& body);

// What a rekey ceremony plan (PlanBody.rekey) records about `previous`.
v1::PlanRekey MakePlanRekey(const VerifiedRoster& previous);
// `rekey` continues `previous`: its fingerprint, epoch + 1, its
// NextOrganisationId and its ids in order. FAILED_PRECONDITION otherwise.
Status CheckPlanRekey(const v1::PlanRekey& rekey,
                      const VerifiedRoster& previous);

// The DKG roster of a rekey of `previous`: epoch + 1, previous fingerprint,
// change REKEY without dealers, a new Y from a COCKTAIL-DKG, t and
// next_organisation_id kept, and organisation i (1-based) with id and
// cocktail position i and the name, witness key, k_o and editors (indices,
// names, keys) of previous's i-th organisation. INVALID_ARGUMENT listing
// every defect.
Status CheckRekeyDkgRoster(const VerifiedRoster& dkg,
                           const VerifiedRoster& previous);

// The re-deal plan (kind REKEY) from the DKG roster `dkg` to previous's
// permanent ids. `dealers` empty: DefaultDealers(dkg).
StatusOr<v1::ResharePlan> MakeRedealPlan(
    const VerifiedRoster& dkg, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealer> dealers = {});

// The archived rekey record (v1::RekeyRecord) against the two rosters of
// the chain: `next` is the REKEY successor of `previous`. Ids 1..m: the
// COCKTAIL record is next's (no DKG roster, no re-deal). Otherwise the DKG
// roster verifies and passes CheckRekeyDkgRoster, the COCKTAIL record is
// its, and the re-deal record (CheckReshareRecord) takes it to `next`.
Status CheckRekeyRecord(const v1::RekeyRecord& record,
                        const VerifiedRoster& previous,
                        const VerifiedRoster& next);

// ---- Plan ----

// `org` as an entry of a plan's committee (ResharePlanBody.organisations):
// everything but the commitments and verification shares, which the
// dealing makes.
v1::RosterOrganisation PlanEntry(const v1::RosterOrganisation& org);

struct ResharePlanInput {
  v1::MembershipChangeKind kind = v1::MEMBERSHIP_CHANGE_RESHARE;
  uint32_t threshold = 0;  // t'
  // The new committee with ids assigned (continuing organisations keep
  // theirs; new ones >= NextOrganisationId(previous)), editors with index,
  // name and both public keys; editor_threshold set.
  std::vector<v1::RosterOrganisation> organisations;
  std::vector<v1::ReshareDealer> dealers;  // empty: DefaultDealers
};

// A fresh plan (random session id) for the next epoch of `previous`,
// checked with CheckResharePlan before it is returned. Kind REKEY: the
// re-deal of a rekey's DKG roster `previous` (same epoch; MakeRedealPlan).
StatusOr<v1::ResharePlan> MakeResharePlan(const VerifiedRoster& previous,
                                          const ResharePlanInput& input);

struct CheckedResharePlan {
  v1::ResharePlanBody body;
  std::string encoded;         // ResharePlan.body, exactly as received
  Sha256Digest fingerprint{};  // SHA-256 of `encoded`
  bool refresh = false;
  bool redeal = false;  // kind REKEY
};

// The plan continues `previous` (fingerprint, epoch + 1, log vkey), 1 <= t'
// <= m', ids strictly ascending, continuing ids keep their place, new ids
// >= NextOrganisationId(previous) and < the plan's next_organisation_id,
// 1 <= k'_p <= n'_p, editor indices 1..n'_p with valid keys and no key
// shared, the dealers are a quorum of `previous` (CheckDealerQuorum); a
// refresh keeps t, every organisation, k_o and every editor's keys. A
// re-deal (REKEY) continues a DKG roster: the same epoch and
// next_organisation_id, t kept, and the i-th organisation at position i
// with the name, witness key, k_o and editors of the DKG roster's i-th (its
// id is then the permanent one; VerifyRosterSuccessor checks the ids).
StatusOr<CheckedResharePlan> CheckResharePlan(const v1::ResharePlan& plan,
                                              const VerifiedRoster& previous);

// ---- Dealer ----

// Dealer (share.org_id, share.editor_index), named in the plan, deals with
// their share (checked against `previous` first) and signs with their
// identity key (must be their key in `previous`). Random coefficients are
// wiped on return.
StatusOr<v1::ReshareDealing> MakeReshareDealing(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    const v1::EditorShare& share, const Ed25519PrivateKey& identity);

// ---- Public combination (anyone, from the dealings) ----

struct ReshareOutcome {
  std::vector<Point> consortium_commitments;                  // C'_0..C'_{t'-1}
  std::map<uint32_t, Point> org_verification_shares;          // X'_p
  std::map<uint32_t, std::vector<Point>> editor_commitments;  // C'^p
  std::map<std::pair<uint32_t, uint32_t>, Point> editor_verification_shares;
  std::vector<v1::ReshareCommitments> dealings;  // in plan dealer order
};

// From the commitments alone (a transcript): vector lengths, constant terms
// (F_oj[0] = Y_oj, or infinity for a refresh; G_{oj,p}[0] = F_oj(p)), the
// dealers are exactly the plan's (none missing, none extra, no duplicate),
// then the combination, C'_0 = Y and every X'_p on C'.
StatusOr<ReshareOutcome> CombineReshareCommitments(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareCommitments> commitments);

// Each dealing is signed by its dealer's key in `previous`, names this
// plan, carries one sealed share per new editor (sorted, well formed); then
// CombineReshareCommitments.
StatusOr<ReshareOutcome> CombineReshareDealings(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealing> dealings);

// ---- Receiver (new editor p, q) ----

struct ReceivedShare {
  Share share;                                   // y'_pq with index q (secret)
  Point verification_share = Point::Infinity();  // Y'_pq
};

// CombineReshareDealings, then opens this editor's sealed evaluations with
// its P-256 private key, checks each against G_{oj,p} (Feldman), and
// combines y'_pq (refresh: adds them to `old_share`, which must be the
// editor's current share, checked against `previous`). Finally y'_pq·G must
// be the combined Y'_pq.
StatusOr<ReceivedShare> ReceiveReshare(
    const CheckedResharePlan& plan, const VerifiedRoster& previous,
    std::span<const v1::ReshareDealing> dealings, uint32_t org_id,
    uint32_t editor_index, const Scalar& p256_private_key,
    const v1::EditorShare* old_share = nullptr);

// An editor's share for the new roster, e.g. for CheckEditorShare. It holds
// the secret share: CleanseMessage it when done (SealEditorShare seals a
// ReceivedShare directly).
v1::EditorShare MakeEditorShare(const Point& y, uint64_t epoch, uint32_t org_id,
                                const ReceivedShare& share);

// ---- Successor roster and record ----

struct SuccessorDraft {
  v1::RosterBody body;       // without drill ids: add them, then sign
  v1::ReshareRecord record;  // transcript; signatures to be added
};

// The new roster body (epoch + 1, previous fingerprint, change with the
// dealers, key generation and session id kept, transcript_hash = SHA-256 of
// the transcript) and the record. A re-deal keeps the DKG roster's epoch and
// names the roster before the rekey as previous (change REKEY, no dealers:
// every editor signs the roster anyway).
StatusOr<SuccessorDraft> AssembleSuccessor(const CheckedResharePlan& plan,
                                           const VerifiedRoster& previous,
                                           const ReshareOutcome& outcome);

// A dealer's signature for Roster.dealer_signatures.
v1::RosterSignature SignRosterAsDealer(const v1::Roster& roster,
                                       uint32_t org_id, uint32_t editor_index,
                                       const Ed25519PrivateKey& key);

// Certifies the transcript: `dealer` selects dealer_signatures (previous-
// roster ids) or editor_signatures (new-roster ids).
void SignReshareRecord(v1::ReshareRecord* record, bool dealer, uint32_t org_id,
                       uint32_t editor_index, const Ed25519PrivateKey& key);

// The archived record against the two rosters: SHA-256 of the transcript
// is next's transcript_hash, its plan continues `previous` and describes
// `next` (t', ids, editors' keys, k'_p, dealers), its commitments recombine
// to next's consortium and editor commitments, and every dealer and every
// new editor certified it (UNAUTHENTICATED naming who did not).
Status CheckReshareRecord(const v1::ReshareRecord& record,
                          const VerifiedRoster& previous,
                          const VerifiedRoster& next);

// Every check of a later epoch against the one before it: VerifyRoster on
// `next`, epoch = previous + 1, previous fingerprint, log vkey unchanged, a
// change kind; Y unchanged unless REKEY (then it must differ, with the same
// organisations, editors' keys and witness keys, and dealer-free);
// organisation ids: continuing ones keep theirs, a departed id never
// reappears, new ids >= NextOrganisationId(previous), next_organisation_id
// does not go back; RESHARE/REFRESH: the named dealers are a quorum of
// `previous` and each signed `next` with their previous key (and nobody
// else in dealer_signatures); REFRESH keeps the committee, t and k_o.
// INVALID_ARGUMENT (UNAUTHENTICATED for signatures) listing every defect.
StatusOr<VerifiedRoster> VerifyRosterSuccessor(const VerifiedRoster& previous,
                                               const v1::Roster& next);

// chain[0] must be an epoch-1 roster (VerifyRoster), each further one its
// predecessor's successor. Returns every verified roster, in order.
StatusOr<std::vector<VerifiedRoster>> VerifyRosterChain(
    std::span<const v1::Roster> chain);

// ---- Stranding ----

struct SubmissionExclusions {
  std::string id;                  // submission id (for messages)
  std::vector<uint32_t> excluded;  // organisation ids it excludes
};

// The submissions that `next` would leave unopenable: fewer than t' of its
// organisations are not excluded by them. Callers refuse the change unless
// forced (brief §9).
std::vector<std::string> StrandedSubmissions(
    const v1::RosterBody& next, std::span<const SubmissionExclusions> subs);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_RESHARE_H_
