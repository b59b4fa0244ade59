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

std::string ArmourForTest(const crypto::Bytes& bytes) {
  std::string armoured(kLicenseKeyBegin);
  std::string b64 = crypto::ToBase64Public(bytes);
  armoured += "\n";
  for (size_t j = 0; j < b64.size(); j += 64)
    armoured += b64.substr(j, 64) + "\n";
  return armoured + std::string(kLicenseKeyEnd) + "\n";
}

crypto::Bytes Unarmour(std::string_view key) {
  std::string_view body =
      key.substr(kLicenseKeyBegin.size(), key.size() - kLicenseKeyBegin.size() -
                                              kLicenseKeyEnd.size() - 1);
  return *crypto::FromBase64(body);
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
  auto bytes = EncodeLicenseKeyPayload(p, KeyFormat::kSingle);
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
  auto bytes = *EncodeLicenseKeyPayload(p, KeyFormat::kSingle);
  auto sig = crypto::Sign(bytes, signer.secret_key);
  bytes.insert(bytes.end(), sig.begin(), sig.end());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1 << bit);
      auto v = VerifyLicenseKey(ArmourForTest(bad),
                                std::span(&signer.public_key, 1));
      ASSERT_FALSE(v.ok()) << "byte " << i << " bit " << bit;
    }
  }
}

// Format 2: a batch of three keys (a padding leaf fills the tree to four),
// salts 0x10.., 0x20.., 0x30..; the second key is pinned.
std::vector<LicenseKeyPayload> GoldenBatch() {
  std::vector<LicenseKeyPayload> batch(3, GoldenPayload());
  for (int i = 0; i < 3; ++i) {
    batch[i].serial = 42 + i;
    batch[i].device_binding =
        DeviceBinding("device-fingerprint-" + std::to_string(i + 1));
  }
  return batch;
}

std::vector<LeafSalt> GoldenSalts() {
  std::vector<LeafSalt> salts(3);
  for (int i = 0; i < 3; ++i)
    salts[i].fill(static_cast<std::uint8_t>(16 * (i + 1)));
  return salts;
}

constexpr std::string_view kGoldenBatchKey =
    "-----BEGIN LICENTIA LICENSE KEY-----\n"
    "TENOUwKdJOLuryfCoAAAAAAAAAArAAAAAGtJ0gAAAAAAa0nSAAAAAABtKwWAAAAD\n"
    "Bh91MmnsUQ+o1YGJTgwuNRjyxz4zzY3I+ThjnxmokqIADHBob3RvLXN0dWRpbwAD\n"
    "cHJvAAQxMjM0AAIAA3JhdwADaGRy6uOc2xvrP9JPIUIJWKHa5QOiJTRMc+UGDAfI\n"
    "6r1iemFazx9H0+2Ic4TxYaTzbi9gRuRfoFVG2fW4dzoJ6CwGnCAgICAgICAgICAg\n"
    "ICAgICABAjzfUz+HJubuPO7QjsGdkyxECfRCI5KKdfgNG7ee8Ms2v/kJVv/a2xi+\n"
    "6iuMANxg7qmiTHIKsjy8BARlk9aRXgo=\n"
    "-----END LICENTIA LICENSE KEY-----\n";

TEST(LicenseKeyTest, GoldenBatchKey) {
  auto keys = IssueLicenseKeyBatchWithSalts(GoldenBatch(), GoldenSigner(),
                                            GoldenSalts());
  ASSERT_EQ(keys.size(), 3u);
  ASSERT_TRUE(keys[1].ok());
  EXPECT_EQ(*keys[1], kGoldenBatchKey);
}

// The server signs on one thread and armours on another: the two halves
// give exactly the golden keys.
TEST(LicenseKeyTest, SignedBytesArmourToTheGoldenKeys) {
  auto single = SignLicenseKey(GoldenPayload(), GoldenSigner());
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(ArmourLicenseKey(*single), kGoldenKey);
  auto batch = SignLicenseKeyBatchWithSalts(GoldenBatch(), GoldenSigner(),
                                            GoldenSalts());
  ASSERT_EQ(batch.size(), 3u);
  ASSERT_TRUE(batch[1].ok());
  EXPECT_EQ(ArmourLicenseKey(*batch[1]), kGoldenBatchKey);
  // The bytes are the payload, then the proof, salt, leaf, depth and the
  // signature (docs/license-key.md): they start with the magic and format.
  EXPECT_EQ(std::string(batch[1]->begin(), batch[1]->begin() + 4), "LCNS");
  EXPECT_EQ((*batch[1])[4], static_cast<std::uint8_t>(KeyFormat::kBatch));
}

TEST(LicenseKeyTest, EveryKeyOfABatchVerifiesToItsOwnPayload) {
  auto signer = GoldenSigner();
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{8},
                   size_t{17}, kMaxBatchKeys}) {
    std::vector<LicenseKeyPayload> batch(n, GoldenPayload());
    for (size_t i = 0; i < n; ++i) batch[i].serial = 1000 + i;
    auto keys = IssueLicenseKeyBatch(batch, signer);
    ASSERT_EQ(keys.size(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(keys[i].ok());
      auto v = VerifyLicenseKey(*keys[i], std::span(&signer.public_key, 1));
      ASSERT_TRUE(v.ok()) << n << " " << i << ": " << v.status().ToString();
      LicenseKeyPayload expected = batch[i];
      expected.key_id = crypto::KeyIdOf(signer.public_key);
      EXPECT_EQ(*v, expected);
    }
  }
}

