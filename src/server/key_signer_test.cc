#include "server/key_signer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
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
                  const Result<std::string>& key, std::uint64_t serial,
                  KeyFormat format) {
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto v = VerifyLicenseKey(*key, std::span(&signer.public_key, 1));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  LicenseKeyPayload expected = Payload(serial);
  expected.key_id = crypto::KeyIdOf(signer.public_key);
  EXPECT_EQ(*v, expected);
  auto bytes = crypto::FromBase64(key->substr(
      kLicenseKeyBegin.size(),
      key->size() - kLicenseKeyBegin.size() - kLicenseKeyEnd.size() - 1));
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ((*bytes)[4], static_cast<std::uint8_t>(format));
}

TEST(KeySignerTest, KeysQueuedDuringASignatureShareTheNext) {
  auto signer = crypto::GenerateSigningKeyPair();
  KeySigner ks(signer, KeyFormat::kBatch);
  // The first key's answer holds the signer's thread until 100 more keys
  // are queued: those must then go out under one signature.
  std::promise<void> queued;
  std::shared_future<void> all_queued = queued.get_future().share();
  constexpr int kMore = 100;
  std::vector<std::promise<Result<std::string>>> answers(kMore + 1);
  std::promise<void> entered;
  ks.Sign(Payload(0), [&](Result<std::string> key) {
    entered.set_value();
    all_queued.wait();
    answers[0].set_value(std::move(key));
  });
  entered.get_future().wait();
  for (int i = 1; i <= kMore; ++i) {
    ks.Sign(Payload(i), [&answers, i](Result<std::string> key) {
      answers[i].set_value(std::move(key));
    });
  }
  queued.set_value();
  for (int i = 0; i <= kMore; ++i) {
    ExpectKeyFor(signer, answers[i].get_future().get(), i, KeyFormat::kBatch);
  }
  KeySigner::Stats stats = ks.GetStats();
  EXPECT_EQ(stats.keys, kMore + 1u);
  EXPECT_EQ(stats.signatures, 2u);
}

constexpr std::chrono::hours kForever{1};

TEST(KeySignerTest, AFullBatchDoesNotWaitForTheGatheringTime) {
  auto signer = crypto::GenerateSigningKeyPair();
  KeySigner ks(signer, KeyFormat::kBatch, kForever);
  std::vector<std::promise<Result<std::string>>> answers(kMaxBatchKeys);
  for (size_t i = 0; i < kMaxBatchKeys; ++i) {
    ks.Sign(Payload(i), [&answers, i](Result<std::string> key) {
      answers[i].set_value(std::move(key));
    });
  }
  for (size_t i = 0; i < kMaxBatchKeys; ++i) {
    ExpectKeyFor(signer, answers[i].get_future().get(), i, KeyFormat::kBatch);
  }
  EXPECT_EQ(ks.GetStats().signatures, 1u);
}

TEST(KeySignerTest, ShutdownSignsTheBatchBeingGathered) {
  auto signer = crypto::GenerateSigningKeyPair();
  std::vector<Result<std::string>> keys(3, Status(ErrorCode::kInternal, ""));
  {
    KeySigner ks(signer, KeyFormat::kBatch, kForever);
    for (int i = 0; i < 3; ++i) {
      ks.Sign(Payload(i), [&keys, i](Result<std::string> key) {
        keys[i] = std::move(key);
      });
    }
    // Destruction closes the batch at once and answers it.
  }
  for (int i = 0; i < 3; ++i)
    ExpectKeyFor(signer, keys[i], i, KeyFormat::kBatch);
}

TEST(KeySignerTest, ConcurrentCallersEachGetTheirOwnKeyOnce) {
  auto signer = crypto::GenerateSigningKeyPair();
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::atomic<int>> calls(kThreads * kEach);
  std::vector<Result<std::string>> keys(kThreads * kEach,
                                        Status(ErrorCode::kInternal, "none"));
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          int serial = t * kEach + i;
          ks.Sign(Payload(serial), [&, serial](Result<std::string> key) {
            keys[serial] = std::move(key);
            calls[serial]++;
          });
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
  std::vector<Result<std::string>> keys(20, Status(ErrorCode::kInternal, ""));
  KeySigner::Stats stats;
  {
    KeySigner ks(signer, KeyFormat::kSingle);
    for (int i = 0; i < 20; ++i) {
      ks.Sign(Payload(i), [&keys, i](Result<std::string> key) {
        keys[i] = std::move(key);
      });
    }
    while (ks.GetStats().keys < 20) std::this_thread::yield();
    stats = ks.GetStats();
  }
  for (int i = 0; i < 20; ++i) {
    ExpectKeyFor(signer, keys[i], i, KeyFormat::kSingle);
  }
  EXPECT_EQ(stats.signatures, 20u);
}

TEST(KeySignerTest, AnUnencodablePayloadGetsItsErrorAndOthersTheirKeys) {
  auto signer = crypto::GenerateSigningKeyPair();
  std::vector<Result<std::string>> keys(3, Status(ErrorCode::kInternal, ""));
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    for (int i = 0; i < 3; ++i) {
      LicenseKeyPayload p = Payload(i);
      if (i == 1) p.edition = std::string(300, 'e');
      ks.Sign(std::move(p), [&keys, i](Result<std::string> key) {
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
  Result<std::string> key = Status(ErrorCode::kInternal, "");
  KeySigner::Stats stats;
  {
    KeySigner ks(signer, KeyFormat::kBatch);
    LicenseKeyPayload p = Payload(1);
    p.product = std::string(300, 'p');
    std::promise<void> answered;
    ks.Sign(std::move(p), [&](Result<std::string> k) {
      key = std::move(k);
      answered.set_value();
    });
    answered.get_future().wait();
    stats = ks.GetStats();
  }
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(stats.keys, 0u);
  EXPECT_EQ(stats.signatures, 0u);
}

}  // namespace
}  // namespace licentia::server
