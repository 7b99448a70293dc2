// The ceremony drill through quorum decryption (quorum/drill.h) on a
// simulated ceremony (5 organisations, t = 3, organisations 1 and 2 with
// 3 editors of whom 2 are needed): RunDrill proves every holder with the
// expected number of openings; a share file replaced by another holder's
// names that holder; an identity without an editor index (made before
// the plan) is found by its key; the per-holder pieces refuse a non-drill
// request, duplicate and mixed-requester sets, and name a holder whose approval
// is missing or made for another request.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/secret_bytes.h"
#include "quorum/drill.h"
#include "quorum/statements.h"
#include "tests/quorum_fixture.h"

namespace conclave::testing {
namespace {

namespace fs = std::filesystem;

bool AnyContains(const std::vector<std::string>& lines,
                 const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(part) != std::string::npos;
  });
}

// A line about `who` starts with their label.
bool AnyStartsWith(const std::vector<std::string>& lines,
                   const std::string& who) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.starts_with(who); });
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

class QuorumDrillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<Consortium>> c = Consortium::Create();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    consortium_ = std::move(c).value();
  }

  const keyceremony::VerifiedRoster& roster() const {
    return consortium_->roster();
  }
  // The ceremony's output directory (simulate's layout).
  fs::path CeremonyDir() const { return consortium_->dir() / "ceremony"; }
  fs::path HolderDir(uint32_t o, uint32_t j) const {
    return CeremonyDir() / ("org" + std::to_string(o)) /
           ("editor" + std::to_string(j));
  }

  StatusOr<quorum::DrillReport> Drill() const {
    const std::string pass = consortium_->options().passphrase;
    return quorum::RunDrill(
        CeremonyDir(),
        [pass](uint32_t, uint32_t, const std::string&, const std::string&) {
          return StatusOr<SecretBytes>(SecretBytes::CopyFrom(AsBytes(pass)));
        },
        kFixtureNow);
  }

  StatusOr<std::vector<quorum::DrillFile>> DrillFiles() const {
    return quorum::ReadDrillFiles(roster(), CeremonyDir() / "drill");
  }

  std::unique_ptr<Consortium> consortium_;
};

TEST_F(QuorumDrillTest, RunDrillProvesEveryHolder) {
  StatusOr<quorum::DrillReport> report = Drill();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->failures.empty()) << Join(report->failures);
  EXPECT_EQ(report->requester, quorum::EditorLabel(roster().body, 1, 1));
  EXPECT_EQ(report->shares_checked, 9u);
  ASSERT_EQ(report->proven.size(), 9u) << Join(report->proven);
  for (const ConsortiumEditor* e : consortium_->editors()) {
    EXPECT_TRUE(AnyContains(
        report->proven,
        quorum::EditorLabel(roster().body, e->org_id(), e->editor_index())));
  }
  // C(5,3) = 10 subsets with the first two editors of organisations 1 and
  // 2, then one more opening each for their third editor.
  EXPECT_EQ(report->quorums_opened, 12u);
}

TEST_F(QuorumDrillTest, ShareFileOfAnotherHolderIsNamed) {
  // Organisation 2 editor 2's share.age replaced by editor 1's.
  fs::remove(HolderDir(2, 2) / "share.age");
  fs::copy_file(HolderDir(2, 1) / "share.age", HolderDir(2, 2) / "share.age");
  StatusOr<quorum::DrillReport> report = Drill();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string bad = quorum::EditorLabel(roster().body, 2, 2);
  EXPECT_TRUE(AnyStartsWith(
      report->failures,
      bad + ": share.age holds the share of organisation 2 editor 1"))
      << Join(report->failures);
  EXPECT_FALSE(AnyContains(report->proven, bad)) << Join(report->proven);
  // Only editor 2 is blamed (editor 1 appears only as the share's owner).
  for (const std::string& line : report->failures) {
    EXPECT_TRUE(line.starts_with(bad)) << line;
  }
  // Everyone else still works: organisation 2 has editors 1 and 3.
  EXPECT_EQ(report->proven.size(), 8u) << Join(report->proven);
}

