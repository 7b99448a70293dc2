#include "shares/shamir.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace conclave {

namespace {

// Indices are public (organisation ids, editor indices); these scalars are
// public too, but going through Scalar keeps all arithmetic mod n.
Scalar IndexScalar(uint32_t index) { return Scalar::FromUint64(index); }

Status CheckIndexNonZero(uint32_t index) {
  // x = 0 is where f holds the secret: a "share" for index 0 (or any index
  // ≡ 0 mod n) would be the secret itself, and Lagrange would divide by 0.
  if (IndexScalar(index).IsZero()) {
    return InvalidArgumentError("participant index " + std::to_string(index) +
                                " is zero mod n; indices start at 1");
  }
  return OkStatus();
}

std::string JoinIndices(const std::vector<uint32_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(indices[i]);
  }
  return out;
}

// f(x) by Horner's rule, in Scalar arithmetic only: the coefficients are
// secret. `coefficients` is non-empty.
Scalar EvaluatePolynomial(const std::vector<Scalar>& coefficients,
                          const Scalar& x) {
  Scalar acc = coefficients.back();
  for (size_t k = coefficients.size() - 1; k-- > 0;) {
    acc = acc * x + coefficients[k];
  }
  return acc;
}

// Σ C_k·x^k by Horner's rule in the exponent. Public inputs only.
// `commitments` is non-empty.
Point EvaluateCommitmentsUnchecked(std::span<const Point> commitments,
                                   const Scalar& x) {
  Point acc = commitments.back();
  for (size_t k = commitments.size() - 1; k-- > 0;) {
    acc = acc.Mul(x) + commitments[k];
  }
  return acc;
}

// The commitments C_1..C_{t−1} must be finite points whatever the constant
// term: a coefficient a_k = 0 for k >= 1 would lower the degree, which an
// honest dealer (random a_k in [1, n−1]) never produces.
Status CheckHigherCommitmentsFinite(std::span<const Point> commitments) {
  for (size_t k = 1; k < commitments.size(); ++k) {
    if (commitments[k].IsInfinity()) {
      return InvalidArgumentError("commitment C_" + std::to_string(k) +
                                  " is the point at infinity");
    }
  }
  return OkStatus();
}

Status CheckAtLeast(size_t count, uint32_t threshold, const char* what) {
  if (threshold == 0) {
    return InvalidArgumentError("threshold must be at least 1");
  }
  if (count < threshold) {
    return InvalidArgumentError("too few " + std::string(what) + ": " +
                                std::to_string(count) + " given, threshold " +
                                std::to_string(threshold));
  }
  return OkStatus();
}

Status CheckPointsFinite(std::span<const IndexedPoint> points) {
  for (const IndexedPoint& p : points) {
    if (p.point.IsInfinity()) {
      return InvalidArgumentError("point of participant " +
                                  std::to_string(p.index) +
                                  " is the point at infinity");
    }
  }
  return OkStatus();
}

// Entries grouped by organisation (ascending), editors in input order.
template <typename T>
using Grouped = std::map<uint32_t, std::vector<const T*>>;

template <typename T>
Grouped<T> GroupByOrg(std::span<const T> entries) {
  Grouped<T> grouped;
  for (const T& e : entries) grouped[e.org_id].push_back(&e);
  return grouped;
}

template <typename T>
NestedSelection SelectionOf(const Grouped<T>& grouped) {
  NestedSelection selection;
  for (const auto& [org, entries] : grouped) {
    std::vector<uint32_t>& editors = selection[org];
    for (const T* e : entries) editors.push_back(e->editor_index);
  }
  return selection;
}

// Σ c·y over the grouped shares; `coefficients` is in the grouped order
// (organisations ascending, editors in input order), as returned by
// NestedLagrangeCoefficientsAtZero for SelectionOf(grouped).
Scalar CombineScalars(const Grouped<NestedShare>& grouped,
                      const std::vector<NestedCoefficient>& coefficients) {
  Scalar sum;
  size_t i = 0;
  for (const auto& [org, entries] : grouped) {
    for (const NestedShare* e : entries) {
      sum = sum + coefficients[i++].coefficient * e->value;
    }
  }
  return sum;
}

