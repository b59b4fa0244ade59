#include "store/sqlite/page_write_back.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
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
  // Beside the build, on a disk: tmpfs pages are never written back.
  std::string path = (std::filesystem::current_path() /
                      ("page-write-back-" + std::to_string(::getpid())))
                         .string();
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct statfs fs {};
  ASSERT_EQ(::fstatfs(fd, &fs), 0);
  PageCounts before;
  std::vector<char> page(4096, 'x');
  for (int i = 0; i < 64; ++i) {
    // Every other page, as a checkpoint writes scattered pages.
    ASSERT_EQ(::pwrite(fd, page.data(), page.size(), 2 * i * 4096),
              static_cast<ssize_t>(page.size()));
  }
  bool counted = ReadPageCounts(fd, before);
  auto w = PageWriteBack::Open(path);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_TRUE((*w)->Run().ok());
  PageCounts after;
  bool counted_after = ReadPageCounts(fd, after);
  EXPECT_TRUE((*w)->Run().ok());  // nothing left to write: still fine
  ::close(fd);
  std::filesystem::remove(path);
  if (fs.f_type == TMPFS_MAGIC || !counted || !counted_after) {
    GTEST_SKIP() << "no cachestat(2) or a file system without write-back";
  }
  if (before.dirty == 0) {
    GTEST_SKIP() << "the kernel wrote the pages back before the test did";
  }
  EXPECT_EQ(after.dirty, 0u);
  EXPECT_EQ(after.writeback, 0u);
}

}  // namespace
}  // namespace licentia::store::sqlite
