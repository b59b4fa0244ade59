// The one schema: both backends, migrated, hold the same tables, columns
// and indexes (they had drifted: SQLite merged its seat indexes and
// PostgreSQL did not).
#include "store/schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_store.h"

namespace licentia::store {
namespace {

struct SchemaShape {
  std::map<std::string, std::vector<std::string>> columns;  // by table
  std::set<std::string> indexes;  // named ones, not a key's own
};

// Key serials are kept each backend's way: SQLite's writer advances a
// counter row, PostgreSQL draws from a sequence (key_serial_counter.h,
// key_serial_blocks.h).
constexpr const char* kSqliteOnlyTables[] = {"counters"};

SchemaShape SqliteShape() {
  auto dir = std::filesystem::temp_directory_path() /
             ("schema-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "s.db").string();
  EXPECT_TRUE(sqlite::OpenSqliteStore({.path = path}).ok());
  auto conn = *sqlite::Connection::Open(path, true);
  SchemaShape shape;
  std::vector<std::string> tables;
  {
    auto q = *conn->Prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
        "LIKE 'sqlite_%' ORDER BY name");
    while (*q.Step()) tables.push_back(q.Text(0));
  }
  for (const auto& t : tables) {
    if (std::find(std::begin(kSqliteOnlyTables), std::end(kSqliteOnlyTables),
                  t) != std::end(kSqliteOnlyTables)) {
      continue;
    }
    sqlite3_stmt* raw = nullptr;
    std::string sql = "PRAGMA table_info(" + t + ")";
    EXPECT_EQ(sqlite3_prepare_v2(conn->raw(), sql.c_str(), -1, &raw, nullptr),
              SQLITE_OK);
    std::unique_ptr<sqlite3_stmt, sqlite::StatementFinalizer> stmt(raw);
    auto& columns = shape.columns[t];
    while (sqlite3_step(raw) == SQLITE_ROW) {
      columns.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(raw, 1)));
    }
  }
  auto q = *conn->Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
      "NULL");
  while (*q.Step()) shape.indexes.insert(q.Text(0));
  std::filesystem::remove_all(dir);
  return shape;
}

SchemaShape PostgresShape(const std::string& base) {
  std::string name = "schema_test_" + std::to_string(::getpid());
  auto admin = *postgres::PgConnection::Connect(base + "/postgres");
  (void)admin->Exec("DROP DATABASE IF EXISTS " + name);
  EXPECT_TRUE(admin->Exec("CREATE DATABASE " + name).ok());
  std::string url = base + "/" + name;
  EXPECT_TRUE(postgres::OpenPgStore({.url = url, .pool_size = 1}).ok());
  SchemaShape shape;
  {
    auto conn = *postgres::PgConnection::Connect(url);
    auto cols = *conn->Query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, "
        "ordinal_position");
    for (int i = 0; i < cols.size(); ++i) {
      shape.columns[cols.Text(i, 0)].push_back(cols.Text(i, 1));
    }
    auto idx = *conn->Query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND "
        "indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'");
    for (int i = 0; i < idx.size(); ++i) shape.indexes.insert(idx.Text(i, 0));
  }
  (void)admin->Exec("DROP DATABASE IF EXISTS " + name);
  return shape;
}

TEST(SchemaTest, VersionsAreWrittenForEveryDialect) {
  EXPECT_EQ(SchemaMigrations().size(),
            static_cast<size_t>(LatestSchemaVersion()));
  for (const Migration& m : SchemaMigrations()) {
    EXPECT_NE(std::string_view(m.sqlite).find_first_not_of(" \n"),
              std::string_view::npos);
    EXPECT_NE(std::string_view(m.postgres).find_first_not_of(" \n"),
              std::string_view::npos);
  }
}

TEST(SchemaTest, BothBackendsHoldTheSameTablesColumnsAndIndexes) {
  const char* base = std::getenv("LICENTIA_TEST_POSTGRES_URL");
  if (base == nullptr || *base == '\0') {
    GTEST_SKIP() << "LICENTIA_TEST_POSTGRES_URL is not set";
  }
  SchemaShape sqlite = SqliteShape();
  SchemaShape pg = PostgresShape(base);
  EXPECT_EQ(sqlite.columns, pg.columns);
  EXPECT_EQ(sqlite.indexes, pg.indexes);
  EXPECT_TRUE(sqlite.indexes.contains("activations_seats"));
}

}  // namespace
}  // namespace licentia::store