Point CombinePoints(const Grouped<NestedPoint>& grouped,
                    const std::vector<NestedCoefficient>& coefficients) {
  Point sum = Point::Infinity();
  size_t i = 0;
  for (const auto& [org, entries] : grouped) {
    for (const NestedPoint* e : entries) {
      sum = sum + e->point.Mul(coefficients[i++].coefficient);
    }
  }
  return sum;
}

Status CheckNestedPointsFinite(std::span<const NestedPoint> points) {
  for (const NestedPoint& p : points) {
    if (p.point.IsInfinity()) {
      return InvalidArgumentError(
          "point of organisation " + std::to_string(p.org_id) + " editor " +
          std::to_string(p.editor_index) + " is the point at infinity");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateIndices(std::span<const uint32_t> indices) {
  if (indices.empty()) return InvalidArgumentError("no participant indices");
  // Compare reduced values so that the check means "distinct mod n" even
  // though every uint32_t is already below n.
  std::vector<std::pair<std::array<uint8_t, kP256ScalarSize>, uint32_t>>
      reduced;
  reduced.reserve(indices.size());
  for (uint32_t index : indices) {
    CONCLAVE_RETURN_IF_ERROR(CheckIndexNonZero(index));
    reduced.emplace_back(IndexScalar(index).ToPublicBytes(), index);
  }
  std::sort(reduced.begin(), reduced.end());
  for (size_t i = 1; i < reduced.size(); ++i) {
    if (reduced[i].first == reduced[i - 1].first) {
      return InvalidArgumentError("duplicate participant index " +
                                  std::to_string(reduced[i].second));
    }
  }
  return OkStatus();
}

Status ValidateThreshold(uint32_t threshold, size_t participants) {
  if (threshold == 0) {
    return InvalidArgumentError("threshold must be at least 1");
  }
  if (threshold > participants) {
    return InvalidArgumentError("threshold " + std::to_string(threshold) +
                                " exceeds the " + std::to_string(participants) +
                                " participants");
  }
  return OkStatus();
}

StatusOr<Dealing> DealShares(const Scalar& secret, uint32_t threshold,
                             std::span<const uint32_t> indices) {
  CONCLAVE_RETURN_IF_ERROR(ValidateThreshold(threshold, indices.size()));
  CONCLAVE_RETURN_IF_ERROR(ValidateIndices(indices));

  // a_0 = secret; a_1..a_{t−1} uniform in [1, n−1] (non-zero, so the degree
  // is exactly t−1 and every C_k is finite). Scalar wipes itself, so the
  // coefficients are erased when this vector goes out of scope.
  std::vector<Scalar> coefficients;
  coefficients.reserve(threshold);
  coefficients.push_back(secret);
  for (uint32_t k = 1; k < threshold; ++k) {
    coefficients.push_back(Scalar::Random());
  }

  Dealing dealing;
  dealing.threshold = threshold;
  dealing.commitments.reserve(threshold);
  for (const Scalar& a : coefficients) {
    dealing.commitments.push_back(Point::BaseMul(a));
  }
  dealing.shares.reserve(indices.size());
  dealing.verification_shares.reserve(indices.size());
  for (uint32_t index : indices) {
    Scalar y = EvaluatePolynomial(coefficients, IndexScalar(index));
    dealing.verification_shares.push_back({index, Point::BaseMul(y)});
    dealing.shares.push_back({index, std::move(y)});
  }
  return dealing;
}

Status ValidateCommitments(std::span<const Point> commitments,
                           uint32_t threshold, ConstantTerm constant) {
  if (threshold == 0) {
    return InvalidArgumentError("threshold must be at least 1");
  }
  // One commitment per coefficient: more would raise the degree (and the
  // threshold) behind the receiver's back, fewer would lower it.
  if (commitments.size() != threshold) {
    return InvalidArgumentError(
        std::string(commitments.size() > threshold ? "too many" : "too few") +
        " commitments: " + std::to_string(commitments.size()) +
        " given, threshold " + std::to_string(threshold));
  }
  switch (constant) {
    case ConstantTerm::kFinite:
      if (commitments[0].IsInfinity()) {
        return InvalidArgumentError(
            "commitment C_0 is the point at infinity (zero secret)");
      }
      break;
    case ConstantTerm::kZero:
      if (!commitments[0].IsInfinity()) {
        return InvalidArgumentError(
            "commitment C_0 of a zero-refresh dealing is not infinity");
      }
      break;
  }
  return CheckHigherCommitmentsFinite(commitments);
}

StatusOr<std::vector<Point>> DecodeCommitments(std::span<const Bytes> encodings,
                                               uint32_t threshold) {
  if (threshold == 0) {
    return InvalidArgumentError("threshold must be at least 1");
  }
  if (encodings.size() != threshold) {
    return InvalidArgumentError(
        std::string(encodings.size() > threshold ? "too many" : "too few") +
        " commitments: " + std::to_string(encodings.size()) +
        " given, threshold " + std::to_string(threshold));
  }
  std::vector<Point> commitments;
  commitments.reserve(encodings.size());
  for (size_t k = 0; k < encodings.size(); ++k) {
    StatusOr<Point> p = Point::Decode(encodings[k]);
    if (!p.ok()) {
      return p.status().Annotate("commitment C_" + std::to_string(k));
    }
    commitments.push_back(std::move(p).value());
  }
  return commitments;
}

StatusOr<Share> DecodeShare(uint32_t index, ByteSpan value) {
  CONCLAVE_RETURN_IF_ERROR(CheckIndexNonZero(index));
  StatusOr<Scalar> y = Scalar::FromBytes(value);
  if (!y.ok()) {
    return y.status().Annotate("share of participant " + std::to_string(index));
  }
  return Share{index, std::move(y).value()};
}

StatusOr<Point> EvaluateCommitments(std::span<const Point> commitments,
                                    uint32_t index) {
  if (commitments.empty()) return InvalidArgumentError("no commitments");
  CONCLAVE_RETURN_IF_ERROR(CheckHigherCommitmentsFinite(commitments));
  CONCLAVE_RETURN_IF_ERROR(CheckIndexNonZero(index));
  return EvaluateCommitmentsUnchecked(commitments, IndexScalar(index));
}

Status VerifyShare(std::span<const Point> commitments, uint32_t threshold,
                   const Share& share, ConstantTerm constant) {
  return VerifyShares(commitments, threshold, std::span<const Share>(&share, 1),
                      constant);
}

Status VerifyShares(std::span<const Point> commitments, uint32_t threshold,
                    std::span<const Share> shares, ConstantTerm constant) {
  CONCLAVE_RETURN_IF_ERROR(
      ValidateCommitments(commitments, threshold, constant));
  std::vector<uint32_t> indices;
  indices.reserve(shares.size());
  for (const Share& s : shares) indices.push_back(s.index);
  CONCLAVE_RETURN_IF_ERROR(ValidateIndices(indices));

  std::vector<uint32_t> failed;
  for (const Share& s : shares) {
    // y_i is secret: constant-time base multiplication. The right-hand side
    // is public.
    Point lhs = Point::BaseMul(s.value);
    Point rhs = EvaluateCommitmentsUnchecked(commitments, IndexScalar(s.index));
    if (lhs != rhs) failed.push_back(s.index);
  }
  if (!failed.empty()) {
    return InvalidArgumentError(
        (failed.size() == 1
             ? "share of participant " + JoinIndices(failed) + " fails"
             : "shares of participants " + JoinIndices(failed) + " fail") +
        " Feldman verification");
  }
  return OkStatus();
}

Status VerifyVerificationShare(std::span<const Point> commitments,
                               uint32_t threshold,
                               const IndexedPoint& verification_share,
                               ConstantTerm constant) {
  CONCLAVE_RETURN_IF_ERROR(
      ValidateCommitments(commitments, threshold, constant));
  CONCLAVE_RETURN_IF_ERROR(CheckIndexNonZero(verification_share.index));
  Point expected = EvaluateCommitmentsUnchecked(
      commitments, IndexScalar(verification_share.index));
  if (expected != verification_share.point) {
    return InvalidArgumentError("verification share of participant " +
                                std::to_string(verification_share.index) +
                                " does not match the commitments");
  }
  return OkStatus();
}

StatusOr<std::vector<Scalar>> LagrangeCoefficientsAtZero(
    std::span<const uint32_t> indices) {
  CONCLAVE_RETURN_IF_ERROR(ValidateIndices(indices));
  std::vector<Scalar> xs;
  xs.reserve(indices.size());
  for (uint32_t index : indices) xs.push_back(IndexScalar(index));

  // λ_i = Π_{j≠i} x_j / (x_j − x_i), every operation mod n: the values are
  // exponents of points of order n. (Mod p would be a different number and
  // interpolate to garbage.)
  std::vector<Scalar> lambdas;
  lambdas.reserve(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    Scalar num = Scalar::FromUint64(1);
    Scalar den = Scalar::FromUint64(1);
    for (size_t j = 0; j < xs.size(); ++j) {
      if (j == i) continue;
      num = num * xs[j];
      den = den * (xs[j] - xs[i]);
    }
    // Cannot fail: the indices are distinct mod n, so den != 0.
    CONCLAVE_ASSIGN_OR_RETURN(Scalar den_inv, den.Inverse());
    lambdas.push_back(num * den_inv);
  }
  return lambdas;
}

StatusOr<Scalar> InterpolateScalarsAtZero(std::span<const Share> shares) {
  std::vector<uint32_t> indices;
  indices.reserve(shares.size());
  for (const Share& s : shares) indices.push_back(s.index);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Scalar> lambdas,
                            LagrangeCoefficientsAtZero(indices));
  Scalar sum;
  for (size_t i = 0; i < shares.size(); ++i) {
    sum = sum + lambdas[i] * shares[i].value;
  }
  return sum;
}

StatusOr<Scalar> InterpolateScalarsAtZero(std::span<const Share> shares,
                                          uint32_t threshold) {
  CONCLAVE_RETURN_IF_ERROR(CheckAtLeast(shares.size(), threshold, "shares"));
  return InterpolateScalarsAtZero(shares);
}

StatusOr<Point> InterpolatePointsAtZero(std::span<const IndexedPoint> points) {
  std::vector<uint32_t> indices;
  indices.reserve(points.size());
  for (const IndexedPoint& p : points) indices.push_back(p.index);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Scalar> lambdas,
                            LagrangeCoefficientsAtZero(indices));
  CONCLAVE_RETURN_IF_ERROR(CheckPointsFinite(points));
  Point sum = Point::Infinity();
  for (size_t i = 0; i < points.size(); ++i) {
    sum = sum + points[i].point.Mul(lambdas[i]);
  }
  return sum;
}

StatusOr<Point> InterpolatePointsAtZero(std::span<const IndexedPoint> points,
                                        uint32_t threshold) {
  CONCLAVE_RETURN_IF_ERROR(CheckAtLeast(points.size(), threshold, "points"));
  return InterpolatePointsAtZero(points);
}

// ---- Two-level interpolation ----

StatusOr<std::vector<NestedCoefficient>> NestedLagrangeCoefficientsAtZero(
    const NestedSelection& selection) {
  if (selection.empty()) return InvalidArgumentError("no organisations");
  std::vector<uint32_t> org_ids;
  org_ids.reserve(selection.size());
  for (const auto& [org, editors] : selection) org_ids.push_back(org);
  StatusOr<std::vector<Scalar>> lambdas = LagrangeCoefficientsAtZero(org_ids);
  if (!lambdas.ok()) return lambdas.status().Annotate("organisation ids");

  std::vector<NestedCoefficient> out;
  size_t o = 0;
  for (const auto& [org, editors] : selection) {
    StatusOr<std::vector<Scalar>> mus = LagrangeCoefficientsAtZero(editors);
    if (!mus.ok()) {
      return mus.status().Annotate("editors of organisation " +
                                   std::to_string(org));
    }
    const Scalar& lambda = (*lambdas)[o++];
    for (size_t j = 0; j < editors.size(); ++j) {
      out.push_back({org, editors[j], lambda * (*mus)[j]});
    }
  }
  return out;
}

StatusOr<std::vector<NestedCoefficient>> NestedLagrangeCoefficientsAtZero(
    const NestedSelection& selection, uint32_t threshold,
    const OrgThresholds& org_thresholds) {
  if (threshold == 0) {
    return InvalidArgumentError("threshold must be at least 1");
  }
  // Index checks first, so duplicates are reported as such.
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<NestedCoefficient> out,
                            NestedLagrangeCoefficientsAtZero(selection));
  if (selection.size() != threshold) {
    return InvalidArgumentError(
        std::string(selection.size() < threshold ? "too few" : "too many") +
        " organisations: " + std::to_string(selection.size()) +
        " chosen, threshold " + std::to_string(threshold));
  }
  for (const auto& [org, editors] : selection) {
    auto it = org_thresholds.find(org);
    if (it == org_thresholds.end()) {
      return InvalidArgumentError("organisation " + std::to_string(org) +
                                  " has no editor threshold (not a member)");
    }
    const uint32_t k = it->second;
    if (k == 0) {
      return InvalidArgumentError("organisation " + std::to_string(org) +
                                  " has editor threshold 0");
    }
    if (editors.size() != k) {
      return InvalidArgumentError(
          std::string(editors.size() < k ? "too few" : "too many") +
          " editors of organisation " + std::to_string(org) + ": " +
          std::to_string(editors.size()) + " chosen, threshold " +
          std::to_string(k));
    }
  }
  return out;
}

