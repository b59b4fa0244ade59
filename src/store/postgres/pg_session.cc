#include "store/postgres/pg_session.h"

#include <algorithm>
#include <optional>

namespace licentia::store::postgres {
namespace {

class ResultRow final : public SqlRow {
 public:
  ResultRow(const Rows& rows, int row) : rows_(rows), row_(row) {}
  bool IsNull(int col) const override { return rows_.IsNull(row_, col); }
  std::int64_t Int(int col) const override { return rows_.Int(row_, col); }
  std::string Text(int col) const override { return rows_.Text(row_, col); }
  bool Bool(int col) const override { return rows_.Bool(row_, col); }
  bool FixedBytes(int col, std::span<std::uint8_t> out) const override {
    if (rows_.IsNull(row_, col)) return false;
    std::vector<std::uint8_t> bytes = rows_.Bytes(row_, col);
    if (bytes.size() != out.size()) return false;
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return true;
  }

 private:
  const Rows& rows_;
  const int row_;
};

Params ToParams(SqlParams params) {
  Params out;
  for (const SqlValue& v : params) {
    switch (v.kind()) {
      case SqlValue::Kind::kNull:
        out.AddNull();
        break;
      case SqlValue::Kind::kInt:
        out.Add(v.as_int());
        break;
      case SqlValue::Kind::kBool:
        out.AddBool(v.as_int() != 0);
        break;
      case SqlValue::Kind::kText:
        out.Add(v.as_text());
        break;
      case SqlValue::Kind::kBytes:
        out.Add(v.as_bytes());
        break;
    }
  }
  return out;
}

Result<const char*> TextOf(const SqlStatement& statement) {
  const char* text = statement.text(SqlDialect::kPostgres);
  if (text == nullptr) {
    return Status(ErrorCode::kInternal, "A statement has no PostgreSQL form.");
  }
  return text;
}

}  // namespace

Status PgSession::Run(const SqlStatement& statement, SqlParams params,
                      RowVisitor row) {
  LICENTIA_ASSIGN_OR_RETURN(const char* text, TextOf(statement));
  LICENTIA_ASSIGN_OR_RETURN(Rows rows, conn_.Query(text, ToParams(params)));
  for (int i = 0; i < rows.size(); ++i) {
    LICENTIA_RETURN_IF_ERROR(row(ResultRow(rows, i)));
  }
  return Status::Ok();
}

Result<std::int64_t> PgSession::Insert(const SqlStatement& statement,
                                       SqlParams params) {
  std::optional<std::int64_t> id;
  LICENTIA_RETURN_IF_ERROR(Run(statement, params, [&](const SqlRow& row) {
    id = row.Int(0);
    return Status::Ok();
  }));
  if (!id) return Status(ErrorCode::kInternal, "An insert returned no id.");
  return *id;
}

Status PgSession::Defer(const SqlStatement& statement, SqlParams params) {
  LICENTIA_ASSIGN_OR_RETURN(const char* text, TextOf(statement));
  return conn_.Defer(text, ToParams(params));
}

Status PgSession::Exec(std::string_view script) { return conn_.Exec(script); }

}  // namespace licentia::store::postgres
