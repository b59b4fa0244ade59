#include "store/sqlite/wal_syncer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "store/sqlite/page_counts_for_test.h"

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

TEST(WalSyncerTest, CountsItsSuccessfulSyncs) {
  std::string path = TempFile("count");
  auto syncer = *WalSyncer::Open(path);
  EXPECT_EQ(syncer->syncs(), 0u);
  EXPECT_TRUE(syncer->Sync().ok());
  EXPECT_TRUE(syncer->Sync().ok());
  EXPECT_EQ(syncer->syncs(), 2u);
  std::filesystem::remove(path);
}

// A failed sync is never reported as durable, and is not counted as a
// durable commit. (fdatasync on /dev/null fails with EINVAL.)
TEST(WalSyncerTest, AFailedSyncIsAnError) {
  auto syncer = *WalSyncer::Open("/dev/null");
  Status synced = syncer->Sync();
  EXPECT_EQ(synced.code(), ErrorCode::kUnavailable);
  EXPECT_NE(synced.message().find("not be durable"), std::string::npos);
  EXPECT_EQ(syncer->syncs(), 0u);
}

// After one failed sync, later syncs fail too even when the file could be
// synced again: the kernel may have dropped the pages the failed sync did
// not write, so a later success would not cover them. The syncer's
// descriptor is pointed at /dev/null (fdatasync fails) and then back at a
// real file by dup2 on its number.
TEST(WalSyncerTest, AFailedSyncFailsEveryLaterOne) {
  std::string path = TempFile("latch");
  int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(probe, 0);
  ::close(probe);
  auto syncer = *WalSyncer::Open(path);  // takes the lowest free number
  ASSERT_TRUE(syncer->Sync().ok());
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int real = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(devnull, 0);
  ASSERT_GE(real, 0);
  ASSERT_EQ(::dup2(devnull, probe), probe);
  EXPECT_TRUE(syncer->Health().ok());
  EXPECT_EQ(syncer->Sync().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(syncer->Health().code(), ErrorCode::kUnavailable);
  ASSERT_EQ(::dup2(real, probe), probe);  // syncable again
  Status later = syncer->Sync();
  EXPECT_EQ(later.code(), ErrorCode::kUnavailable);
  EXPECT_NE(later.message().find("earlier sync"), std::string::npos);
  EXPECT_EQ(syncer->syncs(), 1u);
  ::close(devnull);
  ::close(real);
  std::filesystem::remove(path);
}

// StartWriteBack sends the frames on their way (none is left dirty when it
// returns) without waiting for them, and the Sync after it still succeeds.
TEST(WalSyncerTest, StartWriteBackLeavesNoDirtyPages) {
  DiskFileForTest file("wal-write-back");
  ASSERT_GE(file.fd(), 0);
  std::vector<char> frames(64 * 4096, 'f');
  ASSERT_EQ(::pwrite(file.fd(), frames.data(), frames.size(), 0),
            static_cast<ssize_t>(frames.size()));
  auto syncer = *WalSyncer::Open(file.path());
  auto before = file.Counts();
  syncer->StartWriteBack();
  auto after = file.Counts();
  EXPECT_TRUE(syncer->Sync().ok());
  EXPECT_EQ(syncer->syncs(), 1u);
  if (!before || !after) {
    GTEST_SKIP() << "no cachestat(2) or a file system without write-back";
  }
  if (before->dirty == 0) {
    GTEST_SKIP() << "the kernel wrote the pages back before the test did";
  }
  EXPECT_EQ(after->dirty, 0u);
}

}  // namespace
}  // namespace licentia::store::sqlite
