// SqlSession (sql_session.h) on a SQLite connection.
#ifndef LICENTIA_STORE_SQLITE_SQLITE_SESSION_H_
#define LICENTIA_STORE_SQLITE_SQLITE_SESSION_H_

#include <functional>

#include "store/sql_session.h"
#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {

// Gives a read session its connection when it first needs one.
using ConnectionSource = std::function<Result<Connection*>()>;

class SqliteSession final : public SqlSession {
 public:
  // Statements run on `conn`, in whatever transaction its owner opened.
  explicit SqliteSession(Connection& conn) : conn_(&conn) {}
  // A read session: takes a connection from `source` and BEGINs only at
  // its first statement, so a read the cache answers whole touches neither
  // the connection pool nor the database. REQUIRES: `source` outlives it.
  explicit SqliteSession(const ConnectionSource& source)
      : source_(&source), begin_on_first_statement_(true) {}

  // Whether a read session reached the database (its transaction must
  // then be ended, on connection()).
  bool begun() const { return begun_; }
  Connection* connection() const { return conn_; }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  Status Run(const SqlStatement& statement, SqlParams params,
             RowVisitor row) override;
  using SqlSession::Run;
  Result<std::int64_t> Insert(const SqlStatement& statement,
                              SqlParams params) override;
  // SQLite has no round trip to save: runs at once.
  Status Defer(const SqlStatement& statement, SqlParams params) override;
  Status Exec(std::string_view script) override;

 private:
  Status BeginIfFirst();

  Connection* conn_ = nullptr;
  const ConnectionSource* source_ = nullptr;
  bool begin_on_first_statement_ = false;
  bool begun_ = false;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_SQLITE_SESSION_H_
