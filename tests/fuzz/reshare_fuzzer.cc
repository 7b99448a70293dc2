// The membership-change files (brief §9, keyceremony/reshare.h) as a
// receiver of them sees them, against a fixed real change of the fixed
// consortium (data/reshare, written by fuzz_make_seeds: 5/3 -> 4/3, dealers
// (1,1), (1,2), (3,1), (4,1)). The first byte selects:
//   0 a reshare plan, checked against the epoch-1 roster;
//   1 a successor roster, checked against the epoch-1 roster;
//   2 a reshare record, checked against the fixed epoch-1 and -2 rosters;
//   3 [slot] a dealing put in dealer `slot`'s place among the fixed valid
//     dealings (slot = number of dealers: one more dealing), combined and
//     received by editor (1,1) (CombineReshareDealings, ReceiveReshare);
//   4 a dealing body, signed here with dealer (1,1)'s key (so the fuzzer
//     reaches behind the signature), in (1,1)'s place;
//   5 a transcript in the fixed record, checked against the epoch-2 roster
//     with that transcript's hash (so it reaches behind the hash check);
// and against a fixed rekey of the epoch-2 roster (ids 1, 3, 4, 6, so its
// DKG at positions 1..4 is re-dealt to the ids; data/reshare/rekey.*):
//   6 a rekey record (v1::RekeyRecord), checked against the epoch-2 and
//     the fixed epoch-3 (rekey) rosters (CheckRekeyRecord);
//   7 a re-deal plan, checked against the fixed record's DKG roster
//     (CheckResharePlan);
//   8 a roster offered as the DKG roster: VerifyRoster, then
//     CheckRekeyDkgRoster against the epoch-2 roster.
// Properties: refusals are typed, never a crash; what is accepted
// re-serializes and is accepted again; an accepted dealing set keeps
// C'_0 = Y and (1,1)'s received share matches its combined Y'_11; the
// certification cannot be moved to another transcript; an accepted rekey
// record's DKG roster passes CheckRekeyDkgRoster; an accepted re-deal plan
// is a re-deal of the DKG roster's epoch and continues no other roster; an
// accepted DKG roster is never a successor.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "conclave/v1/ceremony.pb.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster.h"
#include "sealed/sealed_file.h"
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

template <typename M>
M ReadData(const std::string& name) {
  StatusOr<Bytes> bytes =
      ReadFileBytes(fuzz::FuzzDataPath("reshare/" + name), size_t{1} << 20);
  FUZZ_CHECK(bytes.ok());
  M msg;
  FUZZ_CHECK(
      msg.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())));
  return msg;
}

struct ReshareData {
  keyceremony::CheckedResharePlan plan;
  keyceremony::VerifiedRoster next;
  std::vector<v1::ReshareDealing> dealings;  // plan dealer order
  v1::ReshareRecord record;
  Scalar receiver_key;  // editor (1,1)'s P-256 key
  // The rekey of `next`.
  keyceremony::VerifiedRoster rekey;  // epoch 3
  v1::RekeyRecord rekey_record;
  std::string rekey_record_encoded;
  keyceremony::VerifiedRoster dkg;  // rekey_record.dkg_roster
  keyceremony::CheckedResharePlan redeal_plan;
};

