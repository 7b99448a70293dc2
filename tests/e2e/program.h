// Running the project's programs from end-to-end tests: spawn with argv (no
// shell), stdin from a file, stdout and stderr captured through files.
#ifndef CONCLAVE_TESTS_E2E_PROGRAM_H_
#define CONCLAVE_TESTS_E2E_PROGRAM_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace conclave::testing {

struct ProgramResult {
  int exit_code = -1;  // -signal if killed
  std::string out, err;
};

// Starts `program` (argv[0] = program) with stdin from `stdin_path` and
// stdout/stderr to the given files; the pid, or -1 after ADD_FAILURE.
pid_t SpawnProgram(const std::string& program,
                   const std::vector<std::string>& args,
                   const std::filesystem::path& out,
                   const std::filesystem::path& err,
                   const std::string& stdin_path = "/dev/null");

// Runs to completion; the output files live in `scratch` and are removed.
ProgramResult RunProgram(const std::filesystem::path& scratch,
                         const std::string& program,
                         const std::vector<std::string>& args,
                         const std::string& stdin_path = "/dev/null");

std::string ReadAll(const std::filesystem::path& path);
void WriteAll(const std::filesystem::path& path, std::string_view data);
bool Contains(std::string_view haystack, std::string_view needle);

// The last non-empty line of `s` (trailing newlines dropped).
std::string LastLine(const std::string& s);
// 64 lowercase hex digits (a SHA-256 as the programs print it).
bool IsHex64(const std::string& s);

// Waits, 10 ms a try, for a whole line holding `marker` in the file `err`;
// the rest of that line, or "" when process `pid` ended first (it is then
// reaped) or after `tries` tries.
std::string AwaitLine(pid_t pid, const std::filesystem::path& err,
                      const std::string& marker, int tries = 6000);

// The consortium the online end-to-end tests share: `conclave-ceremony
// simulate` (5 organisations, t = 3, work factor 10) into `out`, with
// `passphrase` written to scratch/pass.txt.
ProgramResult SimulateConsortium(const std::string& ceremony,
                                 const std::filesystem::path& scratch,
                                 const std::filesystem::path& out,
                                 std::string_view passphrase);

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_E2E_PROGRAM_H_
