#include "store/shared_sql.h"

#include <gtest/gtest.h>

namespace licentia::store {
namespace {

TEST(SharedSqlTest, QualifiesEveryColumn) {
  EXPECT_EQ(QualifiedColumns("c", "id, code_hash, seats_used"),
            "c.id, c.code_hash, c.seats_used");
  EXPECT_EQ(QualifiedColumns("a", "id"), "a.id");
  EXPECT_EQ(QualifiedColumns("a", ""), "");
}

TEST(SharedSqlTest, CountsColumns) {
  EXPECT_EQ(ColumnCount("id"), 1);
  EXPECT_EQ(ColumnCount("id, code_hash, seats_used"), 3);
}

TEST(SharedSqlTest, CodeSeatStatementWritesParametersForEachBackend) {
  std::string sqlite =
      FindCodeSeatSql("id, product_id", "id", SqlDialect::kSqlite);
  EXPECT_EQ(sqlite.find('$'), std::string::npos);
  EXPECT_NE(sqlite.find("SELECT c.id, c.product_id, a.id, r.code_id"),
            std::string::npos);
  EXPECT_NE(sqlite.find("c.code_hash = ?1"), std::string::npos);
  EXPECT_NE(sqlite.find("a.device_hash = ?2"), std::string::npos);
  EXPECT_NE(sqlite.find("r.device_hash = ?2"), std::string::npos);
  std::string pg =
      FindCodeSeatSql("id, product_id", "id", SqlDialect::kPostgres);
  EXPECT_EQ(pg.find('?'), std::string::npos);
  EXPECT_NE(pg.find("c.code_hash = $1"), std::string::npos);
  EXPECT_NE(pg.find("LEFT JOIN LATERAL (SELECT id FROM activations WHERE "
                    "code_id = c.id AND device_hash = $2"),
            std::string::npos);
}

}  // namespace
}  // namespace licentia::store
