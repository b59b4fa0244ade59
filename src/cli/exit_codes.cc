#include "cli/exit_codes.h"

#include <boost/json/serialize.hpp>
#include <iostream>

namespace licentia::cli {

int ReportError(const Status& st, bool as_json, boost::json::object extra) {
  if (as_json) {
    extra["error"] = boost::json::object{{"code", ErrorCodeName(st.code())},
                                         {"message", st.message()}};
    std::cout << boost::json::serialize(extra) << "\n";
  } else {
    std::cerr << "error: " << st.message() << " [" << ErrorCodeName(st.code())
              << "]\n";
  }
  return ExitCodeFor(st);
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kUnavailable:
      return kExitUnavailable;
    case ErrorCode::kUnauthorized:
      return kExitUnauthorized;
    case ErrorCode::kNotFound:
    case ErrorCode::kCodeNotFound:
    case ErrorCode::kNotActivated:
    case ErrorCode::kNoReserve:
      return kExitNotFound;
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kInvalidCodeFormat:
    case ErrorCode::kPayloadTooLarge:
      return kExitInvalidInput;
    case ErrorCode::kRateLimited:
      return kExitRateLimited;
    case ErrorCode::kNoCurrentLicense:
    case ErrorCode::kKeyMalformed:
    case ErrorCode::kKeySignatureInvalid:
    case ErrorCode::kKeyUnknownSigner:
    case ErrorCode::kKeyWrongDevice:
    case ErrorCode::kKeyExpired:
    case ErrorCode::kKeyNotYetValid:
    case ErrorCode::kClockRolledBack:
    case ErrorCode::kStateTampered:
      return kExitNotLicensed;
    case ErrorCode::kCodeBlocked:
    case ErrorCode::kCodeExpired:
    case ErrorCode::kActivationDeadlinePassed:
    case ErrorCode::kDeviceLimitReached:
    case ErrorCode::kIncompatibleVersion:
    case ErrorCode::kWrongProduct:
    case ErrorCode::kAccountRequired:
    case ErrorCode::kCurrentIsSubscription:
    case ErrorCode::kReserveIsSubscription:
    case ErrorCode::kReserveIsTrial:
    case ErrorCode::kReserveIsCurrentCode:
    case ErrorCode::kReserveNotLater:
    case ErrorCode::kReserveAlreadySet:
    case ErrorCode::kConflict:
    case ErrorCode::kCurrentLicenseValid:
      return kExitRefused;
    default:
      return kExitError;
  }
}

}  // namespace licentia::cli
