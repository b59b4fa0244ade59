// Activation over HTTP against the real licentiad: rules 2-5 and 10.
#include <fstream>

#include "client/http_client.h"
#include "core/crypto.h"
#include "core/license_key.h"
#include "integration/api_test_base.h"
#include "integration/test_database.h"

namespace licentia::testing {
namespace {

class ActivationTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
  }
  json::object Terms(int max_devices = 3, int term_days = 365) {
    return {{"product", "photo"},
            {"max_devices", max_devices},
            {"term_days", term_days},
            {"compatible_versions", ">=21.0 <23"}};
  }
};

TEST_F(ActivationTest, TermCountsFromFirstActivationOnAnyDevice) {
  IssuedCode c = Issue(Terms());
  // The code waits 40 days before its first use: the term has not started.
  AdvanceDays(40);
  auto first = Activate(c.code, "device-a");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::int64_t expires = first->at("license").at("expires_at").as_int64();
  std::int64_t activated = first->at("server_time").as_int64();
  EXPECT_EQ(expires, activated + 365 * 86400);
  // 100 days later a second device gets the same expiration date.
  AdvanceDays(100);
  auto second = Activate(c.code, "device-b");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->at("license").at("expires_at").as_int64(), expires);
  EXPECT_EQ(second->at("license").at("first_activated_at").as_int64(),
            activated);
  EXPECT_EQ(second->at("license").at("seats_used").as_int64(), 2);
}

TEST_F(ActivationTest, ReactivationIsIdempotent) {
  IssuedCode c = Issue(Terms(2));
  auto a = Activate(c.code, "device-a");
  ASSERT_TRUE(a.ok());
  AdvanceDays(3);
  auto again = Activate(c.code, "device-a");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->at("reactivated").as_bool());
  EXPECT_EQ(again->at("license").at("expires_at"),
            a->at("license").at("expires_at"));
  EXPECT_EQ(again->at("license").at("seats_used").as_int64(), 1);
  EXPECT_EQ(Code(c.id).at("seats_used").as_int64(), 1);
  // The second seat is still free for another device.
  EXPECT_TRUE(Activate(c.code, "device-b").ok());
}

TEST_F(ActivationTest, LicenseKeyVerifiesOfflineWithTheServersPublicKey) {
  IssuedCode c = Issue(Terms());
  auto a = Activate(c.code, "device-a");
  ASSERT_TRUE(a.ok());
  crypto::PublicKey pk = server_->public_key();
  auto key =
      VerifyLicenseKey(a->at("license_key").as_string(), std::span(&pk, 1));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->product, "photo");
  EXPECT_EQ(key->code_id, std::to_string(c.id));
  EXPECT_EQ(key->valid_until, a->at("license").at("expires_at").as_int64());
  EXPECT_EQ(key->max_devices, 3);
  EXPECT_TRUE(CheckLicenseKeyValidity(*key, "device-a", key->valid_from).ok());
  EXPECT_EQ(CheckLicenseKeyValidity(*key, "device-b", key->valid_from).code(),
            ErrorCode::kKeyWrongDevice);
}

// The format byte of an armoured key (offset 4 of its bytes).
int KeyFormatOf(std::string_view armoured) {
  auto bytes = crypto::FromBase64(armoured.substr(
      kLicenseKeyBegin.size(),
      armoured.size() - kLicenseKeyBegin.size() - kLicenseKeyEnd.size() - 1));
  return bytes && bytes->size() > 4 ? (*bytes)[4] : -1;
}

std::int64_t MetricValue(const std::string& metrics, std::string_view name) {
  std::string line = std::string("\n") + std::string(name) + " ";
  size_t at = metrics.find(line);
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + line.size()));
}

