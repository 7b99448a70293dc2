// Helpers shared by the tests: locating and reading vector files.
#ifndef CONCLAVE_TESTS_TEST_UTIL_H_
#define CONCLAVE_TESTS_TEST_UTIL_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace conclave::testing {

// ../shared/vectors/<relative>, or $CONCLAVE_SHARED_VECTORS/<relative> when
// that variable is set.
std::filesystem::path SharedVectorPath(std::string_view relative);
// tests/vectors/<relative>: vectors this project pins itself.
std::filesystem::path PinnedVectorPath(std::string_view relative);

// The file's bytes. A missing or unreadable file is a fatal test failure
// (ADD_FAILURE plus an empty result), never a skip: call through
// ASSERT_NO_FATAL_FAILURE or check HasFailure().
Bytes ReadFileOrFail(const std::filesystem::path& path);
nlohmann::json ReadJsonOrFail(const std::filesystem::path& path);

// Hex to bytes for test data; fails the test on bad hex.
Bytes Hex(std::string_view hex);

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_TEST_UTIL_H_
