#include "store/sqlite/wal_syncer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(synced.code(), ErrorCode::kInternal);
  EXPECT_NE(synced.message().find("not be durable"), std::string::npos);
  EXPECT_EQ(syncer->syncs(), 0u);
}

}  // namespace
}  // namespace licentia::store::sqlite
