#include "core/status.h"

#include <array>

namespace licentia {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int http;
};

constexpr std::array kCodes = {
    CodeInfo{ErrorCode::kOk, "OK", 200},
    CodeInfo{ErrorCode::kInvalidRequest, "INVALID_REQUEST", 400},
    CodeInfo{ErrorCode::kInvalidCodeFormat, "INVALID_CODE_FORMAT", 400},
    CodeInfo{ErrorCode::kPayloadTooLarge, "PAYLOAD_TOO_LARGE", 413},
    CodeInfo{ErrorCode::kNotFound, "NOT_FOUND", 404},
    CodeInfo{ErrorCode::kMethodNotAllowed, "METHOD_NOT_ALLOWED", 405},
    CodeInfo{ErrorCode::kConflict, "CONFLICT", 409},
    CodeInfo{ErrorCode::kUnauthorized, "UNAUTHORIZED", 401},
    CodeInfo{ErrorCode::kRateLimited, "RATE_LIMITED", 429},
    CodeInfo{ErrorCode::kCodeNotFound, "CODE_NOT_FOUND", 404},
    CodeInfo{ErrorCode::kCodeBlocked, "CODE_BLOCKED", 403},
    CodeInfo{ErrorCode::kCodeExpired, "CODE_EXPIRED", 403},
    CodeInfo{ErrorCode::kActivationDeadlinePassed, "ACTIVATION_DEADLINE_PASSED",
             403},
    CodeInfo{ErrorCode::kDeviceLimitReached, "DEVICE_LIMIT_REACHED", 409},
    CodeInfo{ErrorCode::kIncompatibleVersion, "INCOMPATIBLE_VERSION", 422},
    CodeInfo{ErrorCode::kWrongProduct, "WRONG_PRODUCT", 422},
    CodeInfo{ErrorCode::kAccountRequired, "ACCOUNT_REQUIRED", 403},
    CodeInfo{ErrorCode::kNotActivated, "NOT_ACTIVATED", 404},
    CodeInfo{ErrorCode::kNoCurrentLicense, "NO_CURRENT_LICENSE", 409},
    CodeInfo{ErrorCode::kCurrentIsSubscription, "CURRENT_IS_SUBSCRIPTION", 422},
    CodeInfo{ErrorCode::kReserveIsSubscription, "RESERVE_IS_SUBSCRIPTION", 422},
    CodeInfo{ErrorCode::kReserveIsTrial, "RESERVE_IS_TRIAL", 422},
    CodeInfo{ErrorCode::kReserveIsCurrentCode, "RESERVE_IS_CURRENT_CODE", 422},
    CodeInfo{ErrorCode::kReserveNotLater, "RESERVE_NOT_LATER", 422},
    CodeInfo{ErrorCode::kReserveAlreadySet, "RESERVE_ALREADY_SET", 409},
    CodeInfo{ErrorCode::kNoReserve, "NO_RESERVE", 404},
    CodeInfo{ErrorCode::kKeyMalformed, "KEY_MALFORMED", 400},
    CodeInfo{ErrorCode::kKeySignatureInvalid, "KEY_SIGNATURE_INVALID", 400},
    CodeInfo{ErrorCode::kKeyUnknownSigner, "KEY_UNKNOWN_SIGNER", 400},
    CodeInfo{ErrorCode::kKeyWrongDevice, "KEY_WRONG_DEVICE", 400},
    CodeInfo{ErrorCode::kKeyExpired, "KEY_EXPIRED", 400},
    CodeInfo{ErrorCode::kKeyNotYetValid, "KEY_NOT_YET_VALID", 400},
    CodeInfo{ErrorCode::kUnavailable, "UNAVAILABLE", 503},
    CodeInfo{ErrorCode::kInternal, "INTERNAL", 500},
    CodeInfo{ErrorCode::kIoError, "IO_ERROR", 500},
    CodeInfo{ErrorCode::kCorruption, "CORRUPTION", 500},
    CodeInfo{ErrorCode::kStateTampered, "STATE_TAMPERED", 500},
    CodeInfo{ErrorCode::kClockRolledBack, "CLOCK_ROLLED_BACK", 400},
    CodeInfo{ErrorCode::kCurrentLicenseValid, "CURRENT_LICENSE_VALID", 409},
};

static_assert(kCodes.size() == static_cast<size_t>(kLastErrorCode) + 1,
              "every error code has a row");

const CodeInfo& Info(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[static_cast<size_t>(ErrorCode::kInternal)];
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }

int HttpStatusFor(ErrorCode code) { return Info(code).http; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(ErrorCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace licentia
