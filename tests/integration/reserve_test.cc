// The server side of the reserve code: rule 6 pre-check and registration,
// and the rollover event when a device activates its reserve.
#include "core/time_attestation.h"
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

// A rollover names the license it replaces; while that one is valid by
// the server's clock the reserve is not activated, so a device clock
// running ahead cannot start the reserve's term early.
TEST_F(ReserveTest, ARolloverIsRefusedWhileTheCurrentLicenseIsValid) {
  IssuedCode reserve = Issue(Terms());
  ASSERT_TRUE(Register(reserve.code).ok());
  json::object rollover{{"code", reserve.code},
                        {"fingerprint", "dev"},
                        {"app_version", "22.0"},
                        {"replaces_code", current_.code},
                        {"replaces_activation_token", token_}};
  std::int64_t events = EventCount();
  AdvanceDays(300);
  auto early = DeviceCall("/v1/activate", rollover);
  EXPECT_API_ERROR(early, "CURRENT_LICENSE_VALID");
  EXPECT_NE(early.status().message().find("server's clock"), std::string::npos);
  EXPECT_TRUE(Code(reserve.id).at("first_activated_at").is_null());
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(EventCount(), events);
  // Naming a license the device does not hold (a wrong token) replaces
  // nothing: the activation goes ahead.
  json::object wrong_token = rollover;
  wrong_token["replaces_activation_token"] = "lat_wrong";
  wrong_token["code"] = Issue(Terms()).code;
  EXPECT_TRUE(DeviceCall("/v1/activate", wrong_token).ok());
  // The two fields come together.
  json::object half = rollover;
  half.erase("replaces_activation_token");
  EXPECT_API_ERROR(DeviceCall("/v1/activate", half), "INVALID_REQUEST");
  // Once the current license has ended, the rollover goes through.
  AdvanceDays(66);
  auto r = DeviceCall("/v1/activate", rollover);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // A blocked current license may be replaced at once (Activate now).
  IssuedCode next = Issue(Terms());
  std::string reserve_token(r->at("activation_token").as_string());
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                    std::to_string(reserve.id) + "/block")
                  .ok());
  EXPECT_TRUE(
      DeviceCall("/v1/activate", {{"code", next.code},
                                  {"fingerprint", "dev"},
                                  {"app_version", "22.0"},
                                  {"replaces_code", reserve.code},
                                  {"replaces_activation_token", reserve_token}})
          .ok());
}

// An application that could not verify this server's keys is refused
// before a seat is taken or a term starts.
TEST_F(ReserveTest, ActivationNamesTheKeysTheApplicationAccepts) {
  IssuedCode c = Issue(Terms());
  std::int64_t events = EventCount();
  json::object body{{"code", c.code},
                    {"fingerprint", "dev2"},
                    {"app_version", "22.0"},
                    {"accepts_key_ids", json::array{"00112233445566ff"}}};
  EXPECT_API_ERROR(DeviceCall("/v1/activate", body), "KEY_UNKNOWN_SIGNER");
  EXPECT_TRUE(Code(c.id).at("first_activated_at").is_null());
  EXPECT_EQ(EventCount(), events);
  body["accepts_key_ids"] = json::array{};
  EXPECT_API_ERROR(DeviceCall("/v1/activate", body), "INVALID_REQUEST");
  body["accepts_key_ids"] =
      json::array{"00112233445566ff",
                  crypto::ToHex(crypto::KeyIdOf(server_->public_key()))};
  EXPECT_TRUE(DeviceCall("/v1/activate", body).ok());
}

