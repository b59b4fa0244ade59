// SQLite-specific behaviour beyond the contract: group commit, the
// append-only event log, refusing a database from a newer version.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {
namespace {

// A database path in the temp directory, free when made and removed with
// its -wal and -shm files when the test ends. Declare it before the store
// that uses it, so the store is closed first.
class TempDb {
 public:
  explicit TempDb(const char* name)
      : path_((std::filesystem::temp_directory_path() /
               (std::string("licentia-store-") + name +
                std::to_string(::getpid()) + ".db"))
                  .string()) {
    Remove();
  }
  ~TempDb() { Remove(); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    for (auto suffix : {"", "-wal", "-shm"}) {
      std::error_code ignored;
      std::filesystem::remove(path_ + suffix, ignored);
    }
  }
  const std::string path_;
};

// The value of the store's own counter `name` (Store::Stats::engine).
std::uint64_t EngineCounter(const Store& store, std::string_view name) {
  for (const auto& c : store.GetStats().engine) {
    if (c.name == name) return c.value;
  }
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

// Adds product "p", a batch and `code` in it; returns the code's id.
std::int64_t AddCode(Store& store, CodeRow code) {
  EXPECT_TRUE(
      store
          .Write([&](Transaction& t) {
            LICENTIA_RETURN_IF_ERROR(t.InsertProduct({"p", "P", 1, {}}));
            LICENTIA_ASSIGN_OR_RETURN(code.batch_id,
                                      t.InsertBatch({0, "p", 1, "", 1}));
            code.terms.product = "p";
            LICENTIA_ASSIGN_OR_RETURN(code.id, t.InsertCode(code));
            return Status::Ok();
          })
          .ok());
  return code.id;
}

TEST(SqliteStoreTest, ConcurrentWritesShareCommits) {
  TempDb db("group");
  auto store = *OpenSqliteStore({.path = db.path()});
  constexpr int kThreads = 64;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        Status st = store->Write(
            [](Transaction& t) { return t.NextKeySerial().status(); });
        ASSERT_TRUE(st.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto stats = store->GetStats();
  EXPECT_EQ(stats.transactions, kThreads * 10u);
  // With 64 writers waiting at once, commits are shared.
  EXPECT_LT(stats.commits, stats.transactions);
}

// The writer keeps the serial counter in memory and writes it back once per
// batch: serials must still never repeat, across rolled-back writes, batches
// and restarts.
TEST(SqliteStoreTest, KeySerialsNeverRepeatAcrossRollbacksAndRestarts) {
  TempDb db("serials");
  const std::string& path = db.path();
  std::vector<std::uint64_t> committed;
  std::mutex mu;
  auto take = [&](Store& store, bool fail) {
    std::uint64_t serial = 0;
    Status st = store.Write([&](Transaction& t) {
      LICENTIA_ASSIGN_OR_RETURN(serial, t.NextKeySerial());
      if (fail) return Status(ErrorCode::kConflict, "refused after a serial");
      return Status::Ok();
    });
    if (st.ok()) {
      std::lock_guard lock(mu);
      committed.push_back(serial);
    }
    return serial;
  };
  {
    auto store = *OpenSqliteStore({.path = path});
    std::uint64_t a = take(*store, false);
    std::uint64_t b = take(*store, true);
    std::uint64_t c = take(*store, false);
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&, i] {
        for (int j = 0; j < 20; ++j) take(*store, (i + j) % 3 == 0);
      });
    }
    for (auto& t : threads) t.join();
  }
  auto store = *OpenSqliteStore({.path = path});
  std::uint64_t after_restart = take(*store, false);
  std::sort(committed.begin(), committed.end());
  EXPECT_EQ(std::adjacent_find(committed.begin(), committed.end()),
            committed.end());
  EXPECT_GT(after_restart, committed[committed.size() - 2]);
}

