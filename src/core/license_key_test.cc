#include "core/license_key.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

crypto::SigningKeyPair GoldenSigner() {
  std::array<std::uint8_t, crypto::kSeedBytes> seed;
  for (size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(i);
  return crypto::SigningKeyPairFromSeed(seed);
}

LicenseKeyPayload GoldenPayload() {
  LicenseKeyPayload p;
  p.serial = 42;
  p.issued_at = 1800000000;
  p.valid_from = 1800000000;
  p.valid_until = 1831536000;
  p.type = LicenseType::kTerm;
  p.max_devices = 3;
  p.device_binding = DeviceBinding("device-fingerprint-1");
  p.product = "photo-studio";
  p.edition = "pro";
  p.code_id = "1234";
  p.features = {"raw", "hdr"};
  return p;
}

// The golden vector: docs/license-key.md walks through these bytes. If this
// test fails, the format changed: that needs a new format version, not a
// new vector.
constexpr std::string_view kGoldenPayloadHex =
    "4c434e53019d24e2eeaf27c2a0000000000000002a000000006b49d200000000"
    "006b49d200000000006d2b05800000037fb030af36373101069b00a663e994b3"
    "3dd8064e48879a32353e469145d8b75e000c70686f746f2d73747564696f0003"
    "70726f000431323334000200037261770003686472";
constexpr std::string_view kGoldenKey =
    "-----BEGIN LICENTIA LICENSE KEY-----\n"
    "TENOUwGdJOLuryfCoAAAAAAAAAAqAAAAAGtJ0gAAAAAAa0nSAAAAAABtKwWAAAAD\n"
    "f7AwrzY3MQEGmwCmY+mUsz3YBk5Ih5oyNT5GkUXYt14ADHBob3RvLXN0dWRpbwAD\n"
    "cHJvAAQxMjM0AAIAA3JhdwADaGRynHZyRocFGnr/fco7VWGxHHor+o/28T9NSl2y\n"
    "7urwj0Fac6qlW6zJ/T1NIyNnUA0rNk0JtVJGIjL9Z6GEkf3OBw==\n"
    "-----END LICENTIA LICENSE KEY-----\n";

TEST(LicenseKeyTest, GoldenPayloadBytes) {
  LicenseKeyPayload p = GoldenPayload();
  p.key_id = crypto::KeyIdOf(GoldenSigner().public_key);
  auto bytes = EncodeLicenseKeyPayload(p);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(crypto::ToHex(*bytes), kGoldenPayloadHex);
}

TEST(LicenseKeyTest, GoldenArmouredKey) {
  auto key = IssueLicenseKey(GoldenPayload(), GoldenSigner());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, kGoldenKey);
}

TEST(LicenseKeyTest, GoldenKeyVerifies) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  auto v = VerifyLicenseKey(kGoldenKey, std::span(&pk, 1));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  LicenseKeyPayload expected = GoldenPayload();
  expected.key_id = crypto::KeyIdOf(pk);
  EXPECT_EQ(*v, expected);
}

TEST(LicenseKeyTest, ChangingAnySingleByteOfTheKeyFailsVerification) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  std::string key(kGoldenKey);
  // Every byte of the armoured text, changed to every other printable
  // character and to a few control characters.
  for (size_t i = 0; i < key.size(); ++i) {
    for (int c = 0; c < 128; ++c) {
      if (c == key[i]) continue;
      if (c < 32 && c != '\n' && c != '\t' && c != '\r' && c != 0) continue;
      std::string bad = key;
      bad[i] = static_cast<char>(c);
      // Surrounding blanks are tolerated only outside the armour: the last
      // byte is the final newline, which may become another blank.
      if (i == key.size() - 1 && (c == ' ' || c == '\t' || c == '\r')) continue;
      auto v = VerifyLicenseKey(bad, std::span(&pk, 1));
      ASSERT_FALSE(v.ok()) << "byte " << i << " -> " << c;
    }
  }
}

TEST(LicenseKeyTest, ChangingAnyBitOfThePayloadOrSignatureFails) {
  auto signer = GoldenSigner();
  LicenseKeyPayload p = GoldenPayload();
  p.key_id = crypto::KeyIdOf(signer.public_key);
  auto bytes = *EncodeLicenseKeyPayload(p);
  auto sig = crypto::Sign(bytes, signer.secret_key);
  bytes.insert(bytes.end(), sig.begin(), sig.end());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1 << bit);
      std::string armoured(kLicenseKeyBegin);
      std::string b64 = crypto::ToBase64(bad);
      armoured += "\n";
      for (size_t j = 0; j < b64.size(); j += 64)
        armoured += b64.substr(j, 64) + "\n";
      armoured += std::string(kLicenseKeyEnd) + "\n";
      auto v = VerifyLicenseKey(armoured, std::span(&signer.public_key, 1));
      ASSERT_FALSE(v.ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(LicenseKeyTest, ToleratesPastingArtefacts) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  std::string crlf;
  for (char c : kGoldenKey) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_TRUE(VerifyLicenseKey("\n  " + crlf + "  \n", std::span(&pk, 1)).ok());
}

TEST(LicenseKeyTest, UnknownSignerAndWrongKeyAreDistinguished) {
  auto other = crypto::GenerateSigningKeyPair();
  auto v = VerifyLicenseKey(kGoldenKey, std::span(&other.public_key, 1));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kKeyUnknownSigner);
  auto none = VerifyLicenseKey(kGoldenKey, {});
  EXPECT_EQ(none.status().code(), ErrorCode::kKeyUnknownSigner);
}

TEST(LicenseKeyTest, AnyOfSeveralTrustedKeysVerifies) {
  auto other = crypto::GenerateSigningKeyPair();
  std::vector<crypto::PublicKey> trusted = {other.public_key,
                                            GoldenSigner().public_key};
  EXPECT_TRUE(VerifyLicenseKey(kGoldenKey, trusted).ok());
}

TEST(LicenseKeyTest, ValidityChecksDeviceAndTime) {
  LicenseKeyPayload p = GoldenPayload();
  EXPECT_TRUE(
      CheckLicenseKeyValidity(p, "device-fingerprint-1", p.valid_from).ok());
  EXPECT_EQ(CheckLicenseKeyValidity(p, "another-device", p.valid_from).code(),
            ErrorCode::kKeyWrongDevice);
  EXPECT_EQ(CheckLicenseKeyValidity(p, "device-fingerprint-1", p.valid_from - 1)
                .code(),
            ErrorCode::kKeyNotYetValid);
  EXPECT_EQ(
      CheckLicenseKeyValidity(p, "device-fingerprint-1", p.valid_until).code(),
      ErrorCode::kKeyExpired);
}

TEST(LicenseKeyTest, GarbageIsMalformed) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  for (std::string_view bad :
       {std::string_view(""), std::string_view("hello"),
        std::string_view("-----BEGIN LICENTIA LICENSE KEY-----\n!!!\n"
                         "-----END LICENTIA LICENSE KEY-----\n"),
        std::string_view("-----BEGIN LICENTIA LICENSE KEY-----\nAAAA\n"
                         "-----END LICENTIA LICENSE KEY-----\n")}) {
    auto v = VerifyLicenseKey(bad, std::span(&pk, 1));
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), ErrorCode::kKeyMalformed) << bad;
  }
}

TEST(LicenseKeyTest, OversizedFieldsAreRefused) {
  LicenseKeyPayload p = GoldenPayload();
  p.product = std::string(300, 'x');
  EXPECT_EQ(EncodeLicenseKeyPayload(p).status().code(),
            ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia
