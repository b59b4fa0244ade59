// Makes committed SQLite transactions durable off the writer thread.
//
// The writer connection commits with synchronous=NORMAL: COMMIT writes the
// transaction's frames to the WAL but does not fsync it. The writer then
// hands the batch's answers to the WalSyncer and starts the next batch at
// once; the syncer fdatasync()s the WAL file and only then delivers the
// answers. So nothing is acknowledged before it is on disk (an answer,
// including a refusal, never reflects state that a crash could undo), yet
// the writer never waits for the disk: one fdatasync covers every batch
// committed while the previous one ran, and the batch size adapts to the
// disk's speed by itself.
//
// This relies on two properties of SQLite's WAL: frames are appended in
// commit order and recovery keeps only a checksummed prefix of them, so a
// synced commit survives a crash together with every commit before it; and
// frames are only overwritten after a checkpoint has copied them into the
// database and synced it (checkpoints run with synchronous=NORMAL or FULL,
// which syncs the WAL first and the database after).
#ifndef LICENTIA_STORE_SQLITE_WAL_SYNCER_H_
#define LICENTIA_STORE_SQLITE_WAL_SYNCER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace licentia::store::sqlite {

class WalSyncer {
 public:
  // Called once, on the syncer thread, after the WAL was synced (OK) or
  // failed to sync (kInternal: the commits may not be durable).
  using Delivery = std::function<void(const Status& synced)>;

  // Opens the WAL file of a database already in WAL mode (`wal_path` is the
  // database path + "-wal") and starts the syncer thread. kUnavailable if
  // the file cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<WalSyncer>> Open(
      const std::string& wal_path);

  // Syncs and delivers everything submitted, then stops the thread.
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // REQUIRES: the commit that `delivery` answers for has returned, so its
  // frames are in the WAL file. Thread-safe.
  void Submit(Delivery delivery);

  // How many fdatasync calls made commits durable so far. Thread-safe.
  [[nodiscard]] std::uint64_t syncs() const;

 private:
  explicit WalSyncer(int fd);
  void Loop();

  const int fd_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> pending_;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::uint64_t syncs_ = 0;        // guarded by mu_
  std::thread thread_;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_WAL_SYNCER_H_
