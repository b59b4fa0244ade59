// The vendor's day-to-day changes reaching devices running the real SDK:
// subscriptions renewed (a new key, nothing for the user to do), their
// grace, suspension and resumption; terms widened per code and per batch;
// seats freed by the server when a device misses its heartbeat, and the
// device taking a seat again when it returns.
#include <gtest/gtest.h>

#include <atomic>

#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

constexpr std::int64_t kDay = 86400;

class SubscriptionTest : public DeviceTestBase {
 protected:
  IssuedCode Subscription(int days, int grace_days = 0, int max_devices = 1) {
    return NewCode(days, max_devices, "subscription",
                   json::object{{"grace_days", grace_days}});
  }
  Result<json::value> CodeCall(const IssuedCode& c, const std::string& what,
                               const json::value& body = nullptr) {
    return AdminCall(
        "POST", "/v1/admin/codes/" + std::to_string(c.id) + "/" + what, body);
  }
  std::int64_t Released() {
    auto r = AdminCall("POST", "/v1/admin/seats/sweep");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->at("released").as_int64() : -1;
  }
};

TEST_F(SubscriptionTest, ARenewalBringsTheDeviceANewKeyWithNothingToType) {
  IssuedCode code = Subscription(30);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  EXPECT_EQ(*dev.Details().expires_at, kStart + 30 * kDay);
  Advance(20);
  auto renewed = CodeCall(code, "renew", json::object{{"days", 30}});
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  // From the old end: paying early loses no day.
  EXPECT_EQ(renewed->at("expires_at").as_int64(), kStart + 60 * kDay);
  ASSERT_OK(dev.Sync());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kActive);
  EXPECT_EQ(*d.expires_at, kStart + 60 * kDay);
  EXPECT_FALSE(d.last_error.has_value());
  // Past the old end, the key in hand is the new one: it verifies.
  Advance(15);
  ASSERT_OK(dev.Check());
  // The vendor's event log says so.
  auto events = AdminCall("GET", "/v1/admin/events?type=code.renewed");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->at("events").as_array().size(), 1u);
  EXPECT_EQ(events->at("events").at(0).at("details").at("expires_at"),
            kStart + 60 * kDay);
}

// With the agent running, the renewal arrives as it is made.
TEST_F(SubscriptionTest, TheAgentReceivesARenewalAsItIsMade) {
  IssuedCode code = Subscription(30);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  std::atomic<int> changes{0};
  ASSERT_OK(dev.StartAgent([&changes] { changes.fetch_add(1); }));
  ASSERT_TRUE(Eventually([&] { return WaitingDevices() == 1; }));
  ASSERT_TRUE(
      CodeCall(code, "renew", json::object{{"ends_at", kStart + 100 * kDay}})
          .ok());
  EXPECT_TRUE(Eventually([&] {
    auto d = dev.Details();
    return d.expires_at == kStart + 100 * kDay;
  }));
  dev.StopAgent();
  Advance(50);
  ASSERT_OK(dev.Check());
}

TEST_F(SubscriptionTest, TheGraceKeepsItWorkingThenALateRenewalRestoresIt) {
  IssuedCode code = Subscription(30, /*grace_days=*/7);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  Advance(31);
  ASSERT_OK(dev.Sync());
  ASSERT_OK(dev.Check());  // full function in the grace
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kGrace);
  EXPECT_EQ(*d.grace_until, kStart + 37 * kDay);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_NE(d.last_error->what_to_do.find("Renew"), std::string::npos);
  // A new device needs the renewal.
  EXPECT_CODE(Device("desktop").Activate(code.code), "CODE_EXPIRED");
  Advance(7);
  EXPECT_CODE(dev.Check(), "KEY_EXPIRED");
  EXPECT_EQ(dev.Details().state, LicenseState::kExpired);
  // Paid after the grace ran out: the days count from now, and the device
  // is back with no code typed.
  auto renewed = CodeCall(code, "renew", json::object{{"days", 30}});
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->at("expires_at").as_int64(), Now() + 30 * kDay);
  ASSERT_OK(dev.Sync());
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
}

