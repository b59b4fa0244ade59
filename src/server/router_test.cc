#include "server/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace licentia::server {
namespace {

using Outcome = Router::Outcome;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    ping_ = router_.Add("GET", "/v1/ping");
    status_ = router_.Add("POST", "/v1/status");
    code_ = router_.Add("GET", "/v1/admin/codes/{}");
    block_ = router_.Add("POST", "/v1/admin/codes/{}/block");
    codes_ = router_.Add("GET", "/v1/admin/codes");
    versions_ = router_.Add("POST", "/v1/admin/products/{}/versions/{}");
  }

  Router router_;
  size_t ping_, status_, code_, block_, codes_, versions_;
};

TEST_F(RouterTest, IndexesAreInTheOrderAdded) {
  EXPECT_EQ(ping_, 0u);
  EXPECT_EQ(status_, 1u);
  EXPECT_EQ(versions_, 5u);
}

TEST_F(RouterTest, FindsLiteralRoutes) {
  Router::Match m = router_.Find("POST", "/v1/status");
  EXPECT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, status_);
  EXPECT_TRUE(m.params.empty());

  m = router_.Find("GET", "/v1/admin/codes");
  EXPECT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, codes_);
}

TEST_F(RouterTest, CapturesSegmentsInOrder) {
  Router::Match m = router_.Find("GET", "/v1/admin/codes/42");
  ASSERT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, code_);
  EXPECT_EQ(m.params, std::vector<std::string>{"42"});

  m = router_.Find("POST", "/v1/admin/codes/ABCDE-12345/block");
  ASSERT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, block_);
  EXPECT_EQ(m.params, std::vector<std::string>{"ABCDE-12345"});

  m = router_.Find("POST", "/v1/admin/products/7/versions/22.1");
  ASSERT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, versions_);
  EXPECT_EQ(m.params, (std::vector<std::string>{"7", "22.1"}));
}

// One spelling per route: anything a proxy's literal prefix rule would not
// recognise as the route is not the route.
TEST_F(RouterTest, MatchesOnlyTheCanonicalSpelling) {
  for (const char* path :
       {"/v1//status", "/v1/status/", "v1/status", "//v1/status",
        "/v1/status//", "/v1%2Fstatus", "/%76%31/status", "/v1/st%61tus",
        "/v1/./status", "/v1/x/../status", ""}) {
    EXPECT_EQ(router_.Find("POST", path).outcome, Outcome::kUnknownPath)
        << path;
  }
  EXPECT_EQ(router_.Find("GET", "//v1/admin/codes/9//").outcome,
            Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("GET", "/v1/admin/codes/%39").outcome,
            Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("POST", "/v1/status").outcome, Outcome::kFound);
}

TEST_F(RouterTest, TellsAWrongMethodFromAnUnknownPath) {
  Router::Match m = router_.Find("GET", "/v1/status");
  EXPECT_EQ(m.outcome, Outcome::kWrongMethod);
  EXPECT_TRUE(m.params.empty());

  EXPECT_EQ(router_.Find("DELETE", "/v1/admin/codes/5").outcome,
            Outcome::kWrongMethod);
  EXPECT_EQ(router_.Find("GET", "/v1/statuses").outcome, Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("GET", "/v1").outcome, Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("GET", "/").outcome, Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("GET", "").outcome, Outcome::kUnknownPath);
  // A capture takes exactly one segment.
  EXPECT_EQ(router_.Find("GET", "/v1/admin/codes/1/2").outcome,
            Outcome::kUnknownPath);
}

TEST_F(RouterTest, MatchingIsCaseSensitive) {
  EXPECT_EQ(router_.Find("GET", "/V1/PING").outcome, Outcome::kUnknownPath);
  EXPECT_EQ(router_.Find("get", "/v1/ping").outcome, Outcome::kWrongMethod);
}

TEST_F(RouterTest, PathsLongerThanAnyPatternMatchNothing) {
  std::string path;
  for (size_t i = 0; i <= Router::kMaxSegments; ++i) path += "/v1";
  EXPECT_EQ(router_.Find("GET", path).outcome, Outcome::kUnknownPath);
  std::string very_long(100000, '/');
  very_long += "v1/ping";
  EXPECT_EQ(router_.Find("GET", very_long).route, ping_);
}

TEST(RouterOrderTest, TheFirstMatchingRouteWins) {
  Router router;
  size_t literal = router.Add("GET", "/v1/admin/codes/export");
  size_t capture = router.Add("GET", "/v1/admin/codes/{}");
  EXPECT_EQ(router.Find("GET", "/v1/admin/codes/export").route, literal);
  Router::Match m = router.Find("GET", "/v1/admin/codes/export2");
  EXPECT_EQ(m.route, capture);
  EXPECT_EQ(m.params, std::vector<std::string>{"export2"});
}

TEST(RouterMisuseTest, RefusesPatternsItCouldNeverMatch) {
  Router router;
  router.Add("GET", "/v1/ping");
  EXPECT_THROW(router.Add("GET", "//v1/ping/"), std::logic_error);
  EXPECT_NO_THROW(router.Add("POST", "/v1/ping"));
  EXPECT_THROW(router.Add("GET", "/a/b/c/d/e/f/g/h/i"), std::logic_error);
  EXPECT_NO_THROW(router.Add("GET", "/a/b/c/d/e/f/g/h"));
}

}  // namespace
}  // namespace licentia::server