TEST_F(QuorumDrillTest, RequestSetRoundTripsThroughTheLibrary) {
  StatusOr<std::vector<quorum::DrillFile>> files = DrillFiles();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const ConsortiumEditor* requester = consortium_->FindEditor({3, 1});
  ASSERT_NE(requester, nullptr);
  StatusOr<v1::RequestSet> set = quorum::MakeDrillRequests(
      roster(), requester->keys(), *files, kFixtureNow);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->requests_size(), 1);

  std::vector<quorum::HandedInApprovals> handed;
  for (const ConsortiumEditor* e : consortium_->editors()) {
    if (e->ref() == EditorRef{1, 3}) continue;  // never hands in
    StatusOr<v1::ApprovalSet> a = quorum::MakeDrillApprovals(
        roster(), e->keys(), e->share(), *set, kFixtureNow);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_EQ(a->approvals_size(), 1);
    handed.push_back({"holder", *std::move(a)});
  }
  StatusOr<std::vector<quorum::VerifiedRequest>> verified =
      quorum::VerifyDrillRequests(roster(), *set, kFixtureNow);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  StatusOr<quorum::DrillRound> round =
      quorum::PairDrillRequests(*std::move(verified), *files);
  ASSERT_TRUE(round.ok()) << round.status().ToString();

  quorum::DrillReport report;
  ASSERT_TRUE(
      quorum::CombineDrill(roster(), requester->keys(), *round, handed, &report)
          .ok());
  EXPECT_EQ(report.proven.size(), 8u) << Join(report.failures);
  ASSERT_EQ(report.failures.size(), 1u) << Join(report.failures);
  EXPECT_NE(report.failures[0].find(quorum::EditorLabel(roster().body, 1, 3) +
                                    ": no verified partial"),
            std::string::npos)
      << report.failures[0];

  // Only the requester can combine.
  quorum::DrillReport other;
  EXPECT_EQ(
      quorum::CombineDrill(roster(), consortium_->FindEditor({1, 1})->keys(),
                           *round, handed, &other)
          .code(),
      StatusCode::kFailedPrecondition);

  // An approval for another drill run's request is named, not used.
  StatusOr<v1::RequestSet> again = quorum::MakeDrillRequests(
      roster(), requester->keys(), *files, kFixtureNow);
  ASSERT_TRUE(again.ok());
  const ConsortiumEditor* stray = consortium_->FindEditor({1, 3});
  StatusOr<v1::ApprovalSet> wrong = quorum::MakeDrillApprovals(
      roster(), stray->keys(), stray->share(), *again, kFixtureNow);
  ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
  handed.push_back({"stray.partial", *std::move(wrong)});
  quorum::DrillReport mixed;
  ASSERT_TRUE(
      quorum::CombineDrill(roster(), requester->keys(), *round, handed, &mixed)
          .ok());
  EXPECT_TRUE(AnyContains(mixed.failures, "not in this drill's request set"))
      << Join(mixed.failures);
  EXPECT_EQ(mixed.proven.size(), 8u);
}

