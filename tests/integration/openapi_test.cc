// docs/openapi.json describes every route licentiad serves, and nothing it
// does not (the answers themselves are checked in every integration test:
// api_test_base.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "integration/openapi_check.h"
#include "server/app.h"

namespace licentia::testing {
namespace {

TEST(OpenApiTest, EveryRouteServedIsDescribedAndNothingElse) {
  auto dir = std::filesystem::temp_directory_path() /
             ("licentia-openapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  server::ServerConfig config;
  config.data_dir = dir.string();
  config.test_clock = true;  // its route too
  config.log_requests = false;
  config.deliver_webhooks = false;
  auto server = server::InProcessServer::Open(config);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::vector<std::string> served = (*server)->Routes();
  server->reset();
  std::filesystem::remove_all(dir);
  ASSERT_GT(served.size(), 60u);
  const OpenApi& api = OpenApi::Get();
  for (const std::string& route : served) {
    size_t space = route.find(' ');
    EXPECT_TRUE(api.Describes(route.substr(0, space), route.substr(space + 1)))
        << route << " is served but not in docs/openapi.json";
  }
  for (const std::string& op : api.Operations()) {
    EXPECT_NE(std::find(served.begin(), served.end(), op), served.end())
        << op << " is in docs/openapi.json but not served";
  }
}

TEST(OpenApiTest, TheCheckFindsWhatDoesNotMatch) {
  const OpenApi& api = OpenApi::Get();
  EXPECT_EQ(api.FindPath("POST", "/v1/admin/codes/lookup"),
            "/v1/admin/codes/lookup");
  EXPECT_EQ(api.FindPath("GET", "/v1/admin/codes/12?x=1"),
            "/v1/admin/codes/{code}");
  EXPECT_TRUE(
      api.Check("GET", "/v1/ping", boost::json::parse(R"({"server_time":1})"))
          .empty());
  EXPECT_FALSE(
      api.Check("GET", "/v1/ping", boost::json::parse(R"({"server_time":"1"})"))
          .empty());
  EXPECT_FALSE(api.Check("GET", "/v1/ping", boost::json::parse("{}")).empty());
  EXPECT_FALSE(api.Check("GET", "/v1/admin/tokens",
                         boost::json::parse(R"({"tokens":[{"id":1}]})"))
                   .empty());
  EXPECT_FALSE(
      api.Check("GET", "/v1/nowhere", boost::json::parse("{}")).empty());
}

}  // namespace
}  // namespace licentia::testing