TEST_F(SubscriptionTest, ASuspensionStopsTheLicenseUntilItIsResumed) {
  IssuedCode code = Subscription(30, 0, 2);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  auto suspended =
      CodeCall(code, "suspend", json::object{{"reason", "payment failed"}});
  ASSERT_TRUE(suspended.ok());
  EXPECT_TRUE(suspended->at("suspended").as_bool());
  ASSERT_OK(dev.Sync());
  EXPECT_CODE(dev.Check(), "CODE_SUSPENDED");
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kSuspended);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_NE(d.last_error->message.find("payment failed"), std::string::npos);
  EXPECT_CODE(Device("desktop").Activate(code.code), "CODE_SUSPENDED");
  // Suspending twice changes nothing more.
  auto again = CodeCall(code, "suspend");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->at("changed").as_bool());
  ASSERT_TRUE(CodeCall(code, "resume").ok());
  ASSERT_OK(dev.Sync());
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
  ASSERT_OK(Device("desktop").Activate(code.code));
}

TEST_F(SubscriptionTest, OnlySubscriptionsRenewOrPause) {
  IssuedCode term = NewCode(365);
  EXPECT_API_ERROR(CodeCall(term, "renew", json::object{{"days", 30}}),
                   "CONFLICT");
  EXPECT_API_ERROR(CodeCall(term, "suspend"), "CONFLICT");
  IssuedCode sub = Subscription(30);
  // Exactly one of days and ends_at, in range, for a code that exists.
  EXPECT_API_ERROR(CodeCall(sub, "renew", json::object{}), "INVALID_REQUEST");
  EXPECT_API_ERROR(
      CodeCall(sub, "renew",
               json::object{{"days", 3}, {"ends_at", kStart + 90 * kDay}}),
      "INVALID_REQUEST");
  EXPECT_API_ERROR(CodeCall(sub, "renew", json::object{{"days", 0}}),
                   "INVALID_REQUEST");
  EXPECT_API_ERROR(CodeCall(sub, "renew", json::object{{"days", "30"}}),
                   "INVALID_REQUEST");
  EXPECT_API_ERROR(CodeCall(sub, "renew", json::object{{"ends_at", kStart}}),
                   "INVALID_REQUEST");
  EXPECT_API_ERROR(
      CodeCall(sub, "renew", json::object{{"days", 3}, {"extra", 1}}),
      "INVALID_REQUEST");
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/codes/999999/renew",
                             json::object{{"days", 3}}),
                   "NOT_FOUND");
  // Grace only where something renews.
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/codes",
                             json::object{{"product", "photo"},
                                          {"license_type", "term"},
                                          {"grace_days", 5}}),
                   "INVALID_REQUEST");
  // None of the refusals changed the code; renewing a code never
  // activated lengthens the term still to start.
  json::object before = Code(sub.id);
  EXPECT_EQ(before.at("term_days").as_int64(), 30);
  ASSERT_TRUE(CodeCall(sub, "renew", json::object{{"days", 30}}).ok());
  EXPECT_EQ(Code(sub.id).at("term_days").as_int64(), 60);
  EXPECT_TRUE(Code(sub.id).at("expires_at").is_null());
}

