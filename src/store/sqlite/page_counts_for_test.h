// For tests: how many of a file's cached pages are dirty or under
// write-back, from cachestat(2) (Linux 6.5). Debian 12's headers predate
// it, hence the raw system call.
#ifndef LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_
#define LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace licentia::store::sqlite {

struct PageCounts {
  std::uint64_t cached = 0, dirty = 0, writeback = 0, evicted = 0,
                recently_evicted = 0;
};

// False if the kernel has no cachestat(2).
inline bool ReadPageCounts(int fd, PageCounts& out) {
  constexpr long kCachestat = 451;
  struct {
    std::uint64_t off = 0, len = 0;  // len 0: to the end of the file
  } range;
  return ::syscall(kCachestat, fd, &range, &out, 0) == 0;
}

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_PAGE_COUNTS_FOR_TEST_H_
