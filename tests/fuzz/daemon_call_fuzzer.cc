// conclaved's editor calls (daemon/call.h, daemon.proto): the signed call
// envelope and every method's payload, parsed as the daemon parses them
// (quorum::ParseCanonical, then the statement checks). Uses the fixed
// consortium of tests/fuzz/data. Input: selector byte, method byte, then:
//   0  a SignedStatement as received: VerifyCall under a fixed clock;
//   1  a CallBody, signed here by editor (1,1) (as is, and with this
//      roster's fingerprint put in), then VerifyCall and the payload;
//   2  the method's payload alone.
// Properties: nothing crashes; VerifyCall accepts only a call signed by a
// roster editor for this method and roster, inside the window, whose
// payload it returns unchanged; a payload that parses is canonical (it
// re-serializes to exactly the input).
#include <cstdint>
#include <string>

#include "crypto/hash.h"
#include "daemon/call.h"
#include "quorum/canonical.h"
#include "quorum/statements.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_consortium.h"

using namespace conclave;

namespace {

constexpr uint32_t kWindow = 300;

// Each RPC with a signed call and its payload type (daemon.proto).
enum class Payload {
  kRequest,
  kVote,
  kApproval,
  kWithdrawal,
  kList,
  kSubmission,
  kRequestQuery,
  kCheckpoint,
  kLeaves
};
struct Method {
  const char* name;
  Payload payload;
};
constexpr Method kMethods[] = {
    {"PostRequest", Payload::kRequest},
    {"PostVote", Payload::kVote},
    {"PostApproval", Payload::kApproval},
    {"PostWithdrawal", Payload::kWithdrawal},
    {"ListSubmissions", Payload::kList},
    {"GetSubmissionFile", Payload::kSubmission},
    {"ListRequests", Payload::kList},
    {"GetRequest", Payload::kRequestQuery},
    {"GetEvidence", Payload::kRequestQuery},
    {"GetCheckpoint", Payload::kCheckpoint},
    {"GetLeaves", Payload::kLeaves},
};
constexpr size_t kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);

template <typename T>
StatusOr<T> ParseRoundTrip(const std::string& bytes) {
  StatusOr<T> m = quorum::ParseCanonical<T>(bytes, "payload");
  if (m.ok()) FUZZ_CHECK(m->SerializeAsString() == bytes);
  return m;
}

void CheckPayload(const Method& method, const std::string& payload) {
  const keyceremony::VerifiedRoster& roster = fuzz::GetFuzzConsortium().roster;
  switch (method.payload) {
    case Payload::kRequest:
    case Payload::kVote:
    case Payload::kWithdrawal: {
      auto st = ParseRoundTrip<v1::SignedStatement>(payload);
      if (!st.ok()) return;
      if (method.payload == Payload::kRequest) {
        auto r = quorum::VerifyRequest(roster, *st);
        // The request id is SHA-256 of the signed bytes (brief §5.1).
        if (r.ok()) FUZZ_CHECK(r->id == Sha256(AsBytes(st->signed_())));
      } else if (method.payload == Payload::kVote) {
        (void)quorum::VerifyVote(roster, *st);
      } else {
        (void)quorum::VerifyWithdrawal(roster, *st);
      }
      return;
    }
    case Payload::kApproval: {
      auto a = ParseRoundTrip<v1::Approval>(payload);
      if (a.ok()) (void)quorum::VerifyApprovalStatement(roster, *a);
      return;
    }
    case Payload::kList:
      (void)ParseRoundTrip<v1::ListQuery>(payload);
      return;
    case Payload::kSubmission:
      (void)ParseRoundTrip<v1::SubmissionQuery>(payload);
      return;
    case Payload::kRequestQuery: {
      auto q = ParseRoundTrip<v1::RequestQuery>(payload);
      if (q.ok()) {
        auto id = quorum::RequestIdFromBytes(AsBytes(q->request_id()));
        FUZZ_CHECK(id.ok() == (q->request_id().size() == 32));
      }
      return;
    }
    case Payload::kCheckpoint:
      (void)ParseRoundTrip<v1::CheckpointQuery>(payload);
      return;
    case Payload::kLeaves:
      (void)ParseRoundTrip<v1::LeavesQuery>(payload);
      return;
  }
}

// VerifyCall, with the properties of an accepted call; its payload goes on
// to CheckPayload.
void Verify(const Method& method, const v1::SignedStatement& call) {
  const keyceremony::VerifiedRoster& roster = fuzz::GetFuzzConsortium().roster;
  StatusOr<daemon::VerifiedCall> v =
      daemon::VerifyCall(roster, method.name, call, fuzz::kFuzzNow, kWindow);
  if (!v.ok()) {
    const StatusCode c = v.status().code();
    FUZZ_CHECK(c == StatusCode::kUnauthenticated ||
               c == StatusCode::kPermissionDenied ||
               c == StatusCode::kFailedPrecondition ||
               c == StatusCode::kInvalidArgument || c == StatusCode::kNotFound);
    return;
  }
  FUZZ_CHECK(quorum::FindEditor(roster.body, v->org_id, v->editor_index) !=
             nullptr);
  FUZZ_CHECK(v->nonce.size() == daemon::kCallNonceSize);
  FUZZ_CHECK(v->timestamp_unix + kWindow >= fuzz::kFuzzNow &&
             v->timestamp_unix <= fuzz::kFuzzNow + kWindow);
  FUZZ_CHECK(v->payload.size() <= daemon::kMaxCallPayloadSize);
  v1::CallBody body;
  FUZZ_CHECK(body.ParseFromString(call.signed_()));
  FUZZ_CHECK(body.method() == method.name);
  FUZZ_CHECK(body.payload() == v->payload);
  CheckPayload(method, v->payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const fuzz::FuzzConsortium& c = fuzz::GetFuzzConsortium();
  const Method& method = kMethods[data[1] % kMethodCount];
  const std::string input(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (data[0] % 3) {
    case 0: {
      v1::SignedStatement call;
      if (call.ParseFromString(input)) Verify(method, call);
      break;
    }
    case 1: {
      Verify(method, quorum::SignStatement(daemon::kApiCallDst, ToBytes(input),
                                           *c.editor));
      v1::CallBody body;
      if (body.ParseFromString(input)) {
        body.set_roster_fingerprint(AsString(c.roster.fingerprint));
        Verify(method, quorum::SignStatement(daemon::kApiCallDst,
                                             ToBytes(body.SerializeAsString()),
                                             *c.editor));
      }
      break;
    }
    case 2:
      CheckPayload(method, input);
      break;
  }
  return 0;
}
