#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_name.h"
#include "store/read_cache.h"
#include "store/schema.h"
#include "store/sql_transaction.h"
#include "store/sqlite/change_recorder.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/key_serial_counter.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_session.h"
#include "store/sqlite/wal_syncer.h"
#include "store/sqlite/wal_write_buffer.h"

namespace licentia::store::sqlite {
namespace {

const SqlStatement kAnyEndpoint(
    "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE disabled_at IS "
    "NULL)");

// A write waiting for the writer thread.
struct PendingWrite {
  TransactionFn fn;
  DoneFn done;
  CommitCallbacks on_commit;  // of the function's last run
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options)
      : options_(std::move(options)),
        cache_(options_.read_cache_entries > 0
                   ? std::make_unique<ReadCache>(options_.read_cache_entries)
                   : nullptr) {}

  ~SqliteStore() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.SignalAll();
    if (writer_.joinable()) writer_.join();
  }

  Status Init() {
    // The writer's connection hands each commit's WAL frames to the kernel
    // in one write (wal_write_buffer.h).
    // WAL lets readers run beside the writer. Either way the WalSyncer
    // syncs the WAL before any write is answered (wal_syncer.h), so every
    // answer is durable.
    if (options_.wal_write_buffer) {
      // The writer's connection hands each commit's WAL frames to the
      // kernel in one write (wal_write_buffer.h). synchronous=FULL makes
      // SQLite sync the WAL at each COMMIT, before it publishes the commit;
      // on the buffering VFS that sync writes the buffered frames out and
      // does not fsync.
      LICENTIA_RETURN_IF_ERROR(RegisterWalWriteBufferVfs());
      LICENTIA_ASSIGN_OR_RETURN(
          writer_conn_,
          Connection::Open(options_.path, false, kWalWriteBufferVfs));
      LICENTIA_RETURN_IF_ERROR(writer_conn_->Exec(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
          "PRAGMA foreign_keys=ON;"));
    } else {
      // SQLite's own VFS, two writes per frame; NORMAL leaves every sync
      // of the WAL to the WalSyncer.
      LICENTIA_ASSIGN_OR_RETURN(writer_conn_,
                                Connection::Open(options_.path, false));
      LICENTIA_RETURN_IF_ERROR(writer_conn_->Exec(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
          "PRAGMA foreign_keys=ON;"));
    }
    {
      SqliteSession session(*writer_conn_);
      LICENTIA_RETURN_IF_ERROR(MigrateSchema(session, SystemClock().Now()));
    }
    // Every change the writer makes to a row the cache holds drops it from
    // the cache and goes to the change feed (change_recorder.h).
    LICENTIA_ASSIGN_OR_RETURN(
        recorder_, ChangeRecorder::Attach(*writer_conn_, touched_, &shown_));
    recorder_->WatchTable("webhook_endpoints", &outbox_.changed);
    // Migrations committed without a sync of their own: make them durable
    // before serving.
    LICENTIA_ASSIGN_OR_RETURN(syncer_, WalSyncer::Open(options_.path + "-wal"));
    LICENTIA_RETURN_IF_ERROR(syncer_->Sync());
    // The writer's connection never checkpoints (checkpointer.h).
    LICENTIA_RETURN_IF_ERROR(writer_conn_->Exec(
        "PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864;"));
    sqlite3_wal_hook(writer_conn_->raw(), &SqliteStore::OnWalCommit, this);
    LICENTIA_ASSIGN_OR_RETURN(
        checkpointer_,
        Checkpointer::Start(options_.path, options_.checkpoint_frames));
    writer_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  void WriteAsync(TransactionFn fn, DoneFn done) override {
    {
      MutexLock lock(mu_);
      if (!stopping_) {
        queue_.push_back({std::move(fn), std::move(done)});
        if (queue_.size() == 1) cv_.Signal();
        return;
      }
    }
    done(Status(ErrorCode::kUnavailable, "The store is shutting down."));
  }

  Status Read(const TransactionFn& fn) override {
    std::unique_ptr<Connection> conn;
    ConnectionSource source = [&]() -> Result<Connection*> {
      LICENTIA_ASSIGN_OR_RETURN(conn, AcquireReader());
      return conn.get();
    };
    SqliteSession session(source);
    SqlTransaction txn(session, {.cache = cache_.get()});
    Status st = fn(txn);
    if (session.begun()) {
      Status end = Control(*conn, "COMMIT");
      if (st.ok()) st = end;
    }
    if (conn) ReleaseReader(std::move(conn));
    return st;
  }

  Status WriteHealth() const override { return syncer_->Health(); }

  void SetChangeListener(ChangeListener listener) override {
    change_listener_ = std::move(listener);
  }

  Stats GetStats() const override {
    Stats stats;
    std::uint64_t wal_restarts = 0;
    {
      MutexLock lock(mu_);
      stats.transactions = transactions_;
      wal_restarts = wal_restarts_;
    }
    stats.commits = syncer_->syncs();
    stats.engine = {
        {"checkpoints",
         "SQLite: checkpoints that copied the write-ahead log into the "
         "database.",
         checkpointer_->checkpoints()},
        {"wal_restarts",
         "SQLite: commits that began the write-ahead log again from its "
         "start (one per checkpoint when all is well).",
         wal_restarts}};
    return stats;
  }

 private:
  Result<std::unique_ptr<Connection>> AcquireReader() {
    {
      MutexLock lock(readers_mu_);
      if (!readers_.empty()) {
        auto conn = std::move(readers_.back());
        readers_.pop_back();
        return conn;
      }
    }
    LICENTIA_ASSIGN_OR_RETURN(auto conn, Connection::Open(options_.path, true));
    return conn;
  }

  void ReleaseReader(std::unique_ptr<Connection> conn) {
    MutexLock lock(readers_mu_);
    if (static_cast<int>(readers_.size()) < options_.read_connections) {
      readers_.push_back(std::move(conn));
    }
  }

  // Transaction control through cached prepared statements: these run for
  // every request, and re-parsing them each time is measurable.
  static Status Control(Connection& conn, const char* sql) {
    LICENTIA_ASSIGN_OR_RETURN(Query q, conn.Prepare(sql));
    return q.Run();
  }

  // Runs each write of `batch` in the open transaction, its result in
  // `results`. Without savepoints, returns false as soon as a write fails
  // after changing the database (the caller must roll back and run the
  // batch again with savepoints); with them, always true.
  bool RunWrites(Connection& conn, std::vector<PendingWrite>& batch,
                 std::vector<Status>& results, bool savepoints) {
    SqliteSession session(conn);
    for (size_t i = 0; i < batch.size(); ++i) {
      PendingWrite& write = batch[i];
      write.on_commit.Clear();  // a discarded run's callbacks never run
      SqlTransaction txn(session, {.on_commit = &write.on_commit,
                                   .outbox = &outbox_,
                                   .serials = &serials_});
      Status st;
      if (!savepoints) {
        std::int64_t changes = sqlite3_total_changes64(conn.raw());
        st = write.fn(txn);
        if (!st.ok() && sqlite3_total_changes64(conn.raw()) != changes) {
          return false;
        }
      } else {
        st = Control(conn, "SAVEPOINT w");
        if (st.ok()) {
          st = write.fn(txn);
          if (st.ok()) st = Control(conn, "RELEASE w");
          if (!st.ok()) {
            (void)Control(conn, "ROLLBACK TO w");
            (void)Control(conn, "RELEASE w");
          }
        }
      }
      if (!st.ok()) write.on_commit.Clear();
      results[i] = std::move(st);
    }
    return true;
  }

  // SQLite calls this after each commit on the writer's connection with the
  // number of frames now in the WAL.
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    // Shorter than after the last commit: this one began the WAL again.
    if (frames < store->writer_wal_frames_) store->writer_wal_restarts_ += 1;
    store->writer_wal_frames_ = frames;
    return SQLITE_OK;
  }

