// Copies the WAL back into the database beside the single writer.
//
// Run inside a commit (SQLite's default) checkpoints stall every write
// waiting on the writer; a thread on its own connection does them beside
// the writes instead (PASSIVE: never blocks readers or the writer), and
// the writer completes each with the few frames appended meanwhile
// (FinishOnWriter), so that the WAL starts again from its beginning
// instead of growing.
//
// A checkpoint starts when the WAL has grown to `checkpoint_frames` frames
// and the writer has committed since the last checkpoint and finished it:
// starting another before that would hold the checkpoint lock the writer
// needs to complete the previous one, and the WAL would never restart.
// Each checkpoint ends with a few fsyncs on the writer, which hold up every
// write in flight: fewer, larger checkpoints hold them up less often, and
// a WAL bounded in bytes (rather than in commits) stays the same size
// whatever a commit writes.
//
// Thread safety: AfterCommit and FinishOnWriter are called by the writer
// thread only; checkpoints() from any thread.
#ifndef LICENTIA_STORE_SQLITE_CHECKPOINTER_H_
#define LICENTIA_STORE_SQLITE_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "core/status.h"
#include "store/sqlite/page_write_back.h"
#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {

class Checkpointer {
 public:
  // Opens its own connection to the database at `path` and starts its
  // thread. kUnavailable if the database cannot be opened.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path,
                                                     int checkpoint_frames);
  // Stops the thread; a checkpoint in progress finishes first.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The writer committed; the WAL now holds `wal_frames` frames.
  void AfterCommit(int wal_frames);
  // The writer, between batches: completes on its connection `writer` the
  // checkpoint the thread last made, if it has not yet.
  void FinishOnWriter(Connection& writer);

  // Checkpoints completed so far.
  std::uint64_t checkpoints() const;

 private:
  explicit Checkpointer(int checkpoint_frames)
      : checkpoint_frames_(checkpoint_frames) {}
  void Loop();

  const int checkpoint_frames_;
  std::unique_ptr<Connection> conn_;           // used only by thread_
  std::unique_ptr<PageWriteBack> write_back_;  // used only by thread_
  std::uint64_t writer_seen_checkpoints_ = 0;  // used only by the writer
  std::thread thread_;

  mutable Mutex mu_;
  CondVar cv_;  // with mu_
  bool stopping_ GUARDED_BY(mu_) = false;
  std::uint64_t commits_ GUARDED_BY(mu_) = 0;
  // WAL frames after the last COMMIT.
  int wal_frames_ GUARDED_BY(mu_) = 0;
  std::uint64_t checkpoints_ GUARDED_BY(mu_) = 0;
  // Checkpoints the writer finished.
  std::uint64_t finished_checkpoints_ GUARDED_BY(mu_) = 0;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_CHECKPOINTER_H_
