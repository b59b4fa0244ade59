#include "store/sqlite/wal_syncer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/thread_name.h"

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

WalSyncer::WalSyncer(int fd) : fd_(fd) {
  thread_ = std::thread([this] { Loop(); });
}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  ::close(fd_);
}

void WalSyncer::Submit(Delivery delivery) {
  bool was_idle;
  {
    std::lock_guard lock(mu_);
    was_idle = pending_.empty();
    pending_.push_back(std::move(delivery));
  }
  if (was_idle) cv_.notify_one();
}

std::uint64_t WalSyncer::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

void WalSyncer::Loop() {
  SetCurrentThreadName("lic-walsync");
  std::vector<Delivery> taken;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and nothing left to answer
      taken.swap(pending_);
    }
    // Everything in `taken` was committed before this call, so one sync
    // covers all of it.
    Status synced = Status::Ok();
    if (::fdatasync(fd_) != 0) {
      synced = Status(ErrorCode::kInternal,
                      fmt::format("The write-ahead log could not be synced to "
                                  "disk ({}); the change may not be durable.",
                                  std::strerror(errno)));
    }
    {
      std::lock_guard lock(mu_);
      syncs_ += 1;
    }
    for (auto& deliver : taken) deliver(synced);
    taken.clear();
  }
}

}  // namespace licentia::store::sqlite
