#include "core/time_attestation.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

crypto::SigningKeyPair GoldenSigner() {
  std::array<std::uint8_t, crypto::kSeedBytes> seed;
  for (size_t i = 0; i < seed.size(); ++i) {
    seed[i] = static_cast<std::uint8_t>(i);
  }
  return crypto::SigningKeyPairFromSeed(seed);
}

TimeNonce GoldenNonce() {
  TimeNonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) {
    nonce[i] = static_cast<std::uint8_t>(0xa0 + i);
  }
  return nonce;
}

constexpr UnixSeconds kGoldenTime = 1800000000;

// docs/time-attestation.md walks through these bytes. If this test fails,
// devices in the field would no longer accept the server's time: never
// change the format, version it.
constexpr std::string_view kGoldenMessageHex =
    "6c6963656e7469612d74696d652d7631"  // "licentia-time-v1"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"  // nonce
    "000000006b49d200";                 // 1800000000, big-endian
// Checked independently with OpenSSL: `openssl pkeyutl -sign -rawin` over
// the message above with the Ed25519 key from seed 00 01 .. 1f.
constexpr std::string_view kGoldenSignatureHex =
    "e4424b4ebb1ba5a785468ea4ec00df6d73f71ff2e79e6cf261536ea7226f7158"
    "573b690934a4bbee125a00157a96086eb74a541bb35c1390fd45d03668aabe02";

TEST(TimeAttestationTest, GoldenVector) {
  EXPECT_EQ(crypto::ToHex(TimeAttestationMessage(GoldenNonce(), kGoldenTime)),
            kGoldenMessageHex);
  TimeAttestation a = AttestTime(GoldenNonce(), kGoldenTime, GoldenSigner());
  EXPECT_EQ(crypto::ToHex(a.signature), kGoldenSignatureHex);
  EXPECT_EQ(a.key_id, crypto::KeyIdOf(GoldenSigner().public_key));
}

TEST(TimeAttestationTest, VerifiesOnlyTheSignedTimeForItsNonce) {
  crypto::SigningKeyPair signer = GoldenSigner();
  std::vector<crypto::PublicKey> trusted = {signer.public_key};
  TimeAttestation a = AttestTime(GoldenNonce(), kGoldenTime, signer);
  auto ok = VerifyTimeAttestation(GoldenNonce(), a, trusted);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, kGoldenTime);

  // An older time (what a replaying or fake server would send).
  TimeAttestation earlier = a;
  earlier.server_time -= 86400;
  EXPECT_EQ(
      VerifyTimeAttestation(GoldenNonce(), earlier, trusted).status().code(),
      ErrorCode::kKeySignatureInvalid);
  // The same answer replayed to another request.
  TimeNonce other = GoldenNonce();
  other[0] ^= 1;
  EXPECT_EQ(VerifyTimeAttestation(other, a, trusted).status().code(),
            ErrorCode::kKeySignatureInvalid);
  // Any flipped bit of the signature.
  for (size_t i = 0; i < a.signature.size(); i += 7) {
    TimeAttestation bad = a;
    bad.signature[i] ^= 0x10;
    EXPECT_FALSE(VerifyTimeAttestation(GoldenNonce(), bad, trusted).ok()) << i;
  }
  // Signed by a key the device does not trust.
  crypto::SigningKeyPair stranger = crypto::GenerateSigningKeyPair();
  TimeAttestation foreign = AttestTime(GoldenNonce(), kGoldenTime, stranger);
  EXPECT_EQ(
      VerifyTimeAttestation(GoldenNonce(), foreign, trusted).status().code(),
      ErrorCode::kKeyUnknownSigner);
  // A stranger claiming the trusted key's id.
  foreign.key_id = a.key_id;
  EXPECT_EQ(
      VerifyTimeAttestation(GoldenNonce(), foreign, trusted).status().code(),
      ErrorCode::kKeySignatureInvalid);
  EXPECT_FALSE(VerifyTimeAttestation(GoldenNonce(), a, {}).ok());
}

}  // namespace
}  // namespace licentia