StatusOr<Scalar> NestedInterpolateScalarsAtZero(
    std::span<const NestedShare> shares) {
  Grouped<NestedShare> grouped = GroupByOrg(shares);
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<NestedCoefficient> coefficients,
      NestedLagrangeCoefficientsAtZero(SelectionOf(grouped)));
  return CombineScalars(grouped, coefficients);
}

StatusOr<Scalar> NestedInterpolateScalarsAtZero(
    std::span<const NestedShare> shares, uint32_t threshold,
    const OrgThresholds& org_thresholds) {
  Grouped<NestedShare> grouped = GroupByOrg(shares);
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<NestedCoefficient> coefficients,
      NestedLagrangeCoefficientsAtZero(SelectionOf(grouped), threshold,
                                       org_thresholds));
  return CombineScalars(grouped, coefficients);
}

StatusOr<Point> NestedInterpolatePointsAtZero(
    std::span<const NestedPoint> points) {
  Grouped<NestedPoint> grouped = GroupByOrg(points);
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<NestedCoefficient> coefficients,
      NestedLagrangeCoefficientsAtZero(SelectionOf(grouped)));
  CONCLAVE_RETURN_IF_ERROR(CheckNestedPointsFinite(points));
  return CombinePoints(grouped, coefficients);
}

StatusOr<Point> NestedInterpolatePointsAtZero(
    std::span<const NestedPoint> points, uint32_t threshold,
    const OrgThresholds& org_thresholds) {
  Grouped<NestedPoint> grouped = GroupByOrg(points);
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<NestedCoefficient> coefficients,
      NestedLagrangeCoefficientsAtZero(SelectionOf(grouped), threshold,
                                       org_thresholds));
  CONCLAVE_RETURN_IF_ERROR(CheckNestedPointsFinite(points));
  return CombinePoints(grouped, coefficients);
}

}  // namespace conclave
