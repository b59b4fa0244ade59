#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <list>
#include <string>

#include "store/list_statements.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"

namespace licentia::store::postgres {
namespace {

// Needs the cluster scripts/test.sh starts (LICENTIA_TEST_POSTGRES_URL).
class PgListStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("LICENTIA_TEST_POSTGRES_URL");
    if (base == nullptr || *base == '\0') {
      GTEST_SKIP() << "LICENTIA_TEST_POSTGRES_URL is not set";
    }
    std::string name = "list_statements_" + std::to_string(::getpid());
    auto admin = PgConnection::Connect(std::string(base) + "/postgres");
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + name);
    ASSERT_TRUE((*admin)->Exec("CREATE DATABASE " + name).ok());
    std::string url = std::string(base) + "/" + name;
    // The server's schema, every migration applied.
    ASSERT_TRUE(OpenPgStore({.url = url, .pool_size = 1}).ok());
    auto conn = PgConnection::Connect(url);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
    // The plan PostgreSQL may settle on for a prepared statement, with
    // every path but a full table scan open to it.
    ASSERT_TRUE(conn_->Exec("SET plan_cache_mode = force_generic_plan").ok());
    ASSERT_TRUE(conn_->Exec("SET enable_seqscan = off").ok());
  }

  // The generic plan of `sql` executed with `args`.
  std::string Plan(const char* name, const char* sql, const char* args) {
    EXPECT_TRUE(
        conn_->Exec(std::string("PREPARE ") + name + " AS " + sql).ok());
    // Kept alive and distinct: Query caches statements by the text's
    // address.
    const std::string& explain =
        explains_.emplace_back(std::string("EXPLAIN EXECUTE ") + name + args);
    auto rows = conn_->Query(explain.c_str());
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::string plan;
    for (int i = 0; rows.ok() && i < rows->size(); ++i) {
      plan += rows->Text(i, 0) + "\n";
    }
    return plan;
  }

  std::unique_ptr<PgConnection> conn_;
  std::list<std::string> explains_;
};

TEST_F(PgListStatementsTest, EventsOfACodeOrProductUseTheirIndex) {
  EventFilter by_code;
  by_code.code_id = 7;
  std::string plan =
      Plan("ev_code", ListEventsStatement(by_code).text(SqlDialect::kPostgres),
           "(0, 7, '', '', 50)");
  EXPECT_NE(plan.find("events_by_code"), std::string::npos) << plan;
  EventFilter by_product;
  by_product.product_id = "p";
  plan = Plan("ev_product",
              ListEventsStatement(by_product).text(SqlDialect::kPostgres),
              "(0, NULL, 'p', '', 50)");
  EXPECT_NE(plan.find("events_by_product"), std::string::npos) << plan;
}

TEST_F(PgListStatementsTest, CodesOfABatchOrProductUseTheirIndex) {
  CodeFilter by_batch;
  by_batch.batch_id = 3;
  std::string plan = Plan(
      "codes_batch", ListCodesStatement(by_batch).text(SqlDialect::kPostgres),
      "(0, '', NULL, 3, '', 50)");
  EXPECT_NE(plan.find("codes_by_batch"), std::string::npos) << plan;
  CodeFilter by_product;
  by_product.product_id = "p";
  plan = Plan("codes_product",
              ListCodesStatement(by_product).text(SqlDialect::kPostgres),
              "(0, 'p', NULL, NULL, '', 50)");
  EXPECT_NE(plan.find("codes_by_product"), std::string::npos) << plan;
}

// The activation's one read: the seat is searched by code and device
// together, never by the device alone with the code filtered afterwards
// (which walks the index; the plain LEFT JOIN got that plan).
TEST_F(PgListStatementsTest, TheCodeSeatReadSearchesTheSeatByCodeAndDevice) {
  std::string plan =
      Plan("code_seat", FindCodeSeatStatement().text(SqlDialect::kPostgres),
           "('\\x00', '\\x01')");
  EXPECT_NE(plan.find("Index Cond: ((code_id = c.id) AND (device_hash = $2))"),
            std::string::npos)
      << plan;
  EXPECT_NE(plan.find("Index Cond: (code_hash = $1)"), std::string::npos)
      << plan;
  EXPECT_NE(plan.find("Index Cond: ((device_hash = $2) AND (product_id = "
                      "c.product_id))"),
            std::string::npos)
      << plan;
}

}  // namespace
}  // namespace licentia::store::postgres
