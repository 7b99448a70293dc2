#include "keyceremony/roster_members.h"

#include <algorithm>

#include "age/submission.h"

namespace conclave::keyceremony {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const v1::RosterOrganisation* FindById(const v1::RosterBody& body,
                                       uint32_t id) {
  for (const auto& o : body.organisations()) {
    if (o.id() == id) return &o;
  }
  return nullptr;
}

}  // namespace

uint32_t MaxExclusions(const v1::RosterBody& body) {
  const auto m = static_cast<uint32_t>(body.organisations_size());
  return body.threshold() <= m ? m - body.threshold() : 0;
}

std::string RosterMemberNames(const v1::RosterBody& body) {
  std::string s;
  for (const auto& o : body.organisations()) {
    if (!s.empty()) s += ", ";
    s += std::to_string(o.id()) + " (" + o.name() + ")";
  }
  return s;
}

std::string OrganisationLabel(const v1::RosterBody& body, uint32_t id) {
  const v1::RosterOrganisation* o = FindById(body, id);
  return std::to_string(id) + " (" + (o ? o->name() : "not in the roster") +
         ")";
}

StatusOr<uint32_t> ResolveOrganisation(const v1::RosterBody& body,
                                       std::string_view id_or_name) {
  const std::string arg(id_or_name);
  if (StatusOr<uint32_t> id = age::ParseOrgId(id_or_name); id.ok()) {
    if (FindById(body, *id) != nullptr) return *id;
    return NotFoundError(
        "organisation id " + arg +
        " is not in the roster (members: " + RosterMemberNames(body) + ")");
  }
  for (const auto& o : body.organisations()) {
    if (o.name() == id_or_name) return o.id();
  }
  std::vector<const v1::RosterOrganisation*> matches;
  for (const auto& o : body.organisations()) {
    if (EqualsIgnoreCase(o.name(), id_or_name)) matches.push_back(&o);
  }
  if (matches.size() == 1) return matches[0]->id();
  if (matches.size() > 1) {
    std::string which;
    for (const auto* o : matches) {
      which += (which.empty() ? "" : ", ") + std::to_string(o->id()) + " (" +
               o->name() + ")";
    }
    return InvalidArgumentError("organisation name \"" + arg +
                                "\" is ambiguous without case: it matches " +
                                which + "; give the exact name or the id");
  }
  return NotFoundError("no organisation named \"" + arg +
                       "\" in the roster (members: " + RosterMemberNames(body) +
                       ")");
}

StatusOr<std::vector<uint32_t>> ResolveExclusions(
    const v1::RosterBody& body, std::span<const std::string> ids_or_names) {
  std::vector<uint32_t> ids;
  for (const std::string& e : ids_or_names) {
    CONCLAVE_ASSIGN_OR_RETURN(uint32_t id, ResolveOrganisation(body, e));
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      return InvalidArgumentError(
          "organisation " + OrganisationLabel(body, id) + " is excluded twice");
    }
    ids.push_back(id);
  }
  const uint32_t max = MaxExclusions(body);
  if (ids.size() > max) {
    return PermissionDeniedError(
        "at most m − t = " + std::to_string(max) +
        " organisations may be excluded, or no quorum could open it (m = " +
        std::to_string(body.organisations_size()) +
        " organisations, t = " + std::to_string(body.threshold()) + "); " +
        std::to_string(ids.size()) + " were given");
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<RosterWitness> RosterWitnesses(const v1::RosterBody& body) {
  std::vector<RosterWitness> out;
  for (const auto& o : body.organisations()) {
    if (!o.witness_vkey().empty()) out.push_back({o.id(), o.witness_vkey()});
  }
  return out;
}

}  // namespace conclave::keyceremony
