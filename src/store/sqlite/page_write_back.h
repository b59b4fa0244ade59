// Writes a file's dirty pages to the disk ahead of the sync that will need
// them, on a thread that can afford to wait.
//
// The store's checkpointer copies thousands of WAL frames into the database
// file, but SQLite syncs the database only in the pass that catches up with
// the end of the WAL. Under a steady write load that is the writer's short
// pass between two batches (sqlite_store.cc, FinishCheckpoint): its fsync
// then wrote back every page the checkpointer had copied, one request per
// scattered page (~100 requests, ~3.5 ms on a virtio disk), while every
// write in flight waited. With the checkpointer writing its own pages back
// first, the writer's fsync has only the few pages it copied itself.
//
// This is a head start, not durability: it neither flushes the disk's cache
// nor writes metadata. The fsync that follows still decides what is
// durable, and it reports any error of this write-back too (the kernel
// keeps a write-back error for every descriptor open on the file).
#ifndef LICENTIA_STORE_SQLITE_PAGE_WRITE_BACK_H_
#define LICENTIA_STORE_SQLITE_PAGE_WRITE_BACK_H_

#include <memory>
#include <string>

#include "core/status.h"

namespace licentia::store::sqlite {

class PageWriteBack {
 public:
  // Opens the file at `path`. kUnavailable, naming it, if it cannot be
  // opened.
  [[nodiscard]] static Result<std::unique_ptr<PageWriteBack>> Open(
      const std::string& path);

  ~PageWriteBack();
  PageWriteBack(const PageWriteBack&) = delete;
  PageWriteBack& operator=(const PageWriteBack&) = delete;

  // Writes back every page of the file that is dirty when it is called, and
  // returns when they have reached the disk (not necessarily its stable
  // storage). kUnavailable if the kernel refuses.
  // Thread-safe (the kernel serialises write-back of a file).
  [[nodiscard]] Status Run();

 private:
  PageWriteBack(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  const int fd_;
  const std::string path_;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_PAGE_WRITE_BACK_H_
