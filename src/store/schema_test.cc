// The one schema: both backends, migrated, hold the same tables, columns
// and indexes (they had drifted: SQLite merged its seat indexes and
// PostgreSQL did not).
#include "store/schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_session.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_session.h"
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

// PostgreSQL's change-feed trigger, as the newest version made it, fires
// on the columns the SQLite recorder follows.
TEST(SchemaTest, TheChangeFeedFollowsTheSameColumnsOnBothBackends) {
  std::string_view trigger;
  for (const Migration& m : SchemaMigrations()) {
    std::string_view pg = m.postgres;
    if (size_t at = pg.rfind("CREATE TRIGGER codes_changes");
        at != std::string_view::npos) {
      trigger = pg.substr(at);
    }
  }
  size_t from = trigger.find("AFTER UPDATE OF");
  size_t to = trigger.find("ON codes");
  ASSERT_NE(from, std::string_view::npos);
  std::string_view columns = trigger.substr(from, to - from);
  for (const char* name : kCodeColumnsDevicesSee) {
    EXPECT_NE(columns.find(name), std::string_view::npos) << name;
  }
  EXPECT_EQ(std::count(columns.begin(), columns.end(), ','),
            static_cast<long>(std::size(kCodeColumnsDevicesSee)) - 1);
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

// A database left by an older licentiad: schema `version`, one code (id 1)
// with `seats` active seats and one freed, written through `s` as that
// version's server would have (its triggers, if any, counting seats).
void MakeOldDatabase(SqlSession& s, int version, int seats) {
  static const SqlStatement kRecord(
      "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, 0)");
  static const SqlStatement kProduct(
      "INSERT INTO products(id, name, created_at) VALUES ('p', 'P', 1)");
  static const SqlStatement kBatch(
      "INSERT INTO batches(id, product_id, count, note, created_at) "
      "VALUES (1, 'p', 1, '', 1)");
  static const SqlStatement kCode(
      "INSERT INTO codes(id, code_hash, code_tail, batch_id, product_id, "
      "edition, features, max_devices, license_type, term_days, "
      "compatible_versions, requires_account, created_at) VALUES (1, $1, "
      "'ABCDE', 1, 'p', '', '', 10, 'term', 365, '', $2, 1)");
  static const SqlStatement kSeat(
      "INSERT INTO activations(code_id, device_hash, device_name, os, "
      "app_version, token_hash, activated_at, last_seen_at, deactivated_at, "
      "key_serial) VALUES (1, $1, '', '', '', $1, 1, 1, $2, 1)");
  ASSERT_TRUE(s.Exec("CREATE TABLE schema_migrations (version BIGINT "
                     "PRIMARY KEY, applied_at BIGINT NOT NULL)")
                  .ok());
  for (int v = 1; v <= version; ++v) {
    const Migration& m = SchemaMigrations()[v - 1];
    Status st =
        s.Exec(s.dialect() == SqlDialect::kSqlite ? m.sqlite : m.postgres);
    ASSERT_TRUE(st.ok()) << v << ": " << st.ToString();
    ASSERT_TRUE(s.Run(kRecord, {v}).ok());
  }
  ASSERT_TRUE(s.Run(kProduct, {}).ok());
  ASSERT_TRUE(s.Run(kBatch, {}).ok());
  crypto::Hash code{};
  code[0] = 1;
  ASSERT_TRUE(s.Run(kCode, {code, SqlValue::Bool(false)}).ok());
  for (int i = 0; i <= seats; ++i) {
    crypto::Hash device{};
    device[0] = static_cast<std::uint8_t>(i);
    // The last one is freed.
    std::optional<std::int64_t> freed;
    if (i == seats) freed = 5;
    Status st = s.Run(kSeat, {device, freed});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
}

// After the upgrade the store keeps the count itself: a seat taken and
// freed moves it by one each (a trigger left behind would count twice),
// and one device still holds at most one active seat of a code.
void CheckSeatsAfterUpgrade(Store& store, int seats) {
  auto seats_used = [&store] {
    int n = -1;
    EXPECT_TRUE(store
                    .Read([&](Transaction& t) {
                      LICENTIA_ASSIGN_OR_RETURN(auto code, t.FindCodeById(1));
                      n = code->seats_used;
                      EXPECT_EQ(*t.CountActiveSeats(1), n);
                      return Status::Ok();
                    })
                    .ok());
    return n;
  };
  EXPECT_EQ(seats_used(), seats);
  ActivationRow again;
  again.code_id = 1;
  again.device_hash[0] = 0;  // holds an active seat already
  EXPECT_EQ(store
                .Write([&](Transaction& t) {
                  return t.InsertActivation(again).status();
                })
                .code(),
            ErrorCode::kConflict);
  ActivationRow fresh;
  fresh.code_id = 1;
  fresh.device_hash[0] = 200;
  ASSERT_TRUE(store
                  .Write([&](Transaction& t) -> Status {
                    return t.InsertActivation(fresh).status();
                  })
                  .ok());
  EXPECT_EQ(seats_used(), seats + 1);
  ASSERT_TRUE(store
                  .Write([&](Transaction& t) -> Status {
                    LICENTIA_ASSIGN_OR_RETURN(
                        auto held,
                        t.FindActiveActivation(1, fresh.device_hash));
                    return t.Deactivate(held->id, 9);
                  })
                  .ok());
  EXPECT_EQ(seats_used(), seats);
}

// Every version a released licentiad left behind upgrades to the one
// schema: SQLite databases from version 1 (before stored seat counts) and
// PostgreSQL ones from versions 1 and 2 (whose seat trigger and two seat
// indexes versions 3 and 4 replace).
TEST(SchemaTest, OlderSqliteDatabasesUpgrade) {
  for (int version : {1, 2, 3}) {
    auto dir = std::filesystem::temp_directory_path() /
               ("schema-upgrade-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string path = (dir / "old.db").string();
    {
      auto conn = *sqlite::Connection::Open(path, false);
      sqlite::SqliteSession session(*conn);
      MakeOldDatabase(session, version, 4);
    }
    {
      auto store = sqlite::OpenSqliteStore({.path = path});
      ASSERT_TRUE(store.ok()) << version << ": " << store.status().ToString();
      CheckSeatsAfterUpgrade(**store, 4);
    }
    std::filesystem::remove_all(dir);
  }
}

TEST(SchemaTest, OlderPostgresDatabasesUpgrade) {
  const char* base = std::getenv("LICENTIA_TEST_POSTGRES_URL");
  if (base == nullptr || *base == '\0') {
    GTEST_SKIP() << "LICENTIA_TEST_POSTGRES_URL is not set";
  }
  for (int version : {1, 2}) {
    std::string name = "schema_upgrade_" + std::to_string(::getpid());
    auto admin =
        *postgres::PgConnection::Connect(std::string(base) + "/postgres");
    (void)admin->Exec("DROP DATABASE IF EXISTS " + name);
    ASSERT_TRUE(admin->Exec("CREATE DATABASE " + name).ok());
    std::string url = std::string(base) + "/" + name;
    {
      auto conn = *postgres::PgConnection::Connect(url);
      postgres::PgSession session(*conn);
      MakeOldDatabase(session, version, 4);
    }
    {
      auto store = postgres::OpenPgStore({.url = url, .pool_size = 2});
      ASSERT_TRUE(store.ok()) << version << ": " << store.status().ToString();
      CheckSeatsAfterUpgrade(**store, 4);
      auto conn = *postgres::PgConnection::Connect(url);
      auto triggers = *conn->Query(
          "SELECT tgname FROM pg_trigger WHERE tgname = 'activations_seats'");
      EXPECT_EQ(triggers.size(), 0);
    }
    (void)admin->Exec("DROP DATABASE IF EXISTS " + name);
  }
}

}  // namespace
}  // namespace licentia::store