// Keys issued together share a signature (format 2): each still verifies
// offline on its own and is bound to its own device.
TEST_F(ActivationTest, ConcurrentActivationsEachGetAKeyThatVerifies) {
  constexpr int kDevices = 48;
  IssuedCode c = Issue(Terms(kDevices));
  crypto::PublicKey pk = server_->public_key();
  std::vector<std::string> devices;
  for (int d = 0; d < kDevices; ++d) {
    devices.push_back("batch-" + std::to_string(d));
  }
  auto answers = ActivateConcurrently(c.code, devices);
  for (int d = 0; d < kDevices; ++d) {
    ASSERT_TRUE(answers[d].ok()) << d << ": " << answers[d].status().ToString();
    std::string armoured(answers[d]->at("license_key").as_string());
    EXPECT_EQ(KeyFormatOf(armoured), 2);
    auto key = VerifyLicenseKey(armoured, std::span(&pk, 1));
    ASSERT_TRUE(key.ok()) << d << ": " << key.status().ToString();
    EXPECT_TRUE(CheckLicenseKeyValidity(*key, "batch-" + std::to_string(d),
                                        key->valid_from)
                    .ok());
    EXPECT_EQ(CheckLicenseKeyValidity(
                  *key, "batch-" + std::to_string((d + 1) % kDevices),
                  key->valid_from)
                  .code(),
              ErrorCode::kKeyWrongDevice);
  }
  client::HttpClient http(server_->url());
  auto metrics = http.Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  std::int64_t issued =
      MetricValue(metrics->body, "licentia_license_keys_total");
  std::int64_t signatures =
      MetricValue(metrics->body, "licentia_key_signatures_total");
  EXPECT_EQ(issued, kDevices);
  EXPECT_GE(signatures, 1);
  EXPECT_LE(signatures, issued);
}

class FormatOneActivationTest : public ActivationTest {
 protected:
  std::vector<std::string> ServerArgs() override {
    auto args = ActivationTest::ServerArgs();
    args.insert(args.end(), {"--license-key-format", "1"});
    return args;
  }
};

// For fleets whose applications verify only format 1.
TEST_F(FormatOneActivationTest, IssuesKeysSignedOneByOne) {
  IssuedCode c = Issue(Terms());
  auto a = Activate(c.code, "device-a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::string armoured(a->at("license_key").as_string());
  EXPECT_EQ(KeyFormatOf(armoured), 1);
  crypto::PublicKey pk = server_->public_key();
  EXPECT_TRUE(VerifyLicenseKey(armoured, std::span(&pk, 1)).ok());
}

// Rule 4 under concurrency: 32 devices race for 3 seats, several rounds.
TEST_F(ActivationTest, ConcurrentActivationsNeverExceedTheSeats) {
  constexpr int kRounds = 5;
  constexpr int kDevices = 32;
  for (int round = 0; round < kRounds; ++round) {
    IssuedCode c = Issue(Terms(3));
    std::vector<std::string> devices;
    for (int d = 0; d < kDevices; ++d) {
      devices.push_back("race-" + std::to_string(round) + "-" +
                        std::to_string(d));
    }
    int ok = 0, full = 0, other = 0;
    for (const auto& r : ActivateConcurrently(c.code, devices)) {
      if (r.ok()) {
        ok++;
      } else if (r.status().code() == ErrorCode::kDeviceLimitReached) {
        full++;
      } else {
        other++;
      }
    }
    EXPECT_EQ(ok, 3) << "round " << round;
    EXPECT_EQ(full, kDevices - 3) << "round " << round;
    EXPECT_EQ(other, 0) << "round " << round;
    json::object detail = Code(c.id);
    EXPECT_EQ(detail.at("seats_used").as_int64(), 3);
    EXPECT_EQ(detail.at("activations").as_array().size(), 3u);
  }
}

TEST_F(ActivationTest, BlockedCodeIsRefusedAndUnblockRestoresIt) {
  IssuedCode c = Issue(Terms());
  ASSERT_TRUE(Activate(c.code, "device-a").ok());
  auto blocked =
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(c.id) + "/block",
                json::object{{"reason", "refund"}});
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->at("blocked").as_bool());
  auto refused = Activate(c.code, "device-b");
  EXPECT_API_ERROR(refused, "CODE_BLOCKED");
  EXPECT_NE(refused.status().message().find("refund"), std::string::npos);
  // Re-activating on a device that already holds it is refused too.
  EXPECT_API_ERROR(Activate(c.code, "device-a"), "CODE_BLOCKED");
  ASSERT_TRUE(
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(c.id) + "/unblock")
          .ok());
  EXPECT_TRUE(Activate(c.code, "device-b").ok());
  auto events =
      AdminCall("GET", "/v1/admin/events?code=" + std::to_string(c.id));
  ASSERT_TRUE(events.ok());
  std::vector<std::string> types;
  for (const auto& e : events->at("events").as_array()) {
    types.emplace_back(e.at("type").as_string());
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"code.activated", "code.blocked",
                                      "code.unblocked", "code.activated"}));
}

