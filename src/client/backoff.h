// Exponential backoff with jitter for retrying network-type failures.
#ifndef LICENTIA_CLIENT_BACKOFF_H_
#define LICENTIA_CLIENT_BACKOFF_H_

#include <functional>

#include "licentia/license_manager.h"

namespace licentia::client {

// The delay before retry number `attempt` (1 = first retry):
// min(max_delay, initial_delay * 2^(attempt-1)) scaled by a factor in
// [1 - jitter, 1 + jitter] drawn from `uniform01`. Never below 1 second.
UnixSeconds BackoffDelay(const RetryPolicy& policy, int attempt,
                         const std::function<double()>& uniform01);

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_BACKOFF_H_
