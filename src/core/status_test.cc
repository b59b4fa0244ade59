#include "core/status.h"

#include <gtest/gtest.h>

#include "core/http_status.h"
#include "core/user_advice.h"

namespace licentia {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.ToString(), "OK");
}

TEST(StatusTest, EveryCodeHasAStableNameThatRoundTrips) {
  for (int i = 0; i <= static_cast<int>(kLastErrorCode); ++i) {
    auto code = static_cast<ErrorCode>(i);
    std::string_view name = ErrorCodeName(code);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(ErrorCodeFromName(name), code) << name;
  }
  EXPECT_EQ(ErrorCodeFromName("NO_SUCH_CODE"), std::nullopt);
}

TEST(StatusTest, NamesThatClientsDependOn) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCodeNotFound), "CODE_NOT_FOUND");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kCodeBlocked), "CODE_BLOCKED");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kDeviceLimitReached),
            "DEVICE_LIMIT_REACHED");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kActivationDeadlinePassed),
            "ACTIVATION_DEADLINE_PASSED");
  EXPECT_EQ(HttpStatusFor(ErrorCode::kRateLimited), 429);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthorized), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPayloadTooLarge), 413);
}

// Every failure the SDK reports comes with something the person at the
// device can do (licentia/error_codes.def).
TEST(StatusTest, EveryFailureTellsTheUserWhatToDo) {
  EXPECT_EQ(WhatToDoFor(ErrorCode::kOk), "");
  for (int i = 1; i < kErrorCodeCount; ++i) {
    auto code = static_cast<ErrorCode>(i);
    EXPECT_FALSE(WhatToDoFor(code).empty()) << ErrorCodeName(code);
  }
  EXPECT_TRUE(WhatToDoFor(ErrorCode::kDeviceLimitReached)
                  .starts_with("All devices allowed for the code are in use"));
  EXPECT_EQ(WhatToDoFor(ErrorCode::kCorruption),
            "Try again; if it persists, contact the vendor.");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad(ErrorCode::kNotFound, "nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(bad.status().ToString(), "NOT_FOUND: nope");
}

Result<int> Twice(Result<int> in) {
  LICENTIA_ASSIGN_OR_RETURN(int v, std::move(in));
  return v * 2;
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Twice(21), 42);
  EXPECT_EQ(Twice(Status(ErrorCode::kInternal, "x")).status().code(),
            ErrorCode::kInternal);
}

TEST(ResultTest, ConvertsToAResultOfAWiderTypeKeepingTheError) {
  Result<std::string> value = Result<const char*>("text");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "text");
  Result<std::string> error =
      Result<const char*>(ErrorCode::kNotFound, "No such thing.");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(error.status().message(), "No such thing.");
}

}  // namespace
}  // namespace licentia
