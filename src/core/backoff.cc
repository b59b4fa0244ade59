#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace licentia {

std::int64_t BackoffDelay(const BackoffPolicy& policy, int attempt,
                          double uniform01) {
  double base = static_cast<double>(std::max<std::int64_t>(1, policy.initial));
  double cap = static_cast<double>(std::max<std::int64_t>(1, policy.max));
  int doublings = std::clamp(attempt - 1, 0, 40);
  double delay = std::min(cap, base * std::pow(2.0, doublings));
  double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  double u = std::clamp(uniform01, 0.0, 1.0);
  double factor = 1.0 + jitter * (2.0 * u - 1.0);
  return std::max<std::int64_t>(
      policy.floor, static_cast<std::int64_t>(std::llround(delay * factor)));
}

}  // namespace licentia
