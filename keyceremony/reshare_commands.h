// One-process membership changes (brief §9, issue 9): simulate-reshare,
// simulate-refresh and rekey run every side in this process over the layout
// of `simulate` (simulate.h), reading DIR and writing a new DIR2 for the
// next epoch; verify-chain checks a chain of rosters. The multi-machine
// file rounds are built on the same library (reshare.h).
//
// DIR2 layout: as simulate's, plus
//   DIR2/chain/epoch-N.roster  every earlier roster (epoch 1 first)
//   DIR2/reshare.record        reshare/refresh: transcript + certification
//   DIR2/rekey.record          rekey: the new DKG's record (and re-deal)
#ifndef CONCLAVE_KEYCEREMONY_RESHARE_COMMANDS_H_
#define CONCLAVE_KEYCEREMONY_RESHARE_COMMANDS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/hash.h"

namespace conclave::keyceremony {

struct MembershipSimOptions {
  std::filesystem::path from;
  std::filesystem::path out;
  v1::MembershipChangeKind kind = v1::MEMBERSHIP_CHANGE_RESHARE;
  uint32_t orgs = 0;                   // reshare: size of the new committee
  uint32_t threshold = 0;              // reshare: t'
  std::vector<uint32_t> leave;         // reshare: departing ids
  std::optional<std::string> editors;  // reshare: E:K list, new id order
  std::optional<std::filesystem::path> submissions;  // *.age to not strand
  bool force = false;
  int work_factor = 18;
  uint32_t drill_files = 1;
};

struct MembershipSimResult {
  std::string recipient;
  Sha256Digest roster_fingerprint{};
  uint64_t epoch = 0;
  std::vector<uint32_t> organisation_ids;
  size_t dealers = 0;
  std::vector<std::string> stranded;  // with force: what was stranded
};

// simulate-reshare / simulate-refresh (options.kind) and rekey.
StatusOr<MembershipSimResult> RunSimulatedMembershipChange(
    const MembershipSimOptions& options, const SecretBytes& passphrase);
StatusOr<MembershipSimResult> RunSimulatedRekey(
    const MembershipSimOptions& options, const SecretBytes& passphrase);

// Reads DIR/chain/epoch-*.roster (ascending) and DIR/consortium.roster.
StatusOr<std::vector<v1::Roster>> ReadRosterChain(
    const std::filesystem::path& dir);

int SimulateReshareMain(int argc, char** argv);
int SimulateRefreshMain(int argc, char** argv);
int RekeyMain(int argc, char** argv);
int VerifyChainMain(int argc, char** argv);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_RESHARE_COMMANDS_H_
