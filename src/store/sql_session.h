// What the store's SQL code (sql_transaction.h, schema.h) needs from a
// database connection, and nothing more: run a statement with parameters
// and read its rows. Each backend adapts its connection to it
// (sqlite/sqlite_session.h, postgres/pg_session.h), so every statement,
// column list and row mapping is written once.
//
// Thread safety: a session is used by one thread at a time.
#ifndef LICENTIA_STORE_SQL_SESSION_H_
#define LICENTIA_STORE_SQL_SESSION_H_

#include <array>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/function_ref.h"
#include "core/status.h"
#include "store/sql_statement.h"

namespace licentia::store {

// One statement parameter. It borrows text and bytes: the value it was
// made from must outlive the statement's run (true of every argument list
// written in the call, which is how they are meant to be written).
class SqlValue {
 public:
  enum class Kind { kNull, kInt, kText, kBytes, kBool };

  SqlValue() = default;  // NULL
  template <std::integral T>
  requires(!std::same_as<T, bool>)
      SqlValue(T v)  // NOLINT(google-explicit-constructor)
      : kind_(Kind::kInt), int_(static_cast<std::int64_t>(v)) {}
  SqlValue(std::optional<std::int64_t> v)  // NOLINT
      : kind_(v ? Kind::kInt : Kind::kNull), int_(v.value_or(0)) {}
  SqlValue(std::string_view v)  // NOLINT
      : kind_(Kind::kText), text_(v) {}
  SqlValue(const std::string& v)  // NOLINT
      : kind_(Kind::kText), text_(v) {}
  SqlValue(const char* v)  // NOLINT
      : kind_(Kind::kText), text_(v) {}
  SqlValue(std::span<const std::uint8_t> v)  // NOLINT
      : kind_(Kind::kBytes),
        text_(reinterpret_cast<const char*>(v.data()), v.size()) {}
  template <std::size_t N>
  SqlValue(const std::array<std::uint8_t, N>& v)  // NOLINT
      : SqlValue(std::span<const std::uint8_t>(v)) {}
  // Not implicit: too many things convert to bool.
  static SqlValue Bool(bool v) {
    SqlValue out;
    out.kind_ = Kind::kBool;
    out.int_ = v ? 1 : 0;
    return out;
  }

  Kind kind() const { return kind_; }
  std::int64_t as_int() const { return int_; }  // kInt, kBool (0 or 1)
  std::string_view as_text() const { return text_; }
  std::span<const std::uint8_t> as_bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(text_.data()), text_.size()};
  }

 private:
  Kind kind_ = Kind::kNull;
  std::int64_t int_ = 0;
  std::string_view text_;
};

using SqlParams = std::initializer_list<SqlValue>;

// One result row, read by 0-based column index. Reading a NULL as Int or
// Text gives 0 or "".
class SqlRow {
 public:
  virtual bool IsNull(int col) const = 0;
  virtual std::int64_t Int(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  virtual bool Bool(int col) const = 0;
  // Copies the bytes of a blob (bytea) column into `out` if it holds
  // exactly out.size() bytes; false, leaving `out` as it was, otherwise.
  [[nodiscard]] virtual bool FixedBytes(int col,
                                        std::span<std::uint8_t> out) const = 0;

  std::optional<std::int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }

 protected:
  ~SqlRow() = default;
};

using RowVisitor = FunctionRef<Status(const SqlRow&)>;

class SqlSession {
 public:
  virtual ~SqlSession() = default;

  virtual SqlDialect dialect() const = 0;

  // Runs `statement` with `params` and calls `row` for each result row, in
  // order; an error from `row` stops the run and is returned. Errors:
  // kConflict for a constraint violation, kUnavailable when the database
  // cannot be reached or is busy, kInternal when the statement has no text
  // in this dialect or fails otherwise.
  virtual Status Run(const SqlStatement& statement, SqlParams params,
                     RowVisitor row) = 0;
  Status Run(const SqlStatement& statement, SqlParams params) {
    return Run(statement, params, [](const SqlRow&) { return Status::Ok(); });
  }

  // Runs `statement`, made with SqlStatement::InsertReturningId, and
  // returns the id of the row it inserted. Errors as for Run.
  virtual Result<std::int64_t> Insert(const SqlStatement& statement,
                                      SqlParams params) = 0;

  // Runs `statement`, whose rows nothing reads, now or with the session's
  // next statement or commit, in the same round trip (PostgreSQL does
  // this). Its error is then that call's, and the transaction fails.
  virtual Status Defer(const SqlStatement& statement, SqlParams params) = 0;

  // Runs a script of statements without parameters or results (the
  // schema's DDL). Not for statements run per request: nothing is cached.
  virtual Status Exec(std::string_view script) = 0;
};

}  // namespace licentia::store

#endif  // LICENTIA_STORE_SQL_SESSION_H_
