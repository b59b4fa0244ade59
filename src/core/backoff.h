// Exponential backoff with jitter, in whatever unit the caller counts:
// the SDK retries a failed rollover in seconds, the PostgreSQL store a
// conflicting transaction in microseconds. One rule for both.
#ifndef LICENTIA_CORE_BACKOFF_H_
#define LICENTIA_CORE_BACKOFF_H_

#include <cstdint>

namespace licentia {

struct BackoffPolicy {
  std::int64_t initial = 1;  // the first delay
  std::int64_t max = 1;      // no delay is longer (before jitter)
  double jitter = 0;         // each delay varies by +/- this fraction
  std::int64_t floor = 1;    // no delay is shorter (after jitter)
};

// The delay before retry number `attempt` (1 = the first retry):
// min(max, initial * 2^(attempt-1)) scaled by 1 + jitter * (2u - 1) for `u`
// in [0, 1] (the caller's random draw), and never below `floor`. Values out
// of range are clamped (jitter to [0, 1], initial and max to >= 1).
std::int64_t BackoffDelay(const BackoffPolicy& policy, int attempt,
                          double uniform01);

}  // namespace licentia

#endif  // LICENTIA_CORE_BACKOFF_H_
