#include "store/sqlite/page_write_back.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace licentia::store::sqlite {

Result<std::unique_ptr<PageWriteBack>> PageWriteBack::Open(
    const std::string& path) {
  // Read-only is enough: write-back covers the file's pages whichever
  // descriptor names it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot open {} to write its pages back: {}.",
                              path, std::strerror(errno)));
  }
  return std::unique_ptr<PageWriteBack>(new PageWriteBack(fd, path));
}

PageWriteBack::~PageWriteBack() { ::close(fd_); }

Status PageWriteBack::Run() {
  // WAIT_BEFORE: pages already being written back when the call starts may
  // have been dirtied again since; they are written again, not skipped.
  if (::sync_file_range(fd_, 0, 0,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot write back the pages of {}: {}.", path_,
                              std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace licentia::store::sqlite
