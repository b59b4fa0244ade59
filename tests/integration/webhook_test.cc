// Webhooks against a real local receiver: signed deliveries of the types
// an endpoint wants, retries with backoff while the receiver is down, the
// same event id again after the server is killed mid-delivery, the
// delivery log and manual redelivery.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "integration/api_test_base.h"
#include "integration/webhook_receiver.h"
#include "server/webhook_signature.h"

namespace licentia::testing {
namespace {

constexpr std::int64_t kStart = 1800000000;

class WebhookTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
  }

  // Registers the receiver for `types`; returns {id, secret}.
  std::pair<std::int64_t, std::string> Register(json::array types) {
    auto r = AdminCall("POST", "/v1/admin/webhooks",
                       json::object{{"url", receiver_.url()},
                                    {"event_types", std::move(types)},
                                    {"description", "billing"}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {0, ""};
    return {r->at("id").as_int64(), std::string(r->at("secret").as_string())};
  }
  void Block(std::int64_t code_id) {
    ASSERT_TRUE(
        AdminCall("POST",
                  "/v1/admin/codes/" + std::to_string(code_id) + "/block",
                  json::object{{"reason", "refund"}})
            .ok());
  }
  void AdvanceSeconds(std::int64_t s) {
    ASSERT_TRUE(AdminCall("POST", "/v1/admin/test/clock",
                          json::object{{"advance_seconds", s}})
                    .ok());
  }
  json::array Deliveries(std::int64_t endpoint) {
    auto r = AdminCall("GET", "/v1/admin/webhooks/" + std::to_string(endpoint) +
                                  "/deliveries");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->at("deliveries").as_array() : json::array();
  }
  // Polls until `condition` holds or a minute has passed: for what the
  // server's dispatcher thread brings about, never to let time pass.
  static bool Eventually(const std::function<bool()>& condition) {
    auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (std::chrono::steady_clock::now() < until) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  }
  bool Received(size_t n) {
    return Eventually([&] { return receiver_.received().size() >= n; });
  }

  WebhookReceiver receiver_;
};

TEST_F(WebhookTest, AnEventArrivesSignedOnceWithItsId) {
  auto [endpoint, secret] = Register({"code.blocked"});
  EXPECT_TRUE(secret.starts_with("whsec_"));
  IssuedCode code = Issue({{"product", "photo"}});  // codes.issued: not wanted
  Block(code.id);
  ASSERT_TRUE(Received(1));
  auto req = receiver_.received()[0];
  EXPECT_EQ(req.headers["content-type"], "application/json");
  EXPECT_EQ(req.headers["licentia-event"], "code.blocked");
  EXPECT_TRUE(server::VerifyWebhook(secret, req.headers["licentia-signature"],
                                    req.body, kStart, 300))
      << req.headers["licentia-signature"];
  EXPECT_FALSE(server::VerifyWebhook(
      "whsec_other", req.headers["licentia-signature"], req.body, kStart, 300));
  json::value body = json::parse(req.body);
  EXPECT_TRUE(body.at("id").as_string().starts_with("evt_"));
  EXPECT_EQ(body.at("type").as_string(), "code.blocked");
  EXPECT_EQ(body.at("created_at").as_int64(), kStart);
  EXPECT_EQ(body.at("data").at("code_id").as_int64(), code.id);
  EXPECT_EQ(body.at("data").at("product").as_string(), "photo");
  EXPECT_EQ(body.at("data").at("actor").as_string(), "admin");
  EXPECT_TRUE(body.at("data").at("token_id").is_int64());
  EXPECT_EQ(body.at("data").at("details").at("reason").as_string(), "refund");
  // The log says so.
  ASSERT_TRUE(Eventually([&] {
    auto log = Deliveries(endpoint);
    return log.size() == 1 && log[0].at("state").as_string() == "delivered";
  }));
  auto log = Deliveries(endpoint);
  EXPECT_EQ(log[0].at("event_id"), body.at("id"));
  EXPECT_EQ(log[0].at("attempts").as_int64(), 1);
  EXPECT_EQ(log[0].at("last_status").as_int64(), 200);
  EXPECT_EQ(receiver_.received().size(), 1u);
}

TEST_F(WebhookTest, AReceiverThatIsDownIsRetriedWithBackoffUntilItAnswers) {
  receiver_.set_status(503);
  auto [endpoint, secret] = Register({"code.blocked"});
  IssuedCode code = Issue({{"product", "photo"}});
  Block(code.id);
  ASSERT_TRUE(Received(1));
  ASSERT_TRUE(Eventually([&] {
    auto log = Deliveries(endpoint);
    return log.size() == 1 && log[0].at("attempts").as_int64() == 1;
  }));
  auto log = Deliveries(endpoint);
  EXPECT_EQ(log[0].at("state").as_string(), "pending");
  EXPECT_EQ(log[0].at("last_status").as_int64(), 503);
  EXPECT_NE(log[0].at("last_error").as_string().find("503"), std::string::npos);
  // The first retry: 30 s, +/- 20 %.
  std::int64_t next = log[0].at("next_attempt_at").as_int64();
  EXPECT_GE(next, kStart + 24);
  EXPECT_LE(next, kStart + 36);
  // Still down at the second attempt; the next waits about twice as long.
  AdvanceSeconds(40);
  ASSERT_TRUE(Received(2));
  ASSERT_TRUE(Eventually(
      [&] { return Deliveries(endpoint)[0].at("attempts").as_int64() == 2; }));
  std::int64_t second =
      Deliveries(endpoint)[0].at("next_attempt_at").as_int64();
  EXPECT_GE(second, kStart + 40 + 48);
  // Back up: delivered, with the same event id every time.
  receiver_.set_status(200);
  AdvanceSeconds(120);
  ASSERT_TRUE(Received(3));
  ASSERT_TRUE(Eventually([&] {
    return Deliveries(endpoint)[0].at("state").as_string() == "delivered";
  }));
  auto all = receiver_.received();
  std::string id(json::parse(all[0].body).at("id").as_string());
  for (const auto& r : all) {
    EXPECT_EQ(json::parse(r.body).at("id").as_string(), id);
    EXPECT_EQ(r.headers.at("licentia-delivery"),
              all[0].headers.at("licentia-delivery"));
  }
  EXPECT_EQ(Deliveries(endpoint)[0].at("attempts").as_int64(), 3);
}

// Killed while the receiver holds the request: the outbox still has the
// delivery, and the restarted server sends it again once its lease has
// run out, with the same event id.
TEST_F(WebhookTest, AServerKilledMidDeliverySendsItAgainWithTheSameId) {
  receiver_.set_status(0);  // takes the request and never answers
  auto [endpoint, secret] = Register({"code.blocked"});
  IssuedCode code = Issue({{"product", "photo"}});
  Block(code.id);
  ASSERT_TRUE(Received(1));
  server_->Kill();
  receiver_.set_status(200);
  server_->Start();
  // The restarted server's clock starts where the first one did; the
  // lease (120 s) runs out after that.
  AdvanceSeconds(121);
  ASSERT_TRUE(Received(2));
  auto all = receiver_.received();
  EXPECT_EQ(json::parse(all[0].body).at("id"),
            json::parse(all[1].body).at("id"));
  ASSERT_TRUE(Eventually([&] {
    auto log = Deliveries(endpoint);
    return log.size() == 1 && log[0].at("state").as_string() == "delivered";
  }));
}

// A data directory whose code-seal.key was replaced (not restored from
// the backup with the database) cannot sign for its endpoints: their
// deliveries fail at once, saying why, and nothing unsigned is sent.
TEST_F(WebhookTest, AnEndpointWhoseSecretCannotBeOpenedFailsItsDeliveries) {
  auto [endpoint, secret] = Register({"code.blocked"});
  IssuedCode code = Issue({{"product", "photo"}});
  ASSERT_EQ(server_->Stop(), 0);
  std::filesystem::remove(server_->data_dir() / "code-seal.key");
  server_->Start();  // with a new key
  Block(code.id);
  ASSERT_TRUE(Eventually([&] {
    auto log = Deliveries(endpoint);
    return log.size() == 1 && log[0].at("state").as_string() == "failed";
  }));
  auto log = Deliveries(endpoint);
  EXPECT_EQ(log[0].at("attempts").as_int64(), 1);
  EXPECT_TRUE(log[0].at("last_status").is_null());
  EXPECT_NE(log[0].at("last_error").as_string().find("secret cannot be opened"),
            std::string::npos)
      << log[0].at("last_error");
  EXPECT_TRUE(receiver_.received().empty());
}

TEST_F(WebhookTest, RedeliveryAndDisabledEndpoints) {
  auto [endpoint, secret] = Register({"*"});
  IssuedCode code = Issue({{"product", "photo"}});  // codes.issued
  ASSERT_TRUE(Received(1));
  ASSERT_TRUE(Eventually([&] {
    return Deliveries(endpoint)[0].at("state").as_string() == "delivered";
  }));
  std::int64_t delivery = Deliveries(endpoint)[0].at("id").as_int64();
  auto again = AdminCall("POST", "/v1/admin/webhooks/deliveries/" +
                                     std::to_string(delivery) + "/redeliver");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE(Received(2));
  auto all = receiver_.received();
  EXPECT_EQ(json::parse(all[0].body).at("id"),
            json::parse(all[1].body).at("id"));
  // Disabled: events are not queued for it; enabled again, they are.
  std::string path = "/v1/admin/webhooks/" + std::to_string(endpoint);
  auto off = AdminCall("POST", path + "/disable");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->at("enabled").as_bool());
  Block(code.id);
  EXPECT_EQ(Deliveries(endpoint).size(), 1u);
  ASSERT_TRUE(AdminCall("POST", path + "/enable").ok());
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" + std::to_string(code.id) +
                                    "/unblock")
                  .ok());
  EXPECT_EQ(Deliveries(endpoint).size(), 2u);
  auto listed = AdminCall("GET", "/v1/admin/webhooks");
  ASSERT_TRUE(listed.ok());
  const auto& hook = listed->at("webhooks").at(0);
  EXPECT_EQ(hook.at("url").as_string(), receiver_.url());
  EXPECT_EQ(hook.at("event_types"), (json::array{"*"}));
  EXPECT_FALSE(hook.as_object().contains("secret"));  // shown once
}

