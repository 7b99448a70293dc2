// Shamir secret sharing over the P-256 scalar field (integers mod the group
// order n) with Feldman commitments, and the two-level (organisation, editor)
// Lagrange interpolation of brief §5.4 and §9.
//
// A dealing of secret s with threshold t picks f(x) = a_0 + a_1·x + … +
// a_{t−1}·x^{t−1} with a_0 = s and the other coefficients uniform in [1, n−1];
// participant i (1-based, an organisation id or an editor index) gets
// y_i = f(i). The Feldman commitments C_k = a_k·G let anyone compute the
// verification share Y_i = y_i·G = Σ C_k·i^k and let participant i check its
// share (Feldman, "A practical scheme for non-interactive verifiable secret
// sharing", FOCS 1987).
//
// All arithmetic is mod n, never mod the field prime p: shares, Lagrange
// coefficients and interpolation live in the exponent group of order n.
//
// Every check of brief §4's pitfall list returns INVALID_ARGUMENT with a
// message naming the offending index or position, never a secret value.
#ifndef CONCLAVE_SHARES_SHAMIR_H_
#define CONCLAVE_SHARES_SHAMIR_H_

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/p256.h"

namespace conclave {

// One participant's share y_i = f(i). Secret.
struct Share {
  uint32_t index = 0;
  Scalar value;
};

// A public point attached to a participant index (a verification share
// Y_i = y_i·G, or a partial decryption y_i·R).
struct IndexedPoint {
  uint32_t index = 0;
  Point point = Point::Infinity();
};

// The output of a dealing. `shares` is secret; the rest is public.
struct Dealing {
  uint32_t threshold = 0;
  // C_k = a_k·G for k = 0..t−1. C_0 = s·G, which is infinity only when s = 0
  // (a zero-refresh dealing, brief §9).
  std::vector<Point> commitments;
  // In the order of the indices passed to DealShares.
  std::vector<Share> shares;
  // Y_i = y_i·G, in the same order.
  std::vector<IndexedPoint> verification_shares;
};

// What the constant-term commitment C_0 must be.
enum class ConstantTerm {
  // C_0 is a finite point: an ordinary dealing of a non-zero secret.
  kFinite,
  // C_0 is infinity: a refresh dealing of zero (brief §9). Receivers must
  // insist on this, or a "refresh" could shift the shared secret.
  kZero,
};

// Participant indices: each must be non-zero mod n (x = 0 is where the secret
// sits) and all must be distinct mod n. Refuses an empty list.
Status ValidateIndices(std::span<const uint32_t> indices);

// 1 <= threshold <= participants.
Status ValidateThreshold(uint32_t threshold, size_t participants);

// Deals `secret` with threshold t to the given participant indices.
// Refuses t = 0, t > indices.size(), index 0 and duplicate indices. The random
// coefficients are wiped when the call returns.
StatusOr<Dealing> DealShares(const Scalar& secret, uint32_t threshold,
                             std::span<const uint32_t> indices);

// Commitments must be exactly `threshold` points, and all finite except C_0
// under ConstantTerm::kZero, which must be infinity.
Status ValidateCommitments(std::span<const Point> commitments,
                           uint32_t threshold,
                           ConstantTerm constant = ConstantTerm::kFinite);

// Strict decoding of encoded commitments (SEC1, either form; infinity and
// hybrid encodings refused by Point::Decode), exactly `threshold` of them.
// The error names the position k of a bad commitment.
StatusOr<std::vector<Point>> DecodeCommitments(std::span<const Bytes> encodings,
                                               uint32_t threshold);

// A share from its 32-byte big-endian encoding: strict (value < n), index
// non-zero.
StatusOr<Share> DecodeShare(uint32_t index, ByteSpan value);

// Σ C_k·index^k: the verification share of `index`, computed from public
// data only. Validates the commitments (any constant term) and the index.
StatusOr<Point> EvaluateCommitments(std::span<const Point> commitments,
                                    uint32_t index);

// Feldman check y_i·G == Σ C_k·i^k after validating the commitments against
// `threshold`. A failing share is refused with an error naming its index.
Status VerifyShare(std::span<const Point> commitments, uint32_t threshold,
                   const Share& share,
                   ConstantTerm constant = ConstantTerm::kFinite);

// VerifyShare for every share; the error names every failing index.
Status VerifyShares(std::span<const Point> commitments, uint32_t threshold,
                    std::span<const Share> shares,
                    ConstantTerm constant = ConstantTerm::kFinite);

// Public check that a claimed verification share Y_i equals Σ C_k·i^k.
Status VerifyVerificationShare(std::span<const Point> commitments,
                               uint32_t threshold,
                               const IndexedPoint& verification_share,
                               ConstantTerm constant = ConstantTerm::kFinite);

// λ_i = Π_{j≠i} x_j / (x_j − x_i) mod n for the given indices, in the same
// order. Refuses an empty list, index 0 and duplicates.
StatusOr<std::vector<Scalar>> LagrangeCoefficientsAtZero(
    std::span<const uint32_t> indices);

// f(0) = Σ λ_i·y_i. The first form checks only the indices; the second also
// refuses fewer than `threshold` shares (more are fine: they lie on the same
// polynomial of degree t−1).
StatusOr<Scalar> InterpolateScalarsAtZero(std::span<const Share> shares);
StatusOr<Scalar> InterpolateScalarsAtZero(std::span<const Share> shares,
                                          uint32_t threshold);

// Σ λ_i·P_i ("in the exponent"): verification shares to the public key,
// partial decryptions to the shared point. Input points must be finite. The
// result can be infinity (e.g. a zero secret); check before encoding.
StatusOr<Point> InterpolatePointsAtZero(std::span<const IndexedPoint> points);
StatusOr<Point> InterpolatePointsAtZero(std::span<const IndexedPoint> points,
                                        uint32_t threshold);

// ---- Two-level interpolation (brief §5.4, §9) ----
//
// The consortium secret x is shared t-of-m among organisations (x_o = F(o));
// each x_o is shared k_o-of-n_o among its editors (y_oj = f_o(j)). For a set
// O of organisations and, within each, a set J_o of editors:
//   x = Σ_o λ_o·x_o = Σ_o Σ_j λ_o·μ_oj·y_oj,
// with λ_o the Lagrange coefficients at zero over O and μ_oj those over J_o.

// Organisation id → chosen editor indices.
using NestedSelection = std::map<uint32_t, std::vector<uint32_t>>;

// Organisation id → k_o, the editor threshold within that organisation.
using OrgThresholds = std::map<uint32_t, uint32_t>;

struct NestedCoefficient {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Scalar coefficient;  // λ_o·μ_oj
};

struct NestedShare {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Scalar value;  // y_oj, secret
};

struct NestedPoint {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  Point point = Point::Infinity();  // Y_oj or y_oj·R
};

// Combined coefficients λ_o·μ_oj, organisations ascending, editors in the
// order given. Checks indices only (non-zero, distinct, non-empty sets).
StatusOr<std::vector<NestedCoefficient>> NestedLagrangeCoefficientsAtZero(
    const NestedSelection& selection);

// As above, and also requires exactly `threshold` organisations, each one
// listed in `org_thresholds`, each with exactly k_o editors.
StatusOr<std::vector<NestedCoefficient>> NestedLagrangeCoefficientsAtZero(
    const NestedSelection& selection, uint32_t threshold,
    const OrgThresholds& org_thresholds);

// Σ λ_o·μ_oj·y_oj. Refuses duplicate (organisation, editor) pairs.
StatusOr<Scalar> NestedInterpolateScalarsAtZero(
    std::span<const NestedShare> shares);
StatusOr<Scalar> NestedInterpolateScalarsAtZero(
    std::span<const NestedShare> shares, uint32_t threshold,
    const OrgThresholds& org_thresholds);

// Σ λ_o·μ_oj·P_oj. Input points must be finite; the result may be infinity.
StatusOr<Point> NestedInterpolatePointsAtZero(
    std::span<const NestedPoint> points);
StatusOr<Point> NestedInterpolatePointsAtZero(
    std::span<const NestedPoint> points, uint32_t threshold,
    const OrgThresholds& org_thresholds);

}  // namespace conclave

#endif  // CONCLAVE_SHARES_SHAMIR_H_
