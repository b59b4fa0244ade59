// The exit code of every error code, as docs/cli.md documents them: the
// classes now come from licentia/error_codes.def, and scripts rely on them.
#include "cli/exit_codes.h"

#include <gtest/gtest.h>

#include <map>

namespace licentia::cli {
namespace {

TEST(ExitCodesTest, EveryCodeExitsAsDocumented) {
  const std::map<ErrorCode, int> documented = {
      {ErrorCode::kOk, 0},
      {ErrorCode::kUnavailable, 3},
      {ErrorCode::kUnauthorized, 4},
      {ErrorCode::kSecondFactorRequired, 4},
      {ErrorCode::kForbidden, 4},
      {ErrorCode::kNotFound, 5},
      {ErrorCode::kCodeNotFound, 5},
      {ErrorCode::kNotActivated, 5},
      {ErrorCode::kNoReserve, 5},
      {ErrorCode::kConnectCodeInvalid, 5},
      {ErrorCode::kNotConnected, 5},
      {ErrorCode::kSeatReleased, 5},
      {ErrorCode::kCodeSuspended, 6},
      {ErrorCode::kHeartbeatMissed, 5},
      {ErrorCode::kCodeBlocked, 6},
      {ErrorCode::kCodeExpired, 6},
      {ErrorCode::kActivationDeadlinePassed, 6},
      {ErrorCode::kDeviceLimitReached, 6},
      {ErrorCode::kIncompatibleVersion, 6},
      {ErrorCode::kWrongProduct, 6},
      {ErrorCode::kAccountRequired, 6},
      {ErrorCode::kCurrentIsSubscription, 6},
      {ErrorCode::kReserveIsSubscription, 6},
      {ErrorCode::kReserveIsTrial, 6},
      {ErrorCode::kReserveIsCurrentCode, 6},
      {ErrorCode::kReserveNotLater, 6},
      {ErrorCode::kReserveAlreadySet, 6},
      {ErrorCode::kConflict, 6},
      {ErrorCode::kCurrentLicenseValid, 6},
      {ErrorCode::kPrepareNotOffered, 6},
      {ErrorCode::kPrepareTooEarly, 6},
      {ErrorCode::kOfflineRequestUsed, 6},
      {ErrorCode::kInvalidRequest, 7},
      {ErrorCode::kInvalidCodeFormat, 7},
      {ErrorCode::kPayloadTooLarge, 7},
      {ErrorCode::kOfflineRequestInvalid, 7},
      {ErrorCode::kOfflineResponseMismatch, 7},
      {ErrorCode::kRateLimited, 8},
      {ErrorCode::kNoCurrentLicense, 9},
      {ErrorCode::kKeyMalformed, 9},
      {ErrorCode::kKeySignatureInvalid, 9},
      {ErrorCode::kKeyUnknownSigner, 9},
      {ErrorCode::kKeyWrongDevice, 9},
      {ErrorCode::kKeyExpired, 9},
      {ErrorCode::kKeyNotYetValid, 9},
      {ErrorCode::kClockRolledBack, 9},
      {ErrorCode::kStateTampered, 9},
  };
  for (int i = 0; i < kErrorCodeCount; ++i) {
    auto code = static_cast<ErrorCode>(i);
    auto it = documented.find(code);
    int expected = it == documented.end() ? 1 : it->second;  // other error
    EXPECT_EQ(ExitCodeFor(Status(code, "x")), expected) << ErrorCodeName(code);
  }
}

}  // namespace
}  // namespace licentia::cli
