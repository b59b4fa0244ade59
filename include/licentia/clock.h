// Injected time. Domain code never reads the system clock directly: it asks a
// Clock, so tests (and the server's opt-in test clock) can move time by days
// without sleeping. Time is Unix seconds (UTC), the unit of every stored date.
#ifndef LICENTIA_CLOCK_H_
#define LICENTIA_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace licentia {

using UnixSeconds = std::int64_t;
constexpr UnixSeconds kSecondsPerDay = 86400;

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual UnixSeconds Now() const = 0;
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  UnixSeconds Now() const override;
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixSeconds start) : now_(start) {}
  UnixSeconds Now() const override { return now_.load(); }
  void Set(UnixSeconds t) { now_.store(t); }
  void Advance(UnixSeconds delta) { now_.fetch_add(delta); }

 private:
  std::atomic<UnixSeconds> now_;
};

// "2026-11-28T09:31:59Z". Never fails.
std::string FormatTimestamp(UnixSeconds t);

}  // namespace licentia

#endif  // LICENTIA_CLOCK_H_
