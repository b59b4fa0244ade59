#include "server/console_session.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

TEST(ConsoleSessionTest, FindsTheSessionCookieAmongOthers) {
  EXPECT_EQ(CookieValue("licentia_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(CookieValue("a=1; licentia_session=abc; b=2", kSessionCookie),
            "abc");
  EXPECT_EQ(CookieValue("xlicentia_session=abc", kSessionCookie), std::nullopt);
  EXPECT_EQ(CookieValue("licentia_session=", kSessionCookie), std::nullopt);
  EXPECT_EQ(CookieValue("", kSessionCookie), std::nullopt);
  EXPECT_EQ(
      CookieValue("licentia_session=" + std::string(200, 'a'), kSessionCookie),
      std::nullopt);
}

TEST(ConsoleSessionTest, TheCsrfTokenBelongsToItsSession) {
  std::string a = NewSessionToken(), b = NewSessionToken();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("lts_"));
  EXPECT_TRUE(CsrfTokenMatches(a, CsrfToken(a)));
  EXPECT_FALSE(CsrfTokenMatches(a, CsrfToken(b)));
  EXPECT_FALSE(CsrfTokenMatches(a, ""));
  EXPECT_FALSE(CsrfTokenMatches(a, CsrfToken(a).substr(1)));
}

TEST(ConsoleSessionTest, TheCookieIsHttpOnlyStrictAndSecureOverTls) {
  std::string set = SessionCookie("lts_x", 3600, false);
  EXPECT_NE(set.find("licentia_session=lts_x"), std::string::npos);
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos);
  EXPECT_NE(SessionCookie("lts_x", 3600, true).find("; Secure"),
            std::string::npos);
  EXPECT_NE(SessionCookie("lts_x", 0, false).find("licentia_session=;"),
            std::string::npos);
}

}  // namespace
}  // namespace licentia::server
