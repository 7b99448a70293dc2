// Verification of sender proofs (brief §2) and DLEQ proofs (RFC 9497 §2.2)
// over attacker-chosen encodings: strict decoding must refuse or the
// verifier must answer, never crash. The first byte selects the verifier.
#include <cstdint>
#include <vector>

#include "base/byte_io.h"
#include "crypto/dleq.h"
#include "crypto/sender_proof.h"
#include "tests/fuzz/fuzz_check.h"

using namespace conclave;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(ByteSpan(data, size));
  uint8_t selector;
  if (!in.ReadU8(&selector)) return 0;
  static const Point kKey = Point::BaseMul(Scalar::FromUint64(0xc0ffee));
  if (selector % 2 == 0) {
    ByteSpan enc, tag, body, proof;
    if (!in.ReadBytes(65, &enc) || !in.ReadBytes(4, &tag) ||
        !in.ReadBytes(32, &body) || !in.ReadBytes(64, &proof)) {
      return 0;
    }
    std::vector<uint32_t> orgs;
    uint32_t org;
    while (in.ReadU32(&org)) orgs.push_back(org);
    auto kind =
        selector & 2 ? SenderProofKind::kDrill : SenderProofKind::kSender;
    Status s = VerifySenderProof(kind, enc, kKey, tag, body, orgs, proof);
    FUZZ_CHECK(s.ok() || s.code() == StatusCode::kInvalidArgument ||
               s.code() == StatusCode::kUnauthenticated);
  } else {
    ByteSpan b, c, d, proof;
    if (!in.ReadBytes(33, &b) || !in.ReadBytes(33, &c) ||
        !in.ReadBytes(33, &d) || !in.ReadBytes(64, &proof)) {
      return 0;
    }
    auto pb = Point::Decode(b), pc = Point::Decode(c), pd = Point::Decode(d);
    if (!pb.ok() || !pc.ok() || !pd.ok()) return 0;
    Point cs[] = {*pc}, ds[] = {*pd};
    Status s = VerifyDleqProof(AsBytes(kPartialDecryptionContext),
                               Point::Generator(), *pb, cs, ds, proof);
    FUZZ_CHECK(s.ok() || s.code() == StatusCode::kInvalidArgument ||
               s.code() == StatusCode::kUnauthenticated);
  }
  return 0;
}
