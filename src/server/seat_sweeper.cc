#include "server/seat_sweeper.h"

#include <fmt/format.h>

#include "core/license_policy.h"
#include "core/thread_name.h"
#include "server/service_context.h"

namespace licentia::server {

Status ReleaseStaleSeats(store::Transaction& txn, UnixSeconds now, int limit,
                         int& released) {
  released = 0;
  LICENTIA_ASSIGN_OR_RETURN(auto seats, txn.ListStaleSeats(now, limit));
  for (const store::StaleSeat& seat : seats) {
    LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(seat.code_id));
    // The query finds the candidates by index; the policy decides.
    if (!code || !HeartbeatMissed(FactsOf(*code), seat.last_seen_at, now)) {
      continue;
    }
    std::string reason =
        fmt::format("no contact for {} days (the license's heartbeat)",
                    seat.heartbeat_days);
    LICENTIA_RETURN_IF_ERROR(
        txn.ReleaseSeat(seat.activation_id, now, "server", reason));
    LICENTIA_RETURN_IF_ERROR(
        RecordEvent(txn, now, "code.deactivated", &*code,
                    crypto::ToHex(seat.device_hash), "system",
                    {{"activation_id", seat.activation_id},
                     {"device_name", seat.device_name},
                     {"seats_used", code->seats_used - 1},
                     {"reason", std::string_view("heartbeat")},
                     {"last_seen_at", seat.last_seen_at}}));
    ++released;
  }
  return Status::Ok();
}

SeatSweeper::SeatSweeper(store::Store& store, const Clock& clock,
                         std::chrono::milliseconds interval)
    : store_(store), clock_(clock), interval_(interval) {
  thread_ = std::thread([this] { Run(); });
}

SeatSweeper::~SeatSweeper() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  thread_.join();
}

void SeatSweeper::Run() {
  SetCurrentThreadName("lic-sweep");
  MutexLock lock(mu_);
  while (!stopping_) {
    if (wake_.WaitFor(mu_, interval_)) continue;  // woken: check stopping_
    lock.Unlock();
    SweepOnce();
    lock.Lock();
  }
}

void SeatSweeper::SweepOnce() {
  for (;;) {
    int released = 0;
    Status st = store_.Write([&](store::Transaction& txn) {
      return ReleaseStaleSeats(txn, clock_.Now(), kMaxSeatsPerSweep, released);
    });
    // A failed sweep is tried again at the next interval.
    if (!st.ok() || released < kMaxSeatsPerSweep) return;
  }
}

}  // namespace licentia::server
