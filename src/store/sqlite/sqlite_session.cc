#include "store/sqlite/sqlite_session.h"

namespace licentia::store::sqlite {
namespace {

class QueryRow final : public SqlRow {
 public:
  explicit QueryRow(const Query& q) : q_(q) {}
  bool IsNull(int col) const override { return q_.IsNull(col); }
  std::int64_t Int(int col) const override { return q_.Int(col); }
  std::string Text(int col) const override { return q_.Text(col); }
  bool Bool(int col) const override { return q_.Int(col) != 0; }
  bool FixedBytes(int col, std::span<std::uint8_t> out) const override {
    return q_.FixedBlob(col, out);
  }

 private:
  const Query& q_;
};

void Bind(Query& q, int i, const SqlValue& v) {
  switch (v.kind()) {
    case SqlValue::Kind::kNull:
      q.BindNull(i);
      return;
    case SqlValue::Kind::kInt:
    case SqlValue::Kind::kBool:  // SQLite keeps booleans as 0 and 1
      q.Bind(i, v.as_int());
      return;
    case SqlValue::Kind::kText:
      q.BindStatic(i, v.as_text());
      return;
    case SqlValue::Kind::kBytes:
      q.BindStatic(i, v.as_bytes());
      return;
  }
}

}  // namespace

Status SqliteSession::BeginIfFirst() {
  if (!begin_on_first_statement_ || begun_) return Status::Ok();
  if (conn_ == nullptr) {
    LICENTIA_ASSIGN_OR_RETURN(conn_, (*source_)());
  }
  // Through a cached prepared statement: it runs for every read.
  LICENTIA_ASSIGN_OR_RETURN(Query begin, conn_->Prepare("BEGIN"));
  LICENTIA_RETURN_IF_ERROR(begin.Run());
  begun_ = true;
  return Status::Ok();
}

Status SqliteSession::Run(const SqlStatement& statement, SqlParams params,
                          RowVisitor row) {
  const char* text = statement.text(SqlDialect::kSqlite);
  if (text == nullptr) {
    return Status(ErrorCode::kInternal, "A statement has no SQLite form.");
  }
  LICENTIA_RETURN_IF_ERROR(BeginIfFirst());
  LICENTIA_ASSIGN_OR_RETURN(Query q, conn_->Prepare(text));
  int i = 1;
  for (const SqlValue& v : params) Bind(q, i++, v);
  const QueryRow view(q);
  while (true) {
    LICENTIA_ASSIGN_OR_RETURN(bool has_row, q.Step());
    if (!has_row) return Status::Ok();
    LICENTIA_RETURN_IF_ERROR(row(view));
  }
}

Result<std::int64_t> SqliteSession::Insert(const SqlStatement& statement,
                                           SqlParams params) {
  LICENTIA_RETURN_IF_ERROR(Run(statement, params));
  return conn_->LastInsertId();
}

Status SqliteSession::Defer(const SqlStatement& statement, SqlParams params) {
  return Run(statement, params);
}

Status SqliteSession::Exec(std::string_view script) {
  LICENTIA_RETURN_IF_ERROR(BeginIfFirst());
  return conn_->Exec(script);
}

}  // namespace licentia::store::sqlite
