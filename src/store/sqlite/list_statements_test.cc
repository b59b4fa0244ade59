#include "store/list_statements.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"

namespace licentia::store::sqlite {
namespace {

// A database with the server's schema (every migration applied).
std::string MigratedDb() {
  auto p = std::filesystem::temp_directory_path() /
           ("list-statements" + std::to_string(::getpid()) + ".db");
  for (auto suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(p.string() + suffix);
  }
  EXPECT_TRUE(OpenSqliteStore({.path = p.string()}).ok());
  return p.string();
}

// SQLite's plan for `sql`, one line per step. (Not through
// Connection::Prepare, whose cache is keyed by the text's address.)
std::string Plan(Connection& conn, const std::string& sql) {
  std::string explain = "EXPLAIN QUERY PLAN " + sql;
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(conn.raw(), explain.c_str(), -1, &raw, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(conn.raw());
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt(raw);
  std::string plan;
  while (raw && sqlite3_step(raw) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(raw, 3));
    plan += "\n";
  }
  return plan;
}

class ListStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = MigratedDb();
    conn_ = *Connection::Open(path_, true);
  }
  void TearDown() override {
    conn_.reset();
    for (auto suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }
  std::string path_;
  std::unique_ptr<Connection> conn_;
};

// A listing filtered by code, batch or product must be served by that
// filter's index, never by walking every row after the cursor.
TEST_F(ListStatementsTest, EventsOfACodeOrProductUseTheirIndex) {
  EventFilter by_code;
  by_code.code_id = 7;
  EXPECT_NE(Plan(*conn_, ListEventsStatement(by_code).text(SqlDialect::kSqlite))
                .find("events_by_code"),
            std::string::npos)
      << Plan(*conn_, ListEventsStatement(by_code).text(SqlDialect::kSqlite));
  EventFilter by_product;
  by_product.product_id = "p";
  EXPECT_NE(
      Plan(*conn_, ListEventsStatement(by_product).text(SqlDialect::kSqlite))
          .find("events_by_product"),
      std::string::npos);
  // The code is the narrower filter when both are given.
  by_code.product_id = "p";
  EXPECT_NE(Plan(*conn_, ListEventsStatement(by_code).text(SqlDialect::kSqlite))
                .find("events_by_code"),
            std::string::npos);
  EXPECT_NE(Plan(*conn_, ListEventsStatement({}).text(SqlDialect::kSqlite))
                .find("PRIMARY KEY"),
            std::string::npos);
}

TEST_F(ListStatementsTest, CodesOfABatchOrProductUseTheirIndex) {
  CodeFilter by_batch;
  by_batch.batch_id = 3;
  by_batch.product_id = "p";
  EXPECT_NE(Plan(*conn_, ListCodesStatement(by_batch).text(SqlDialect::kSqlite))
                .find("codes_by_batch"),
            std::string::npos)
      << Plan(*conn_, ListCodesStatement(by_batch).text(SqlDialect::kSqlite));
  CodeFilter by_product;
  by_product.product_id = "p";
  by_product.blocked = true;
  EXPECT_NE(
      Plan(*conn_, ListCodesStatement(by_product).text(SqlDialect::kSqlite))
          .find("codes_by_product"),
      std::string::npos);
  EXPECT_NE(Plan(*conn_, ListCodesStatement({}).text(SqlDialect::kSqlite))
                .find("PRIMARY KEY"),
            std::string::npos);
}

// The activation's one read on the writer: a point lookup in each table.
TEST_F(ListStatementsTest, TheCodeSeatReadSearchesAnIndexOfEachTable) {
  std::string plan =
      Plan(*conn_, FindCodeSeatStatement().text(SqlDialect::kSqlite));
  EXPECT_NE(plan.find("SEARCH c USING INDEX sqlite_autoindex_codes_1 "
                      "(code_hash=?)"),
            std::string::npos)
      << plan;
  EXPECT_NE(plan.find("SEARCH a USING INDEX activations_seats (code_id=? AND "
                      "device_hash=?)"),
            std::string::npos)
      << plan;
  EXPECT_NE(plan.find("SEARCH r USING INDEX sqlite_autoindex_reserves_1 "
                      "(device_hash=? AND product_id=?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

}  // namespace
}  // namespace licentia::store::sqlite
