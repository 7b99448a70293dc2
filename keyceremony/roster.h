// The consortium roster (brief §4): the signed public record of a key
// ceremony, and the editors' self-signed public cards.
//
// A roster is a conclave.v1.Roster: `signed` (a serialized RosterBody) plus
// one Ed25519 signature per editor over u32be(|DST|) ‖ DST ‖ signed, DST
// "conclave/v1/roster" (brief §2, docs/protocol.md). Epoch 1 is
// self-certifying: the editors' keys are inside the body, so VerifyRoster
// parses the body only as far as needed to find those keys, verifies every
// signature over the exact received bytes, and only then trusts any other
// field. Editors compare the roster's fingerprint (SHA-256 of `signed`) on
// screen with each other, which ties the record to the people in the room.
#ifndef CONCLAVE_KEYCEREMONY_ROSTER_H_
#define CONCLAVE_KEYCEREMONY_ROSTER_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/p256.h"

namespace conclave::keyceremony {

inline constexpr std::string_view kRosterDst = "conclave/v1/roster";
inline constexpr std::string_view kEditorCardDst = "conclave/v1/editor-card";
// Large enough for hundreds of organisations with several editors each.
inline constexpr size_t kMaxRosterSize = size_t{16} << 20;
// Upper bounds VerifyRoster enforces before any costly check.
inline constexpr size_t kMaxRosterOrganisations = 1000;
inline constexpr size_t kMaxRosterEditors = 1000;  // per organisation

// What a signature covers: u32be(|dst|) ‖ dst ‖ body (brief §2: a
// domain-separation string and exactly the signed bytes).
Bytes DomainSeparatedMessage(std::string_view dst, ByteSpan body);

// ---- Public cards ----

// Serializes `body` and signs it with `key`, which must be the card's own
// Ed25519 key (INVALID_ARGUMENT otherwise).
StatusOr<v1::PublicCard> MakePublicCard(const v1::PublicCardBody& body,
                                        const Ed25519PrivateKey& key);
// Verifies the self-signature over the received bytes, then parses and
// checks the keys (Ed25519 32 bytes, P-256 strictly decoded, org id set).
// UNAUTHENTICATED for a bad signature, INVALID_ARGUMENT for a malformed card.
StatusOr<v1::PublicCardBody> VerifyPublicCard(const v1::PublicCard& card);

// ---- Signing ----

struct RosterSigner {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  const Ed25519PrivateKey* key = nullptr;
};

// One editor's signature on the serialized body.
v1::RosterSignature SignRosterBody(ByteSpan signed_body, uint32_t org_id,
                                   uint32_t editor_index,
                                   const Ed25519PrivateKey& key);

// Serializes `body` once and signs it with every signer, in order.
StatusOr<v1::Roster> SignRoster(const v1::RosterBody& body,
                                std::span<const RosterSigner> signers);

// ---- Verification ----

struct VerifiedRoster {
  v1::RosterBody body;
  Sha256Digest fingerprint{};  // SHA-256 of the signed bytes
  Point consortium_key = Point::Infinity();
};

// Every check of brief §4, in three phases:
//  1. the body parses, organisation ids are non-zero and unique (strictly
//     ascending), editor indices are 1..n_o in order and every editor has a
//     32-byte Ed25519 key — INVALID_ARGUMENT otherwise;
//  2. every editor signed exactly once, every signature verifies, nobody
//     else signed — UNAUTHENTICATED listing every bad, foreign or missing
//     signature;
//  3. everything else — INVALID_ARGUMENT listing every defect: epoch ≥ 1,
//     1 ≤ t ≤ m, points decode (compressed, finite), the consortium
//     commitments are t points with C_0 = Y, X_o = Σ C_k·o^k, the X_o of any
//     t organisations interpolate to Y (the first t do, and every other X_o
//     lies on their polynomial), 1 ≤ k_o ≤ n_o, the editor commitments are
//     k_o points with C^o_0 = X_o and Y_oj = Σ C^o_k·j^k, the witness vkeys
//     (type 0x04) and the log vkey (type 0x01) parse, no key is shared,
//     the key-generation record (transcript hash, DKG positions) fits,
//     drill ids are lowercase hex SHA-256 without repeats, and the policy's
//     maximum request lifetime is set.
// Each defect names the organisation and editor it concerns. Epoch 1 names
// no previous roster and no change; a later epoch must name both (and its
// next_organisation_id), but its dealer signatures and its relation to the
// previous roster are checked only by VerifyRosterSuccessor (reshare.h),
// which callers holding the chain must use.
StatusOr<VerifiedRoster> VerifyRoster(const v1::Roster& roster);
// Parses the envelope (strictly: bytes that are not a Roster are refused).
StatusOr<VerifiedRoster> VerifyEncodedRoster(ByteSpan encoded);
// Reads and verifies a consortium.roster file.
StatusOr<VerifiedRoster> ReadRosterFile(const std::filesystem::path& path);

// Looks up organisation `id` (nullptr if absent).
const v1::RosterOrganisation* FindOrganisation(const v1::RosterBody& body,
                                               uint32_t id);

// Checks a sealed editor share against a verified roster (brief §4: before
// any use): same consortium key, epoch, organisation and editor present,
// the recorded Y_oj, and y_oj·G = Y_oj. FAILED_PRECONDITION when the share
// belongs to another roster; INVALID_ARGUMENT when it is malformed or wrong.
// Messages never contain the share.
Status CheckEditorShare(const v1::EditorShare& share,
                        const VerifiedRoster& roster);

// Checks the archived COCKTAIL record against a verified DKG roster: SHA-256
// of T is the roster's transcript hash; T parses with n = m and the roster's
// t; its context is COCKTAIL's recommended context for the roster's session
// id and T's static keys; every CertEq signature verifies; the aggregate of
// T's commitments is the roster's consortium commitments. INVALID_ARGUMENT
// (or UNAUTHENTICATED for a signature) naming what differs.
Status CheckCocktailRecord(const v1::CocktailRecord& record,
                           const VerifiedRoster& roster);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_ROSTER_H_
