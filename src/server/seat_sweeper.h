// Heartbeats (docs/domain-rules.md): a code issued with heartbeat_days
// frees, by itself, the seat of a device that has not contacted the server
// for that many days, so that a machine thrown away without deactivating
// does not hold a seat for ever. The device, when it returns, is told
// (HEARTBEAT_MISSED) and the SDK activates again if a seat is free.
//
// The seats are freed by a sweep: every `interval` of wall time on a
// thread of its own, and on demand (POST /v1/admin/seats/sweep). The time
// the sweep compares is the server's clock (injected: tests move it).
//
// Thread safety: SeatSweeper's methods may be called from any thread.
#ifndef LICENTIA_SERVER_SEAT_SWEEPER_H_
#define LICENTIA_SERVER_SEAT_SWEEPER_H_

#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "store/store.h"

namespace licentia::server {

// At most this many seats are freed by one transaction: a sweep after a
// long outage frees the rest in the next ones, and no single write holds
// the store for long.
constexpr int kMaxSeatsPerSweep = 500;

// Frees, in `txn`, up to `limit` seats whose device missed its heartbeat
// at `now`, each with a "code.deactivated" event (actor "system", reason
// "heartbeat"); `released` is set to how many.
Status ReleaseStaleSeats(store::Transaction& txn, UnixSeconds now, int limit,
                         int& released);

class SeatSweeper {
 public:
  // Starts the thread. REQUIRES: `store` and `clock` outlive the sweeper;
  // interval > 0.
  SeatSweeper(store::Store& store, const Clock& clock,
              std::chrono::milliseconds interval);
  // Stops and joins the thread (a sweep under way finishes first).
  ~SeatSweeper();
  SeatSweeper(const SeatSweeper&) = delete;
  SeatSweeper& operator=(const SeatSweeper&) = delete;

 private:
  void Run() EXCLUDES(mu_);
  // One sweep: transactions of kMaxSeatsPerSweep until fewer are freed.
  void SweepOnce();

  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds interval_;
  Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SEAT_SWEEPER_H_
