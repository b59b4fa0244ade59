#include "store/sqlite/page_write_back.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "store/sqlite/page_counts_for_test.h"

namespace licentia::store::sqlite {
namespace {

TEST(PageWriteBackTest, AMissingFileIsAClearError) {
  auto w = PageWriteBack::Open("/nonexistent/licentia.db");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(w.status().message().find("licentia.db"), std::string::npos);
}

// A file that cannot be written back (not a regular file) is an error, not
// a silent success.
TEST(PageWriteBackTest, AFileThatCannotBeWrittenBackIsAnError) {
  auto w = PageWriteBack::Open("/dev/null");
  ASSERT_TRUE(w.ok()) << w.status().message();
  Status st = (*w)->Run();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.message().find("/dev/null"), std::string::npos);
}

// Pages written through another descriptor (as SQLite's checkpoint writes
// the database) are on their way to the disk, none left dirty, when Run
// returns.
TEST(PageWriteBackTest, LeavesNoDirtyPages) {
  DiskFileForTest file("page-write-back");
  ASSERT_GE(file.fd(), 0);
  std::vector<char> page(4096, 'x');
  for (int i = 0; i < 64; ++i) {
    // Every other page, as a checkpoint writes scattered pages.
    ASSERT_EQ(::pwrite(file.fd(), page.data(), page.size(), 2 * i * 4096),
              static_cast<ssize_t>(page.size()));
  }
  auto before = file.Counts();
  auto w = PageWriteBack::Open(file.path());
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_TRUE((*w)->Run().ok());
  auto after = file.Counts();
  EXPECT_TRUE((*w)->Run().ok());  // nothing left to write: still fine
  if (!before || !after) {
    GTEST_SKIP() << "no cachestat(2) or a file system without write-back";
  }
  if (before->dirty == 0) {
    GTEST_SKIP() << "the kernel wrote the pages back before the test did";
  }
  EXPECT_EQ(after->dirty, 0u);
  EXPECT_EQ(after->writeback, 0u);
}

}  // namespace
}  // namespace licentia::store::sqlite