  void WriterLoop() {
    SetCurrentThreadName("lic-writer");
    std::vector<PendingWrite> batch;
    while (true) {
      {
        MutexLock lock(mu_);
        while (!stopping_ && queue_.empty()) cv_.Wait(mu_);
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() &&
               static_cast<int>(batch.size()) < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      RunBatch(batch);
      batch.clear();
      checkpointer_->FinishOnWriter(*writer_conn_);
    }
  }

  // One BEGIN IMMEDIATE ... COMMIT around every write in `batch`. A write
  // whose function fails must leave no trace while the others commit.
  // Nearly every failure is a refusal decided before anything is written,
  // so the writes run without savepoints (two statements each); if one
  // fails after changing the database, the batch starts over with each
  // write in its own savepoint, where it can be rolled back alone (store.h:
  // transaction functions may run more than once). The commit callbacks
  // (Transaction::OnCommit) run while the commit heads for the disk; the
  // answers go out once it is there (WalSyncer).
  void RunBatch(std::vector<PendingWrite>& batch) {
    std::vector<Status> results(batch.size());
    // The whole batch's fate: committed and synced, or the error that
    // answers every write in it.
    Status batch_status = CommitBatch(batch, results);
    if (batch_status.ok()) {
      // The batch's frames head for the disk while the writes' commit
      // callbacks run (the server signs the batch's keys there).
      syncer_->StartWriteBack();
      std::vector<CommitCallbacks*> committed;
      committed.reserve(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        if (results[i].ok()) committed.push_back(&batch[i].on_commit);
      }
      RunCommitCallbacks(committed);
      batch_status = syncer_->Sync();
    }
    if (batch_status.ok() && change_listener_ && !committed_changes_.empty()) {
      change_listener_(committed_changes_);
    }
    committed_changes_.Clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(batch_status.ok() ? std::move(results[i]) : batch_status);
    }
  }

