#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace conclave {

namespace {

namespace fs = std::filesystem;

Status IoError(const std::string& what, const fs::path& path, int err) {
  return Status(StatusCode::kUnavailable,
                what + " " + path.string() + ": " + std::strerror(err));
}

fs::path DirectoryOf(const fs::path& path) {
  fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

Status FsyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("cannot fsync directory", dir, err);
  return OkStatus();
}

// Writes data to a new temporary file beside `path`, fsyncs and closes it.
StatusOr<fs::path> WriteTemp(const fs::path& path, ByteSpan data, mode_t mode) {
  std::string temp =
      (DirectoryOf(path) / ("." + path.filename().string() + ".tmp-XXXXXX"))
          .string();
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return IoError("cannot create a file beside", path, errno);
  auto fail = [&](const char* what) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return IoError(what, temp, err);
  };
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return IoError("cannot close", temp, err);
  }
  return fs::path(temp);
}

}  // namespace

Status WriteFileAtomically(const fs::path& path, ByteSpan data, mode_t mode) {
  CONCLAVE_ASSIGN_OR_RETURN(fs::path temp, WriteTemp(path, data, mode));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return IoError("cannot rename into", path, err);
  }
  return FsyncDirectory(DirectoryOf(path));
}

Status CreateFileAtomically(const fs::path& path, ByteSpan data, mode_t mode) {
  CONCLAVE_ASSIGN_OR_RETURN(fs::path temp, WriteTemp(path, data, mode));
  // link() fails with EEXIST instead of replacing, unlike rename().
  int rc = ::link(temp.c_str(), path.c_str());
  int err = errno;
  ::unlink(temp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      return AlreadyExistsError(path.string() +
                                " already exists; refusing to overwrite it");
    }
    return IoError("cannot create", path, err);
  }
  return FsyncDirectory(DirectoryOf(path));
}

StatusOr<Bytes> ReadFileBytes(const fs::path& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError(path.string() + " not found");
    return IoError("cannot open", path, errno);
  }
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("cannot read", path, err);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_size) {
      ::close(fd);
      return OutOfRangeError(path.string() + " is larger than " +
                             std::to_string(max_size) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

}  // namespace conclave
