#include "server/webhook_signature.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

// Computed with Python's hmac module, not with this code:
//   hmac.new(b"whsec_test", b'1800000000.{"id":"evt_1"}', sha256)
TEST(WebhookSignatureTest, TheGoldenVector) {
  EXPECT_EQ(SignWebhook("whsec_test", 1800000000, R"({"id":"evt_1"})"),
            "t=1800000000,v1=45705be2a45ab5acdd1395cc695e9e7073125385ec24194"
            "921c401dff44176f8");
}

TEST(WebhookSignatureTest, ReceiversRefuseChangesOtherSecretsAndOldOnes) {
  std::string body = R"({"id":"evt_1","type":"code.blocked"})";
  std::string header = SignWebhook("whsec_a", 1000, body);
  EXPECT_TRUE(VerifyWebhook("whsec_a", header, body, 1000, 300));
  EXPECT_TRUE(VerifyWebhook("whsec_a", header, body, 1300, 300));
  EXPECT_FALSE(VerifyWebhook("whsec_a", header, body, 1301, 300));  // late
  EXPECT_FALSE(VerifyWebhook("whsec_b", header, body, 1000, 300));
  EXPECT_FALSE(VerifyWebhook("whsec_a", header, body + " ", 1000, 300));
  std::string later = header;
  later.replace(2, 4, "1001");  // another time, the same MAC
  EXPECT_FALSE(VerifyWebhook("whsec_a", later, body, 1000, 300));
  for (std::string_view bad :
       {"", "t=", "t=1000", "t=x,v1=00", "v1=00,t=1000", "t=1000,v1=zz"}) {
    EXPECT_FALSE(VerifyWebhook("whsec_a", bad, body, 1000, 300)) << bad;
  }
}

}  // namespace
}  // namespace licentia::server
