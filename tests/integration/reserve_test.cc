// The server side of the reserve code: rule 6 pre-check and registration,
// and the rollover event when a device activates its reserve.
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class ReserveTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
    CreateProduct("video");
    current_ = Issue(Terms());
    auto a = Activate(current_.code, "dev");
    ASSERT_TRUE(a.ok());
    token_ = std::string(a->at("activation_token").as_string());
  }
  json::object Terms(std::string type = "term", std::string product = "photo") {
    return {{"product", product},
            {"license_type", type},
            {"max_devices", 3},
            {"term_days", 365}};
  }
  json::object Req(const std::string& reserve) {
    return {{"code", current_.code},
            {"fingerprint", "dev"},
            {"activation_token", token_},
            {"reserve_code", reserve}};
  }
  Result<json::value> Check(const std::string& reserve) {
    return DeviceCall("/v1/reserve/check", Req(reserve));
  }
  Result<json::value> Register(const std::string& reserve) {
    return DeviceCall("/v1/reserve/register", Req(reserve));
  }

  IssuedCode current_;
  std::string token_;
};

TEST_F(ReserveTest, PreCheckConsumesNothingAndRegisterShowsInStatus) {
  IssuedCode reserve = Issue(Terms());
  std::int64_t events = EventCount();
  auto check = Check(reserve.code);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->at("eligible").as_bool());
  EXPECT_EQ(check->at("reserve").at("seats_used").as_int64(), 0);
  EXPECT_EQ(EventCount(), events);
  EXPECT_TRUE(Code(reserve.id).at("first_activated_at").is_null());

  ASSERT_TRUE(Register(reserve.code).ok());
  auto status = DeviceCall("/v1/status", {{"code", current_.code},
                                          {"fingerprint", "dev"},
                                          {"activation_token", token_}});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->at("reserve").at("id").as_int64(), reserve.id);
  // Rule 7: the reserve takes no seat until it is activated.
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 0);
  EXPECT_API_ERROR(Register(Issue(Terms()).code), "RESERVE_ALREADY_SET");
}

TEST_F(ReserveTest, EveryCannotAddCaseHasItsOwnError) {
  EXPECT_API_ERROR(Check(Issue(Terms("subscription")).code),
                   "RESERVE_IS_SUBSCRIPTION");
  EXPECT_API_ERROR(Check(Issue(Terms("trial")).code), "RESERVE_IS_TRIAL");
  EXPECT_API_ERROR(Check(current_.code), "RESERVE_IS_CURRENT_CODE");
  IssuedCode blocked = Issue(Terms());
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                    std::to_string(blocked.id) + "/block")
                  .ok());
  EXPECT_API_ERROR(Check(blocked.code), "CODE_BLOCKED");
  EXPECT_API_ERROR(Check(Issue(Terms("term", "video")).code), "WRONG_PRODUCT");
  json::object deadline = Terms();
  deadline["activate_by"] = 1800000000 + 86400;
  IssuedCode late = Issue(deadline);
  // Already used elsewhere, its term ends before the current one.
  IssuedCode earlier = Issue(Terms());
  ASSERT_TRUE(Activate(earlier.code, "other-device").ok());
  AdvanceDays(2);
  EXPECT_API_ERROR(Check(late.code), "ACTIVATION_DEADLINE_PASSED");
  EXPECT_API_ERROR(Check(earlier.code), "RESERVE_NOT_LATER");
  EXPECT_API_ERROR(Check("AAAAA-AAAAA-AAAAA-AAAAA"), "INVALID_CODE_FORMAT");
  EXPECT_API_ERROR(Check("00000-00000-00000-00000"), "CODE_NOT_FOUND");
  ASSERT_TRUE(Register(Issue(Terms()).code).ok());
  EXPECT_API_ERROR(Check(Issue(Terms()).code), "RESERVE_ALREADY_SET");
}

TEST_F(ReserveTest, CurrentSubscriptionOrNoLicenseCannotTakeAReserve) {
  IssuedCode sub = Issue(Terms("subscription"));
  auto a = Activate(sub.code, "sub-dev");
  ASSERT_TRUE(a.ok());
  EXPECT_API_ERROR(DeviceCall("/v1/reserve/check",
                              {{"code", sub.code},
                               {"fingerprint", "sub-dev"},
                               {"activation_token", a->at("activation_token")},
                               {"reserve_code", Issue(Terms()).code}}),
                   "CURRENT_IS_SUBSCRIPTION");
  AdvanceDays(400);
  EXPECT_API_ERROR(Check(Issue(Terms()).code), "NO_CURRENT_LICENSE");
}

TEST_F(ReserveTest, ActivatingTheReserveIsRecordedAsRollover) {
  IssuedCode reserve = Issue(Terms());
  ASSERT_TRUE(Register(reserve.code).ok());
  AdvanceDays(366);
  auto r = Activate(reserve.code, "dev");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::int64_t now = r->at("server_time").as_int64();
  EXPECT_EQ(r->at("license").at("expires_at").as_int64(), now + 365 * 86400);
  auto events = AdminCall("GET", "/v1/admin/events?type=reserve.activated");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->at("events").as_array().size(), 1u);
  EXPECT_EQ(events->at("events").at(0).at("code_id").as_int64(), reserve.id);
  // The reserve slot is free again.
  auto status = DeviceCall("/v1/status",
                           {{"code", reserve.code},
                            {"fingerprint", "dev"},
                            {"activation_token", r->at("activation_token")}});
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->at("reserve").is_null());
}

TEST_F(ReserveTest, UnregisterRemovesTheReserve) {
  json::object cred{{"code", current_.code},
                    {"fingerprint", "dev"},
                    {"activation_token", token_}};
  EXPECT_API_ERROR(DeviceCall("/v1/reserve/unregister", cred), "NO_RESERVE");
  IssuedCode reserve = Issue(Terms());
  ASSERT_TRUE(Register(reserve.code).ok());
  ASSERT_TRUE(DeviceCall("/v1/reserve/unregister", cred).ok());
  EXPECT_TRUE(DeviceCall("/v1/status", cred)->at("reserve").is_null());
  auto events = AdminCall("GET", "/v1/admin/events?type=reserve.removed");
  EXPECT_EQ(events->at("events").as_array().size(), 1u);
}

}  // namespace
}  // namespace licentia::testing
