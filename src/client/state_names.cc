// The names of the SDK's license and reserve states, on their own so that
// the state file codec (and its fuzzer) need none of the rest of the SDK.
#include "licentia/license_manager.h"

namespace licentia {

std::string_view LicenseStateName(LicenseState s) {
  switch (s) {
    case LicenseState::kNone:
      return "none";
    case LicenseState::kActive:
      return "active";
    case LicenseState::kExpired:
      return "expired";
    case LicenseState::kBlocked:
      return "blocked";
    case LicenseState::kGrace:
      return "grace";
    case LicenseState::kSuspended:
      return "suspended";
  }
  return "none";
}

std::string_view ReserveStateName(ReserveState s) {
  switch (s) {
    case ReserveState::kNone:
      return "none";
    case ReserveState::kWaiting:
      return "waiting";
    case ReserveState::kRetrying:
      return "retrying";
    case ReserveState::kFailed:
      return "failed";
  }
  return "none";
}

}  // namespace licentia
