#include "store/sqlite/wal_write_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {
namespace {

// Write system calls this process has made so far (/proc/self/io).
long WriteCalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

class WalWriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterWalWriteBufferVfs().ok());
    path_ = (std::filesystem::temp_directory_path() /
             ("wal-buffer-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() +
              ".db"))
                .string();
    Remove();
  }
  void TearDown() override {
    writer_.reset();
    reader_.reset();
    Remove();
  }
  void Remove() {
    for (auto suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }

  // The store's writer connection (buffering VFS, synchronous=FULL) and a
  // reader on SQLite's own VFS, as the store's readers are.
  void Open(const char* vfs = kWalWriteBufferVfs) {
    writer_ = *Connection::Open(path_, false, vfs);
    ASSERT_TRUE(writer_
                    ->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                           "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(id "
                           "INTEGER PRIMARY KEY, body BLOB NOT NULL);")
                    .ok());
    reader_ = *Connection::Open(path_, true);
  }

  std::int64_t Count() {
    auto q = *reader_->Prepare("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(*q.Step());
    return q.Int(0);
  }

  // Inserts `rows` rows of `size` bytes each in one transaction.
  Status InsertRows(int rows, int size) {
    static constexpr char kInsert[] =
        "INSERT INTO t(body) VALUES (randomblob(?1))";
    LICENTIA_RETURN_IF_ERROR(writer_->Exec("BEGIN"));
    for (int i = 0; i < rows; ++i) {
      auto q = *writer_->Prepare(kInsert);
      q.Bind(1, std::int64_t{size});
      Status st = q.Run();
      if (!st.ok()) {
        (void)writer_->Exec("ROLLBACK");
        return st;
      }
    }
    Status committed = writer_->Exec("COMMIT");
    if (!committed.ok()) (void)writer_->Exec("ROLLBACK");
    return committed;
  }

  std::string path_;
  std::unique_ptr<Connection> writer_;
  std::unique_ptr<Connection> reader_;
};

// Regression: registering the VFS initialised SQLite before the store's
// process-wide configuration was set, which SQLite then ignored (memory
// statistics came back on: a global mutex on every allocation). Run alone,
// as ctest runs each test, this is the first thing the process asks of
// SQLite.
TEST_F(WalWriteBufferTest, RegisteringFirstKeepsTheStoreConfiguration) {
  Open();
  ASSERT_TRUE(InsertRows(10, 100).ok());
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

// A file the wrapped VFS cannot open is the same clear error as without
// the buffer, and leaves nothing half-open behind.
TEST_F(WalWriteBufferTest, AFileThatCannotOpenIsAClearError) {
  auto conn = Connection::Open("/nonexistent-dir/licentia.db", false,
                               kWalWriteBufferVfs);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(conn.status().message().find("/nonexistent-dir/licentia.db"),
            std::string::npos)
      << conn.status().ToString();
}

// SQLite publishes a commit only after syncing the WAL, which is where the
// buffer is written out: another connection sees every commit at once.
TEST_F(WalWriteBufferTest, CommitsAreVisibleToOtherConnectionsAtOnce) {
  Open();
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(InsertRows(1, 3000).ok());
    ASSERT_EQ(Count(), i);
  }
}

// Larger than the buffer and than one write of the wrapped VFS, with a
// small page cache so that SQLite spills pages into the WAL before the
// commit and rewrites them in place (writes that do not follow the
// buffered ones, and reads of the WAL).
TEST_F(WalWriteBufferTest, LargeTransactionsCommitWhole) {
  Open();
  ASSERT_TRUE(writer_->Exec("PRAGMA cache_size=8").ok());
  ASSERT_TRUE(InsertRows(3000, 3000).ok());
  EXPECT_EQ(Count(), 3000);
  ASSERT_TRUE(writer_
                  ->Exec("BEGIN; UPDATE t SET body = randomblob(2008); "
                         "COMMIT;")
                  .ok());
  auto q = *reader_->Prepare(
      "SELECT COUNT(*), SUM(length(body)) FROM t WHERE body IS NOT NULL");
  ASSERT_TRUE(*q.Step());
  EXPECT_EQ(q.Int(0), 3000);
  EXPECT_EQ(q.Int(1), std::int64_t{3000} * 2008);
  auto check = *reader_->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(*check.Step());
  EXPECT_EQ(check.Text(0), "ok");
}

// What the VFS is for: a commit of many pages is a few writes, not two per
// page. On SQLite's own VFS the same commit makes one write per frame
// header and one per page.
TEST_F(WalWriteBufferTest, ACommitIsAFewWritesNotTwoPerPage) {
  for (const char* vfs : {static_cast<const char*>(nullptr),
                          static_cast<const char*>(kWalWriteBufferVfs)}) {
    SCOPED_TRACE(vfs ? vfs : "default");
    TearDown();
    Open(vfs);
    // One row per page; the update below rewrites 40 of them.
    ASSERT_TRUE(InsertRows(40, 3000).ok());
    long before = WriteCalls();
    ASSERT_GE(before, 0);
    ASSERT_TRUE(writer_->Exec("UPDATE t SET body = randomblob(3000)").ok());
    long writes = WriteCalls() - before;
    if (vfs == nullptr) {
      EXPECT_GE(writes, 80);
    } else {
      EXPECT_LE(writes, 6);
    }
    EXPECT_EQ(Count(), 40);
  }
}

// A write the file system refuses (here: past the process's file size
// limit) fails the commit; nothing of it is visible, and the next commit,
// once the file can grow again, succeeds.
TEST_F(WalWriteBufferTest, AFailedWriteFailsTheCommitAndPublishesNothing) {
  Open();
  ASSERT_TRUE(InsertRows(5, 1000).ok());
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit limited = old;
  limited.rlim_cur = std::filesystem::file_size(path_ + "-wal") + 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status failed = InsertRows(200, 3000);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, SIG_DFL);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(Count(), 5);
  ASSERT_TRUE(InsertRows(200, 3000).ok()) << "after the limit is lifted";
  EXPECT_EQ(Count(), 205);
  auto check = *reader_->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(*check.Step());
  EXPECT_EQ(check.Text(0), "ok");
}

}  // namespace
}  // namespace licentia::store::sqlite
