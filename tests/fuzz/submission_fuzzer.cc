// Submission validation and inspection (brief §2) over arbitrary age files
// (binary or armored) with a fixed consortium key. Properties: neither
// crashes; the validator accepts exactly when the inspector says "valid",
// and refuses with the inspector's first defect; an accepted submission's id
// is hex SHA-256(enc) and its exclusions are canonical.
#include <cstdint>

#include "age/io.h"
#include "age/submission.h"
#include "tests/fuzz/fuzz_check.h"

using conclave::ByteSpan;
using conclave::Point;
using conclave::Scalar;
namespace age = conclave::age;

// The seed corpus (corpus/submission/) was encrypted to this key.
constexpr uint64_t kFuzzKeyScalar = 0x636f6e636c617665;  // "conclave"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Point key = Point::BaseMul(Scalar::FromUint64(kFuzzKeyScalar));
  age::MemoryReader in(ByteSpan(data, size));
  auto header = age::ReadAgeFileHeader(in);
  if (!header.ok()) return 0;

  const age::SubmissionPolicy policy{.allow_drill = (size % 2) == 0,
                                     .max_exclusions = 3};
  auto info = age::ValidateSubmission(*header, key, policy);
  const age::SubmissionReport with_key =
      age::InspectSubmission(*header, &key, policy);
  const age::SubmissionReport no_key = age::InspectSubmission(*header, nullptr);
  FUZZ_CHECK(!no_key.valid);
  FUZZ_CHECK(with_key.stanza_types.size() == header->stanzas.size());
  FUZZ_CHECK(info.ok() == with_key.valid);
  if (!info.ok()) {
    FUZZ_CHECK(!with_key.defects.empty());
    FUZZ_CHECK(age::GetSubmissionDefect(info.status()) ==
               with_key.defects.front().defect);
    FUZZ_CHECK(age::GetSubmissionDefect(info.status()) !=
               age::SubmissionDefect::kNone);
    return 0;
  }
  FUZZ_CHECK(with_key.defects.empty() && with_key.proof_valid == true);
  FUZZ_CHECK(info->id == age::SubmissionId(info->p256tag.enc));
  FUZZ_CHECK(with_key.id == info->id && no_key.id == info->id);
  FUZZ_CHECK(age::CheckExclusions(info->excluded_orgs).ok());
  FUZZ_CHECK(info->excluded_orgs.size() <= 3);
  FUZZ_CHECK(header->stanzas.size() == 2);
  FUZZ_CHECK(info->header_hash == header->Hash());
  return 0;
}
