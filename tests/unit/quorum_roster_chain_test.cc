// Requests and roster leaves (brief §9; docs/protocol.md "Rekey: two keys in
// one log"): the releaser's closure rule in quorum/release.cc (CountVotes).
// A `roster` leaf of epoch E closes a request of epoch E − 1; a request of a
// retired key's last epoch, logged after the REKEY leaf, is followed only by
// rosters of later epochs of the new key, which do not close it. Also the
// shape checks of quorum::IndexedRosterChain.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quorum/evidence.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"

namespace conclave::testing {
namespace {

class QuorumRosterChainTest : public ConsortiumTest<QuorumRosterChainTest> {
 protected:
  // A `roster` leaf naming `epoch`. CountVotes reads only the epoch (the
  // roster itself is verified by the daemon and by `audit --full`).
  StatusOr<uint64_t> AppendRosterLeaf(uint64_t epoch) {
    v1::RosterBody body = c().roster().body;
    body.set_epoch(epoch);
    v1::Roster roster;
    roster.set_signed_(body.SerializeAsString());
    v1::LogLeaf leaf;
    leaf.mutable_roster()->set_roster(roster.SerializeAsString());
    return op().Append(leaf);
  }

  // Request (epoch 1) and votes of organisations 1..3, then `after` roster
  // leaves, then the evidence up to the new tree; releases as {3, 1}.
  StatusOr<quorum::Release> ReleaseAfterRosters(
      const std::vector<uint64_t>& before, const std::vector<uint64_t>& after) {
    for (uint64_t e : before) {
      CONCLAVE_RETURN_IF_ERROR(AppendRosterLeaf(e).status());
    }
    CONCLAVE_ASSIGN_OR_RETURN(
        Submission s, c().Submit(AsBytes(std::string("closure rule\n")), {}));
    const std::vector<uint32_t> orgs = {1, 2, 3};
    const std::vector<EditorRef> voters = c().QuorumOf(orgs);
    CONCLAVE_ASSIGN_OR_RETURN(QuorumRun run,
                              RequestAndVote(c(), op(), {1, 1}, s, voters));
    for (uint64_t e : after) {
      CONCLAVE_RETURN_IF_ERROR(AppendRosterLeaf(e).status());
    }
    CONCLAVE_ASSIGN_OR_RETURN(v1::LogEvidence evidence,
                              op().Evidence(run.request_index));
    return c().Release({3, 1}, &run.request.statement, &evidence, kFixtureNow);
  }
};

TEST_F(QuorumRosterChainTest, NoRosterLeafReleases) {
  EXPECT_OK(ReleaseAfterRosters({}, {}));
}

// The next epoch of the request's own epoch closes it (REKEY included).
TEST_F(QuorumRosterChainTest, NextEpochClosesTheRequest) {
  StatusOr<quorum::Release> r = ReleaseAfterRosters({}, {2});
  EXPECT_TRUE(IsError(r, StatusCode::kFailedPrecondition,
                      {"moved to roster epoch 2", "closed"}));
}

// A request of epoch 1 made after the REKEY leaf of epoch 2 (an old-key
// submission): later rosters of the new key (3, 4) do not close it.
TEST_F(QuorumRosterChainTest, LaterEpochsOfTheNewKeyDoNotClose) {
  EXPECT_OK(ReleaseAfterRosters({2}, {3, 4}));
}

// The same epoch again (a daemon restarted on its roster) does not close.
TEST_F(QuorumRosterChainTest, SameEpochDoesNotClose) {
  EXPECT_OK(ReleaseAfterRosters({}, {1}));
}

// Shape errors of a roster chain are refused before any signature.
TEST_F(QuorumRosterChainTest, ChainShape) {
  std::vector<std::string> rosters;
  std::vector<uint64_t> idx;
  EXPECT_TRUE(IsError(quorum::IndexedRosterChain::Verify(rosters, idx),
                      StatusCode::kInvalidArgument, {"no roster"}));
  rosters.push_back("x");
  EXPECT_TRUE(IsError(quorum::IndexedRosterChain::Verify(rosters, idx),
                      StatusCode::kInvalidArgument, {"leaf indices"}));
  idx.push_back(3);
  EXPECT_TRUE(IsError(quorum::IndexedRosterChain::Verify(rosters, idx),
                      StatusCode::kInvalidArgument, {"not 0"}));
  rosters.push_back("y");
  idx = {0, 0};
  EXPECT_TRUE(IsError(quorum::IndexedRosterChain::Verify(rosters, idx),
                      StatusCode::kInvalidArgument, {"not increasing"}));
}

}  // namespace
}  // namespace conclave::testing
