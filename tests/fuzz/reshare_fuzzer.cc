// The membership-change files (brief §9, keyceremony/reshare.h) as a
// receiver of them sees them: a reshare plan, a successor roster and a
// reshare record, each checked against the fixed consortium's roster. The
// first byte selects the message; refusals must be typed, never a crash.
#include <cstdint>

#include "conclave/v1/ceremony.pb.h"
#include "keyceremony/reshare.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_consortium.h"

using namespace conclave;

namespace {

bool Typed(const Status& s) {
  return s.ok() || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kUnauthenticated ||
         s.code() == StatusCode::kFailedPrecondition ||
         s.code() == StatusCode::kPermissionDenied;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const keyceremony::VerifiedRoster& previous =
      fuzz::GetFuzzConsortium().roster;
  const uint8_t* body = data + 1;
  const int n = static_cast<int>(size - 1);
  switch (data[0] % 3) {
    case 0: {
      v1::ResharePlan plan;
      if (!plan.ParseFromArray(body, n)) return 0;
      auto checked = keyceremony::CheckResharePlan(plan, previous);
      FUZZ_CHECK(Typed(checked.status()));
      break;
    }
    case 1: {
      v1::Roster next;
      if (!next.ParseFromArray(body, n)) return 0;
      auto verified = keyceremony::VerifyRosterSuccessor(previous, next);
      FUZZ_CHECK(Typed(verified.status()));
      if (verified.ok()) FUZZ_CHECK(verified->body.epoch() == 2);
      break;
    }
    case 2: {
      v1::ReshareRecord record;
      if (!record.ParseFromArray(body, n)) return 0;
      // Against the epoch-1 roster itself as "next": must be refused.
      FUZZ_CHECK(
          !keyceremony::CheckReshareRecord(record, previous, previous).ok());
      break;
    }
  }
  return 0;
}