TEST_F(ActivationTest, EachRefusalHasItsOwnCode) {
  EXPECT_API_ERROR(Activate("AAAAA-AAAAA-AAAAA-AAAAA", "d"),
                   "INVALID_CODE_FORMAT");
  // A well-formed code that was never issued.
  std::string unknown;
  {
    IssuedCode probe = Issue(Terms());
    unknown = probe.code;
    ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                      std::to_string(probe.id) + "/block")
                    .ok());
  }
  EXPECT_API_ERROR(Activate(unknown, "d"), "CODE_BLOCKED");
  EXPECT_API_ERROR(Activate("00000-00000-00000-00000", "d"), "CODE_NOT_FOUND");

  IssuedCode one_seat = Issue(Terms(1));
  ASSERT_TRUE(Activate(one_seat.code, "d1").ok());
  EXPECT_API_ERROR(Activate(one_seat.code, "d2"), "DEVICE_LIMIT_REACHED");

  IssuedCode versioned = Issue(Terms());
  EXPECT_API_ERROR(Activate(versioned.code, "d", "23.0"),
                   "INCOMPATIBLE_VERSION");
  EXPECT_API_ERROR(Activate(versioned.code, "d", "20.9"),
                   "INCOMPATIBLE_VERSION");

  auto wrong_product =
      DeviceCall("/v1/activate", json::object{{"code", versioned.code},
                                              {"fingerprint", "d"},
                                              {"app_version", "22.0"},
                                              {"product", "video"}});
  EXPECT_API_ERROR(wrong_product, "WRONG_PRODUCT");

  json::object account = Terms();
  account["requires_account"] = true;
  EXPECT_API_ERROR(Activate(Issue(account).code, "d"), "ACCOUNT_REQUIRED");

  json::object deadline = Terms();
  deadline["activate_by"] = 1800000000 + 5 * 86400;
  IssuedCode late = Issue(deadline);
  IssuedCode short_term = Issue(Terms(3, 10));
  ASSERT_TRUE(Activate(short_term.code, "d1").ok());
  AdvanceDays(11);
  EXPECT_API_ERROR(Activate(late.code, "d"), "ACTIVATION_DEADLINE_PASSED");
  EXPECT_API_ERROR(Activate(short_term.code, "d2"), "CODE_EXPIRED");
  EXPECT_API_ERROR(Activate(short_term.code, "d1"), "CODE_EXPIRED");

  EXPECT_API_ERROR(
      server_->Device().Call("POST", "/v1/deactivate",
                             json::object{{"code", one_seat.code},
                                          {"fingerprint", "d1"},
                                          {"activation_token", "lat_wrong"}}),
      "NOT_ACTIVATED");
  EXPECT_API_ERROR(client::ApiClient(server_->url(), "lta_wrong")
                       .Call("GET", "/v1/admin/codes"),
                   "UNAUTHORIZED");
  EXPECT_API_ERROR(server_->Device().Call("GET", "/v1/admin/codes"),
                   "UNAUTHORIZED");
}

