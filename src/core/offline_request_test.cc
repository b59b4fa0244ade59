#include "core/offline_request.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace licentia {
namespace {

namespace json = boost::json;

crypto::SigningKeyPair GoldenDeviceKey() {
  std::array<std::uint8_t, crypto::kSeedBytes> seed;
  for (std::size_t i = 0; i < seed.size(); ++i) {
    seed[i] = static_cast<std::uint8_t>(0x40 + i);
  }
  return crypto::SigningKeyPairFromSeed(seed);
}

OfflineRequest GoldenRequest() {
  OfflineRequest r;
  r.kind = OfflineRequestKind::kActivate;
  for (std::size_t i = 0; i < r.id.size(); ++i) {
    r.id[i] = static_cast<std::uint8_t>(i);
  }
  r.created_at = 1800000000;
  r.product = "photo";
  r.code = "PFTD8-GMJN6-T65YA-XN3N5";
  r.fingerprint = "floor-7";
  r.device_name = "press";
  r.os = "linux";
  r.app_version = "22.1";
  r.accepts_key_ids = {"9d24e2eeaf27c2a0"};
  return r;
}

// docs/offline-files.md shows this file. If this test fails, request files
// written by devices in the field would no longer be read: never change
// the format, version it.
constexpr std::string_view kGoldenPayload =
    R"({"kind":"activate","request_id":"000102030405060708090a0b0c0d0e0f",)"
    R"("created_at":1800000000,"product":"photo",)"
    R"("code":"PFTD8-GMJN6-T65YA-XN3N5","fingerprint":"floor-7",)"
    R"("device_name":"press","os":"linux","app_version":"22.1",)"
    R"("accepts_key_ids":["9d24e2eeaf27c2a0"]})";

// Ed25519 over "licentia/device-request/v1" 00 || the payload above, with
// the key from seed 40 41 .. 5f. Checked independently with OpenSSL
// (`openssl pkeyutl -sign -rawin`).
constexpr std::string_view kGoldenSignatureHex =
    "88c4595e802310420c9e94afbecc0facd2e0ea45956701059c0683efcc59d1ba"
    "14b908b73177399d02de1cb03f980fedb85d04c8952d44e9b53e467ba8b8880f";

TEST(OfflineRequestTest, GoldenVector) {
  std::string text = WriteOfflineRequest(GoldenRequest(), GoldenDeviceKey());
  json::object file = json::parse(text).as_object();
  EXPECT_EQ(file.at("format").as_string(), kOfflineRequestFormat);
  auto payload = crypto::FromBase64(file.at("payload").as_string());
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(payload->begin(), payload->end()), kGoldenPayload);
  EXPECT_EQ(file.at("device_key").as_string(),
            crypto::ToHex(GoldenDeviceKey().public_key));
  EXPECT_EQ(std::string(file.at("signature").as_string()), kGoldenSignatureHex);
  auto read = ReadOfflineRequest(text);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, GoldenRequest());
}

TEST(OfflineRequestTest, EveryKindReadsBackWithWhatItCarries) {
  for (auto kind :
       {OfflineRequestKind::kDeactivate, OfflineRequestKind::kAddReserve,
        OfflineRequestKind::kPrepareReserve}) {
    OfflineRequest r = GoldenRequest();
    r.kind = kind;
    r.accepts_key_ids.clear();
    r.activation_token = "lat_abc";
    if (kind == OfflineRequestKind::kAddReserve) {
      r.reserve_code = "H88BB-ZF7EP-E6J0V-4PTJ2";
    }
    auto read = ReadOfflineRequest(
        WriteOfflineRequest(r, crypto::GenerateSigningKeyPair()));
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(*read, r) << OfflineRequestKindName(kind);
  }
}

TEST(OfflineRequestTest, AnyChangedByteIsRefused) {
  std::string text = WriteOfflineRequest(GoldenRequest(), GoldenDeviceKey());
  int refused = 0;
  int unchanged = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string edited = text;
    edited[i] = static_cast<char>(edited[i] ^ 0x01);
    auto read = ReadOfflineRequest(edited);
    if (!read.ok()) {
      EXPECT_TRUE(read.status().code() == ErrorCode::kOfflineRequestInvalid)
          << i << ": " << read.status().ToString();
      ++refused;
    } else {
      // Only a change that leaves the meaning intact passes (a letter's
      // case in a hex field).
      EXPECT_EQ(*read, GoldenRequest()) << i;
      ++unchanged;
    }
  }
  EXPECT_GT(refused, static_cast<int>(text.size()) * 9 / 10);
}

TEST(OfflineRequestTest, WhatIsNotARequestIsRefusedClearly) {
  for (std::string_view bad :
       {"", "{}", "[]", "not json", R"({"format":"licentia-device-request/2"})",
        R"({"format":"licentia-device-request/1","payload":"%%%",)"
        R"("device_key":"00","signature":"00"})"}) {
    auto read = ReadOfflineRequest(bad);
    ASSERT_FALSE(read.ok()) << bad;
    EXPECT_EQ(read.status().code(), ErrorCode::kOfflineRequestInvalid) << bad;
  }
  EXPECT_EQ(ReadOfflineRequest(std::string(kMaxOfflineFileBytes + 1, ' '))
                .status()
                .code(),
            ErrorCode::kPayloadTooLarge);
}

TEST(OfflineRequestTest, AResponseVerifiesOnlyUnchangedAndByATrustedKey) {
  crypto::SigningKeyPair server = GoldenDeviceKey();
  OfflineResponse r{GoldenRequest().id, OfflineRequestKind::kActivate,
                    R"({"activation_token":"lat_x","license_key":"k"})"};
  std::string payload = OfflineResponsePayload(r);
  std::string text = WriteOfflineResponse(
      payload, crypto::KeyIdOf(server.public_key),
      crypto::Sign(OfflineResponseSignedBytes(payload), server.secret_key));
  std::vector<crypto::PublicKey> trusted = {server.public_key};
  auto read = ReadOfflineResponse(text, trusted);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, r);
  std::vector<crypto::PublicKey> others = {
      crypto::GenerateSigningKeyPair().public_key};
  EXPECT_EQ(ReadOfflineResponse(text, others).status().code(),
            ErrorCode::kKeyUnknownSigner);
  int refused = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string edited = text;
    edited[i] = static_cast<char>(edited[i] ^ 0x01);
    auto changed = ReadOfflineResponse(edited, trusted);
    if (changed.ok()) {
      EXPECT_EQ(*changed, r) << i;
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, static_cast<int>(text.size()) * 9 / 10);
  EXPECT_EQ(ReadOfflineResponse("{}", trusted).status().code(),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(
      ReadOfflineResponse(std::string(kMaxOfflineFileBytes + 1, ' '), trusted)
          .status()
          .code(),
      ErrorCode::kPayloadTooLarge);
}

}  // namespace
}  // namespace licentia