// Writes run without savepoints; one that fails after changing something
// makes its batch start over with savepoints. Both paths: refusals decided
// before any change run once and leave nothing, a write that fails after
// changing something leaves nothing either, and every other write of the
// batch commits.
TEST(SqliteStoreTest, FailedWritesLeaveNothingWithOrWithoutSavepoints) {
  TempDb db("isolation");
  auto store = *OpenSqliteStore({.path = db.path()});
  ASSERT_TRUE(store
                  ->Write([](Transaction& t) {
                    return t.InsertProduct({"p", "P", 1, {}});
                  })
                  .ok());
  auto append = [](Transaction& t, std::int64_t at) {
    EventRow e;
    e.type = "test";
    e.product_id = "p";
    e.actor = "t";
    e.at = at;
    return t.AppendEvent(e);
  };
  for (bool fail_after_writing : {false, true}) {
    constexpr int kThreads = 48;
    std::atomic<int> runs{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        Status st = store->Write([&](Transaction& t) -> Status {
          runs++;
          bool refuse = i % 4 == 0;
          if (refuse && !fail_after_writing) {
            return Status(ErrorCode::kConflict, "refused before writing");
          }
          LICENTIA_RETURN_IF_ERROR(append(t, 1000 * fail_after_writing + i));
          if (refuse) return Status(ErrorCode::kConflict, "refused after");
          return Status::Ok();
        });
        EXPECT_EQ(st.ok(), i % 4 != 0) << i;
      });
    }
    for (auto& th : threads) th.join();
    // Refusals before any change never make a batch run again.
    if (fail_after_writing) {
      EXPECT_GT(runs.load(), kThreads);
    } else {
      EXPECT_EQ(runs.load(), kThreads);
    }
    Status read = store->Read([&](Transaction& t) -> Status {
      auto events = *t.ListEvents({.type = "test", .limit = 1000});
      int mine = 0;
      for (const auto& e : events) {
        if ((e.at >= 1000) != fail_after_writing) continue;
        ++mine;
        EXPECT_NE(e.at % 4, 0) << e.at;
      }
      EXPECT_EQ(mine, kThreads - kThreads / 4);
      return Status::Ok();
    });
    ASSERT_TRUE(read.ok());
  }
}

// Checkpoints run beside the writer and keep the WAL near the size they
// start at, far smaller than what is written through it: it restarts from
// its beginning after each one.
TEST(SqliteStoreTest, CheckpointsRunBesideTheWriter) {
  TempDb db("checkpoint");
  const std::string& path = db.path();
  constexpr int kFrames = 256;  // 1 MB of 4 KB pages
  auto store = *OpenSqliteStore({.path = path, .checkpoint_frames = kFrames});
  // About 3,200 pages (13 MB) of events, from 8 writers at once.
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        ASSERT_TRUE(store
                        ->Write([](Transaction& t) {
                          EventRow e;
                          e.type = "x";
                          e.actor = "a";
                          e.details_json = std::string(3000, 'd');
                          return t.AppendEvent(e);
                        })
                        .ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  // ~1.3 MB here. Without the wait for the writer to finish a checkpoint
  // before the next one starts, the WAL never restarted and reached 9-17 MB.
  EXPECT_LT(std::filesystem::file_size(path + "-wal"), 4u * kFrames * 4096);
  // One checkpoint per WAL cycle. When the checkpointer went by the WAL's
  // length before the writer's last pass, it started the next checkpoint
  // beside the commit that was to restart the WAL, which then found the WAL
  // busy: nearly two checkpoints per restart (36-40 for 21-25 in this
  // test; one each since).
  std::uint64_t checkpoints = EngineCounter(*store, "checkpoints");
  std::uint64_t wal_restarts = EngineCounter(*store, "wal_restarts");
  EXPECT_GE(wal_restarts, 5u);
  EXPECT_LE(checkpoints, wal_restarts + 2)
      << checkpoints << " for " << wal_restarts;
}

TEST(SqliteStoreTest, EventLogIsAppendOnly) {
  TempDb db("events");
  const std::string& path = db.path();
  {
    auto store = *OpenSqliteStore({.path = path});
    ASSERT_TRUE(store
                    ->Write([](Transaction& t) {
                      EventRow e;
                      e.type = "x";
                      e.actor = "a";
                      return t.AppendEvent(e);
                    })
                    .ok());
  }
  auto conn = *Connection::Open(path, false);
  EXPECT_FALSE(conn->Exec("UPDATE events SET type = 'y'").ok());
  EXPECT_FALSE(conn->Exec("DELETE FROM events").ok());
}

// The read cache (read_cache.h) must never answer with a row older than
// an acknowledged write: every kind of change is visible to the next read,
// here with the cache warmed before each change.
TEST(SqliteStoreTest, ReadsSeeEveryAcknowledgedChangeThroughTheCache) {
  TempDb db("cache");
  auto store = *OpenSqliteStore({.path = db.path()});
  auto write = [&](const std::function<Status(Transaction&)>& fn) {
    ASSERT_TRUE(store->Write(fn).ok());
  };
  auto read = [&](const std::function<void(Transaction&)>& fn) {
    ASSERT_TRUE(store
                    ->Read([&](Transaction& t) {
                      fn(t);
                      return Status::Ok();
                    })
                    .ok());
  };
  CodeRow c;
  c.code_hash[0] = 1;
  c.terms.product = "p";
  c.terms.max_devices = 5;
  crypto::Hash device{};
  device[0] = 9;
  write([&](Transaction& t) {
    LICENTIA_RETURN_IF_ERROR(t.InsertProduct({"p", "P", 1, {}}));
    LICENTIA_ASSIGN_OR_RETURN(c.batch_id, t.InsertBatch({0, "p", 1, "", 1}));
    LICENTIA_ASSIGN_OR_RETURN(c.id, t.InsertCode(c));
    return Status::Ok();
  });
  auto code = [&] {
    std::optional<CodeRow> out;
    read([&](Transaction& t) { out = **t.FindCodeByHash(c.code_hash); });
    return *out;
  };
  auto activation = [&] {
    std::optional<ActivationRow> out;
    read([&](Transaction& t) { out = *t.FindActiveActivation(c.id, device); });
    return out;
  };
  auto reserve = [&] {
    std::optional<ReserveRow> out;
    read([&](Transaction& t) { out = *t.FindReserve(device, "p"); });
    return out;
  };

  EXPECT_FALSE(code().blocked);
  write([&](Transaction& t) { return t.SetBlocked(c.id, true, "r"); });
  EXPECT_TRUE(code().blocked);
  write([&](Transaction& t) { return t.SetFirstActivation(c.id, 50); });
  EXPECT_EQ(code().first_activated_at, 50);

  EXPECT_FALSE(activation().has_value());
  ActivationRow a;
  a.code_id = c.id;
  a.device_hash = device;
  write([&](Transaction& t) {
    LICENTIA_ASSIGN_OR_RETURN(a.id, t.InsertActivation(a));
    return Status::Ok();
  });
  ASSERT_TRUE(activation().has_value());
  EXPECT_EQ(code().seats_used, 1);
  a.token_hash[0] = 42;
  write([&](Transaction& t) { return t.RefreshActivation(a); });
  EXPECT_EQ(activation()->token_hash[0], 42);
  write([&](Transaction& t) { return t.Deactivate(a.id, 60); });
  EXPECT_FALSE(activation().has_value());
  EXPECT_EQ(code().seats_used, 0);

  EXPECT_FALSE(reserve().has_value());
  write([&](Transaction& t) { return t.PutReserve({device, "p", c.id, 70}); });
  ASSERT_TRUE(reserve().has_value());
  EXPECT_EQ(reserve()->added_at, 70);
  write([&](Transaction& t) { return t.DeleteReserve(device, "p"); });
  EXPECT_FALSE(reserve().has_value());

  // A refused write changes nothing, and the cache still answers.
  Status refused = store->Write([&](Transaction& t) {
    EXPECT_TRUE(t.SetBlocked(c.id, false, "").ok());
    return Status(ErrorCode::kConflict, "refused");
  });
  EXPECT_EQ(refused.code(), ErrorCode::kConflict);
  EXPECT_TRUE(code().blocked);
}

// Readers on other threads keep filling the cache from snapshots taken
// around each commit; a read after an acknowledged write still sees it.
TEST(SqliteStoreTest, ConcurrentReadersNeverCacheAStaleRowPastAWrite) {
  TempDb db("cacherace");
  auto store = *OpenSqliteStore({.path = db.path()});
  CodeRow c;
  c.code_hash[0] = 2;
  c.terms.product = "p";
  ASSERT_TRUE(
      store
          ->Write([&](Transaction& t) {
            LICENTIA_RETURN_IF_ERROR(t.InsertProduct({"p", "P", 1, {}}));
            LICENTIA_ASSIGN_OR_RETURN(c.batch_id,
                                      t.InsertBatch({0, "p", 1, "", 1}));
            LICENTIA_ASSIGN_OR_RETURN(c.id, t.InsertCode(c));
            return Status::Ok();
          })
          .ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        (void)store->Read([&](Transaction& t) {
          return t.FindCodeByHash(c.code_hash).status();
        });
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    bool blocked = i % 2 == 0;
    ASSERT_TRUE(store
                    ->Write([&](Transaction& t) {
                      return t.SetBlocked(c.id, blocked, "");
                    })
                    .ok());
    bool seen = !blocked;
    ASSERT_TRUE(store
                    ->Read([&](Transaction& t) {
                      LICENTIA_ASSIGN_OR_RETURN(auto row,
                                                t.FindCodeByHash(c.code_hash));
                      seen = row->blocked;
                      return Status::Ok();
                    })
                    .ok());
    ASSERT_EQ(seen, blocked) << "round " << i;
  }
  done.store(true);
  for (auto& t : readers) t.join();
}

// The descriptor this process holds open read-only on `path`: the
// store's WalSyncer (SQLite opens its files read-write). -1 if none.
int ReadOnlyDescriptorOf(const std::string& path) {
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target != path) continue;
    int fd = std::stoi(entry.path().filename().string());
    if ((::fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) return fd;
  }
  return -1;
}

// When a sync of the WAL fails, the writes of that batch are answered with
// the error (never as written), so is every write after it even once the
// file could be synced again, and WriteHealth reports it (/healthz answers
// 503 from it). The failure is made real by pointing the syncer's
// descriptor at /dev/null, where fdatasync fails.
TEST(SqliteStoreTest, AFailedWalSyncFailsEveryWriteFromThenOn) {
  TempDb db("syncfail");
  auto store = *OpenSqliteStore({.path = db.path()});
  auto insert = [&](const char* id) {
    return store->Write([id](Transaction& t) {
      return t.InsertProduct({id, "P", 1, {}});
    });
  };
  ASSERT_TRUE(insert("before").ok());
  EXPECT_TRUE(store->WriteHealth().ok());

  int syncer_fd = ReadOnlyDescriptorOf(db.path() + "-wal");
  ASSERT_GE(syncer_fd, 0);
  int saved = ::dup(syncer_fd);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(::dup2(devnull, syncer_fd), syncer_fd);
  Status failed = insert("during");
  EXPECT_EQ(failed.code(), ErrorCode::kUnavailable);
  EXPECT_NE(failed.message().find("durable"), std::string::npos);

  ASSERT_EQ(::dup2(saved, syncer_fd), syncer_fd);  // syncable again
  Status later = insert("after");
  EXPECT_EQ(later.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->WriteHealth().code(), ErrorCode::kUnavailable);
  ::close(saved);
  ::close(devnull);
}

TEST(SqliteStoreTest, RefusesANewerSchema) {
  TempDb db("newer");
  const std::string& path = db.path();
  { ASSERT_TRUE(OpenSqliteStore({.path = path}).ok()); }
  {
    auto conn = *Connection::Open(path, false);
    ASSERT_TRUE(
        conn->Exec("INSERT INTO schema_migrations VALUES (999, 0)").ok());
  }
  auto again = OpenSqliteStore({.path = path});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kCorruption);
}

// Decoding fails closed (row_codec.h): a code whose stored type this build
// does not know, or whose hash is cut short, is reported as corruption by
// every read of it, never served with a default.
TEST(SqliteStoreTest, UnreadableRowsAreCorruptionNotDefaults) {
  TempDb db("unreadable");
  const std::string& path = db.path();
  std::int64_t code_id = AddCode(*OpenSqliteStore({.path = path}).value(), {});
  for (const char* damage :
       {"UPDATE codes SET license_type = 'forever'",
        "UPDATE codes SET license_type = 'term', code_hash = x'0707'"}) {
    {
      auto conn = *Connection::Open(path, false);
      ASSERT_TRUE(conn->Exec(damage).ok());
    }
    auto store = *OpenSqliteStore({.path = path});
    Status by_id = store->Read(
        [&](Transaction& t) { return t.FindCodeById(code_id).status(); });
    EXPECT_EQ(by_id.code(), ErrorCode::kCorruption) << damage;
    Status listed =
        store->Read([&](Transaction& t) { return t.ListCodes({}).status(); });
    EXPECT_EQ(listed.code(), ErrorCode::kCorruption) << damage;
  }
}

TEST(SqliteStoreTest, NotADatabaseIsReported) {
  TempDb db("garbage");
  const std::string& path = db.path();
  {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("this is not a database, just text that is long enough....", f);
    std::fclose(f);
  }
  auto s = OpenSqliteStore({.path = path});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace licentia::store::sqlite
