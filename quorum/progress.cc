#include "quorum/progress.h"

#include <algorithm>

#include "keyceremony/roster_members.h"

namespace conclave::quorum {
namespace {

std::string JoinLabels(const v1::RosterBody& roster,
                       const std::vector<uint32_t>& orgs) {
  std::string out;
  for (uint32_t id : orgs) {
    if (!out.empty()) out += ", ";
    out += keyceremony::OrganisationLabel(roster, id);
  }
  return out;
}

std::string CountWord(size_t n) {
  static const char* const kWords[] = {"none",  "one",  "two", "three",
                                       "four",  "five", "six", "seven",
                                       "eight", "nine", "ten"};
  return n < std::size(kWords) ? kWords[n] : std::to_string(n);
}

}  // namespace

std::vector<uint32_t> QuorumProgress::SatisfiedOrgs() const {
  std::vector<uint32_t> out;
  for (const OrganisationProgress& o : orgs) {
    if (o.satisfied()) out.push_back(o.org_id);
  }
  return out;
}

std::string QuorumProgress::Describe(const v1::RosterBody& roster) const {
  const std::vector<uint32_t> satisfied = SatisfiedOrgs();
  std::vector<uint32_t> waiting;
  std::vector<uint32_t> excluded;
  for (const OrganisationProgress& o : orgs) {
    if (o.excluded) {
      excluded.push_back(o.org_id);
    } else if (!o.satisfied()) {
      waiting.push_back(o.org_id);
    }
  }
  std::string out =
      std::to_string(std::min<size_t>(satisfied.size(), threshold)) + " of " +
      std::to_string(threshold) + " organisations have approved";
  if (!satisfied.empty()) out += ": " + JoinLabels(roster, satisfied);
  if (!complete()) {
    const size_t missing = threshold - satisfied.size();
    out += "; waiting for " + CountWord(missing) + " of " +
           (waiting.empty() ? std::string("(no organisation left)")
                            : JoinLabels(roster, waiting));
  }
  for (const OrganisationProgress& o : orgs) {
    if (o.excluded || o.satisfied()) continue;
    if (o.approving.empty() && o.refusing.empty() && o.conflicting.empty()) {
      continue;
    }
    out += "; " + keyceremony::OrganisationLabel(roster, o.org_id) + ": " +
           std::to_string(o.approving.size()) + " of " +
           std::to_string(o.editor_threshold) + " editors approved";
    if (!o.refusing.empty()) {
      out += ", " + std::to_string(o.refusing.size()) + " refused";
    }
    if (!o.conflicting.empty()) {
      out += ", " + std::to_string(o.conflicting.size()) +
             " cast conflicting votes (not counted)";
    }
  }
  if (!excluded.empty()) {
    out += "; excluded by the whistleblower: " + JoinLabels(roster, excluded);
  }
  return out;
}

QuorumTally::QuorumTally(const keyceremony::VerifiedRoster& roster,
                         const VerifiedRequest& request)
    : roster_(roster.body),
      request_id_(request.id),
      epoch_(request.body.epoch()) {
  progress_.threshold = roster.body.threshold();
  for (const v1::RosterOrganisation& org : roster.body.organisations()) {
    OrganisationProgress p;
    p.org_id = org.id();
    p.editor_threshold = org.editor_threshold();
    p.excluded =
        std::binary_search(request.submission.excluded_orgs.begin(),
                           request.submission.excluded_orgs.end(), org.id());
    index_[org.id()] = progress_.orgs.size();
    progress_.orgs.push_back(std::move(p));
  }
}

Status QuorumTally::Add(const v1::VoteBody& vote) {
  if (!SameBytes(vote.request_id(), request_id_)) {
    return InvalidArgumentError("the vote is for another request");
  }
  if (vote.epoch() != epoch_) {
    return InvalidArgumentError("the vote is for another roster epoch");
  }
  auto it = index_.find(vote.org_id());
  if (it == index_.end() ||
      FindEditor(roster_, vote.org_id(), vote.editor_index()) == nullptr) {
    return PermissionDeniedError(
        EditorLabel(roster_, vote.org_id(), vote.editor_index()) +
        " is not a member");
  }
  OrganisationProgress& org = progress_.orgs[it->second];
  const std::string who =
      EditorLabel(roster_, vote.org_id(), vote.editor_index());
  if (org.excluded) {
    return PermissionDeniedError(
        "the whistleblower excluded " +
        keyceremony::OrganisationLabel(roster_, vote.org_id()) +
        "; the vote of " + who + " is not counted");
  }
  const uint32_t j = vote.editor_index();
  if (org.conflicting.contains(j)) {
    return FailedPreconditionError(who + " already cast conflicting votes");
  }
  const bool approve = vote.decision() == v1::DECISION_APPROVE;
  std::set<uint32_t>& same = approve ? org.approving : org.refusing;
  std::set<uint32_t>& other = approve ? org.refusing : org.approving;
  if (same.contains(j)) {
    return AlreadyExistsError(who + " already voted this way (counted once)");
  }
  if (other.erase(j) > 0) {
    org.conflicting.insert(j);
    return FailedPreconditionError(
        who + " cast both an approval and a refusal: counted as neither");
  }
  same.insert(j);
  return OkStatus();
}

}  // namespace conclave::quorum