TEST_F(WebhookTest, BadWebhookRequestsAreRefusedAndChangeNothing) {
  for (const json::value& body :
       {json::value(json::object{{"url", "ftp://x/y"}, {"event_types", {"*"}}}),
        json::value(json::object{{"url", "not a url"}, {"event_types", {"*"}}}),
        json::value(
            json::object{{"url", "http:///nohost"}, {"event_types", {"*"}}}),
        json::value(json::object{{"url", receiver_.url()}}),
        json::value(json::object{{"url", receiver_.url()},
                                 {"event_types", json::array{}}}),
        json::value(json::object{{"url", receiver_.url()},
                                 {"event_types", {"code.exploded"}}}),
        json::value(json::object{{"url", receiver_.url()},
                                 {"event_types", {"*"}},
                                 {"secret", "mine"}})}) {
    EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/webhooks", body),
                     "INVALID_REQUEST");
  }
  auto listed = AdminCall("GET", "/v1/admin/webhooks");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->at("webhooks").as_array().empty());
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/webhooks/77/disable"),
                   "NOT_FOUND");
  EXPECT_API_ERROR(AdminCall("GET", "/v1/admin/webhooks/77/deliveries"),
                   "NOT_FOUND");
  EXPECT_API_ERROR(
      AdminCall("POST", "/v1/admin/webhooks/deliveries/77/redeliver"),
      "NOT_FOUND");
  auto [endpoint, secret] = Register({"code.blocked"});
  EXPECT_API_ERROR(
      AdminCall("GET", "/v1/admin/webhooks/" + std::to_string(endpoint) +
                           "/deliveries?limit=0"),
      "INVALID_REQUEST");
  EXPECT_API_ERROR(
      AdminCall("GET", "/v1/admin/webhooks/" + std::to_string(endpoint) +
                           "/deliveries?state=x"),
      "INVALID_REQUEST");
  // Webhooks are their own scope.
  auto token =
      AdminCall("POST", "/v1/admin/tokens",
                json::object{{"name", "ops"}, {"scopes", {"block", "seats"}}});
  ASSERT_TRUE(token.ok());
  EXPECT_API_ERROR(
      client::ApiClient(server_->url(),
                        std::string(token->at("token").as_string()))
          .Call("GET", "/v1/admin/webhooks"),
      "FORBIDDEN");
}

}  // namespace
}  // namespace licentia::testing
