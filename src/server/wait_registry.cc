#include "server/wait_registry.h"

#include <cstring>

#include "core/thread_name.h"

namespace licentia::server {
namespace {

// Erases the one entry of `index` under `key` that names `id`.
template <typename Index, typename Key>
void EraseEntry(Index& index, const Key& key, std::uint64_t id) {
  auto [first, last] = index.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second == id) {
      index.erase(it);
      return;
    }
  }
}

}  // namespace

std::size_t WaitRegistry::HashKey::operator()(const crypto::Hash& h) const {
  std::size_t out;
  std::memcpy(&out, h.data(), sizeof(out));  // already a hash
  return out;
}

WaitRegistry::WaitRegistry() {
  thread_ = std::thread([this] {
    SetCurrentThreadName("lic-waits");
    Loop();
  });
}

WaitRegistry::~WaitRegistry() { Shutdown(); }

void WaitRegistry::Shutdown() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    while (!waiters_.empty()) Ready(waiters_.begin()->first, Reason::kShutdown);
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();  // it runs every ready wake first
}

std::uint64_t WaitRegistry::Add(std::int64_t code_id,
                                const crypto::Hash& device,
                                Clock::time_point deadline, Wake wake) {
  MutexLock lock(mu_);
  if (stopping_) {
    lock.Unlock();
    wake(Reason::kShutdown);
    return 0;
  }
  std::uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{code_id, device, deadline, std::move(wake)});
  by_code_.emplace(code_id, id);
  by_device_.emplace(device, id);
  by_deadline_.emplace(deadline, id);
  cv_.Signal();  // the earliest deadline may have moved
  return id;
}

bool WaitRegistry::Cancel(std::uint64_t ticket) {
  Wake dropped;  // destroyed after the lock is released
  MutexLock lock(mu_);
  if (!waiters_.contains(ticket)) return false;
  dropped = Take(ticket);
  return true;
}

WaitRegistry::Wake WaitRegistry::Take(std::uint64_t id) {
  auto it = waiters_.find(id);
  Waiter& w = it->second;
  EraseEntry(by_code_, w.code_id, id);
  EraseEntry(by_device_, w.device, id);
  EraseEntry(by_deadline_, w.deadline, id);
  Wake wake = std::move(w.wake);
  waiters_.erase(it);
  return wake;
}

void WaitRegistry::OnChanges(const store::ChangedKeys& keys) {
  MutexLock lock(mu_);
  std::size_t before = ready_.size();
  if (keys.everything) {
    while (!waiters_.empty()) Ready(waiters_.begin()->first, Reason::kChanged);
  }
  for (std::int64_t code : keys.codes) {
    while (true) {
      auto it = by_code_.find(code);
      if (it == by_code_.end()) break;
      Ready(it->second, Reason::kChanged);
    }
  }
  for (const auto& device : keys.devices) {
    while (true) {
      auto it = by_device_.find(device);
      if (it == by_device_.end()) break;
      Ready(it->second, Reason::kChanged);
    }
  }
  if (ready_.size() != before) cv_.Signal();
}

std::int64_t WaitRegistry::waiting() const {
  MutexLock lock(mu_);
  return static_cast<std::int64_t>(waiters_.size());
}

void WaitRegistry::Loop() {
  std::vector<std::pair<Wake, Reason>> run;
  MutexLock lock(mu_);
  while (true) {
    auto now = Clock::now();
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      Ready(by_deadline_.begin()->second, Reason::kDeadline);
    }
    if (ready_.empty()) {
      if (stopping_) return;
      if (by_deadline_.empty()) {
        cv_.Wait(mu_);
      } else {
        (void)cv_.WaitFor(mu_, by_deadline_.begin()->first - now);
      }
      continue;
    }
    run.swap(ready_);
    lock.Unlock();
    for (auto& [wake, reason] : run) wake(reason);
    run.clear();
    lock.Lock();
  }
}

}  // namespace licentia::server
