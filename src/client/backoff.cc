#include "client/backoff.h"

#include <algorithm>
#include <cmath>

namespace licentia::client {

UnixSeconds BackoffDelay(const RetryPolicy& policy, int attempt,
                         const std::function<double()>& uniform01) {
  double base =
      static_cast<double>(std::max<UnixSeconds>(1, policy.initial_delay));
  double cap = static_cast<double>(std::max<UnixSeconds>(1, policy.max_delay));
  int doublings = std::clamp(attempt - 1, 0, 40);
  double delay = std::min(cap, base * std::pow(2.0, doublings));
  double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  double factor = 1.0 + jitter * (2.0 * uniform01() - 1.0);
  return std::max<UnixSeconds>(
      1, static_cast<UnixSeconds>(std::llround(delay * factor)));
}

}  // namespace licentia::client
