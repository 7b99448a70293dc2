// Parsing authenticated protobuf bodies strictly (brief §2: receivers parse
// only after verifying, and never re-serialize before verifying or hashing).
// After verification a body must also be canonical: what our serializer
// writes for it, with no unknown fields, so that no two readers can resolve
// the same signed bytes differently.
#ifndef CONCLAVE_QUORUM_CANONICAL_H_
#define CONCLAVE_QUORUM_CANONICAL_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace conclave::quorum {

// Unknown fields anywhere in the message tree (protobuf keeps them and
// re-serializes them, so a byte comparison alone does not find them).
bool HasUnknownFields(const google::protobuf::Message& message);

template <typename Message>
StatusOr<Message> ParseCanonical(const std::string& bytes,
                                 std::string_view what) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return InvalidArgumentError(std::string(what) + " does not parse");
  }
  std::string again;
  if (HasUnknownFields(message) || !message.SerializeToString(&again) ||
      again != bytes) {
    return InvalidArgumentError(std::string(what) +
                                " is not canonically encoded");
  }
  return message;
}

}  // namespace conclave::quorum

#endif  // CONCLAVE_QUORUM_CANONICAL_H_
