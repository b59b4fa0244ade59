// A file the CLI writes that holds secrets (issued codes, an offline
// request or response, which carry a code): created new with mode 0600.
#ifndef LICENTIA_CLI_PRIVATE_OUTPUT_FILE_H_
#define LICENTIA_CLI_PRIVATE_OUTPUT_FILE_H_

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/status.h"

namespace licentia::cli {

// A file that holds secrets: created new (never over an existing file) with
// mode 0600, and removed when destroyed unless Keep() or Finish() was
// called, so a failed run leaves nothing behind.
class PrivateOutputFile {
 public:
  PrivateOutputFile() = default;
  PrivateOutputFile(const PrivateOutputFile&) = delete;
  PrivateOutputFile& operator=(const PrivateOutputFile&) = delete;
  ~PrivateOutputFile() {
    if (!path_.empty() && !keep_) {
      stream_.close();
      ::unlink(path_.c_str());
    }
  }

  // kConflict if `path` exists; kIoError if it cannot be created.
  Status Create(const std::string& path) {
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) {
        return Status(ErrorCode::kConflict,
                      fmt::format("{} exists; choose another file (it may "
                                  "hold something not kept anywhere else).",
                                  path));
      }
      return Status(
          ErrorCode::kIoError,
          fmt::format("Cannot create {}: {}.", path, std::strerror(errno)));
    }
    ::close(fd);
    path_ = path;
    stream_.open(path, std::ios::out | std::ios::trunc);
    if (!stream_) {
      return Status(ErrorCode::kIoError, "Cannot write " + path + ".");
    }
    return Status::Ok();
  }
  std::ostream& stream() { return stream_; }
  void Keep() { keep_ = true; }
  // Flushes and keeps the file. kIoError if the writes failed.
  Status Finish() {
    keep_ = true;
    stream_.flush();
    if (!stream_) return Status(ErrorCode::kIoError, "Cannot write " + path_);
    stream_.close();
    return Status::Ok();
  }

 private:
  std::string path_;
  std::ofstream stream_;
  bool keep_ = false;
};

// The text of file `path`, without trailing blank space. kNotFound if it
// cannot be read; kPayloadTooLarge over `max_bytes`.
Result<std::string> ReadSmallFile(const std::string& path,
                                  std::size_t max_bytes);

}  // namespace licentia::cli

#endif  // LICENTIA_CLI_PRIVATE_OUTPUT_FILE_H_
