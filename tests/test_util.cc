#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace conclave::testing {

std::filesystem::path SharedVectorPath(std::string_view relative) {
  const char* env = std::getenv("CONCLAVE_SHARED_VECTORS");
  std::filesystem::path root = env ? env : CONCLAVE_SHARED_VECTORS_DIR;
  return root / relative;
}

std::filesystem::path PinnedVectorPath(std::string_view relative) {
  return std::filesystem::path(CONCLAVE_PINNED_VECTORS_DIR) / relative;
}

Bytes ReadFileOrFail(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "test vector file missing or unreadable: " << path
                  << " (tests never skip for want of vectors; is ../shared "
                     "beside the checkout?)";
    return {};
  }
  return Bytes(std::istreambuf_iterator<char>(in),
               std::istreambuf_iterator<char>());
}

nlohmann::json ReadJsonOrFail(const std::filesystem::path& path) {
  Bytes data = ReadFileOrFail(path);
  if (data.empty()) {
    ADD_FAILURE() << "empty vector file: " << path;
    return nlohmann::json::object();
  }
  nlohmann::json j = nlohmann::json::parse(data.begin(), data.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "vector file is not valid JSON: " << path;
    return nlohmann::json::object();
  }
  return j;
}

Bytes Hex(std::string_view hex) {
  StatusOr<Bytes> b = HexDecode(hex);
  if (!b.ok()) {
    ADD_FAILURE() << "bad hex in test data: " << b.status().ToString();
    return {};
  }
  return *std::move(b);
}

}  // namespace conclave::testing
