#include "tests/e2e/program.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace conclave::testing {

namespace fs = std::filesystem;

pid_t SpawnProgram(const std::string& program,
                   const std::vector<std::string>& args, const fs::path& out,
                   const fs::path& err, const std::string& stdin_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ) !=
      0) {
    ADD_FAILURE() << "cannot spawn " << program;
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

ProgramResult RunProgram(const fs::path& scratch, const std::string& program,
                         const std::vector<std::string>& args,
                         const std::string& stdin_path) {
  const fs::path out = scratch / ".stdout", err = scratch / ".stderr";
  ProgramResult r;
  const pid_t pid = SpawnProgram(program, args, out, err, stdin_path);
  if (pid < 0) return r;
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteAll(const fs::path& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string LastLine(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string AwaitLine(pid_t pid, const fs::path& err, const std::string& marker,
                      int tries) {
  for (int i = 0; i < tries; ++i) {
    const std::string e = ReadAll(err);
    const size_t at = e.find(marker);
    if (at != std::string::npos && e.find('\n', at) != std::string::npos) {
      return e.substr(at + marker.size(),
                      e.find('\n', at) - at - marker.size());
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

ProgramResult SimulateConsortium(const std::string& ceremony,
                                 const fs::path& scratch, const fs::path& out,
                                 std::string_view passphrase) {
  WriteAll(scratch / "pass.txt", std::string(passphrase) + "\n");
  return RunProgram(scratch, ceremony,
                    {"simulate", "--orgs", "5", "--threshold", "3",
                     "--work-factor", "10", "--out", out.string(),
                     "--passphrase-file", (scratch / "pass.txt").string()});
}

}  // namespace conclave::testing
