#include "store/sqlite/wal_syncer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

namespace licentia::store::sqlite {
namespace {

std::string TempFile(const char* name) {
  auto p = std::filesystem::temp_directory_path() /
           (std::string(name) + std::to_string(::getpid()) + "-wal");
  std::ofstream(p) << "frames";
  return p.string();
}

TEST(WalSyncerTest, AMissingLogIsAClearError) {
  auto s = WalSyncer::Open("/nonexistent/licentia.db-wal");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.status().message().find("licentia.db-wal"), std::string::npos);
}

// Every submission is answered exactly once, after a successful sync, and
// one sync answers many submissions made while the previous sync ran.
TEST(WalSyncerTest, AnswersEverySubmissionOnceAfterASync) {
  std::string path = TempFile("syncer");
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  {
    auto syncer = *WalSyncer::Open(path);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEach; ++i) {
          syncer->Submit([&](const Status& synced) {
            if (!synced.ok()) failed++;
            answered++;
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    std::uint64_t syncs = syncer->syncs();
    EXPECT_LE(syncs, static_cast<std::uint64_t>(kThreads * kEach));
    // Destroying the syncer answers whatever is still pending.
    syncer.reset();
  }
  EXPECT_EQ(answered.load(), kThreads * kEach);
  EXPECT_EQ(failed.load(), 0);
  std::filesystem::remove(path);
}

TEST(WalSyncerTest, CountsItsSyncs) {
  std::string path = TempFile("count");
  auto syncer = *WalSyncer::Open(path);
  EXPECT_EQ(syncer->syncs(), 0u);
  std::promise<Status> answer;
  syncer->Submit([&](const Status& synced) { answer.set_value(synced); });
  EXPECT_TRUE(answer.get_future().get().ok());
  // The answer is given after its sync was counted.
  EXPECT_EQ(syncer->syncs(), 1u);
  std::filesystem::remove(path);
}

// A failed sync is never reported as durable: every write it covered is
// answered with kInternal. (fdatasync on /dev/null fails with EINVAL.)
TEST(WalSyncerTest, AFailedSyncAnswersEveryWriteWithAnError) {
  auto syncer = *WalSyncer::Open("/dev/null");
  std::promise<Status> answer;
  syncer->Submit([&](const Status& synced) { answer.set_value(synced); });
  Status synced = answer.get_future().get();
  EXPECT_EQ(synced.code(), ErrorCode::kInternal);
  EXPECT_NE(synced.message().find("not be durable"), std::string::npos);
}

}  // namespace
}  // namespace licentia::store::sqlite
