// SQLite-specific behaviour beyond the contract: group commit, the
// append-only event log, refusing a database from a newer version.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {
namespace {

std::string TempDb(const char* name) {
  auto p = std::filesystem::temp_directory_path() /
           (std::string(name) + std::to_string(::getpid()) + ".db");
  for (auto suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(p.string() + suffix);
  }
  return p.string();
}

TEST(SqliteStoreTest, ConcurrentWritesShareCommits) {
  auto store = *OpenSqliteStore({.path = TempDb("group")});
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

// Checkpoints run beside the writer, and they keep the WAL from growing
// without bound.
TEST(SqliteStoreTest, CheckpointsRunBesideTheWriter) {
  std::string path = TempDb("checkpoint");
  auto store = *OpenSqliteStore({.path = path});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(store
                    ->Write([](Transaction& t) {
                      EventRow e;
                      e.type = "x";
                      e.actor = "a";
                      e.details_json = std::string(2000, 'd');
                      return t.AppendEvent(e);
                    })
                    .ok());
  }
  // The checkpointer is woken every 64 commits; wait (bounded) for it.
  for (int i = 0; i < 500 && store->GetStats().checkpoints == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(store->GetStats().checkpoints, 0u);
  // Every commit appended pages to the WAL (over 8 MB in all); once
  // checkpointed, the WAL is reused from its start instead of growing.
  EXPECT_LT(std::filesystem::file_size(path + "-wal"), 4'000'000u);
}

TEST(SqliteStoreTest, EventLogIsAppendOnly) {
  std::string path = TempDb("events");
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

// Migration 2 turned the seat count into a stored running count; a
// database from before it gets the count of its existing activations.
TEST(SqliteStoreTest, UpgradingCountsTheSeatsAlreadyTaken) {
  std::string path = TempDb("upgrade");
  std::int64_t code_id = 0;
  {
    auto store = *OpenSqliteStore({.path = path});
    ASSERT_TRUE(
        store
            ->Write([&](Transaction& t) {
              LICENTIA_RETURN_IF_ERROR(t.InsertProduct({"p", "P", 1, {}}));
              LICENTIA_ASSIGN_OR_RETURN(std::int64_t batch,
                                        t.InsertBatch({0, "p", 1, "", 1}));
              CodeRow c;
              c.batch_id = batch;
              c.terms.product = "p";
              c.terms.max_devices = 10;
              LICENTIA_ASSIGN_OR_RETURN(code_id, t.InsertCode(c));
              for (std::uint8_t d = 0; d < 4; ++d) {
                ActivationRow a;
                a.code_id = code_id;
                a.device_hash[0] = d;
                LICENTIA_RETURN_IF_ERROR(t.InsertActivation(a).status());
              }
              return Status::Ok();
            })
            .ok());
  }
  {
    // Back to the schema before migration 2.
    auto conn = *Connection::Open(path, false);
    ASSERT_TRUE(conn->Exec("DROP TRIGGER activations_take_seat;"
                           "DROP TRIGGER activations_free_seat;"
                           "DROP TRIGGER activations_retake_seat;"
                           "DROP TRIGGER activations_delete_seat;"
                           "ALTER TABLE codes DROP COLUMN seats_used;"
                           "DELETE FROM schema_migrations WHERE version = 2;")
                    .ok());
  }
  auto store = *OpenSqliteStore({.path = path});
  ASSERT_TRUE(store
                  ->Read([&](Transaction& t) {
                    LICENTIA_ASSIGN_OR_RETURN(auto code,
                                              t.FindCodeById(code_id));
                    EXPECT_EQ(code->seats_used, 4);
                    return Status::Ok();
                  })
                  .ok());
}

TEST(SqliteStoreTest, RefusesANewerSchema) {
  std::string path = TempDb("newer");
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

TEST(SqliteStoreTest, NotADatabaseIsReported) {
  std::string path = TempDb("garbage");
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
