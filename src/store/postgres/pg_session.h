// SqlSession (sql_session.h) on a PostgreSQL connection.
#ifndef LICENTIA_STORE_POSTGRES_PG_SESSION_H_
#define LICENTIA_STORE_POSTGRES_PG_SESSION_H_

#include "store/postgres/pg_connection.h"
#include "store/sql_session.h"

namespace licentia::store::postgres {

class PgSession final : public SqlSession {
 public:
  // Statements run on `conn`, in whatever transaction its owner opened
  // (PgConnection::Begin). REQUIRES: `conn` outlives the session.
  explicit PgSession(PgConnection& conn) : conn_(conn) {}

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  Status Run(const SqlStatement& statement, SqlParams params,
             RowVisitor row) override;
  using SqlSession::Run;
  Result<std::int64_t> Insert(const SqlStatement& statement,
                              SqlParams params) override;
  // Sent with the next statement or the COMMIT (PgConnection::Defer).
  Status Defer(const SqlStatement& statement, SqlParams params) override;
  Status Exec(std::string_view script) override;

 private:
  PgConnection& conn_;
};

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_PG_SESSION_H_
