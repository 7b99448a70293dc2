// COCKTAIL-DKG v0.2.1 (C2SP cocktail-dkg.md), ciphersuite
// COCKTAIL(P-256, SHA-256), as pure per-round functions over explicit inputs.
// Nothing here does I/O; the ceremony tooling carries the messages.
//
// Participants are the positions 1..n of the agreed static-key list
// P_1..P_n (spec "Setup": contiguous, never 0); the roster maps positions to
// organisation ids. Per participant i:
//   Round1   — polynomial f_i, commitment C_i, proof of possession PoP_i,
//              ephemeral key E_i, and c_{i,j} = XAES-256-GCM(s_{i,j} ‖ payload)
//              to every j (self included) under keys from e_i·P_j and d_i·P_j.
//   Round2   — checks every msg_{1|j} (|C_j| = t, PoP_j), decrypts and
//              Feldman-checks s_{j,i}, and outputs x_i, Y, Y_i.
//   Round3   — the canonical transcript T and the CertEq signature on it;
//              VerifyCertificate checks all n signatures.
// Every failure the spec's "Error Handling" section lists is reported as a
// Status plus, when a participant can be named, a Blame (the culprit and the
// evidence a third party needs, when the failure is publicly verifiable).
//
// COCKTAIL's own definitions are used throughout: its HashToScalar (two
// prefixed SHA-256 calls, 48 bytes, mod q — not RFC 9380), its Schnorr
// scheme for PoPs and CertEq, H6 and derive_extra for the AEAD key/nonce.
// Secret scalars only meet Point::BaseMul / Point::Mul; MulAddPublic is used
// for signature verification on public data only.
#ifndef CONCLAVE_KEYCEREMONY_COCKTAIL_H_
#define CONCLAVE_KEYCEREMONY_COCKTAIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/p256.h"

