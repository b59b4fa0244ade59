#include "store/sqlite/wal_syncer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  return std::unique_ptr<WalSyncer>(new WalSyncer(fd));
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

}  // namespace licentia::store::sqlite
