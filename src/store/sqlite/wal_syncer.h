// Makes committed SQLite transactions durable, on the writer thread.
//
// The writer connection's COMMIT writes the transaction's frames to the WAL
// but does not fsync it (it runs on the buffering VFS of
// wal_write_buffer.h, whose WAL sync only hands the frames to the kernel;
// before that VFS it ran with synchronous=NORMAL). After each batch
// the writer calls Sync(), which fdatasync()s the WAL file, and only then
// delivers the batch's answers. So nothing is acknowledged before it is on
// disk (an answer, including a refusal, never reflects state that a crash
// could undo). One fdatasync covers the whole batch, and while it runs the
// next batch queues up, so the batch size adapts to the disk's speed by
// itself.
//
// The sync used to run on a thread of its own, overlapping the next batch,
// and was tried again as a pipeline (the writer adding writes to an open
// transaction while the previous batch synced). On two shared cores both
// cost more CPU (wake-ups, a third thread on every activation's path) than
// the overlap saved: docs/performance.md, "One thread from commit to
// answer" and "The sync beside the next batch".
//
// A failed sync fails every later one too (fail closed): after a failed
// fdatasync the kernel may have dropped the unwritten pages and cleared
// the error, so a later sync that succeeds would not prove that the
// commits before it are on disk. The store then refuses to acknowledge
// writes until it is reopened (recovery reads only the WAL's checksummed
// prefix).
//
// This relies on two properties of SQLite's WAL: frames are appended in
// commit order and recovery keeps only a checksummed prefix of them, so a
// synced commit survives a crash together with every commit before it; and
// frames are only overwritten after a checkpoint has copied them into the
// database and synced it (checkpoints run with synchronous=NORMAL or FULL,
// which syncs the WAL first and the database after).
#ifndef LICENTIA_STORE_SQLITE_WAL_SYNCER_H_
#define LICENTIA_STORE_SQLITE_WAL_SYNCER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace licentia::store::sqlite {

class WalSyncer {
 public:
  // Opens the WAL file of a database already in WAL mode (`wal_path` is the
  // database path + "-wal") and syncs the directory that holds it (the
  // file's own entry is then durable). kUnavailable if the file cannot be
  // opened or the directory synced.
  [[nodiscard]] static Result<std::unique_ptr<WalSyncer>> Open(
      const std::string& wal_path);

  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Syncs the WAL file. OK: every commit that returned before this call is
  // on disk. kUnavailable: this sync or an earlier one failed and those
  // commits may not be durable; they must not be acknowledged as written
  // (the server answers 503 until it is restarted).
  // REQUIRES: one caller at a time (the writer thread).
  [[nodiscard]] Status Sync();

  // Starts writing the WAL's new pages to the disk and returns without
  // waiting for them, so that the writer's work before its Sync (signing
  // the batch's keys) overlaps the write, and Sync waits only for what is
  // left and the disk's cache flush. Proves nothing: an error of this
  // write is reported by the next Sync (the kernel keeps it for the
  // descriptor until a sync collects it).
  // REQUIRES: one caller at a time (the writer thread).
  void StartWriteBack();

  // OK until a sync fails; then the error every later Sync returns.
  // Thread-safe.
  [[nodiscard]] Status Health() const;

  // How many successful fdatasync calls made commits durable so far.
  // Thread-safe.
  [[nodiscard]] std::uint64_t syncs() const {
    return syncs_.load(std::memory_order_relaxed);
  }

 private:
  explicit WalSyncer(int fd) : fd_(fd) {}

  const int fd_;
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> syncs_{0};
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_WAL_SYNCER_H_