  // Whether an enabled webhook endpoint exists, counted again once a write
  // touched one (OutboxHint). Failing, the outbox statement keeps running.
  void CountEndpointsIfChanged(Connection& conn) {
    if (!outbox_.changed) return;
    SqliteSession session(conn);
    bool none = false;
    Status st = session.Run(kAnyEndpoint, {}, [&](const SqlRow& row) {
      none = row.Int(0) == 0;
      return Status::Ok();
    });
    if (!st.ok()) return;
    outbox_.no_endpoints = none;
    outbox_.changed = false;
  }

  // RunBatch's transaction: OK with each write's own result in `results`
  // once the batch is committed (not yet synced), or the error that kept
  // the whole batch from committing.
  Status CommitBatch(std::vector<PendingWrite>& batch,
                     std::vector<Status>& results) {
    Connection& conn = *writer_conn_;
    LICENTIA_RETURN_IF_ERROR(Control(conn, "BEGIN IMMEDIATE"));
    CountEndpointsIfChanged(conn);
    if (!RunWrites(conn, batch, results, /*savepoints=*/false)) {
      Status again = Control(conn, "ROLLBACK");
      if (again.ok()) again = Control(conn, "BEGIN IMMEDIATE");
      LICENTIA_RETURN_IF_ERROR(again);
      (void)RunWrites(conn, batch, results, /*savepoints=*/true);
    }
    SqliteSession session(conn);
    Status commit = serials_.Save(session);
    if (commit.ok()) commit = Control(conn, "COMMIT");
    // Before any answer of this batch goes out (read_cache.h). Also after a
    // failed commit: dropping entries is always safe.
    if (cache_) cache_->Invalidate(touched_);
    touched_.Clear();
    if (!commit.ok()) {
      shown_.Clear();
      (void)conn.Exec("ROLLBACK");
      return commit;
    }
    // For the change feed, once the batch is durable (RunBatch).
    std::swap(committed_changes_, shown_);
    shown_.Clear();
    checkpointer_->AfterCommit(writer_wal_frames_);
    MutexLock lock(mu_);
    transactions_ += static_cast<std::uint64_t>(
        std::count_if(results.begin(), results.end(),
                      [](const Status& st) { return st.ok(); }));
    wal_restarts_ = writer_wal_restarts_;
    return Status::Ok();
  }

  const SqliteOptions options_;
  std::unique_ptr<Connection> writer_conn_;  // used only by writer_
  std::thread writer_;
  ChangedKeys touched_;             // used only by writer_
  ChangedKeys shown_;               // fed by recorder_; used only by writer_
  ChangedKeys committed_changes_;   // used only by writer_
  ChangeListener change_listener_;  // set before any write
  std::unique_ptr<ChangeRecorder> recorder_;    // fills touched_
  KeySerialCounter serials_;                    // used only by writer_
  OutboxHint outbox_;                           // used only by writer_
  const std::unique_ptr<ReadCache> cache_;      // null when disabled
  std::unique_ptr<Checkpointer> checkpointer_;  // set in Init
  std::unique_ptr<WalSyncer> syncer_;           // set in Init; used by writer_

  mutable Mutex mu_;
  CondVar cv_;  // with mu_
  std::deque<PendingWrite> queue_ GUARDED_BY(mu_);
  // Its own lock: reads must not wait while the writer takes its queue.
  Mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_ GUARDED_BY(readers_mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::uint64_t transactions_ GUARDED_BY(mu_) = 0;  // committed
  std::uint64_t wal_restarts_ GUARDED_BY(mu_) = 0;  // as of the last commit
  int writer_wal_frames_ = 0;  // set by OnWalCommit; used only by writer_
  std::uint64_t writer_wal_restarts_ = 0;  // likewise
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  LICENTIA_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace licentia::store::sqlite