const ReshareData& GetData() {
  static const ReshareData* d = [] {
    const keyceremony::VerifiedRoster& previous =
        fuzz::GetFuzzConsortium().roster;
    auto* out = new ReshareData;
    auto plan = keyceremony::CheckResharePlan(ReadData<v1::ResharePlan>("plan"),
                                              previous);
    FUZZ_CHECK(plan.ok());
    out->plan = std::move(*plan);
    auto next = keyceremony::VerifyRosterSuccessor(
        previous, ReadData<v1::Roster>("successor.roster"));
    FUZZ_CHECK(next.ok());
    out->next = std::move(*next);
    for (const v1::ReshareDealer& dealer : out->plan.body.dealers()) {
      out->dealings.push_back(ReadData<v1::ReshareDealing>(
          "dealing_" + std::to_string(dealer.org_id()) + "_" +
          std::to_string(dealer.editor_index())));
    }
    // Mode 4 signs as the first dealer with the consortium's signer.
    FUZZ_CHECK(out->plan.body.dealers(0).org_id() == 1 &&
               out->plan.body.dealers(0).editor_index() == 1);
    out->record = ReadData<v1::ReshareRecord>("record");
    FUZZ_CHECK(
        keyceremony::CheckReshareRecord(out->record, previous, out->next).ok());
    auto identity =
        ReadSealedFile(fuzz::FuzzDataPath("identity.age"),
                       SecretBytes::CopyFrom(AsBytes(fuzz::kFuzzPassphrase)));
    FUZZ_CHECK(identity.ok());
    auto key = Scalar::FromBytes(
        AsBytes(identity->message().editor_identity().p256_private_key()));
    FUZZ_CHECK(key.ok());
    out->receiver_key = std::move(*key);
    // The rekey: every part verifies, or the modes 6-8 would test nothing.
    auto rekey = keyceremony::VerifyRosterSuccessor(
        out->next, ReadData<v1::Roster>("rekey.roster"));
    FUZZ_CHECK(rekey.ok());
    out->rekey = std::move(*rekey);
    FUZZ_CHECK(out->rekey.body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY);
    FUZZ_CHECK(!keyceremony::IdsArePositions(out->next.body));
    out->rekey_record = ReadData<v1::RekeyRecord>("rekey.record");
    out->rekey_record_encoded = out->rekey_record.SerializeAsString();
    FUZZ_CHECK(
        keyceremony::CheckRekeyRecord(out->rekey_record, out->next, out->rekey)
            .ok());
    FUZZ_CHECK(out->rekey_record.has_dkg_roster() &&
               out->rekey_record.has_redeal());
    auto dkg = keyceremony::VerifyRoster(out->rekey_record.dkg_roster());
    FUZZ_CHECK(dkg.ok());
    out->dkg = std::move(*dkg);
    FUZZ_CHECK(keyceremony::CheckRekeyDkgRoster(out->dkg, out->next).ok());
    auto redeal = keyceremony::CheckResharePlan(
        ReadData<v1::ResharePlan>("redeal.plan"), out->dkg);
    FUZZ_CHECK(redeal.ok());
    FUZZ_CHECK(redeal->redeal);
    out->redeal_plan = std::move(*redeal);
    return out;
  }();
  return *d;
}

