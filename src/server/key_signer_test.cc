#include "server/key_signer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace licentia::server {
namespace {

LicenseKeyPayload Payload(std::uint64_t serial) {
  LicenseKeyPayload p;
  p.serial = serial;
  p.issued_at = p.valid_from = 1800000000;
  p.valid_until = 1831536000;
  p.device_binding = DeviceBinding("device-" + std::to_string(serial));
  p.product = "photo-studio";
  p.code_id = std::to_string(serial);
  return p;
}

// What a device would check: the key verifies to exactly its payload.
void ExpectKeyFor(const crypto::SigningKeyPair& signer,
                  const Result<crypto::Bytes>& key, std::uint64_t serial,
                  KeyFormat format) {
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto v = VerifyLicenseKey(ArmourLicenseKey(*key),
                            std::span(&signer.public_key, 1));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  LicenseKeyPayload expected = Payload(serial);
  expected.key_id = crypto::KeyIdOf(signer.public_key);
  EXPECT_EQ(*v, expected);
  ASSERT_GT(key->size(), 4u);
  EXPECT_EQ((*key)[4], static_cast<std::uint8_t>(format));
}

// Nothing is signed before SignQueued; then every queued key goes out,
// under one signature per kMaxBatchKeys keys.
TEST(KeySignerTest, SignQueuedSignsEverythingQueuedTogether) {
  auto signer = crypto::GenerateSigningKeyPair();
  KeySigner ks(signer, KeyFormat::kBatch);
  const std::size_t n = kMaxBatchKeys + 3;
  std::vector<Result<crypto::Bytes>> keys(n, Status(ErrorCode::kInternal, ""));
  std::vector<int> calls(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    ks.Sign(Payload(i), [&keys, &calls, i](Result<crypto::Bytes> key) {
      keys[i] = std::move(key);
      calls[i]++;
    });
  }
  EXPECT_EQ(ks.GetStats().keys, 0u);
  EXPECT_EQ(calls[0], 0);
  ks.SignQueued();
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    ExpectKeyFor(signer, keys[i], i, KeyFormat::kBatch);
  }
  KeySigner::Stats stats = ks.GetStats();
  EXPECT_EQ(stats.keys, n);
  EXPECT_EQ(stats.signatures, 2u);
  // Nothing left: another call signs nothing.
  ks.SignQueued();
  EXPECT_EQ(ks.GetStats().signatures, 2u);
}

// A key queued while a SignQueued call is answering waits for the next
// call, and is answered exactly once.
TEST(KeySignerTest, KeysQueuedWhileSigningWaitForTheNextCall) {
  auto signer = crypto::GenerateSigningKeyPair();
  KeySigner ks(signer, KeyFormat::kBatch);
  Result<crypto::Bytes> second = Status(ErrorCode::kInternal, "");
  int second_calls = 0;
  ks.Sign(Payload(0), [&](Result<crypto::Bytes>) {
    ks.Sign(Payload(1), [&](Result<crypto::Bytes> key) {
      second = std::move(key);
      second_calls++;
    });
  });
  ks.SignQueued();
  EXPECT_EQ(second_calls, 0);
  ks.SignQueued();
  EXPECT_EQ(second_calls, 1);
  ExpectKeyFor(signer, second, 1, KeyFormat::kBatch);
}

TEST(KeySignerTest, ShutdownSignsWhatIsQueued) {
  auto signer = crypto::GenerateSigningKeyPair();
  std::vector<Result<crypto::Bytes>> keys(3, Status(ErrorCode::kInternal, ""));
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    for (int i = 0; i < 3; ++i) {
      ks.Sign(Payload(i), [&keys, i](Result<crypto::Bytes> key) {
        keys[i] = std::move(key);
      });
    }
    // Destruction answers the queue.
  }
  for (int i = 0; i < 3; ++i)
    ExpectKeyFor(signer, keys[i], i, KeyFormat::kBatch);
}

// Threads queue while others sign (as PostgreSQL's writers do): every key
// is answered once, with its own payload.
TEST(KeySignerTest, ConcurrentCallersEachGetTheirOwnKeyOnce) {
  auto signer = crypto::GenerateSigningKeyPair();
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::atomic<int>> calls(kThreads * kEach);
  std::vector<Result<crypto::Bytes>> keys(kThreads * kEach,
                                          Status(ErrorCode::kInternal, "none"));
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          int serial = t * kEach + i;
          ks.Sign(Payload(serial), [&, serial](Result<crypto::Bytes> key) {
            keys[serial] = std::move(key);
            calls[serial]++;
          });
          if (i % 7 == t % 7) ks.SignQueued();
        }
      });
    }
    for (auto& th : threads) th.join();
    // Destruction answers whatever is still queued.
  }
  for (int serial = 0; serial < kThreads * kEach; ++serial) {
    ASSERT_EQ(calls[serial].load(), 1) << serial;
    ExpectKeyFor(signer, keys[serial], serial, KeyFormat::kBatch);
  }
}

TEST(KeySignerTest, FormatOneSignsEachKeyAlone) {
  auto signer = crypto::GenerateSigningKeyPair();
  std::vector<Result<crypto::Bytes>> keys(20, Status(ErrorCode::kInternal, ""));
  KeySigner::Stats stats;
  {
    KeySigner ks(signer, KeyFormat::kSingle);
    for (int i = 0; i < 20; ++i) {
      ks.Sign(Payload(i), [&keys, i](Result<crypto::Bytes> key) {
        keys[i] = std::move(key);
      });
    }
    ks.SignQueued();
    stats = ks.GetStats();
  }
  for (int i = 0; i < 20; ++i) {
    ExpectKeyFor(signer, keys[i], i, KeyFormat::kSingle);
  }
  EXPECT_EQ(stats.signatures, 20u);
}

TEST(KeySignerTest, AnUnencodablePayloadGetsItsErrorAndOthersTheirKeys) {
  auto signer = crypto::GenerateSigningKeyPair();
  std::vector<Result<crypto::Bytes>> keys(3, Status(ErrorCode::kInternal, ""));
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    for (int i = 0; i < 3; ++i) {
      LicenseKeyPayload p = Payload(i);
      if (i == 1) p.edition = std::string(300, 'e');
      ks.Sign(std::move(p), [&keys, i](Result<crypto::Bytes> key) {
        keys[i] = std::move(key);
      });
    }
  }
  ExpectKeyFor(signer, keys[0], 0, KeyFormat::kBatch);
  EXPECT_EQ(keys[1].status().code(), ErrorCode::kInvalidRequest);
  ExpectKeyFor(signer, keys[2], 2, KeyFormat::kBatch);
}

TEST(KeySignerTest, ABatchWithNothingToSignCountsNoSignature) {
  auto signer = crypto::GenerateSigningKeyPair();
  Result<crypto::Bytes> key = Status(ErrorCode::kInternal, "");
  KeySigner::Stats stats;
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    LicenseKeyPayload p = Payload(1);
    p.product = std::string(300, 'p');
    ks.Sign(std::move(p), [&](Result<crypto::Bytes> k) { key = std::move(k); });
    ks.SignQueued();
    stats = ks.GetStats();
  }
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(stats.keys, 0u);
  EXPECT_EQ(stats.signatures, 0u);
}

}  // namespace
}  // namespace licentia::server
