#include "core/license_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace licentia {
namespace {

constexpr UnixSeconds kT0 = 1'800'000'000;
constexpr UnixSeconds kDay = kSecondsPerDay;

CodeTerms Terms(LicenseType type = LicenseType::kTerm) {
  CodeTerms t;
  t.product = "photo";
  t.type = type;
  t.term_days = 30;
  t.max_devices = 2;
  t.compatible_versions = ">=21 <23";
  return t;
}

TEST(LicensePolicyTest, StateIsBlockedThenExpiredThenActive) {
  CodeTerms t = Terms();
  struct Case {
    bool blocked;
    std::optional<UnixSeconds> first;
    UnixSeconds now;
    CodeState want;
  };
  const std::vector<Case> cases = {
      {false, std::nullopt, kT0 + 999 * kDay, CodeState::kActive},
      {false, kT0, kT0, CodeState::kActive},
      {false, kT0, kT0 + 30 * kDay - 1, CodeState::kActive},
      {false, kT0, kT0 + 30 * kDay, CodeState::kExpired},
      {true, kT0, kT0, CodeState::kBlocked},
      {true, kT0, kT0 + 99 * kDay, CodeState::kBlocked},
      {true, std::nullopt, kT0, CodeState::kBlocked},
  };
  for (const Case& c : cases) {
    CodeFacts f{t, c.first, c.blocked, "", 0};
    EXPECT_EQ(CodeStateAt(f, c.now), c.want) << c.blocked << " " << c.now - kT0;
    EXPECT_EQ(CodeStateAt(HeldLicenseFacts{c.blocked, false, CodeExpiry(f),
                                           std::nullopt},
                          c.now),
              c.want);
  }
  EXPECT_EQ(CodeStateName(CodeState::kExpired), "expired");
}

// A subscription: blocked before suspended before expired; between its
// end and the end of its grace it is in its grace, and works.
TEST(LicensePolicyTest, ASubscriptionIsInItsGraceAfterItsEnd) {
  CodeTerms t = Terms(LicenseType::kSubscription);
  t.grace_days = 7;
  CodeFacts f{t, kT0, false, "", 1};
  EXPECT_EQ(CodeExpiry(f), kT0 + 30 * kDay);
  EXPECT_EQ(GraceEnd(f), kT0 + 37 * kDay);
  EXPECT_EQ(KeyValidUntil(f), kT0 + 37 * kDay);
  EXPECT_EQ(CodeStateAt(f, kT0 + 30 * kDay - 1), CodeState::kActive);
  EXPECT_EQ(CodeStateAt(f, kT0 + 30 * kDay), CodeState::kGrace);
  EXPECT_TRUE(IsUsable(CodeStateAt(f, kT0 + 37 * kDay - 1)));
  EXPECT_EQ(CodeStateAt(f, kT0 + 37 * kDay), CodeState::kExpired);
  // In its grace the devices keep it; a new device needs the renewal.
  EXPECT_TRUE(CheckReactivation(f, kT0 + 31 * kDay, "22.0").ok());
  EXPECT_TRUE(CheckKeyRefresh(f, kT0 + 31 * kDay).ok());
  EXPECT_EQ(CheckNewSeat(f, kT0 + 31 * kDay, "22.0").code(),
            ErrorCode::kCodeExpired);
  EXPECT_EQ(CheckKeyRefresh(f, kT0 + 37 * kDay).code(),
            ErrorCode::kCodeExpired);
  f.suspended = true;
  f.suspended_reason = "payment failed";
  EXPECT_EQ(CodeStateAt(f, kT0), CodeState::kSuspended);
  EXPECT_EQ(CodeStateName(CodeState::kSuspended), "suspended");
  Status st = CheckReactivation(f, kT0, "22.0");
  EXPECT_EQ(st.code(), ErrorCode::kCodeSuspended);
  EXPECT_NE(st.message().find("payment failed"), std::string::npos);
  f.blocked = true;
  EXPECT_EQ(CodeStateAt(f, kT0), CodeState::kBlocked);
  // A renewal's end replaces the one counted from first activation.
  CodeFacts renewed{t, kT0, false, "", 1};
  renewed.ends_at = kT0 + 400 * kDay;
  EXPECT_EQ(CodeExpiry(renewed), kT0 + 400 * kDay);
  EXPECT_EQ(CodeStateAt(renewed, kT0 + 399 * kDay), CodeState::kActive);
}

TEST(LicensePolicyTest, ARenewalFollowsOnUnlessTheGraceRanOut) {
  CodeTerms t = Terms(LicenseType::kSubscription);
  t.grace_days = 7;
  CodeFacts f{t, kT0, false, "", 1};
  // Paid early, or late within the grace: no day is lost or gained.
  for (UnixSeconds now : {kT0 + kDay, kT0 + 33 * kDay}) {
    auto r = RenewSubscription(f, now, 30, std::nullopt);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->ends_at, kT0 + 60 * kDay);
  }
  // After the grace: from now.
  auto late = RenewSubscription(f, kT0 + 50 * kDay, 30, std::nullopt);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->ends_at, kT0 + 80 * kDay);
  // A given end, which must be ahead.
  auto until = RenewSubscription(f, kT0, std::nullopt, kT0 + 90 * kDay);
  ASSERT_TRUE(until.ok());
  EXPECT_EQ(until->ends_at, kT0 + 90 * kDay);
  EXPECT_EQ(RenewSubscription(f, kT0, std::nullopt, kT0).status().code(),
            ErrorCode::kInvalidRequest);
  // Never activated: the term to come grows.
  CodeFacts unused{t, std::nullopt, false, "", 0};
  auto grown = RenewSubscription(unused, kT0, 30, std::nullopt);
  ASSERT_TRUE(grown.ok());
  EXPECT_FALSE(grown->ends_at);
  EXPECT_EQ(grown->term_days, 60);
  // Only subscriptions renew.
  CodeTerms term = Terms();
  CodeFacts term_facts{term, kT0, false, "", 1};
  EXPECT_EQ(
      RenewSubscription(term_facts, kT0, 30, std::nullopt).status().code(),
      ErrorCode::kConflict);
}

