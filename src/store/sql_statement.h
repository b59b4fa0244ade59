// One SQL statement, written once for every backend.
//
// A statement is written in PostgreSQL's parameter style ($1 ... $n); its
// SQLite text is derived by writing each $n as ?n, which SQLite reads as
// the same numbered parameter. A statement whose text must differ beyond
// that (a LATERAL join, an INDEXED BY, a cast) gives both texts side by
// side with PerDialect, and one that only one backend needs gives the
// other an empty text.
//
// Statements are immutable and meant to be built once, at namespace
// scope: each backend caches its prepared statements by the address of
// the text (sqlite_handle.h, pg_connection.h), so a text must stay at the
// same address for as long as the process runs.
#ifndef LICENTIA_STORE_SQL_STATEMENT_H_
#define LICENTIA_STORE_SQL_STATEMENT_H_

#include <string>
#include <string_view>

namespace licentia::store {

enum class SqlDialect { kSqlite, kPostgres };

class SqlStatement {
 public:
  // `postgres` uses $1 ... $n; the SQLite text is derived from it.
  explicit SqlStatement(std::string postgres);

  // Texts that differ beyond how parameters are written. "" means the
  // statement does not exist in that dialect (text() is then null).
  static SqlStatement PerDialect(std::string sqlite, std::string postgres);

  // An INSERT into a table with an integer `id` key, for
  // SqlSession::Insert: PostgreSQL's text returns the id ("RETURNING id");
  // SQLite's does not, its session reads sqlite3_last_insert_rowid, which
  // costs the single writer less than a RETURNING clause.
  static SqlStatement InsertReturningId(std::string postgres_insert);

  // The text for `dialect`, or null if the statement has none there.
  [[nodiscard]] const char* text(SqlDialect dialect) const {
    const std::string& s = dialect == SqlDialect::kSqlite ? sqlite_ : postgres_;
    return s.empty() ? nullptr : s.c_str();
  }

 private:
  SqlStatement(std::string sqlite, std::string postgres)
      : sqlite_(std::move(sqlite)), postgres_(std::move(postgres)) {}

  std::string sqlite_;
  std::string postgres_;
};

// `sql` with each parameter $n written ?n, outside quoted literals.
std::string SqliteParameters(std::string_view sql);

// "id, name" qualified by "c" is "c.id, c.name". REQUIRES: `columns` is
// plain column names separated by ", ".
std::string QualifiedColumns(std::string_view alias, std::string_view columns);

// How many columns `columns` names (1 + the number of commas).
int ColumnCount(std::string_view columns);

}  // namespace licentia::store

#endif  // LICENTIA_STORE_SQL_STATEMENT_H_
