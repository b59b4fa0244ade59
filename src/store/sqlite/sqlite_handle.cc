#include "store/sqlite/sqlite_handle.h"

#include <fmt/format.h>

#include <cstring>

namespace licentia::store::sqlite {

Status FromSqlite(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) {
    return Status::Ok();
  }
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status(ErrorCode::kConflict, fmt::format("{}: {}", what, detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return Status(
          ErrorCode::kUnavailable,
          fmt::format("The database is unavailable ({}: {}).", what, detail));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status(
          ErrorCode::kCorruption,
          fmt::format("The database file is damaged ({}: {}).", what, detail));
    default:
      return Status(ErrorCode::kInternal,
                    fmt::format("Database error ({}: {}).", what, detail));
  }
}

Query& Query::Bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Query& Query::Bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Query& Query::Bind(int i, std::span<const std::uint8_t> v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Query& Query::Bind(int i, std::optional<std::int64_t> v) {
  return v ? Bind(i, *v) : BindNull(i);
}
Query& Query::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Query::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromSqlite(rc, sqlite3_db_handle(stmt_), sqlite3_sql(stmt_));
}

Status Query::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

Query& Query::BindStatic(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
  return *this;
}
Query& Query::BindStatic(int i, std::span<const std::uint8_t> bytes) {
  // A null pointer would bind NULL, not an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  sqlite3_bind_blob(stmt_, i, bytes.empty() ? &kEmpty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_STATIC);
  return *this;
}

bool Query::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

bool Query::FixedBlob(int col, std::span<std::uint8_t> out) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n != static_cast<int>(out.size())) return false;
  std::memcpy(out.data(), p, out.size());
  return true;
}

std::int64_t Query::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
std::optional<std::int64_t> Query::OptInt(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_, col);
}
std::string Query::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}
std::string Query::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), n) : std::string();
}

void ConfigureSqliteOnce() {
  // Memory statistics take a process-wide mutex on every allocation, which
  // the reader and writer threads would contend on; nothing here reads them.
  //
  // Statement journals (a statement inside a transaction that writes more
  // than one row, or fires a trigger, records the pages it changes so it
  // can be undone alone) are kept in memory in 1 KB chunks. By default
  // they spill to a file past 64 KB and are kept meanwhile in one 64 KB
  // chunk: a malloc and free of 64 KB for each such statement (every
  // activation, while seat counts were kept by a trigger), which made
  // glibc consolidate its heap each time. A
  // statement's journal holds only the pages that statement changes: a few
  // for every statement the server runs, the whole table for a migration
  // that rewrites one (once, at an upgrade, in memory while it runs).
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
    return true;
  }();
  (void)configured;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     bool read_only,
                                                     const char* vfs) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY
                        : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // each connection is used by one thread
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  std::unique_ptr<Connection> conn(new Connection(db));
  if (rc != SQLITE_OK) {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot open the database {}: {}", path,
                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  return conn;
}

Status Connection::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  return FromSqlite(rc, db_.get(), sql.substr(0, 60));
}

Result<Query> Connection::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return FromSqlite(rc, db_.get(), "prepare");
    it = statements_.emplace(sql, stmt).first;
  }
  return Query(it->second.get());
}

}  // namespace licentia::store::sqlite