TEST(LicenseKeyTest, ChangingAnySingleByteOfABatchKeyFailsVerification) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  std::string key(kGoldenBatchKey);
  ASSERT_TRUE(VerifyLicenseKey(key, std::span(&pk, 1)).ok());
  for (size_t i = 0; i < key.size(); ++i) {
    for (int c = 0; c < 128; ++c) {
      if (c == key[i]) continue;
      if (c < 32 && c != '\n' && c != '\t' && c != '\r' && c != 0) continue;
      if (i == key.size() - 1 && (c == ' ' || c == '\t' || c == '\r')) continue;
      std::string bad = key;
      bad[i] = static_cast<char>(c);
      ASSERT_FALSE(VerifyLicenseKey(bad, std::span(&pk, 1)).ok())
          << "byte " << i << " -> " << c;
    }
  }
  // Every bit of the binary form too: payload, siblings, salt, index,
  // depth and signature.
  crypto::Bytes bytes = Unarmour(key);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1 << bit);
      ASSERT_FALSE(VerifyLicenseKey(ArmourForTest(bad), std::span(&pk, 1)).ok())
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(LicenseKeyTest, AKeysProofDoesNotFitAnotherPayload) {
  auto signer = GoldenSigner();
  auto keys =
      IssueLicenseKeyBatchWithSalts(GoldenBatch(), signer, GoldenSalts());
  crypto::Bytes first = Unarmour(*keys[0]);
  crypto::Bytes second = Unarmour(*keys[1]);
  // The payloads have the same length: put the first payload in front of
  // the second key's proof and signature, and the second's index on the
  // first's proof.
  size_t proof =
      2 * crypto::kHashBytes + kLeafSaltBytes + 2 + crypto::kSignatureBytes;
  ASSERT_EQ(first.size(), second.size());
  crypto::Bytes mixed(first.begin(), first.end() - proof);
  mixed.insert(mixed.end(), second.end() - proof, second.end());
  EXPECT_EQ(
      VerifyLicenseKey(ArmourForTest(mixed), std::span(&signer.public_key, 1))
          .status()
          .code(),
      ErrorCode::kKeySignatureInvalid);
  crypto::Bytes moved = first;
  moved[moved.size() - crypto::kSignatureBytes - 2] = 1;  // index 0 -> 1
  EXPECT_EQ(
      VerifyLicenseKey(ArmourForTest(moved), std::span(&signer.public_key, 1))
          .status()
          .code(),
      ErrorCode::kKeySignatureInvalid);
}

TEST(LicenseKeyTest, ABatchProofDeeperThanAllowedIsMalformed) {
  crypto::PublicKey pk = GoldenSigner().public_key;
  crypto::Bytes bytes = Unarmour(kGoldenBatchKey);
  bytes[bytes.size() - crypto::kSignatureBytes - 1] = kMaxBatchDepth + 1;
  EXPECT_EQ(
      VerifyLicenseKey(ArmourForTest(bytes), std::span(&pk, 1)).status().code(),
      ErrorCode::kKeyMalformed);
  bytes = Unarmour(kGoldenBatchKey);
  bytes[bytes.size() - crypto::kSignatureBytes - 2] = 4;  // depth 2: index < 4
  EXPECT_EQ(
      VerifyLicenseKey(ArmourForTest(bytes), std::span(&pk, 1)).status().code(),
      ErrorCode::kKeyMalformed);
}

TEST(LicenseKeyTest, APayloadThatCannotBeEncodedFailsAloneInItsBatch) {
  auto signer = GoldenSigner();
  std::vector<LicenseKeyPayload> batch(3, GoldenPayload());
  batch[1].product = std::string(300, 'x');
  auto keys = IssueLicenseKeyBatch(batch, signer);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[1].status().code(), ErrorCode::kInvalidRequest);
  for (size_t i : {size_t{0}, size_t{2}}) {
    ASSERT_TRUE(keys[i].ok());
    EXPECT_TRUE(
        VerifyLicenseKey(*keys[i], std::span(&signer.public_key, 1)).ok());
  }
  auto signed_keys = SignLicenseKeyBatch(batch, signer);
  ASSERT_EQ(signed_keys.size(), 3u);
  EXPECT_EQ(signed_keys[1].status().code(), ErrorCode::kInvalidRequest);
  EXPECT_TRUE(signed_keys[0].ok() && signed_keys[2].ok());
  EXPECT_EQ(SignLicenseKey(batch[1], signer).status().code(),
            ErrorCode::kInvalidRequest);
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
  EXPECT_EQ(EncodeLicenseKeyPayload(p, KeyFormat::kSingle).status().code(),
            ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia
