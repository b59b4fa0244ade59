#include "store/postgres/pg_store.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/mutex.h"
#include "core/thread_name.h"
#include "store/postgres/change_feed.h"
#include "store/postgres/key_serial_blocks.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_session.h"
#include "store/schema.h"
#include "store/sql_transaction.h"

namespace licentia::store::postgres {
namespace {

bool IsRetryable(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

class PgStore final : public Store {
 public:
  explicit PgStore(PgOptions o)
      : options_(std::move(o)), pool_(options_.url, options_.pool_size) {}

  ~PgStore() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    work_cv_.SignalAll();
    for (auto& t : workers_) t.join();
  }

  Status Init() {
    LICENTIA_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(options_.url));
    {
      PgSession session(*conn);
      LICENTIA_RETURN_IF_ERROR(MigrateSchema(session, SystemClock().Now()));
    }
    pool_.Release(std::move(conn));
    for (int i = 0; i < options_.pool_size; ++i) {
      workers_.emplace_back([this] {
        SetCurrentThreadName("lic-pg");
        WorkerLoop();
      });
    }
    return Status::Ok();
  }

  void SetChangeListener(ChangeListener listener) override {
    feed_ = std::make_unique<PgChangeFeed>(options_.url, std::move(listener));
  }

  void WriteAsync(TransactionFn fn, DoneFn done) override {
    Enqueue(std::move(fn), std::move(done), /*write=*/true);
  }

  void ReadAsync(TransactionFn fn, DoneFn done) override {
    Enqueue(std::move(fn), std::move(done), /*write=*/false);
  }

  void Enqueue(TransactionFn fn, DoneFn done, bool write) {
    {
      MutexLock lock(mu_);
      if (!stopping_) {
        queue_.push_back({std::move(fn), std::move(done), write});
        work_cv_.Signal();
        return;
      }
    }
    done(Status(ErrorCode::kUnavailable, "The store is shutting down."));
  }

  Status Read(const TransactionFn& fn) override {
    LICENTIA_ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    // Begun with the first statement, in its round trip.
    conn->Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgSession session(*conn);
    SqlTransaction txn(session, {});
    Status st = fn(txn);
    Status end = conn->End(st.ok());
    if (st.ok()) st = end;
    pool_.Release(std::move(conn));
    return st;
  }

  Stats GetStats() const override {
    MutexLock lock(mu_);
    Stats stats = stats_;
    stats.engine = {{"retries",
                     "PostgreSQL: write transactions run again after a "
                     "deadlock or serialization failure.",
                     retries_}};
    return stats;
  }

 private:
  struct Pending {
    TransactionFn fn;
    DoneFn done;
    bool write = true;
  };

  void WorkerLoop() {
    while (true) {
      Pending p;
      {
        MutexLock lock(mu_);
        while (!stopping_ && queue_.empty()) work_cv_.Wait(mu_);
        if (queue_.empty()) return;  // stopping, and the queue is drained
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      if (p.write) {
        p.done(RunWrite(p.fn));
      } else {
        p.done(Read(p.fn));
      }
    }
  }

  // Row locks on the codes a transaction touches
  // (SqlTransactionOptions::lock_codes);
  // retried on deadlocks and serialization failures.
  Status RunWrite(const TransactionFn& fn) {
    Status last;
    for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
      auto conn = pool_.Acquire();
      if (!conn.ok()) return conn.status();
      PgConnection& c = **conn;
      // Begun with the first statement, in its round trip.
      c.Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
      PgSession session(c);
      CommitCallbacks on_commit;
      SqlTransaction txn(
          session,
          {.on_commit = &on_commit, .serials = &serials_, .lock_codes = true});
      Status st = fn(txn);
      bool retry = IsRetryable(c.last_sqlstate());
      if (st.ok()) {
        st = c.End(true);
        retry = !st.ok() && IsRetryable(c.last_sqlstate());
      } else {
        (void)c.End(false);
      }
      pool_.Release(std::move(*conn));
      if (st.ok()) {
        {
          MutexLock lock(mu_);
          stats_.commits += 1;
          stats_.transactions += 1;
        }
        CommitCallbacks* committed[] = {&on_commit};
        RunCommitCallbacks(committed);
        return st;
      }
      if (!retry) return st;
      last = st;
      {
        MutexLock lock(mu_);
        retries_ += 1;
      }
      // Back off a little, with jitter, so the contenders spread out:
      // 100 us doubling to 6.4 ms, +/- 50 %.
      std::this_thread::sleep_for(std::chrono::microseconds(BackoffDelay(
          {.initial = 100, .max = 6400, .jitter = 0.5}, attempt + 1,
          static_cast<double>(crypto::RandomUniform(1u << 20)) /
              static_cast<double>(1u << 20))));
    }
    return Status(ErrorCode::kUnavailable,
                  "The database stayed too busy to finish this request; try "
                  "again.");
  }

  const PgOptions options_;
  PgPool pool_;
  KeySerialBlocks serials_;
  mutable Mutex mu_;
  CondVar work_cv_;
  std::deque<Pending> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  Stats stats_ GUARDED_BY(mu_);
  std::uint64_t retries_ GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_;
  std::unique_ptr<PgChangeFeed> feed_;  // set by SetChangeListener
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(const PgOptions& options) {
  auto store = std::make_unique<PgStore>(options);
  LICENTIA_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace licentia::store::postgres
