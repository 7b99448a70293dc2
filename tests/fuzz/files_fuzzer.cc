// The files editors carry between machines, read as the tools read them,
// against the consortium of tests/fuzz/data. The first byte selects:
//   0  a ceremony plan (keyceremony::ReadPlan, CheckPlan; if complete,
//      PlanSession);
//   1  a drill request set (quorum::ReadRequestSet, VerifyDrillRequests);
//   2  a drill partials / approval file (quorum::ReadApprovalSet; and the
//      `conclave approval upload` path: ParseCanonical<ApprovalSet>, then
//      VerifyApprovalStatement for each approval);
//   3  a request bundle (`conclave request export` → `release --bundle`,
//      cli/approve_commands.cc RunReleaseBundle, whose parse is inline
//      there; the library functions it calls in order are fuzzed instead:
//      LogEvidence, VerifyLogEvidence, the first leaf's ParseLogLeaf and
//      VerifyRequest).
// Properties: nothing crashes; a canonical approval file re-serializes to
// the input; a verified bundle view holds exactly the leaves its
// checkpoint says.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "keyceremony/rounds.h"
#include "quorum/canonical.h"
#include "quorum/drill.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_consortium.h"

using namespace conclave;

namespace {

// Plain writes: durability is not what is fuzzed here.
const std::filesystem::path& Write(ByteSpan bytes) {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      ("files-fuzzer-" + std::to_string(getpid()) + ".bin");
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good());
  return p;
}

void Plan(ByteSpan input) {
  auto plan = keyceremony::ReadPlan(Write(input));
  if (!plan.ok()) return;
  auto checked = keyceremony::CheckPlan(*plan);
  if (!checked.ok()) return;
  const uint32_t m = checked->body.organisations_size();
  FUZZ_CHECK(checked->body.threshold() >= 1 && checked->body.threshold() <= m);
  FUZZ_CHECK(checked->participants.size() == m);
  if (keyceremony::RequireComplete(*checked).ok()) {
    (void)keyceremony::PlanSession(*checked);
  }
}

void Requests(ByteSpan input) {
  const fuzz::FuzzConsortium& c = fuzz::GetFuzzConsortium();
  auto set = quorum::ReadRequestSet(Write(input));
  if (!set.ok()) return;
  auto verified = quorum::VerifyDrillRequests(c.roster, *set, fuzz::kFuzzNow);
  if (verified.ok()) {
    FUZZ_CHECK(!verified->empty());
    FUZZ_CHECK(verified->size() == static_cast<size_t>(set->requests_size()));
    for (const quorum::VerifiedRequest& r : *verified) FUZZ_CHECK(r.drill);
  }
}

void Approvals(ByteSpan input) {
  const fuzz::FuzzConsortium& c = fuzz::GetFuzzConsortium();
  (void)quorum::ReadApprovalSet(Write(input));
  const std::string bytes = AsString(input);
  auto set = quorum::ParseCanonical<v1::ApprovalSet>(bytes, "approval file");
  if (!set.ok()) return;
  FUZZ_CHECK(set->SerializeAsString() == bytes);
  for (const v1::Approval& a : set->approvals()) {
    auto body = quorum::VerifyApprovalStatement(c.roster, a);
    if (body.ok()) {
      FUZZ_CHECK(quorum::FindEditor(c.roster.body, body->org_id(),
                                    body->editor_index()) != nullptr);
    }
  }
}

void Bundle(ByteSpan input) {
  const fuzz::FuzzConsortium& c = fuzz::GetFuzzConsortium();
  v1::LogEvidence evidence;
  if (!evidence.ParseFromArray(input.data(), static_cast<int>(input.size()))) {
    return;
  }
  auto view = quorum::VerifyLogEvidence(evidence, c.roster);
  if (!view.ok()) return;
  FUZZ_CHECK(view->first_index() < view->size());
  FUZZ_CHECK(static_cast<uint64_t>(evidence.leaves_size()) ==
             view->size() - view->first_index());
  auto first = quorum::ParseLogLeaf(view->leaf(view->first_index()));
  if (!first.ok() || first->entry_case() != v1::LogLeaf::kRequest) return;
  (void)quorum::VerifyRequest(c.roster, first->request());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const ByteSpan input(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Plan(input);
      break;
    case 1:
      Requests(input);
      break;
    case 2:
      Approvals(input);
      break;
    case 3:
      Bundle(input);
      break;
  }
  return 0;
}
