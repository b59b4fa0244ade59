#include <fmt/format.h>

#include <future>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace licentia::store {

Status Store::Write(const TransactionFn& fn) {
  std::promise<Status> result;
  std::future<Status> future = result.get_future();
  WriteAsync([&fn](Transaction& txn) { return fn(txn); },
             [&result](Status st) { result.set_value(std::move(st)); });
  return future.get();
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view url,
                                         const OpenOptions& open_options) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    postgres::PgOptions options;
    options.url = std::string(url);
    options.pool_size = open_options.pool_size;
    return postgres::OpenPgStore(options);
  }
  std::string_view path = url;
  if (url.starts_with("sqlite://")) {
    path = url.substr(std::string_view("sqlite://").size());
  } else if (url.find("://") != std::string_view::npos) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("Unsupported database URL '{}'; use "
                              "sqlite:///path/to/file.db or "
                              "postgresql://user@host/db.",
                              url.substr(0, url.find("://") + 3)));
  }
  if (path.empty()) {
    return Status(ErrorCode::kInvalidRequest, "The database path is empty.");
  }
  sqlite::SqliteOptions options;
  options.path = std::string(path);
  options.wal_write_buffer = open_options.sqlite_wal_write_buffer;
  return sqlite::OpenSqliteStore(options);
}

}  // namespace licentia::store
