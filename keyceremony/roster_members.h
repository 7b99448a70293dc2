// Looking organisations up in a verified roster, for the programs that take
// --roster (conclave encrypt / inspect / audit verify, conclave-witness).
// The body must come from VerifyRoster (roster.h): nothing here re-checks
// signatures.
#ifndef CONCLAVE_KEYCEREMONY_ROSTER_MEMBERS_H_
#define CONCLAVE_KEYCEREMONY_ROSTER_MEMBERS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"

namespace conclave::keyceremony {

// m − t: how many organisations a submission may exclude so that the
// remaining ones can still reach the threshold t (brief §2). 0 if t > m
// (VerifyRoster refuses such a roster).
uint32_t MaxExclusions(const v1::RosterBody& body);

// "1 (Organisation 1), 2 (Organisation 2), ...": the members, for messages.
std::string RosterMemberNames(const v1::RosterBody& body);

// "3 (Organisation 3)", or "9 (not in the roster)".
std::string OrganisationLabel(const v1::RosterBody& body, uint32_t id);

// One organisation given by id (decimal, as age::ParseOrgId) or by name: an
// exact name match first, else a case-insensitive (ASCII) match if exactly
// one organisation has it. NOT_FOUND for an id or name that is not a member
// (the message lists the members), INVALID_ARGUMENT for an ambiguous name.
StatusOr<uint32_t> ResolveOrganisation(const v1::RosterBody& body,
                                       std::string_view id_or_name);

// Every entry through ResolveOrganisation; the result is sorted ascending.
// INVALID_ARGUMENT if an organisation is named twice; PERMISSION_DENIED if
// there are more than m − t (a quorum could no longer open the submission).
StatusOr<std::vector<uint32_t>> ResolveExclusions(
    const v1::RosterBody& body, std::span<const std::string> ids_or_names);

// The witness keys of the organisations that have one, in id order.
struct RosterWitness {
  uint32_t org_id = 0;
  std::string vkey;  // tlog-cosignature/v1 vkey
};
std::vector<RosterWitness> RosterWitnesses(const v1::RosterBody& body);

}  // namespace conclave::keyceremony

#endif  // CONCLAVE_KEYCEREMONY_ROSTER_MEMBERS_H_