TEST(LicensePolicyTest, AHeartbeatIsMissedAfterItsDaysWithoutContact) {
  CodeTerms t = Terms();
  CodeFacts f{t, kT0, false, "", 1};
  EXPECT_FALSE(HeartbeatMissed(f, kT0, kT0 + 999 * kDay));  // none set
  t.heartbeat_days = 14;
  EXPECT_FALSE(HeartbeatMissed(f, kT0, kT0 + 14 * kDay - 1));
  EXPECT_TRUE(HeartbeatMissed(f, kT0, kT0 + 14 * kDay));
}

TEST(LicensePolicyTest, GraceIsForSubscriptionsOnly) {
  CodeTerms t = Terms();
  t.grace_days = 3;
  EXPECT_EQ(t.Validate().code(), ErrorCode::kInvalidRequest);
  t.type = LicenseType::kSubscription;
  EXPECT_TRUE(t.Validate().ok());
  t.grace_days = kMaxGraceDays + 1;
  EXPECT_EQ(t.Validate().code(), ErrorCode::kInvalidRequest);
  t.grace_days = 0;
  t.heartbeat_days = kMaxHeartbeatDays + 1;
  EXPECT_EQ(t.Validate().code(), ErrorCode::kInvalidRequest);
}

// The first refusal in rule order, for a new seat and for a device
// activating again the code whose seat it holds.
TEST(LicensePolicyTest, SeatChecksReportTheFirstRefusalInRuleOrder) {
  struct Case {
    const char* what;
    bool blocked;
    bool account;
    std::optional<UnixSeconds> activate_by;
    std::optional<UnixSeconds> first;
    int seats_used;
    const char* version;
    ErrorCode new_seat;
    ErrorCode again;
  };
  const UnixSeconds now = kT0 + 10 * kDay;
  const std::vector<Case> cases = {
      {"fine",
       false,
       false,
       {},
       kT0,
       1,
       "22.0",
       ErrorCode::kOk,
       ErrorCode::kOk},
      {"never activated",
       false,
       false,
       {},
       {},
       0,
       "22.0",
       ErrorCode::kOk,
       ErrorCode::kOk},
      {"blocked beats all", true, true, kT0, kT0 - 99 * kDay, 2, "1.0",
       ErrorCode::kCodeBlocked, ErrorCode::kCodeBlocked},
      {"account next", false, true, kT0, kT0 - 99 * kDay, 2, "1.0",
       ErrorCode::kAccountRequired, ErrorCode::kAccountRequired},
      {"deadline: new seats only", false, false, kT0, kT0 - 99 * kDay, 2, "1.0",
       ErrorCode::kActivationDeadlinePassed, ErrorCode::kCodeExpired},
      {"deadline on the day", false, false, now, kT0, 1, "22.0", ErrorCode::kOk,
       ErrorCode::kOk},
      {"expired before version",
       false,
       false,
       {},
       kT0 - 99 * kDay,
       2,
       "1.0",
       ErrorCode::kCodeExpired,
       ErrorCode::kCodeExpired},
      {"version before seats",
       false,
       false,
       {},
       kT0,
       2,
       "23.0",
       ErrorCode::kIncompatibleVersion,
       ErrorCode::kIncompatibleVersion},
      {"not a version",
       false,
       false,
       {},
       kT0,
       0,
       "x.y",
       ErrorCode::kInvalidRequest,
       ErrorCode::kInvalidRequest},
      {"seats full: the holder keeps its seat",
       false,
       false,
       {},
       kT0,
       2,
       "22.0",
       ErrorCode::kDeviceLimitReached,
       ErrorCode::kOk},
  };
  for (const Case& c : cases) {
    CodeTerms t = Terms();
    t.requires_account = c.account;
    t.activate_by = c.activate_by;
    CodeFacts f{t, c.first, c.blocked, "refund", c.seats_used};
    EXPECT_EQ(CheckNewSeat(f, now, c.version).code(), c.new_seat) << c.what;
    EXPECT_EQ(CheckReactivation(f, now, c.version).code(), c.again) << c.what;
  }
  CodeTerms t = Terms();
  CodeFacts blocked{t, kT0, true, "refund", 0};
  EXPECT_EQ(CheckNewSeat(blocked, kT0, "22.0").message(),
            "This activation code has been blocked by the vendor: refund.");
}