namespace conclave::cocktail {

// The ciphersuite_id byte string of the spec's normative table.
inline constexpr std::string_view kCiphersuiteId = "COCKTAIL(P-256, SHA-256)";
inline constexpr size_t kScalarSize = 32;
inline constexpr size_t kPointSize = 33;           // SEC1 compressed
inline constexpr size_t kSignatureSize = 33 + 32;  // R ‖ z
inline constexpr size_t kAeadTagSize = 16;         // XAES-256-GCM
inline constexpr size_t kMinCiphertextSize = kScalarSize + kAeadTagSize;
// MAX_CIPHERTEXT_SIZE: the spec's interoperability floor (64 KiB).
inline constexpr size_t kMaxCiphertextSize = 65536;

// ---- COCKTAIL's hash functions and Schnorr scheme ----

// HashToScalar for P-256 (spec "Schnorr Hash-to-Scalar Reduction"):
// OS2IP(SHA256(0x01 ‖ input) ‖ SHA256(0x02 ‖ input)[0:16]) mod q.
Scalar HashToScalar(ByteSpan input);

// Schnorr Sign (spec "Schnorr Sign Algorithm"): k = HashToScalar(
// "COCKTAIL-DKG-P256-SHA256-NONCE" ‖ sk ‖ m), R = k·B, c = HashToScalar(
// "COCKTAIL-DKG-P256-SHA256-H7" ‖ R ‖ pk ‖ m), z = k + c·sk. Returns R ‖ z
// (65 bytes). ABORTED if k = 0 (the spec's unrecoverable signing failure for
// this (sk, m)); INVALID_ARGUMENT for sk = 0.
StatusOr<Bytes> SchnorrSign(const Scalar& secret_key, ByteSpan message);

// Schnorr Verify: UNAUTHENTICATED unless z < q, R decodes (compressed, not
// infinity) and z·B = R + c·pk; INVALID_ARGUMENT for a wrong length.
Status SchnorrVerify(const Point& public_key, ByteSpan signature,
                     ByteSpan message);

// ---- Setup ----

struct Session {
  uint32_t n = 0;
  uint32_t t = 0;
  Bytes context;
  // P_1..P_n; position j-1 holds participant j's key.
  std::vector<Point> static_public_keys;
};

// The spec's RECOMMENDED context: SHA-256("COCKTAIL-DKG-CONTEXT" ‖
// u64be(|session_id|) ‖ session_id ‖ u64be(|cs_id|) ‖ cs_id ‖ u32le(n) ‖
// P_1 ‖ … ‖ P_n). The session id must be unique per ceremony.
Bytes RecommendedContext(ByteSpan session_id,
                         std::span<const Point> static_public_keys);

// Checks 1 <= t <= n, n >= 1, every P_j finite and all distinct, and a
// non-empty context. INVALID_ARGUMENT naming the problem otherwise.
StatusOr<Session> NewSession(uint32_t t, std::vector<Point> static_public_keys,
                             ByteSpan context);

// ---- Blame ----

enum class Fault {
  kMalformedMessage,       // msg_{1|j} does not parse (length, point, frame)
  kCommitmentLength,       // |C_j| != t (threshold elevation)
  kInvalidPop,             // PoP_j does not verify over context ‖ C_j ‖ E_j
  kDuplicateContribution,  // C_{j,0} or E_j repeats an earlier participant's
  kCiphertextFraming,      // c_{j,i} shorter than 48 bytes or above the cap
  kDecryptionFailed,       // AEAD rejected c_{j,i}
  kInvalidShareEncoding,   // plaintext too short or s_{j,i} >= q
  kInvalidShare,           // s_{j,i}·B != Σ i^k·C_{j,k}
  kInvalidTranscriptSignature,  // sig_j does not verify on T under P_j
};
std::string_view FaultName(Fault fault);

// Who misbehaved, as far as the detecting participant can tell.
struct Blame {
  Fault fault = Fault::kMalformedMessage;
  uint32_t culprit = 0;   // 1-based participant named as faulty
  uint32_t reporter = 0;  // the detecting participant (0: a public check)
  // Whether a third party can confirm the blame from public data (plus the
  // evidence below) with VerifyBlame. Decryption-side failures cannot be
  // (spec "Blame-Finding and Reporting": the key needs d_reporter).
  bool publicly_verifiable = false;
  std::string reason;  // never contains secret bytes
  // kInvalidShare: the decrypted share s_{culprit,reporter}, disclosed as the
  // spec's blame message so anyone can re-run the Feldman check.
  std::optional<Scalar> disclosed_share;
  // kInvalidTranscriptSignature: the rejected signature.
  Bytes signature;
};

// ---- Round 1 ----

struct Round1Message {
  std::vector<Point> commitment;            // C_{i,0..t-1}
  Bytes pop;                                // 65 bytes
  Point ephemeral_key = Point::Infinity();  // E_i
  std::vector<Bytes> ciphertexts;           // c_{i,1..n}, unframed
};

// msg_{1|i} = C_i ‖ PoP_i ‖ E_i ‖ (u64be(|c_{i,j}|) ‖ c_{i,j}) for j = 1..n.
Bytes EncodeRound1Message(const Round1Message& msg);
// Strict parse for a session's n and t: exact lengths, points compressed and
// finite, each frame within [48, kMaxCiphertextSize], no trailing bytes.
StatusOr<Round1Message> DecodeRound1Message(ByteSpan encoded, uint32_t n,
                                            uint32_t t);

// Participant i's secret state between rounds 1 and 2. Erase it after
// Round2 (destruction wipes: Scalar uses BN_clear_free).
struct Round1Secrets {
  std::vector<Scalar> coefficients;  // a_{i,0..t-1}
  Scalar ephemeral_key;              // e_i
};

struct Round1Output {
  Round1Message message;
  Round1Secrets secrets;
};

// Draws a scalar for Round 1 (the spec's RandomScalar). Round1 draws the t
// coefficients a_0..a_{t-1} and then e_i, redrawing any zero. Production
// leaves it empty (Scalar::Random); tests pass a seeded stream.
using ScalarSource = std::function<Scalar()>;

// Round 1 for participant `index` (1..n) with static key d_i, which must
// match P_index. `payloads` is empty (no payloads) or has n entries,
// payload_{i,j} at position j-1. INVALID_ARGUMENT for a bad index, a key
// mismatch, a wrong payload count or an oversized payload; ABORTED if the
// PoP nonce is 0 (the spec says: abandon the session, retry with a new
// context).
StatusOr<Round1Output> Round1(const Session& session, uint32_t index,
                              const Scalar& static_key,
                              std::span<const Bytes> payloads = {},
                              const ScalarSource& source = nullptr);

// ---- Round 2 ----

struct Round2Output {
  Scalar secret_share;                           // x_i (secret)
  Point group_public_key = Point::Infinity();    // Y
  Point verification_share = Point::Infinity();  // Y_i
  std::vector<Bytes> payloads;                   // payload_{j,i}, j = 1..n
};

// Round 2 for participant `index`, given all n Round 1 messages in
// participant order. Checks, for each j in order: |C_j| = t, C_{j,0} and E_j
// not repeating an earlier participant's, PoP_j, then c_{j,i}: framing,
// decryption, scalar encoding and the Feldman check. On the first failure it
// returns an error (UNAUTHENTICATED for a failed signature, decryption or
// share check; INVALID_ARGUMENT for malformed input) naming j, and fills
// *blame if given. FAILED_PRECONDITION if the final x_i·B = Y_i check fails
// (a local bug: nobody is blamed).
StatusOr<Round2Output> Round2(const Session& session, uint32_t index,
                              const Scalar& static_key,
                              std::span<const Round1Message> messages,
                              Blame* blame = nullptr);

// Y_m = Σ_k m^k·C_{agg,k} for m = 1..n (position m-1), from public data:
// what a roster records. Requires |C_j| = t for every j.
StatusOr<std::vector<Point>> VerificationShares(
    const Session& session, std::span<const Round1Message> messages);
// Y = Σ_j C_{j,0}.
StatusOr<Point> GroupPublicKey(const Session& session,
                               std::span<const Round1Message> messages);

// ---- Round 3 (CertEq) ----

// CanonicalEncode (spec Round 3 / Algorithm 6): u64le(|cs_id|) ‖ cs_id ‖
// u64le(|context|) ‖ context ‖ u32le(n) ‖ u32le(t) ‖ P_1..P_n ‖ C_1..C_n ‖
// PoP_1..PoP_n ‖ E_1..E_n ‖ u64le(|ext|) ‖ ext.
StatusOr<Bytes> Transcript(const Session& session,
                           std::span<const Round1Message> messages,
                           ByteSpan extension = {});

// sig_i = Sign(d_i, T).
StatusOr<Bytes> CertEqSign(const Scalar& static_key, ByteSpan transcript);

// Verifies sig_j on T under P_j for every j (n signatures in order). On the
// first bad one: UNAUTHENTICATED naming j, and *blame filled.
Status VerifyCertificate(const Session& session, ByteSpan transcript,
                         std::span<const Bytes> signatures,
                         Blame* blame = nullptr);

// The spec's payload-derived extension: SHA-256(u64le(n) ‖ (u64le(|p_j|) ‖
// p_j) for j = 1..n), payload_j being what participant j sent everyone.
Bytes PayloadExtension(std::span<const Bytes> payloads);

// ---- Checking blame ----

// Confirms a publicly verifiable blame against the public record: OK if the
// named participant really misbehaved; INVALID_ARGUMENT if the evidence does
// not show it (an unfounded accusation); FAILED_PRECONDITION for blame kinds
// that are not publicly verifiable. kInvalidTranscriptSignature needs the
// transcript.
Status VerifyBlame(const Session& session,
                   std::span<const Round1Message> messages, const Blame& blame,
                   ByteSpan transcript = {});

// ---- Recovery (spec "Share Recovery") ----

// Parsed from a transcript T (strict: exact lengths, no trailing bytes).
struct ParsedTranscript {
  Session session;
  std::vector<std::vector<Point>> commitments;
  std::vector<Bytes> pops;
  std::vector<Point> ephemeral_keys;
  Bytes extension;
};
StatusOr<ParsedTranscript> ParseTranscript(ByteSpan transcript);

struct RecoveryOutput {
  uint32_t index = 0;
  Scalar secret_share;
  Point group_public_key = Point::Infinity();
  std::vector<Point> verification_shares;  // Y_1..Y_n
};

// Recovers participant outputs from d_i, T, the n signatures and the
// bundle C^rec_i = (u64be(|c_{j,i}|) ‖ c_{j,i}) for j = 1..n.
StatusOr<RecoveryOutput> Recover(const Scalar& static_key, ByteSpan transcript,
                                 std::span<const Bytes> signatures,
                                 ByteSpan bundle);

}  // namespace conclave::cocktail

#endif  // CONCLAVE_KEYCEREMONY_COCKTAIL_H_
