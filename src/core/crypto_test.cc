#include "core/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>

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
  EXPECT_EQ(*FromBase64(ToBase64Public(data)), data);
  EXPECT_FALSE(FromBase64("!!!").has_value());
}

TEST(CryptoTest, HmacDependsOnKey) {
  HmacKey a{}, b{};
  b[0] = 1;
  EXPECT_NE(Hmac(a, "code"), Hmac(b, "code"));
  EXPECT_EQ(Hmac(a, "code"), Hmac(a, "code"));
}

TEST(CryptoTest, PublicBase64IsLibsodiumsForEveryLength) {
  std::mt19937 rng(5);
  for (size_t len = 0; len < 300; ++len) {
    Bytes data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    std::string expected(
        sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(expected.data(), expected.size(), data.data(), len,
                      sodium_base64_VARIANT_ORIGINAL);
    expected.resize(expected.size() - 1);  // the terminating NUL
    ASSERT_EQ(ToBase64Public(data), expected) << "length " << len;
  }
}

TEST(CryptoTest, HmacIsHmacSha256) {
  // Computed outside the project (Python's hmac module).
  HmacKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(ToHex(Hmac(key, "ABCDE-FGHJK-LMNPQ-RSTVW")),
            "d01e73768528afc5d506b5b70b3e1f223ae1cfe0b2d725c74d00706451414c6a");
}

TEST(CryptoTest, PreparedHmacEqualsHmac) {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    HmacKey key;
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    PreparedHmac prepared(key);
    PreparedHmac copy = prepared;
    for (size_t len : {0, 1, 23, 55, 56, 63, 64, 65, 200}) {
      std::string data(len, '\0');
      for (char& c : data) c = static_cast<char>(rng());
      EXPECT_EQ(prepared.Mac(data), Hmac(key, data));
      EXPECT_EQ(copy.Mac(data), Hmac(key, data));
    }
  }
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