// Rule 8: a code that requires an account takes a seat, or is taken again,
// only on a device whose connected account holds it.
TEST(LicensePolicyTest, AnAccountCodeNeedsTheDevicesAccountToHoldIt) {
  const UnixSeconds now = kT0;
  CodeTerms t = Terms();
  t.requires_account = true;
  CodeFacts f{t, std::nullopt, false, "", 0};
  EXPECT_EQ(CheckNewSeat(f, now, "22.0").code(), ErrorCode::kAccountRequired);
  f.device_account_holds = true;
  EXPECT_TRUE(CheckNewSeat(f, now, "22.0").ok());
  EXPECT_TRUE(CheckReactivation(f, now, "22.0").ok());
  // Blocked still comes first.
  f.blocked = true;
  EXPECT_EQ(CheckNewSeat(f, now, "22.0").code(), ErrorCode::kCodeBlocked);
  // As a reserve: refused before it is registered, not at rollover.
  CodeTerms current_terms = Terms();
  CodeFacts current{current_terms, kT0 - kDay, false, "", 1};
  CodeFacts reserve{t, std::nullopt, false, "", 0};
  EXPECT_EQ(CheckReserveCode(current, reserve, false, false, now).code(),
            ErrorCode::kAccountRequired);
  reserve.device_account_holds = true;
  EXPECT_TRUE(CheckReserveCode(current, reserve, false, false, now).ok());
}