TEST_F(SubscriptionTest, MoreSeatsPerCodeAndNewTermsPerBatch) {
  IssuedCode code = NewCode(365, 1);
  ASSERT_OK(Device("laptop").Activate(code.code));
  EXPECT_CODE(Device("desktop").Activate(code.code), "DEVICE_LIMIT_REACHED");
  auto changed = CodeCall(code, "terms", json::object{{"max_devices", 3}});
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->at("max_devices").as_int64(), 3);
  ASSERT_OK(Device("desktop").Activate(code.code));
  // The first device's key now states the new count too.
  ASSERT_OK(Device("laptop").Sync());
  EXPECT_EQ(Device("laptop").Details().max_devices, 3);
  // Fewer seats would strand devices: refused, nothing changed.
  EXPECT_API_ERROR(CodeCall(code, "terms", json::object{{"max_devices", 2}}),
                   "CONFLICT");
  EXPECT_API_ERROR(CodeCall(code, "terms", json::object{}), "INVALID_REQUEST");
  EXPECT_API_ERROR(
      CodeCall(code, "terms", json::object{{"activate_by", kStart - kDay}}),
      "INVALID_REQUEST");
  EXPECT_API_ERROR(
      CodeCall(code, "terms", json::object{{"compatible_versions", ">=x"}}),
      "INVALID_REQUEST");
  EXPECT_EQ(Code(code.id).at("max_devices").as_int64(), 3);

  // A batch: every code takes the new terms; an activate-by date is set,
  // then cleared.
  auto batch = IssueMany(json::object{{"product", "photo"},
                                      {"max_devices", 2},
                                      {"compatible_versions", ">=22"}},
                         3);
  std::int64_t batch_id = Code(batch[0].id).at("batch_id").as_int64();
  std::string path = "/v1/admin/batches/" + std::to_string(batch_id) + "/terms";
  auto widened = AdminCall("POST", path,
                           json::object{{"compatible_versions", ">=21"},
                                        {"activate_by", kStart + 90 * kDay}});
  ASSERT_TRUE(widened.ok()) << widened.status().ToString();
  EXPECT_EQ(widened->at("codes_changed").as_int64(), 3);
  for (const auto& c : batch) {
    json::object shown = Code(c.id);
    EXPECT_EQ(shown.at("compatible_versions").as_string(), ">=21");
    EXPECT_EQ(shown.at("activate_by").as_int64(), kStart + 90 * kDay);
    EXPECT_EQ(shown.at("max_devices").as_int64(), 2);  // not named: kept
  }
  ASSERT_OK(Device("old-app", "21.0").Activate(batch[0].code));
  ASSERT_TRUE(
      AdminCall("POST", path, json::object{{"activate_by", nullptr}}).ok());
  EXPECT_TRUE(Code(batch[1].id).at("activate_by").is_null());
  EXPECT_API_ERROR(AdminCall("POST", path, json::object{{"max_devices", 1}}),
                   "CONFLICT");
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/batches/999999/terms",
                             json::object{{"max_devices", 5}}),
                   "NOT_FOUND");
  auto events = AdminCall("GET", "/v1/admin/events?type=batch.terms_changed");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->at("events").as_array().size(), 2u);
  const auto& first = events->at("events").at(0).at("details");
  EXPECT_EQ(first.at("compatible_versions").as_string(), ">=21");
  EXPECT_EQ(first.at("codes").as_int64(), 3);
  auto code_events =
      AdminCall("GET", "/v1/admin/events?type=code.terms_changed");
  ASSERT_TRUE(code_events.ok());
  EXPECT_EQ(code_events->at("events").as_array().size(), 1u);
}

// A device that goes silent past the heartbeat loses its seat to the
// server; back while a seat is free, it takes one again by itself.
TEST_F(SubscriptionTest, ASilentDeviceLosesItsSeatAndTakesOneAgainOnReturn) {
  IssuedCode code = NewCode(365, 1, "term", {{"heartbeat_days", 14}});
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  // In touch: the seat stays.
  Advance(10);
  ASSERT_OK(dev.Sync());
  Advance(10);
  EXPECT_EQ(Released(), 0);
  // Silent for the heartbeat's days: the seat goes.
  Advance(5);
  EXPECT_EQ(Released(), 1);
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 0);
  auto events = AdminCall("GET", "/v1/admin/events?type=code.deactivated");
  ASSERT_TRUE(events.ok());
  const auto& e = events->at("events").at(0);
  EXPECT_EQ(e.at("actor").as_string(), "system");
  EXPECT_EQ(e.at("details").at("reason").as_string(), "heartbeat");
  // Back: the device is told, and activates again.
  ASSERT_OK(dev.Sync());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kActive);
  ASSERT_OK(dev.Check());
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 1);
}

TEST_F(SubscriptionTest, ADeviceBackAfterItsSeatWasTakenSaysWhy) {
  IssuedCode code = NewCode(365, 1, "term", {{"heartbeat_days", 7}});
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(code.code));
  Advance(8);
  EXPECT_EQ(Released(), 1);
  ASSERT_OK(Device("desktop").Activate(code.code));
  (void)laptop.Sync();  // handled: the details say why
  LicenseDetails d = laptop.Details();
  EXPECT_EQ(d.state, LicenseState::kNone);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_EQ(d.last_error->code, ErrorCode::kDeviceLimitReached);
  EXPECT_NE(d.last_error->message.find("no contact for 7 days"),
            std::string::npos)
      << d.last_error->message;
  // Another caller with a wrong token learns nothing.
  EXPECT_API_ERROR(DeviceCall("/v1/status", {{"code", code.code},
                                             {"fingerprint", "laptop"},
                                             {"activation_token", "lat_x"}}),
                   "NOT_ACTIVATED");
}

}  // namespace
}  // namespace licentia::testing
