// Token-bucket rate limiting keyed by a string (a client address, a code
// hash). Unauthenticated endpoints consult it so codes cannot be guessed by
// brute force. Thread-safe.
#ifndef LICENTIA_SERVER_RATE_LIMITER_H_
#define LICENTIA_SERVER_RATE_LIMITER_H_

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"
#include "core/status.h"

namespace licentia::server {

class RateLimiter {
 public:
  using TimeSource = std::function<std::chrono::steady_clock::time_point()>;

  // `per_minute` requests a minute with bursts up to `burst`; per_minute 0
  // disables the limiter (every request is allowed).
  RateLimiter(double per_minute, double burst, TimeSource now = DefaultTime);

  // Takes one token for `key`. Returns 0 if allowed, otherwise the whole
  // seconds to wait before a token is available (for Retry-After).
  [[nodiscard]] int Acquire(std::string_view key);

  // For limits that count only failed attempts: Check says what Acquire
  // would (0, or the seconds to wait) without taking a token; Charge takes
  // one after an attempt failed. Failures racing past Check are all charged
  // (down to one burst of debt), so concurrency cannot buy extra attempts.
  [[nodiscard]] int Check(std::string_view key);
  void Charge(std::string_view key);

  bool enabled() const { return per_minute_ > 0; }

 private:
  static std::chrono::steady_clock::time_point DefaultTime() {
    return std::chrono::steady_clock::now();
  }
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void EvictIdleLocked(std::chrono::steady_clock::time_point now) REQUIRES(mu_);
  // The key's bucket, refilled up to `now`.
  Bucket& RefillLocked(std::string_view key,
                       std::chrono::steady_clock::time_point now) REQUIRES(mu_);
  int WaitFor(const Bucket& b) const;

  const double per_minute_;
  const double burst_;
  const TimeSource now_;
  Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_eviction_ GUARDED_BY(mu_){};
};

// The refusal of a throttled request: kRateLimited, "<what>; try again in
// N seconds.", carrying the wait for the Retry-After header.
// REQUIRES: wait_seconds > 0.
Status TooManyRequests(std::string_view what, int wait_seconds);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_RATE_LIMITER_H_
