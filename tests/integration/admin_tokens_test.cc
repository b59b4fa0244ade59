// Admin tokens with scopes, against the real server: each token does what
// its scopes allow and nothing else, every event names the token that
// acted, and a revoked token is refused.
#include <gtest/gtest.h>

#include "client/api_client.h"
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class AdminTokensTest : public ApiTestBase {
 protected:
  // Creates a token with `scopes` through the API; returns {id, token}.
  std::pair<std::int64_t, std::string> NewToken(const std::string& name,
                                                json::array scopes) {
    auto r = AdminCall("POST", "/v1/admin/tokens",
                       json::object{{"name", name}, {"scopes", scopes}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {0, ""};
    return {r->at("id").as_int64(), std::string(r->at("token").as_string())};
  }
  Result<json::value> As(const std::string& token, const std::string& method,
                         const std::string& path,
                         const json::value& body = nullptr) {
    return client::ApiClient(server_->url(), token).Call(method, path, body);
  }
};

TEST_F(AdminTokensTest, EachTokenDoesWhatItsScopesAllowAndNoMore) {
  CreateProduct("photo");
  IssuedCode sub = Issue({{"product", "photo"},
                          {"license_type", "subscription"},
                          {"term_days", 30}});
  std::string code_path = "/v1/admin/codes/" + std::to_string(sub.id);
  auto [billing_id, billing] = NewToken("billing", {"renew"});
  ASSERT_FALSE(billing.empty());
  EXPECT_TRUE(billing.starts_with("lta_"));

  // Reading is every token's; renewing is billing's scope.
  EXPECT_TRUE(As(billing, "GET", code_path).ok());
  EXPECT_TRUE(As(billing, "GET", "/v1/admin/events").ok());
  ASSERT_TRUE(
      As(billing, "POST", code_path + "/renew", json::object{{"days", 30}})
          .ok());
  // Everything else is refused, naming the scope, and changes nothing.
  auto blocked = As(billing, "POST", code_path + "/block");
  EXPECT_API_ERROR(blocked, "FORBIDDEN");
  EXPECT_NE(blocked.status().message().find("'block'"), std::string::npos)
      << blocked.status().message();
  EXPECT_API_ERROR(As(billing, "POST", "/v1/admin/codes",
                      json::object{{"product", "photo"}}),
                   "FORBIDDEN");
  EXPECT_API_ERROR(As(billing, "POST", "/v1/admin/seats/sweep"), "FORBIDDEN");
  EXPECT_API_ERROR(As(billing, "GET", "/v1/admin/tokens"), "FORBIDDEN");
  EXPECT_API_ERROR(
      As(billing, "POST", "/v1/admin/tokens",
         json::object{{"name", "mine"}, {"scopes", json::array{"full"}}}),
      "FORBIDDEN");
  EXPECT_FALSE(Code(sub.id).at("blocked").as_bool());

  // A read-only token reads only.
  auto [reader_id, reader] = NewToken("dashboard", {"read"});
  EXPECT_TRUE(As(reader, "GET", "/v1/admin/codes").ok());
  EXPECT_API_ERROR(As(reader, "POST", code_path + "/suspend"), "FORBIDDEN");

  // The event names the token that acted; the list shows its last use.
  auto events = AdminCall("GET", "/v1/admin/events?type=code.renewed");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->at("events").as_array().size(), 1u);
  EXPECT_EQ(events->at("events").at(0).at("token_id").as_int64(), billing_id);
  EXPECT_EQ(events->at("events").at(0).at("actor").as_string(), "admin");
  auto tokens = AdminCall("GET", "/v1/admin/tokens");
  ASSERT_TRUE(tokens.ok());
  bool seen = false;
  for (const auto& t : tokens->at("tokens").as_array()) {
    EXPECT_FALSE(t.as_object().contains("token"));  // shown once only
    if (t.at("id").as_int64() != billing_id) continue;
    seen = true;
    EXPECT_EQ(t.at("name").as_string(), "billing");
    EXPECT_EQ(t.at("scopes"), (json::array{"renew"}));
    EXPECT_TRUE(t.at("last_used_at").is_int64());
    EXPECT_TRUE(t.at("revoked_at").is_null());
  }
  EXPECT_TRUE(seen);

  // Revoked: refused from then on; revoking again finds nothing in use.
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/tokens/" +
                                    std::to_string(billing_id) + "/revoke")
                  .ok());
  auto after = As(billing, "GET", code_path);
  EXPECT_API_ERROR(after, "UNAUTHORIZED");
  EXPECT_NE(after.status().message().find("revoked"), std::string::npos);
  EXPECT_API_ERROR(
      AdminCall("POST",
                "/v1/admin/tokens/" + std::to_string(billing_id) + "/revoke"),
      "NOT_FOUND");
  auto created = AdminCall("GET", "/v1/admin/events?type=token.created");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->at("events").as_array().size(), 2u);
  (void)reader_id;
}

TEST_F(AdminTokensTest, BadTokenRequestsAreRefusedAndChangeNothing) {
  auto count = [&] {
    auto r = AdminCall("GET", "/v1/admin/tokens");
    return r.ok() ? r->at("tokens").as_array().size() : 0u;
  };
  size_t before = count();
  for (const json::value& body :
       {json::value(json::object{{"name", "x"}}),
        json::value(json::object{{"name", "x"}, {"scopes", json::array{}}}),
        json::value(json::object{{"name", "x"}, {"scopes", {"root"}}}),
        json::value(json::object{{"name", ""}, {"scopes", {"read"}}}),
        json::value(
            json::object{{"name", std::string(65, 'n')}, {"scopes", {"read"}}}),
        json::value(json::object{{"name", "tab\tname"}, {"scopes", {"read"}}}),
        json::value(json::object{{"name", 5}, {"scopes", {"read"}}}),
        json::value(json::object{
            {"name", "x"}, {"scopes", {"read"}}, {"admin", true}})}) {
    EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/tokens", body),
                     "INVALID_REQUEST");
  }
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/tokens/abc/revoke"),
                   "NOT_FOUND");
  EXPECT_API_ERROR(AdminCall("POST", "/v1/admin/tokens/99999/revoke"),
                   "NOT_FOUND");
  EXPECT_EQ(count(), before);
}

}  // namespace
}  // namespace licentia::testing
