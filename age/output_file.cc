#include "age/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "age/errors.h"

namespace conclave::age {

namespace {

// The temporary file the signal handler removes (async-signal-safe: a
// fixed buffer and unlink()).
char g_temp_path[PATH_MAX + 1];
volatile sig_atomic_t g_temp_active = 0;

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

extern "C" void RemoveTempAndDie(int sig) {
  if (g_temp_active) unlink(g_temp_path);
  g_temp_active = 0;
  // Die of the same signal, so the parent sees what happened.
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = RemoveTempAndDie;
  sigemptyset(&sa.sa_mask);
  for (int s : kCleanupSignals) sigaction(s, &sa, nullptr);
}

Status IoError(const std::string& what, const std::string& path) {
  return AgeError(ErrorKind::kIo,
                  what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(
    const std::string& path) {
  if (path.empty() || path.back() == '/') {
    return AgeError(ErrorKind::kUsage,
                    "output path must name a file: '" + path + "'");
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp =
      (dir == "/" ? "" : dir) + "/." + base + ".conclave-tmp-XXXXXX";
  if (temp.size() > PATH_MAX) {
    return AgeError(ErrorKind::kUsage, "output path too long");
  }
  // The handler must be in place before the file exists.
  InstallHandlers();
  std::strcpy(g_temp_path, temp.c_str());
  // mkostemp: O_CREAT | O_EXCL, mode 0600.
  const int fd = mkostemp(g_temp_path, O_CLOEXEC);
  if (fd < 0) return IoError("cannot create a file in", dir);
  g_temp_active = 1;
  temp = g_temp_path;
  return std::unique_ptr<OutputFile>(new OutputFile(path, dir, temp, fd));
}

OutputFile::OutputFile(std::string path, std::string dir, std::string temp,
                       int fd)
    : path_(std::move(path)),
      dir_(std::move(dir)),
      temp_path_(std::move(temp)),
      fd_(fd),
      writer_(fd) {}

OutputFile::~OutputFile() {
  if (!done_) Discard();
}

void OutputFile::Discard() {
  done_ = true;
  g_temp_active = 0;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(temp_path_.c_str());
}

Status OutputFile::Commit() {
  if (done_) return AgeError(ErrorKind::kUsage, "already closed");
  if (fsync(fd_) != 0) {
    Status s = IoError("cannot sync", temp_path_);
    Discard();
    return s;
  }
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) {
    Status s = IoError("cannot close", temp_path_);
    Discard();
    return s;
  }
  if (rename(temp_path_.c_str(), path_.c_str()) != 0) {
    Status s = IoError("cannot rename the output to", path_);
    Discard();
    return s;
  }
  done_ = true;
  g_temp_active = 0;
  // Make the rename itself durable.
  const int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return IoError("cannot open directory", dir_);
  const int r = fsync(dfd);
  close(dfd);
  if (r != 0) return IoError("cannot sync directory", dir_);
  return OkStatus();
}

}  // namespace conclave::age
