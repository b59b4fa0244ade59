// RAII for SQLite: a connection that owns its prepared statements, and a
// statement binder/stepper that resets itself when it goes out of scope.
#ifndef LICENTIA_STORE_SQLITE_SQLITE_HANDLE_H_
#define LICENTIA_STORE_SQLITE_SQLITE_HANDLE_H_

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/status.h"

namespace licentia::store::sqlite {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement in use: binds parameters, steps, reads columns, and
// resets (keeping the preparation) when destroyed.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(Query&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;

  // Parameters are 1-based, as in SQLite. Bind copies text and blobs.
  Query& Bind(int i, std::int64_t v);
  Query& Bind(int i, std::string_view v);
  Query& Bind(int i, std::span<const std::uint8_t> v);
  Query& Bind(int i, std::optional<std::int64_t> v);
  Query& BindNull(int i);

  // True if a row is available, false when done; an error Status on failure
  // (kConflict for constraint violations, kUnavailable for busy/IO errors).
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();

  // Binds text or bytes without copying (SQLITE_STATIC), for a Query
  // stepped to completion and destroyed within one call (sqlite_session.cc).
  // REQUIRES: the bytes stay alive and unchanged until this Query is
  // destroyed.
  Query& BindStatic(int i, std::string_view text);
  Query& BindStatic(int i, std::span<const std::uint8_t> bytes);

  bool IsNull(int col) const;
  std::int64_t Int(int col) const;
  std::optional<std::int64_t> OptInt(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  // Copies the blob at `col` into `out` if it is exactly out.size() bytes;
  // false, leaving `out` as it was, otherwise.
  [[nodiscard]] bool FixedBlob(int col, std::span<std::uint8_t> out) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens `path`; read_only connections never write. kUnavailable on failure.
  // `vfs` names a registered SQLite VFS; null is SQLite's default.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  bool read_only,
                                                  const char* vfs = nullptr);

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN...).
  Status Exec(std::string_view sql);
  // A cached prepared statement for `sql`. `sql` must be a string literal
  // (its address keys the cache). kInternal if it does not prepare.
  Result<Query> Prepare(const char* sql);
  std::int64_t LastInsertId() const {
    return sqlite3_last_insert_rowid(db_.get());
  }
  sqlite3* raw() { return db_.get(); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::unordered_map<const char*,
                     std::unique_ptr<sqlite3_stmt, StatementFinalizer>>
      statements_;
};

// Sets SQLite's process-wide configuration (no memory statistics, statement
// journals in memory). It only takes effect before SQLite initialises, so
// whatever calls into SQLite first must call it first: Connection::Open and
// RegisterWalWriteBufferVfs do. Thread-safe; runs once.
void ConfigureSqliteOnce();

// Maps a SQLite result code to a Status (kOk for SQLITE_OK/ROW/DONE).
Status FromSqlite(int rc, sqlite3* db, std::string_view what);

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_SQLITE_HANDLE_H_