TEST_F(ActivationTest, DeactivateFreesTheSeatOnlyForTheHolder) {
  IssuedCode c = Issue(Terms(1));
  auto a = Activate(c.code, "device-a");
  ASSERT_TRUE(a.ok());
  std::string token(a->at("activation_token").as_string());
  // Another device cannot release device-a's seat.
  EXPECT_API_ERROR(DeviceCall("/v1/deactivate", {{"code", c.code},
                                                 {"fingerprint", "device-b"},
                                                 {"activation_token", token}}),
                   "NOT_ACTIVATED");
  EXPECT_API_ERROR(Activate(c.code, "device-b"), "DEVICE_LIMIT_REACHED");
  auto d = DeviceCall("/v1/deactivate", {{"code", c.code},
                                         {"fingerprint", "device-a"},
                                         {"activation_token", token}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->at("seats_used").as_int64(), 0);
  // The token is spent with the seat.
  EXPECT_API_ERROR(DeviceCall("/v1/deactivate", {{"code", c.code},
                                                 {"fingerprint", "device-a"},
                                                 {"activation_token", token}}),
                   "NOT_ACTIVATED");
  auto b = Activate(c.code, "device-b");
  ASSERT_TRUE(b.ok());
  // Expiry still counts from the first activation (rule 3).
  EXPECT_EQ(b->at("license").at("expires_at"),
            a->at("license").at("expires_at"));
}

// Regression: a wrong token answered 401 for a fingerprint holding a seat
// and 404 for one without, telling a code holder which devices are
// activated. Every unproven call now gets the very same answer.
TEST_F(ActivationTest, AnUnprovenSeatGetsOneAnswerWhateverIsWrong) {
  IssuedCode c = Issue(Terms(2));
  ASSERT_TRUE(Activate(c.code, "holder").ok());
  auto ask = [&](const std::string& code, const std::string& fingerprint) {
    client::HttpClient http(server_->url());
    auto r = http.Send(
        "POST", "/v1/status",
        json::serialize(json::object{{"code", code},
                                     {"fingerprint", fingerprint},
                                     {"activation_token", "lat_guess"}}));
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::to_string(r->status) + " " + r->body : "";
  };
  std::string holder = ask(c.code, "holder");
  EXPECT_EQ(ask(c.code, "stranger"), holder);
  EXPECT_EQ(ask("00000-00000-00000-00000", "holder"), holder);
  EXPECT_NE(holder.find("404"), std::string::npos) << holder;
  EXPECT_NE(holder.find("NOT_ACTIVATED"), std::string::npos) << holder;
}

TEST_F(ActivationTest, ReactivationRotatesTheActivationToken) {
  IssuedCode c = Issue(Terms());
  auto first = Activate(c.code, "device-a");
  auto second = Activate(c.code, "device-a");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_API_ERROR(
      DeviceCall("/v1/deactivate",
                 {{"code", c.code},
                  {"fingerprint", "device-a"},
                  {"activation_token", first->at("activation_token")}}),
      "NOT_ACTIVATED");
  EXPECT_TRUE(DeviceCall("/v1/deactivate",
                         {{"code", c.code},
                          {"fingerprint", "device-a"},
                          {"activation_token", second->at("activation_token")}})
                  .ok());
}

TEST_F(ActivationTest, StatusReportsBlockAndExpiry) {
  IssuedCode c = Issue(Terms(3, 30));
  auto a = Activate(c.code, "device-a");
  ASSERT_TRUE(a.ok());
  json::object cred{{"code", c.code},
                    {"fingerprint", "device-a"},
                    {"activation_token", a->at("activation_token")}};
  auto s = DeviceCall("/v1/status", cred);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->at("state").as_string(), "active");
  EXPECT_TRUE(s->at("reserve").is_null());
  ASSERT_TRUE(
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(c.id) + "/block")
          .ok());
  EXPECT_EQ(DeviceCall("/v1/status", cred)->at("state").as_string(), "blocked");
  ASSERT_TRUE(
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(c.id) + "/unblock")
          .ok());
  AdvanceDays(31);
  auto later = DeviceCall("/v1/status", cred);
  EXPECT_EQ(later->at("state").as_string(), "expired");
  EXPECT_GT(later->at("server_time").as_int64(),
            later->at("license").at("expires_at").as_int64());
}

TEST_F(ActivationTest, CodesAreStoredOnlyAsKeyedHashes) {
  IssuedCode c = Issue(Terms());
  // Only the masked form comes back from the admin API.
  json::object detail = Code(c.id);
  EXPECT_EQ(detail.at("masked_code").as_string(),
            "*****-*****-*****-" + c.code.substr(18));
  auto list = AdminCall("GET", "/v1/admin/codes");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(json::serialize(*list).find(c.code.substr(0, 5)),
            std::string::npos);
  // And the database never contains the plaintext.
  ASSERT_EQ(server_->Stop(), 0);
  std::string db;
  if (server_->database_url().empty()) {
    for (auto suffix : {"licentia.db", "licentia.db-wal"}) {
      std::ifstream in(server_->data_dir() / suffix, std::ios::binary);
      db += std::string(std::istreambuf_iterator<char>(in), {});
    }
  } else {
    db = RunCommand({PgDumpPath(), "--data-only", server_->database_url()}).out;
  }
  ASSERT_FALSE(db.empty());
  std::string canonical = c.code;
  std::erase(canonical, '-');
  EXPECT_EQ(db.find(canonical), std::string::npos);
  EXPECT_EQ(db.find(c.code), std::string::npos);
}

TEST_F(ActivationTest, LookupByPlaintextAndSearchByTail) {
  IssuedCode c = Issue(Terms());
  auto found = AdminCall("POST", "/v1/admin/codes/lookup",
                         json::object{{"code", c.code}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->at("id").as_int64(), c.id);
  auto search = AdminCall("GET", "/v1/admin/codes?q=" + c.code.substr(18));
  ASSERT_TRUE(search.ok());
  bool seen = false;
  for (const auto& row : search->at("codes").as_array()) {
    seen = seen || row.at("id").as_int64() == c.id;
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace licentia::testing