// Rule 6 in its order: each case breaks one rule more than the next.
TEST(LicensePolicyTest, ReserveChecksReportTheFirstRefusalInRuleOrder) {
  const UnixSeconds now = kT0 + 10 * kDay;
  CodeTerms term = Terms();
  CodeTerms sub = Terms(LicenseType::kSubscription);
  CodeTerms trial = Terms(LicenseType::kTrial);
  CodeTerms video = Terms();
  video.product = "video";
  CodeTerms late = Terms();
  late.activate_by = kT0;
  CodeFacts current{term, kT0, false, "", 1};  // ends at kT0 + 30 days
  CodeFacts fresh{term, std::nullopt, false, "", 0};

  struct Case {
    const char* what;
    CodeFacts current;
    CodeFacts reserve;
    bool same_code;
    bool already_set;
    ErrorCode want;
  };
  const std::vector<Case> cases = {
      {"fine", current, fresh, false, false, ErrorCode::kOk},
      {"no current: never activated", fresh, fresh, false, false,
       ErrorCode::kNoCurrentLicense},
      {"no current: expired",
       {term, kT0 - 99 * kDay, false, "", 1},
       fresh,
       false,
       false,
       ErrorCode::kNoCurrentLicense},
      {"no current: blocked",
       {term, kT0, true, "", 1},
       fresh,
       false,
       false,
       ErrorCode::kNoCurrentLicense},
      {"current subscription",
       {sub, kT0, false, "", 1},
       fresh,
       false,
       false,
       ErrorCode::kCurrentIsSubscription},
      {"reserve subscription",
       current,
       {sub, {}, true, "", 0},
       true,
       true,
       ErrorCode::kReserveIsSubscription},
      {"reserve trial",
       current,
       {trial, {}, true, "", 0},
       true,
       true,
       ErrorCode::kReserveIsTrial},
      {"the current code", current, current, true, true,
       ErrorCode::kReserveIsCurrentCode},
      {"blocked",
       current,
       {video, {}, true, "", 0},
       false,
       true,
       ErrorCode::kCodeBlocked},
      {"other product",
       current,
       {video, {}, false, "", 0},
       false,
       true,
       ErrorCode::kWrongProduct},
      {"deadline passed",
       current,
       {late, {}, false, "", 0},
       false,
       true,
       ErrorCode::kActivationDeadlinePassed},
      {"ends no later",
       current,
       {term, kT0, false, "", 1},
       false,
       true,
       ErrorCode::kReserveNotLater},
      {"already set",
       current,
       {term, kT0 + 1, false, "", 1},
       false,
       true,
       ErrorCode::kReserveAlreadySet},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(
        CheckReserveCode(c.current, c.reserve, c.same_code, c.already_set, now)
            .code(),
        c.want)
        << c.what;
  }
  EXPECT_TRUE(CheckReserveHolder(current, now).ok());
  EXPECT_EQ(CheckReserveHolder(fresh, now).code(),
            ErrorCode::kNoCurrentLicense);
  // The SDK's early refusals are the server's, word for word.
  EXPECT_EQ(NoCurrentLicense().message(),
            CheckReserveHolder(fresh, now).message());
  EXPECT_EQ(ReserveAlreadySet().code(), ErrorCode::kReserveAlreadySet);
  EXPECT_EQ(ReserveIsCurrentCode().code(), ErrorCode::kReserveIsCurrentCode);
}

TEST(LicensePolicyTest, APreparedReserveIsOfferedOnlyWithinItsWindow) {
  CodeTerms t = Terms();
  const UnixSeconds end = kT0 + 100 * kDay;
  struct Case {
    int prepare_days;
    UnixSeconds now;
    ErrorCode want;
  };
  const std::vector<Case> cases = {
      {0, end - kDay, ErrorCode::kPrepareNotOffered},
      {7, end - 7 * kDay - 1, ErrorCode::kPrepareTooEarly},
      {7, end - 7 * kDay, ErrorCode::kOk},
      {7, end - 1, ErrorCode::kOk},
      {90, end - 90 * kDay, ErrorCode::kOk},
  };
  for (const Case& c : cases) {
    t.prepare_days = c.prepare_days;
    CodeFacts facts{t, std::nullopt, false, "", 0};
    EXPECT_EQ(CheckPrepareWindow(facts, end, c.now).code(), c.want)
        << c.prepare_days << " days, " << (end - c.now) << " s before the end";
  }
  EXPECT_EQ(PrepareWindowStart(0, end), std::nullopt);
  EXPECT_EQ(PrepareWindowStart(7, end), end - 7 * kDay);
  // The terms refuse what cannot be a reserve, and out-of-range values.
  t.prepare_days = 91;
  EXPECT_EQ(t.Validate().code(), ErrorCode::kInvalidRequest);
  t.prepare_days = 7;
  EXPECT_TRUE(t.Validate().ok());
  CodeTerms trial = Terms(LicenseType::kTrial);
  trial.prepare_days = 7;
  EXPECT_EQ(trial.Validate().code(), ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia
