#include "server/rate_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace licentia::server {

RateLimiter::RateLimiter(double per_minute, double burst, TimeSource now)
    : per_minute_(per_minute),
      burst_(std::max(1.0, burst)),
      now_(std::move(now)) {}

RateLimiter::Bucket& RateLimiter::RefillLocked(
    std::string_view key, std::chrono::steady_clock::time_point now) {
  EvictIdleLocked(now);
  auto [it, inserted] =
      buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * per_minute_ / 60.0);
  b.updated = now;
  return b;
}

int RateLimiter::WaitFor(const Bucket& b) const {
  if (b.tokens >= 1.0) return 0;
  double wait = (1.0 - b.tokens) * 60.0 / per_minute_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

int RateLimiter::Acquire(std::string_view key) {
  if (!enabled()) return 0;
  auto now = now_();
  MutexLock lock(mu_);
  Bucket& b = RefillLocked(key, now);
  int wait = WaitFor(b);
  if (wait == 0) b.tokens -= 1.0;
  return wait;
}

int RateLimiter::Check(std::string_view key) {
  if (!enabled()) return 0;
  auto now = now_();
  MutexLock lock(mu_);
  return WaitFor(RefillLocked(key, now));
}

void RateLimiter::Charge(std::string_view key) {
  if (!enabled()) return;
  auto now = now_();
  MutexLock lock(mu_);
  Bucket& b = RefillLocked(key, now);
  b.tokens = std::max(-burst_, b.tokens - 1.0);
}

// Buckets that have refilled completely carry no information; dropping them
// keeps memory bounded by the number of recently active keys.
void RateLimiter::EvictIdleLocked(std::chrono::steady_clock::time_point now) {
  if (now - last_eviction_ < std::chrono::seconds(60)) return;
  last_eviction_ = now;
  double full_after = burst_ * 60.0 / per_minute_;
  std::erase_if(buckets_, [&](const auto& kv) {
    return std::chrono::duration<double>(now - kv.second.updated).count() >
           full_after;
  });
}

Status TooManyRequests(std::string_view what, int wait_seconds) {
  return Status(ErrorCode::kRateLimited,
                fmt::format("{}; try again in {} second{}.", what, wait_seconds,
                            wait_seconds == 1 ? "" : "s"))
      .WithRetryAfter(wait_seconds);
}

}  // namespace licentia::server