TEST_F(QuorumDrillTest, NonDrillRequestsAreRefused) {
  StatusOr<Submission> real = consortium_->Submit(AsBytes("a real leak"));
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  StatusOr<quorum::NewRequest> request =
      consortium_->Request({1, 1}, real->header, kFixtureNow, "ceremony drill");
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  v1::RequestSet set;
  *set.add_requests() = request->statement;
  const ConsortiumEditor* holder = consortium_->FindEditor({2, 1});
  StatusOr<v1::ApprovalSet> a = quorum::MakeDrillApprovals(
      roster(), holder->keys(), holder->share(), set, kFixtureNow);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(a.status().message().find("not a drill file of this roster"),
            std::string::npos)
      << a.status().message();

  // The same after a genuine drill request.
  StatusOr<std::vector<quorum::DrillFile>> files = DrillFiles();
  ASSERT_TRUE(files.ok());
  StatusOr<v1::RequestSet> drill = quorum::MakeDrillRequests(
      roster(), consortium_->FindEditor({1, 1})->keys(), *files, kFixtureNow);
  ASSERT_TRUE(drill.ok());
  *drill->add_requests() = request->statement;
  a = quorum::MakeDrillApprovals(roster(), holder->keys(), holder->share(),
                                 *drill, kFixtureNow);
  EXPECT_EQ(a.status().code(), StatusCode::kPermissionDenied);

  // ReadDrillFiles refuses a real submission too.
  const fs::path path = consortium_->dir() / "real.age";
  ASSERT_TRUE(real->WriteTo(path).ok());
  EXPECT_EQ(quorum::ReadDrillFiles(roster(), path).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(QuorumDrillTest, MalformedRequestSetsAreRefused) {
  StatusOr<std::vector<quorum::DrillFile>> files = DrillFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(quorum::VerifyDrillRequests(roster(), v1::RequestSet(), kFixtureNow)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  StatusOr<v1::RequestSet> a = quorum::MakeDrillRequests(
      roster(), consortium_->FindEditor({1, 1})->keys(), *files, kFixtureNow);
  StatusOr<v1::RequestSet> b = quorum::MakeDrillRequests(
      roster(), consortium_->FindEditor({2, 1})->keys(), *files, kFixtureNow);
  ASSERT_TRUE(a.ok() && b.ok());
  // The same drill file twice.
  v1::RequestSet twice = *a;
  StatusOr<v1::RequestSet> a2 = quorum::MakeDrillRequests(
      roster(), consortium_->FindEditor({1, 1})->keys(), *files, kFixtureNow);
  ASSERT_TRUE(a2.ok());
  *twice.add_requests() = a2->requests(0);
  EXPECT_EQ(
      quorum::VerifyDrillRequests(roster(), twice, kFixtureNow).status().code(),
      StatusCode::kInvalidArgument);
  // Two requesters.
  v1::RequestSet mixed = *a;
  mixed.mutable_requests(0)->CopyFrom(b->requests(0));
  *mixed.add_requests() = a->requests(0);
  const Status two =
      quorum::VerifyDrillRequests(roster(), mixed, kFixtureNow).status();
  EXPECT_EQ(two.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(two.message().find("one requester"), std::string::npos)
      << two.message();
  // Expired: the roster's maximum lifetime later.
  const uint64_t later =
      kFixtureNow + roster().body.policy().max_request_lifetime_seconds();
  EXPECT_EQ(quorum::VerifyDrillRequests(roster(), *a, later).status().code(),
            StatusCode::kFailedPrecondition);
  // A tampered request does not verify.
  v1::RequestSet tampered = *a;
  std::string sig = tampered.requests(0).signature();
  sig[0] ^= 1;
  tampered.mutable_requests(0)->set_signature(sig);
  EXPECT_EQ(quorum::VerifyDrillRequests(roster(), tampered, kFixtureNow)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
}

// Identities made with `identity new --org ORG` before the plan carry
// editor index 0; the roster's entry for their signing key gives the index.
TEST_F(QuorumDrillTest, IdentityWithoutAnIndexIsFoundByItsKey) {
  const ConsortiumEditor* e = consortium_->FindEditor({2, 3});
  ASSERT_NE(e, nullptr);
  v1::EditorIdentity id = e->identity();
  id.set_editor_index(0);
  StatusOr<quorum::EditorKeys> keys =
      quorum::EditorKeys::FromIdentity(id, roster());
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->org_id(), 2u);
  EXPECT_EQ(keys->editor_index(), 3u);
  // In another organisation it is nobody.
  id.set_org_id(1);
  EXPECT_EQ(quorum::EditorKeys::FromIdentity(id, roster()).status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace conclave::testing