bool SamePoints(const std::vector<Point>& a, const std::vector<Point>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void CheckDealings(const std::vector<v1::ReshareDealing>& dealings) {
  const ReshareData& d = GetData();
  const keyceremony::VerifiedRoster& previous =
      fuzz::GetFuzzConsortium().roster;
  auto outcome =
      keyceremony::CombineReshareDealings(d.plan, previous, dealings);
  FUZZ_CHECK(Typed(outcome.status()));
  auto received = keyceremony::ReceiveReshare(d.plan, previous, dealings, 1, 1,
                                              d.receiver_key);
  FUZZ_CHECK(Typed(received.status()));
  if (!outcome.ok()) {
    // The receiver combines the same dealings first.
    FUZZ_CHECK(!received.ok());
    return;
  }
  // The key is kept and the outcome has the plan's shape.
  const v1::ResharePlanBody& b = d.plan.body;
  FUZZ_CHECK(outcome->consortium_commitments.size() == b.threshold());
  FUZZ_CHECK(outcome->consortium_commitments[0] == previous.consortium_key);
  FUZZ_CHECK(outcome->org_verification_shares.size() ==
             static_cast<size_t>(b.organisations_size()));
  size_t editors = 0;
  for (const v1::RosterOrganisation& o : b.organisations()) {
    editors += static_cast<size_t>(o.editors_size());
  }
  FUZZ_CHECK(outcome->editor_verification_shares.size() == editors);
  FUZZ_CHECK(outcome->dealings.size() == static_cast<size_t>(b.dealers_size()));
  // The commitments alone (a transcript) give the same outcome.
  auto from_commitments = keyceremony::CombineReshareCommitments(
      d.plan, previous, outcome->dealings);
  FUZZ_CHECK(from_commitments.ok());
  FUZZ_CHECK(SamePoints(from_commitments->consortium_commitments,
                        outcome->consortium_commitments));
  // Every accepted dealing re-serializes and is accepted again.
  std::vector<v1::ReshareDealing> again(dealings.size());
  for (size_t i = 0; i < dealings.size(); ++i) {
    FUZZ_CHECK(again[i].ParseFromString(dealings[i].SerializeAsString()));
  }
  auto outcome2 = keyceremony::CombineReshareDealings(d.plan, previous, again);
  FUZZ_CHECK(outcome2.ok());
  FUZZ_CHECK(SamePoints(outcome2->consortium_commitments,
                        outcome->consortium_commitments));
  FUZZ_CHECK(outcome2->editor_verification_shares ==
             outcome->editor_verification_shares);
  if (received.ok()) {
    FUZZ_CHECK(received->share.index == 1);
    FUZZ_CHECK(Point::BaseMul(received->share.value) ==
               received->verification_share);
    FUZZ_CHECK(received->verification_share ==
               outcome->editor_verification_shares.at({1, 1}));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const keyceremony::VerifiedRoster& previous =
      fuzz::GetFuzzConsortium().roster;
  const ReshareData& fixed = GetData();
  const uint8_t* body = data + 1;
  const int n = static_cast<int>(size - 1);
  switch (data[0] % 9) {
    case 0: {
      v1::ResharePlan plan;
      if (!plan.ParseFromArray(body, n)) return 0;
      auto checked = keyceremony::CheckResharePlan(plan, previous);
      FUZZ_CHECK(Typed(checked.status()));
      if (!checked.ok()) break;
      FUZZ_CHECK(checked->fingerprint == Sha256(AsBytes(plan.body())));
      FUZZ_CHECK(checked->body.epoch() == previous.body.epoch() + 1);
      v1::ResharePlan again;
      FUZZ_CHECK(again.ParseFromString(plan.SerializeAsString()));
      auto rechecked = keyceremony::CheckResharePlan(again, previous);
      FUZZ_CHECK(rechecked.ok());
      FUZZ_CHECK(rechecked->fingerprint == checked->fingerprint);
      break;
    }
    case 1: {
      v1::Roster next;
      if (!next.ParseFromArray(body, n)) return 0;
      auto verified = keyceremony::VerifyRosterSuccessor(previous, next);
      FUZZ_CHECK(Typed(verified.status()));
      if (!verified.ok()) break;
      FUZZ_CHECK(verified->body.epoch() == 2);
      const v1::MembershipChangeKind kind = verified->body.change().kind();
      if (kind == v1::MEMBERSHIP_CHANGE_RESHARE ||
          kind == v1::MEMBERSHIP_CHANGE_REFRESH) {
        FUZZ_CHECK(verified->consortium_key == previous.consortium_key);
      }
      v1::Roster again;
      FUZZ_CHECK(again.ParseFromString(next.SerializeAsString()));
      auto reverified = keyceremony::VerifyRosterSuccessor(previous, again);
      FUZZ_CHECK(reverified.ok());
      FUZZ_CHECK(reverified->fingerprint == verified->fingerprint);
      break;
    }
    case 2: {
      v1::ReshareRecord record;
      if (!record.ParseFromArray(body, n)) return 0;
      const Status s =
          keyceremony::CheckReshareRecord(record, previous, fixed.next);
      FUZZ_CHECK(Typed(s));
      // Against the epoch-1 roster itself as "next": always refused.
      FUZZ_CHECK(
          !keyceremony::CheckReshareRecord(record, previous, previous).ok());
      if (!s.ok()) break;
      FUZZ_CHECK(Sha256(AsBytes(record.transcript())) ==
                 Sha256(AsBytes(fixed.record.transcript())));
      v1::ReshareRecord again;
      FUZZ_CHECK(again.ParseFromString(record.SerializeAsString()));
      FUZZ_CHECK(
          keyceremony::CheckReshareRecord(again, previous, fixed.next).ok());
      break;
    }
    case 3: {
      if (size < 2) return 0;
      v1::ReshareDealing dealing;
      if (!dealing.ParseFromArray(data + 2, static_cast<int>(size - 2))) {
        return 0;
      }
      std::vector<v1::ReshareDealing> dealings = fixed.dealings;
      const size_t slot = data[1] % (dealings.size() + 1);
      if (slot < dealings.size()) {
        dealings[slot] = std::move(dealing);
      } else {
        dealings.push_back(std::move(dealing));
      }
      CheckDealings(dealings);
      break;
    }
    case 4: {
      std::vector<v1::ReshareDealing> dealings = fixed.dealings;
      v1::ReshareDealing& d = dealings[0];
      d.set_signed_(std::string(reinterpret_cast<const char*>(body),
                                static_cast<size_t>(n)));
      const Ed25519Signature sig =
          fuzz::GetFuzzConsortium().editor->signing_key().Sign(
              keyceremony::DomainSeparatedMessage(
                  keyceremony::kReshareDealingDst, AsBytes(d.signed_())));
      d.set_signature(std::string(sig.begin(), sig.end()));
      CheckDealings(dealings);
      break;
    }
    case 5: {
      v1::ReshareRecord record = fixed.record;
      record.set_transcript(std::string(reinterpret_cast<const char*>(body),
                                        static_cast<size_t>(n)));
      // The epoch-2 roster as it would be had it certified this
      // transcript (only its transcript hash differs).
      keyceremony::VerifiedRoster next = fixed.next;
      const Sha256Digest th = Sha256(AsBytes(record.transcript()));
      next.body.set_transcript_hash(std::string(th.begin(), th.end()));
      const Status s = keyceremony::CheckReshareRecord(record, previous, next);
      FUZZ_CHECK(Typed(s));
      // Everyone certified the fixed transcript, and only that one.
      if (s.ok()) FUZZ_CHECK(record.transcript() == fixed.record.transcript());
      break;
    }
    case 6: {
      v1::RekeyRecord record;
      if (!record.ParseFromArray(body, n)) return 0;
      const Status s =
          keyceremony::CheckRekeyRecord(record, fixed.next, fixed.rekey);
      FUZZ_CHECK(Typed(s));
      // The real record, byte for byte, is accepted.
      if (std::string(reinterpret_cast<const char*>(body),
                      static_cast<size_t>(n)) == fixed.rekey_record_encoded) {
        FUZZ_CHECK(s.ok());
      }
      // Against a roster that is not a rekey (the epoch-2 roster as
      // "next"): always refused.
      FUZZ_CHECK(
          !keyceremony::CheckRekeyRecord(record, fixed.next, fixed.next).ok());
      if (!s.ok()) break;
      v1::RekeyRecord again;
      FUZZ_CHECK(again.ParseFromString(record.SerializeAsString()));
      FUZZ_CHECK(
          keyceremony::CheckRekeyRecord(again, fixed.next, fixed.rekey).ok());
      auto dkg = keyceremony::VerifyRoster(record.dkg_roster());
      FUZZ_CHECK(dkg.ok());
      FUZZ_CHECK(keyceremony::CheckRekeyDkgRoster(*dkg, fixed.next).ok());
      FUZZ_CHECK(dkg->body.session_id() == fixed.rekey.body.session_id());
      // The re-deal certified the rekey roster's transcript.
      const Sha256Digest th = Sha256(AsBytes(record.redeal().transcript()));
      FUZZ_CHECK(fixed.rekey.body.transcript_hash() ==
                 std::string(th.begin(), th.end()));
      break;
    }
    case 7: {
      v1::ResharePlan plan;
      if (!plan.ParseFromArray(body, n)) return 0;
      auto checked = keyceremony::CheckResharePlan(plan, fixed.dkg);
      FUZZ_CHECK(Typed(checked.status()));
      // The real plan's body is accepted, whatever else the input holds.
      if (plan.body() == fixed.redeal_plan.encoded) {
        FUZZ_CHECK(checked.ok());
        FUZZ_CHECK(checked->fingerprint == fixed.redeal_plan.fingerprint);
      }
      if (!checked.ok()) break;
      FUZZ_CHECK(checked->redeal);
      FUZZ_CHECK(!checked->refresh);
      FUZZ_CHECK(checked->body.kind() == v1::MEMBERSHIP_CHANGE_REKEY);
      FUZZ_CHECK(checked->body.epoch() == fixed.dkg.body.epoch());
      FUZZ_CHECK(checked->fingerprint == Sha256(AsBytes(plan.body())));
      // It continues the DKG roster and no other.
      FUZZ_CHECK(!keyceremony::CheckResharePlan(plan, fixed.next).ok());
      FUZZ_CHECK(!keyceremony::CheckResharePlan(plan, fixed.rekey).ok());
      v1::ResharePlan again;
      FUZZ_CHECK(again.ParseFromString(plan.SerializeAsString()));
      auto rechecked = keyceremony::CheckResharePlan(again, fixed.dkg);
      FUZZ_CHECK(rechecked.ok());
      FUZZ_CHECK(rechecked->redeal);
      FUZZ_CHECK(rechecked->fingerprint == checked->fingerprint);
      break;
    }
    case 8: {
      v1::Roster roster;
      if (!roster.ParseFromArray(body, n)) return 0;
      auto verified = keyceremony::VerifyRoster(roster);
      FUZZ_CHECK(Typed(verified.status()));
      if (!verified.ok()) break;
      const Status s = keyceremony::CheckRekeyDkgRoster(*verified, fixed.next);
      FUZZ_CHECK(Typed(s));
      if (!s.ok()) break;
      const v1::RosterBody& b = verified->body;
      FUZZ_CHECK(b.epoch() == fixed.next.body.epoch() + 1);
      FUZZ_CHECK(b.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY);
      FUZZ_CHECK(b.change().dealers_size() == 0);
      FUZZ_CHECK(keyceremony::IdsArePositions(b));
      FUZZ_CHECK(b.organisations_size() ==
                 fixed.next.body.organisations_size());
      FUZZ_CHECK(verified->consortium_key != fixed.next.consortium_key);
      // Its ids are positions, not the permanent ids: never a successor.
      FUZZ_CHECK(!keyceremony::VerifyRosterSuccessor(fixed.next, roster).ok());
      v1::Roster again;
      FUZZ_CHECK(again.ParseFromString(roster.SerializeAsString()));
      auto reverified = keyceremony::VerifyRoster(again);
      FUZZ_CHECK(reverified.ok());
      FUZZ_CHECK(reverified->fingerprint == verified->fingerprint);
      FUZZ_CHECK(
          keyceremony::CheckRekeyDkgRoster(*reverified, fixed.next).ok());
      break;
    }
  }
  return 0;
}
