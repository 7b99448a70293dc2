// Property tests for shares/shamir: for several (t, n), every t-subset of the
// shares recovers the secret and every (t−1)-subset does not, both for scalars
// and in the exponent; and the two-level (organisation, editor) scheme of
// brief §5.4 recovers the secret from every admissible quorum and from no
// smaller one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crypto/p256.h"
#include "shares/shamir.h"

namespace conclave {
namespace {

// Calls f on every k-subset of {0..n−1} (as ascending positions).
void ForEachSubset(size_t n, size_t k,
                   const std::function<void(const std::vector<size_t>&)>& f) {
  std::vector<size_t> pick;
  std::function<void(size_t)> rec = [&](size_t start) {
    if (pick.size() == k) {
      f(pick);
      return;
    }
    for (size_t i = start; i + (k - pick.size()) <= n; ++i) {
      pick.push_back(i);
      rec(i + 1);
      pick.pop_back();
    }
  };
  rec(0);
}

size_t Binomial(size_t n, size_t k) {
  size_t r = 1;
  for (size_t i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

struct Params {
  uint32_t t;
  uint32_t n;
  bool sparse_indices;  // organisation-style ids instead of 1..n
};

std::string Name(const ::testing::TestParamInfo<Params>& info) {
  return "t" + std::to_string(info.param.t) + "_n" +
         std::to_string(info.param.n) +
         (info.param.sparse_indices ? "_sparse" : "");
}

class ShamirSubsetTest : public ::testing::TestWithParam<Params> {};

TEST_P(ShamirSubsetTest, ExactlyThresholdSubsetsRecover) {
  const Params p = GetParam();
  std::vector<uint32_t> indices;
  for (uint32_t i = 1; i <= p.n; ++i) {
    indices.push_back(p.sparse_indices ? i * 1000003u + (i % 2) * 0x7ffffff0u
                                       : i);
  }
  for (int trial = 0; trial < 2; ++trial) {
    const Scalar secret = Scalar::Random();
    const Point y = Point::BaseMul(secret);
    StatusOr<Dealing> d = DealShares(secret, p.t, indices);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_TRUE(VerifyShares(d->commitments, p.t, d->shares).ok());
    ASSERT_TRUE(d->commitments[0] == y);
    for (const IndexedPoint& v : d->verification_shares) {
      ASSERT_TRUE(VerifyVerificationShare(d->commitments, p.t, v).ok());
    }

    size_t recovered = 0;
    ForEachSubset(p.n, p.t, [&](const std::vector<size_t>& pos) {
      std::vector<Share> shares;
      std::vector<IndexedPoint> points;
      for (size_t i : pos) {
        shares.push_back(d->shares[i]);
        points.push_back(d->verification_shares[i]);
      }
      StatusOr<Scalar> s = InterpolateScalarsAtZero(shares, p.t);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      EXPECT_TRUE(s->Equals(secret));
      StatusOr<Point> q = InterpolatePointsAtZero(points, p.t);
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      EXPECT_TRUE(*q == y);
      ++recovered;
    });
    EXPECT_EQ(recovered, Binomial(p.n, p.t));

    if (p.t < 2) continue;
    size_t refused = 0;
    ForEachSubset(p.n, p.t - 1, [&](const std::vector<size_t>& pos) {
      std::vector<Share> shares;
      std::vector<IndexedPoint> points;
      for (size_t i : pos) {
        shares.push_back(d->shares[i]);
        points.push_back(d->verification_shares[i]);
      }
      // The checked forms refuse; the unchecked ones give a wrong value
      // (t−1 points determine nothing about f(0)).
      EXPECT_EQ(InterpolateScalarsAtZero(shares, p.t).status().code(),
                StatusCode::kInvalidArgument);
      EXPECT_EQ(InterpolatePointsAtZero(points, p.t).status().code(),
                StatusCode::kInvalidArgument);
      StatusOr<Scalar> s = InterpolateScalarsAtZero(shares);
      ASSERT_TRUE(s.ok());
      EXPECT_FALSE(s->Equals(secret));
      StatusOr<Point> q = InterpolatePointsAtZero(points);
      ASSERT_TRUE(q.ok());
      EXPECT_FALSE(*q == y);
      ++refused;
    });
    EXPECT_EQ(refused, Binomial(p.n, p.t - 1));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shamir, ShamirSubsetTest,
    ::testing::Values(Params{1, 1, false}, Params{1, 3, false},
                      Params{2, 3, false}, Params{3, 5, false},
                      Params{4, 7, false}, Params{5, 5, false},
                      Params{3, 6, true}),
    Name);

// ---- Two-level ----
//
// Five organisations, consortium threshold t = 3; (k_o, n_o) per organisation
// as below. Organisation ids are deliberately not 1..5.

struct Org {
  uint32_t id;
  uint32_t k;
  uint32_t n;
};

const std::vector<Org> kOrgs = {
    {1, 2, 3}, {2, 2, 3}, {3, 1, 1}, {5, 1, 2}, {8, 3, 4}};
constexpr uint32_t kT = 3;

struct Consortium {
  Scalar x;
  Point y = Point::Infinity();
  // By organisation id: editors' shares and verification shares, editor
  // index j at position j − 1.
  std::map<uint32_t, std::vector<Scalar>> editor_shares;
  std::map<uint32_t, std::vector<Point>> editor_points;
  OrgThresholds thresholds;
};

Consortium MakeConsortium() {
  Consortium c;
  c.x = Scalar::Random();
  c.y = Point::BaseMul(c.x);
  std::vector<uint32_t> ids;
  for (const Org& o : kOrgs) ids.push_back(o.id);
  StatusOr<Dealing> top = DealShares(c.x, kT, ids);
  EXPECT_TRUE(top.ok());
  for (size_t i = 0; i < kOrgs.size(); ++i) {
    const Org& o = kOrgs[i];
    c.thresholds[o.id] = o.k;
    std::vector<uint32_t> editors;
    for (uint32_t j = 1; j <= o.n; ++j) editors.push_back(j);
    // x_o split k_o-of-n_o among the organisation's editors.
    StatusOr<Dealing> inner = DealShares(top->shares[i].value, o.k, editors);
    EXPECT_TRUE(inner.ok());
    EXPECT_TRUE(VerifyShares(inner->commitments, o.k, inner->shares).ok());
    // C^o_0 = X_o, the organisation's consortium-level verification share
    // (the roster check of brief §4).
    EXPECT_TRUE(inner->commitments[0] == top->verification_shares[i].point);
    for (size_t j = 0; j < editors.size(); ++j) {
      c.editor_shares[o.id].push_back(inner->shares[j].value);
      c.editor_points[o.id].push_back(inner->verification_shares[j].point);
    }
  }
  return c;
}

// Every admissible quorum: t organisations, k_o editors in each.
std::vector<NestedSelection> AllQuorums() {
  std::vector<NestedSelection> out;
  ForEachSubset(kOrgs.size(), kT, [&](const std::vector<size_t>& org_pos) {
    std::vector<NestedSelection> partial = {{}};
    for (size_t op : org_pos) {
      const Org& o = kOrgs[op];
      std::vector<NestedSelection> next;
      ForEachSubset(o.n, o.k, [&](const std::vector<size_t>& ed_pos) {
        std::vector<uint32_t> editors;
        for (size_t e : ed_pos) editors.push_back(static_cast<uint32_t>(e + 1));
        for (const NestedSelection& s : partial) {
          NestedSelection ext = s;
          ext[o.id] = editors;
          next.push_back(std::move(ext));
        }
      });
      partial = std::move(next);
    }
    for (NestedSelection& s : partial) out.push_back(std::move(s));
  });
  return out;
}

std::vector<NestedShare> SharesFor(const Consortium& c,
                                   const NestedSelection& sel) {
  std::vector<NestedShare> out;
  for (const auto& [org, editors] : sel) {
    for (uint32_t j : editors) {
      out.push_back({org, j, c.editor_shares.at(org)[j - 1]});
    }
  }
  return out;
}

std::vector<NestedPoint> PointsFor(const Consortium& c,
                                   const NestedSelection& sel) {
  std::vector<NestedPoint> out;
  for (const auto& [org, editors] : sel) {
    for (uint32_t j : editors) {
      out.push_back({org, j, c.editor_points.at(org)[j - 1]});
    }
  }
  return out;
}

TEST(NestedPropertyTest, EveryQuorumRecoversAndNoSmallerOne) {
  const Consortium c = MakeConsortium();
  const std::vector<NestedSelection> quorums = AllQuorums();
  // Σ over the C(5,3) organisation triples of Π C(n_o, k_o).
  EXPECT_EQ(quorums.size(), 155u);

  size_t removals = 0;
  for (const NestedSelection& sel : quorums) {
    // Combined coefficients applied by hand match the helpers.
    StatusOr<std::vector<NestedCoefficient>> coeffs =
        NestedLagrangeCoefficientsAtZero(sel, kT, c.thresholds);
    ASSERT_TRUE(coeffs.ok()) << coeffs.status().ToString();
    Scalar by_hand;
    for (const NestedCoefficient& nc : *coeffs) {
      by_hand = by_hand + nc.coefficient * c.editor_shares.at(
                                               nc.org_id)[nc.editor_index - 1];
    }
    EXPECT_TRUE(by_hand.Equals(c.x));

    const std::vector<NestedShare> shares = SharesFor(c, sel);
    StatusOr<Scalar> x =
        NestedInterpolateScalarsAtZero(shares, kT, c.thresholds);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    EXPECT_TRUE(x->Equals(c.x));
    StatusOr<Point> y =
        NestedInterpolatePointsAtZero(PointsFor(c, sel), kT, c.thresholds);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_TRUE(*y == c.y);

    // Remove any one editor: the validating form refuses, and the
    // unvalidated one (when it still has something to interpolate) is wrong.
    for (size_t drop = 0; drop < shares.size(); ++drop) {
      std::vector<NestedShare> fewer = shares;
      fewer.erase(fewer.begin() + drop);
      StatusOr<Scalar> refused =
          NestedInterpolateScalarsAtZero(fewer, kT, c.thresholds);
      EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(refused.status().message().find("too few"), std::string::npos)
          << refused.status().message();
      StatusOr<Scalar> wrong = NestedInterpolateScalarsAtZero(fewer);
      ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
      EXPECT_FALSE(wrong->Equals(c.x));
      ++removals;
    }
  }
  EXPECT_GT(removals, 155u);
}

TEST(NestedPropertyTest, RemovedEditorInTheExponent) {
  const Consortium c = MakeConsortium();
  const std::vector<NestedSelection> quorums = AllQuorums();
  // A sample of quorums, every removal: points too.
  for (size_t q = 0; q < quorums.size(); q += 17) {
    const std::vector<NestedPoint> pts = PointsFor(c, quorums[q]);
    for (size_t drop = 0; drop < pts.size(); ++drop) {
      std::vector<NestedPoint> fewer = pts;
      fewer.erase(fewer.begin() + drop);
      EXPECT_EQ(NestedInterpolatePointsAtZero(fewer, kT, c.thresholds)
                    .status()
                    .code(),
                StatusCode::kInvalidArgument);
      StatusOr<Point> wrong = NestedInterpolatePointsAtZero(fewer);
      ASSERT_TRUE(wrong.ok());
      EXPECT_FALSE(*wrong == c.y);
    }
  }
}

TEST(NestedPropertyTest, ExtraEditorOrOrganisationIsRefusedButConsistent) {
  // Surplus participants lie on the same polynomials, so the unvalidated
  // interpolation still recovers x; the validating form refuses them because
  // a quorum is exactly t organisations and k_o editors (brief §5.3).
  const Consortium c = MakeConsortium();
  for (const NestedSelection& sel : AllQuorums()) {
    // Add an editor to the first organisation that has a spare one.
    NestedSelection more = sel;
    bool added = false;
    for (auto& [org, editors] : more) {
      const uint32_t n = static_cast<uint32_t>(c.editor_shares.at(org).size());
      for (uint32_t j = 1; j <= n && !added; ++j) {
        if (std::find(editors.begin(), editors.end(), j) == editors.end()) {
          editors.push_back(j);
          added = true;
        }
      }
      if (added) break;
    }
    if (!added) continue;
    const std::vector<NestedShare> shares = SharesFor(c, more);
    EXPECT_EQ(NestedInterpolateScalarsAtZero(shares, kT, c.thresholds)
                  .status()
                  .code(),
              StatusCode::kInvalidArgument);
    StatusOr<Scalar> x = NestedInterpolateScalarsAtZero(shares);
    ASSERT_TRUE(x.ok());
    EXPECT_TRUE(x->Equals(c.x));
  }
  // Four organisations.
  NestedSelection four = {{1, {1, 2}}, {2, {2, 3}}, {3, {1}}, {5, {2}}};
  const std::vector<NestedShare> shares = SharesFor(c, four);
  StatusOr<Scalar> refused =
      NestedInterpolateScalarsAtZero(shares, kT, c.thresholds);
  EXPECT_NE(refused.status().message().find("too many organisations"),
            std::string::npos);
  EXPECT_TRUE(NestedInterpolateScalarsAtZero(shares)->Equals(c.x));
}

}  // namespace
}  // namespace conclave
