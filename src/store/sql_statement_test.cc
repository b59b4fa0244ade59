#include "store/sql_statement.h"

#include <gtest/gtest.h>

#include "store/list_statements.h"

namespace licentia::store {
namespace {

TEST(SqlStatementTest, SqliteTextNumbersTheSameParameters) {
  SqlStatement s("UPDATE t SET a = $2, b = $10 WHERE id = $1");
  EXPECT_STREQ(s.text(SqlDialect::kPostgres),
               "UPDATE t SET a = $2, b = $10 WHERE id = $1");
  EXPECT_STREQ(s.text(SqlDialect::kSqlite),
               "UPDATE t SET a = ?2, b = ?10 WHERE id = ?1");
}

TEST(SqlStatementTest, QuotedDollarsAreLeftAlone) {
  EXPECT_EQ(SqliteParameters("SELECT '$1', $1 WHERE x LIKE '%' || $2"),
            "SELECT '$1', ?1 WHERE x LIKE '%' || ?2");
  EXPECT_EQ(SqliteParameters("SELECT $ FROM t$"), "SELECT $ FROM t$");
}

TEST(SqlStatementTest, AStatementMissingInADialectHasNoText) {
  SqlStatement s = SqlStatement::PerDialect("", "SELECT 1 FOR UPDATE");
  EXPECT_EQ(s.text(SqlDialect::kSqlite), nullptr);
  EXPECT_STREQ(s.text(SqlDialect::kPostgres), "SELECT 1 FOR UPDATE");
}

TEST(SqlStatementTest, QualifiesEveryColumn) {
  EXPECT_EQ(QualifiedColumns("c", "id, code_hash, seats_used"),
            "c.id, c.code_hash, c.seats_used");
  EXPECT_EQ(QualifiedColumns("a", "id"), "a.id");
  EXPECT_EQ(QualifiedColumns("a", ""), "");
}

TEST(SqlStatementTest, CountsColumns) {
  EXPECT_EQ(ColumnCount("id"), 1);
  EXPECT_EQ(ColumnCount("id, code_hash, seats_used"), 3);
}

TEST(SqlStatementTest, CodeSeatStatementWritesParametersForEachBackend) {
  std::string sqlite = FindCodeSeatStatement().text(SqlDialect::kSqlite);
  EXPECT_EQ(sqlite.find('$'), std::string::npos);
  EXPECT_NE(sqlite.find("SELECT c.id, c.code_hash"), std::string::npos);
  EXPECT_NE(sqlite.find("c.code_hash = ?1"), std::string::npos);
  EXPECT_NE(sqlite.find("a.device_hash = ?2"), std::string::npos);
  EXPECT_NE(sqlite.find("r.device_hash = ?2"), std::string::npos);
  std::string pg = FindCodeSeatStatement().text(SqlDialect::kPostgres);
  EXPECT_EQ(pg.find('?'), std::string::npos);
  EXPECT_NE(pg.find("c.code_hash = $1"), std::string::npos);
  EXPECT_NE(pg.find("LEFT JOIN LATERAL (SELECT id, code_id, device_hash"),
            std::string::npos);
  EXPECT_NE(pg.find("WHERE code_id = c.id AND device_hash = $2"),
            std::string::npos);
}

}  // namespace
}  // namespace licentia::store
