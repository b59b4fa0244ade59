#include "core/crypto.h"

#include <gtest/gtest.h>

namespace licentia::crypto {
namespace {

TEST(CryptoTest, SignAndVerify) {
  auto kp = GenerateSigningKeyPair();
  std::string msg = "hello";
  std::span<const std::uint8_t> bytes(
      reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size());
  Signature sig = Sign(bytes, kp.secret_key);
  EXPECT_TRUE(Verify(bytes, sig, kp.public_key));
  sig[0] ^= 1;
  EXPECT_FALSE(Verify(bytes, sig, kp.public_key));
}

TEST(CryptoTest, HexAndBase64RoundTrip) {
  Bytes data = {0, 1, 2, 250, 255};
  EXPECT_EQ(ToHex(data), "000102faff");
  EXPECT_EQ(*FromHex("000102faff"), data);
  EXPECT_FALSE(FromHex("0g").has_value());
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_EQ(*FromBase64(ToBase64(data)), data);
  EXPECT_FALSE(FromBase64("!!!").has_value());
}

TEST(CryptoTest, HmacDependsOnKey) {
  HmacKey a{}, b{};
  b[0] = 1;
  EXPECT_NE(Hmac(a, "code"), Hmac(b, "code"));
  EXPECT_EQ(Hmac(a, "code"), Hmac(a, "code"));
}

TEST(CryptoTest, TokensAreRandomAndPrefixed) {
  std::string t1 = RandomToken("lta_"), t2 = RandomToken("lta_");
  EXPECT_NE(t1, t2);
  EXPECT_EQ(t1.substr(0, 4), "lta_");
  EXPECT_EQ(t1.size(), 4u + 43u);
}

TEST(CryptoTest, KeyPairFromSeedIsDeterministic) {
  std::array<std::uint8_t, kSeedBytes> seed{};
  EXPECT_EQ(SigningKeyPairFromSeed(seed).public_key,
            SigningKeyPairFromSeed(seed).public_key);
}

// Found by the device state fuzzer: an edited state file with "mac":""
// passed a null buffer to libsodium (undefined behaviour; UBSan stops
// there). Empty text decodes to no bytes.
TEST(CryptoTest, EmptyHexAndBase64DecodeToNothing) {
  auto hex = FromHex(std::string_view());
  ASSERT_TRUE(hex.has_value());
  EXPECT_TRUE(hex->empty());
  auto b64 = FromBase64(std::string_view());
  ASSERT_TRUE(b64.has_value());
  EXPECT_TRUE(b64->empty());
  EXPECT_FALSE(FromHex("0").has_value());
}

}  // namespace
}  // namespace licentia::crypto
