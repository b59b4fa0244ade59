#include "server/totp.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

// RFC 6238, Appendix B: the SHA-1 secret is the ASCII of "1234567890"
// twice; the codes there are eight digits.
std::vector<std::uint8_t> RfcSecret() {
  std::string s = "12345678901234567890";
  return {s.begin(), s.end()};
}

TEST(TotpTest, TheRfc6238Vectors) {
  struct {
    UnixSeconds t;
    const char* code;
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"},
                 {1111111111, "14050471"}, {1234567890, "89005924"},
                 {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) {
    EXPECT_EQ(TotpCode(RfcSecret(), TotpStep(v.t), 8), v.code) << v.t;
  }
  // Six digits are the last six.
  EXPECT_EQ(TotpCode(RfcSecret(), TotpStep(59)), "287082");
}

TEST(TotpTest, ACodeMatchesNearItsTimeAndOnlyOnce) {
  auto secret = RfcSecret();
  const UnixSeconds now = 1111111111;
  std::string code = TotpCode(secret, TotpStep(now));
  auto step = MatchTotp(secret, code, now, 0);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(*step, TotpStep(now));
  // Used: not again.
  EXPECT_FALSE(MatchTotp(secret, code, now, *step).has_value());
  // One step either side is accepted; two are not.
  EXPECT_TRUE(MatchTotp(secret, code, now + 30, 0).has_value());
  EXPECT_TRUE(MatchTotp(secret, code, now - 30, 0).has_value());
  EXPECT_FALSE(MatchTotp(secret, code, now + 90, 0).has_value());
  // Typed with a blank in the middle; not digits; too short.
  EXPECT_TRUE(
      MatchTotp(secret, code.substr(0, 3) + " " + code.substr(3), now, 0));
  EXPECT_FALSE(MatchTotp(secret, "12a456", now, 0));
  EXPECT_FALSE(MatchTotp(secret, code.substr(1), now, 0));
}

TEST(TotpTest, Base32RoundTripsAndMatchesRfc4648) {
  std::string foobar = "foobar";
  std::vector<std::uint8_t> bytes(foobar.begin(), foobar.end());
  EXPECT_EQ(Base32(bytes), "MZXW6YTBOI");  // RFC 4648 section 10, unpadded
  EXPECT_EQ(*FromBase32("mzxw 6ytb oi"), bytes);
  EXPECT_FALSE(FromBase32("MZXW1").has_value());
  auto secret = RfcSecret();
  EXPECT_EQ(*FromBase32(Base32(secret)), secret);
}

TEST(TotpTest, TheUriNamesTheAccountAndTheSecret) {
  std::string uri = OtpauthUri("ann+x@example.com", RfcSecret());
  EXPECT_EQ(uri,
            "otpauth://totp/Licentia:ann%2Bx%40example.com?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Licentia&algorithm=SHA1&"
            "digits=6&period=30");
}

}  // namespace
}  // namespace licentia::server
