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

  bool enabled() const { return per_minute_ > 0; }

 private:
  static std::chrono::steady_clock::time_point DefaultTime() {
    return std::chrono::steady_clock::now();
  }
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void EvictIdleLocked(std::chrono::steady_clock::time_point now);

  const double per_minute_;
  const double burst_;
  const TimeSource now_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;        // guarded by mu_
  std::chrono::steady_clock::time_point last_eviction_{};  // guarded by mu_
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_RATE_LIMITER_H_
