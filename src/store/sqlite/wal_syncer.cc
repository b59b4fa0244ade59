#include "store/sqlite/wal_syncer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace licentia::store::sqlite {

Result<std::unique_ptr<WalSyncer>> WalSyncer::Open(
    const std::string& wal_path) {
  // Read-only is enough: fdatasync flushes the file's data whichever
  // descriptor names it.
  int fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot open the write-ahead log {}: {}.",
                              wal_path, std::strerror(errno)));
  }
  auto syncer = std::unique_ptr<WalSyncer>(new WalSyncer(fd));
  // The file's directory entry, once: SQLite creates the WAL when the store
  // opens and deletes it only when the last connection closes, and the
  // writer's WAL syncs never reach SQLite's own sync (which would sync the
  // directory of a new WAL; see wal_write_buffer.h). Without it a power
  // loss could lose a newly created WAL, whole, with commits acknowledged
  // as durable. File systems that cannot sync a directory say EINVAL.
  std::string dir = std::filesystem::path(wal_path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || (::fsync(dir_fd) != 0 && errno != EINVAL)) {
    std::string reason = std::strerror(errno);
    if (dir_fd >= 0) ::close(dir_fd);
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot sync the directory of the write-ahead "
                              "log {}: {}.",
                              wal_path, reason));
  }
  ::close(dir_fd);
  return syncer;
}

WalSyncer::~WalSyncer() { ::close(fd_); }

Status WalSyncer::Health() const {
  if (failed_.load(std::memory_order_acquire)) {
    return Status(ErrorCode::kUnavailable,
                  "An earlier sync of the write-ahead log failed; no change "
                  "can be made durable until the server is restarted.");
  }
  return Status::Ok();
}

Status WalSyncer::Sync() {
  LICENTIA_RETURN_IF_ERROR(Health());
  if (::fdatasync(fd_) != 0) {
    failed_.store(true, std::memory_order_release);
    return Status(ErrorCode::kUnavailable,
                  fmt::format("The write-ahead log could not be synced to "
                              "disk ({}); the change may not be durable.",
                              std::strerror(errno)));
  }
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

void WalSyncer::StartWriteBack() {
  // SYNC_FILE_RANGE_WRITE alone submits and does not wait, nor does it
  // collect a write-back error: the fdatasync that follows does.
  (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

}  // namespace licentia::store::sqlite
