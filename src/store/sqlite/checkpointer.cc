#include "store/sqlite/checkpointer.h"

#include "core/thread_name.h"

namespace licentia::store::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(
    const std::string& path, int checkpoint_frames) {
  std::unique_ptr<Checkpointer> c(new Checkpointer(checkpoint_frames));
  LICENTIA_ASSIGN_OR_RETURN(c->conn_, Connection::Open(path, false));
  // FULL: a checkpoint syncs the WAL before copying it into the database
  // and the database before the WAL may be reused.
  LICENTIA_RETURN_IF_ERROR(c->conn_->Exec("PRAGMA synchronous=FULL;"));
  LICENTIA_ASSIGN_OR_RETURN(c->write_back_, PageWriteBack::Open(path));
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

Checkpointer::~Checkpointer() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::AfterCommit(int wal_frames) {
  MutexLock lock(mu_);
  commits_ += 1;
  wal_frames_ = wal_frames;
  if (wal_frames_ >= checkpoint_frames_) cv_.Signal();
}

std::uint64_t Checkpointer::checkpoints() const {
  MutexLock lock(mu_);
  return checkpoints_;
}

void Checkpointer::Loop() {
  SetCurrentThreadName("lic-checkpoint");
  std::uint64_t done_at = 0;
  while (true) {
    {
      MutexLock lock(mu_);
      while (!stopping_ &&
             !(wal_frames_ >= checkpoint_frames_ && commits_ != done_at &&
               finished_checkpoints_ == checkpoints_)) {
        cv_.Wait(mu_);
      }
      if (stopping_) return;
      done_at = commits_;
    }
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(
        conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    // SQLite syncs the database only in the pass that reaches the end of
    // the WAL, which under load is the writer's (FinishOnWriter): write
    // back the pages copied here now, so that its sync, which holds up
    // every write in flight, has only its own few (page_write_back.h).
    // An error here is also the error of that sync, which reports it.
    if (rc == SQLITE_OK && copied > 0) (void)write_back_->Run();
    MutexLock lock(mu_);
    if (rc == SQLITE_OK) checkpoints_ += 1;
  }
}

void Checkpointer::FinishOnWriter(Connection& writer) {
  std::uint64_t done;
  {
    MutexLock lock(mu_);
    done = checkpoints_;
  }
  if (done == writer_seen_checkpoints_) return;
  writer_seen_checkpoints_ = done;
  int log = 0, copied = 0;
  (void)sqlite3_wal_checkpoint_v2(writer.raw(), nullptr,
                                  SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  MutexLock lock(mu_);
  finished_checkpoints_ = done;
  // The WAL restarts at the next commit, whose length then tells the
  // checkpointer whether a new checkpoint is due. With the length of the
  // last commit left here, it started one at once, beside that commit:
  // the WAL, found busy, did not restart, and every checkpoint took two
  // rounds (two syncs of the database on this thread).
  wal_frames_ = 0;
  cv_.Signal();
}

}  // namespace licentia::store::sqlite
