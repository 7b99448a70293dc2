// An output file that appears only when complete: the data goes to a
// temporary file created next to the destination (O_EXCL, mode 0600), which
// Commit() fsyncs and renames over the destination, then fsyncs the
// directory. If Commit() is never reached (error, destructor, SIGINT,
// SIGTERM, SIGHUP, SIGPIPE) the temporary file is removed and the
// destination is untouched. Only SIGKILL or a crash can leave the
// temporary file (named ".NAME.conclave-tmp-XXXXXX") behind; never a
// partial destination.
//
// Shared by the CLI (encrypt) and the quorum library (decrypting a released
// submission, quorum/combine.h), hence here rather than in base/ (it writes
// through age::Writer, and base/ must not depend on age/).
#ifndef CONCLAVE_AGE_OUTPUT_FILE_H_
#define CONCLAVE_AGE_OUTPUT_FILE_H_

#include <memory>
#include <string>

#include "age/io.h"

namespace conclave::age {

class OutputFile {
 public:
  // I/O error (UNAVAILABLE) if the directory does not exist or is not
  // writable. At most one OutputFile may exist at a time (the signal
  // handler knows one path).
  static StatusOr<std::unique_ptr<OutputFile>> Create(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  Writer& writer() { return writer_; }
  const std::string& temp_path() const { return temp_path_; }

  // fsync, close, rename to the destination, fsync the directory.
  Status Commit();

 private:
  OutputFile(std::string path, std::string dir, std::string temp, int fd);
  void Discard();

  std::string path_, dir_, temp_path_;
  int fd_;
  FdWriter writer_;
  bool done_ = false;
};

}  // namespace conclave::age

#endif  // CONCLAVE_AGE_OUTPUT_FILE_H_
