// For tests of write-back: a file on a disk, and how many of its cached
// pages are dirty or under write-back, from cachestat(2) (Linux 6.5;
// Debian 12's headers predate it, hence the raw system call).
#ifndef LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_
#define LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace licentia::store::sqlite {

struct PageCounts {
  std::uint64_t cached = 0, dirty = 0, writeback = 0, evicted = 0,
                recently_evicted = 0;
};

// A new file beside the build (on a disk: tmpfs pages are never written
// back), open read-write; closed and removed with the object.
class DiskFileForTest {
 public:
  explicit DiskFileForTest(std::string_view name)
      : path_((std::filesystem::current_path() /
               (std::string(name) + "-" + std::to_string(::getpid())))
                  .string()),
        fd_(::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC,
                   0600)) {}
  ~DiskFileForTest() {
    if (fd_ >= 0) ::close(fd_);
    std::filesystem::remove(path_);
  }
  DiskFileForTest(const DiskFileForTest&) = delete;
  DiskFileForTest& operator=(const DiskFileForTest&) = delete;

  // -1 if the file could not be created.
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // The file's page counts; nullopt where write-back cannot be observed
  // (no cachestat(2), or a file system that never writes pages back).
  std::optional<PageCounts> Counts() const {
    struct statfs fs {};
    if (::fstatfs(fd_, &fs) != 0 || fs.f_type == TMPFS_MAGIC) {
      return std::nullopt;
    }
    constexpr long kCachestat = 451;
    struct {
      std::uint64_t off = 0, len = 0;  // len 0: to the end of the file
    } range;
    PageCounts counts;
    if (::syscall(kCachestat, fd_, &range, &counts, 0) != 0) {
      return std::nullopt;
    }
    return counts;
  }

 private:
  const std::string path_;
  const int fd_;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_