// POST /v1/time signs the server's time for the device's nonce.
TEST_F(ReserveTest, TheServersTimeComesSignedForTheDevicesNonce) {
  TimeNonce nonce;
  crypto::RandomBytes(nonce);
  auto r = DeviceCall("/v1/time", {{"nonce", crypto::ToHex(nonce)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  TimeAttestation a;
  a.server_time = r->at("server_time").as_int64();
  auto id = crypto::FromHex(std::string(r->at("key_id").as_string()));
  auto sig = crypto::FromHex(std::string(r->at("signature").as_string()));
  ASSERT_TRUE(id && sig && id->size() == a.key_id.size() &&
              sig->size() == a.signature.size());
  std::copy(id->begin(), id->end(), a.key_id.begin());
  std::copy(sig->begin(), sig->end(), a.signature.begin());
  std::vector<crypto::PublicKey> trusted = {server_->public_key()};
  auto t = VerifyTimeAttestation(nonce, a, trusted);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, 1800000000);
  for (const char* bad :
       {"", "00", "zz", "00112233445566778899aabbccddeeff00"}) {
    EXPECT_API_ERROR(DeviceCall("/v1/time", {{"nonce", bad}}),
                     "INVALID_REQUEST");
  }
  EXPECT_API_ERROR(DeviceCall("/v1/time", {{"nonce", 5}}), "INVALID_REQUEST");
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

// POST /v1/reserve/prepare: each refusal with its own code, changing
// nothing; then the prepared seat and key.
TEST_F(ReserveTest, PreparingAReserveIsRefusedUntilEverythingHolds) {
  json::object prep{{"code", current_.code},
                    {"fingerprint", "dev"},
                    {"activation_token", token_},
                    {"app_version", "22.0"}};
  auto prepare = [&] { return DeviceCall("/v1/reserve/prepare", prep); };
  EXPECT_API_ERROR(prepare(), "NO_RESERVE");
  // A batch that does not offer it.
  IssuedCode plain = Issue(Terms());
  ASSERT_TRUE(Register(plain.code).ok());
  EXPECT_API_ERROR(prepare(), "PREPARE_NOT_OFFERED");
  ASSERT_TRUE(
      DeviceCall("/v1/reserve/unregister", {{"code", current_.code},
                                            {"fingerprint", "dev"},
                                            {"activation_token", token_}})
          .ok());
  // One that does, with one seat, two weeks ahead.
  json::object terms = Terms();
  terms["max_devices"] = 1;
  terms["prepare_days"] = 14;
  IssuedCode reserve = Issue(terms);
  ASSERT_TRUE(Register(reserve.code).ok());
  std::int64_t events = EventCount();
  auto early = prepare();
  EXPECT_API_ERROR(early, "PREPARE_TOO_EARLY");
  EXPECT_NE(early.status().message().find("14 days"), std::string::npos);
  AdvanceDays(352);  // 13 days before the current license ends
  // Its only seat taken elsewhere: the rollover would fail, so does this.
  auto other = Activate(reserve.code, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_API_ERROR(prepare(), "DEVICE_LIMIT_REACHED");
  ASSERT_TRUE(DeviceCall("/v1/deactivate",
                         {{"code", reserve.code},
                          {"fingerprint", "other"},
                          {"activation_token", other->at("activation_token")}})
                  .ok());
  ASSERT_TRUE(
      AdminCall("POST",
                "/v1/admin/codes/" + std::to_string(reserve.id) + "/block",
                json::object{{"reason", "refund"}})
          .ok());
  EXPECT_API_ERROR(prepare(), "CODE_BLOCKED");
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                    std::to_string(reserve.id) + "/unblock")
                  .ok());
  json::object old_app = prep;
  old_app["app_version"] = "not a version";
  EXPECT_API_ERROR(DeviceCall("/v1/reserve/prepare", old_app),
                   "INVALID_REQUEST");
  json::object wrong = prep;
  wrong["activation_token"] = "lat_wrong";
  EXPECT_API_ERROR(DeviceCall("/v1/reserve/prepare", wrong), "NOT_ACTIVATED");
  // Refusals recorded nothing but the other device's own seat and the
  // vendor's block and unblock.
  EXPECT_EQ(EventCount(), events + 4);

  auto prepared = prepare();
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  std::int64_t end = Code(current_.id).at("expires_at").as_int64();
  EXPECT_EQ(prepared->at("valid_from").as_int64(), end);
  // The other device started the reserve's term (rule 3): that expiry.
  EXPECT_EQ(prepared->at("reserve").at("expires_at"),
            Code(reserve.id).at("expires_at"));
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 1);
  // Asked again: the same seat, the same start.
  auto again = prepare();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->at("valid_from").as_int64(), end);
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 1);
  EXPECT_EQ(EventCount(), events + 5);  // one reserve.prepared
}

// Once the current license has ended there is nothing to prepare: the
// reserve is activated instead, and the refusal says so.
TEST_F(ReserveTest, PreparingAfterTheLicenseEndedIsRefused) {
  json::object terms = Terms();
  terms["prepare_days"] = 14;
  IssuedCode reserve = Issue(terms);
  ASSERT_TRUE(Register(reserve.code).ok());
  AdvanceDays(366);
  std::int64_t events = EventCount();
  auto late = DeviceCall("/v1/reserve/prepare", {{"code", current_.code},
                                                 {"fingerprint", "dev"},
                                                 {"activation_token", token_},
                                                 {"app_version", "22.0"}});
  EXPECT_API_ERROR(late, "INVALID_REQUEST");
  EXPECT_NE(late.status().message().find("activate the reserve"),
            std::string::npos)
      << late.status().message();
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 0);
}

}  // namespace
}  // namespace licentia::testing
