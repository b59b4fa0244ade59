// Devices waiting for a change to what they hold (POST /v1/wait): each
// waits on its code and its device, and is woken by the store's change
// feed (store.h, SetChangeListener), by its deadline, or by shutdown,
// whichever comes first.
//
// Wake functions run on the registry's own thread, never on the caller of
// OnChanges (the store's writer on SQLite, which must not wait for them):
// a wake re-reads what the device holds, which is a store read.
//
// Thread-safe.
#ifndef LICENTIA_SERVER_WAIT_REGISTRY_H_
#define LICENTIA_SERVER_WAIT_REGISTRY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/crypto.h"
#include "core/mutex.h"
#include "store/store.h"

namespace licentia::server {

class WaitRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  // Why a waiter was woken.
  enum class Reason { kChanged, kDeadline, kShutdown };
  using Wake = std::function<void(Reason)>;

  WaitRegistry();
  // Shutdown(), if that was not done.
  ~WaitRegistry();
  // Wakes every waiter with kShutdown and returns once every wake has run;
  // a waiter added later is woken at once, on the caller's thread.
  void Shutdown();
  WaitRegistry(const WaitRegistry&) = delete;
  WaitRegistry& operator=(const WaitRegistry&) = delete;

  // Calls `wake` once, on the registry's thread: after a change to
  // `code_id` or `device`, at `deadline`, or at shutdown; or never, if
  // cancelled first. Returns the waiter's ticket for Cancel (0 after
  // shutdown began: `wake` has run then, on the caller's thread).
  std::uint64_t Add(std::int64_t code_id, const crypto::Hash& device,
                    Clock::time_point deadline, Wake wake);
  // Drops waiter `ticket` without waking it, if it still waits (a device
  // answered otherwise). Returns whether it did.
  bool Cancel(std::uint64_t ticket);

  // From the store's change feed: wakes the waiters of these codes and
  // devices (all of them if `everything`). Quick; never runs a wake.
  void OnChanges(const store::ChangedKeys& keys);

  // Waiters now, for /metrics.
  std::int64_t waiting() const;

 private:
  struct HashKey {
    std::size_t operator()(const crypto::Hash& h) const;
  };
  struct Waiter {
    std::int64_t code_id;
    crypto::Hash device;
    Clock::time_point deadline;
    Wake wake;
  };
  // Removes waiter `id` from every index and returns its wake function.
  // REQUIRES: it is waiting.
  Wake Take(std::uint64_t id) REQUIRES(mu_);
  // Moves waiter `id` to ready_ with `reason`. REQUIRES: it is waiting.
  void Ready(std::uint64_t id, Reason reason) REQUIRES(mu_) {
    ready_.emplace_back(Take(id), reason);
  }
  void Loop();

  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::uint64_t next_id_ GUARDED_BY(mu_) = 1;
  std::unordered_map<std::uint64_t, Waiter> waiters_ GUARDED_BY(mu_);
  std::unordered_multimap<std::int64_t, std::uint64_t> by_code_ GUARDED_BY(mu_);
  std::unordered_multimap<crypto::Hash, std::uint64_t, HashKey> by_device_
      GUARDED_BY(mu_);
  std::multimap<Clock::time_point, std::uint64_t> by_deadline_ GUARDED_BY(mu_);
  std::vector<std::pair<Wake, Reason>> ready_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_WAIT_REGISTRY_H_
