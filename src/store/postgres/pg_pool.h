// The PostgreSQL store's idle connections. A connection found broken is
// dropped, never handed out; a new one is opened when none is idle.
//
// Thread-safe.
#ifndef LICENTIA_STORE_POSTGRES_PG_POOL_H_
#define LICENTIA_STORE_POSTGRES_PG_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "store/postgres/pg_connection.h"

namespace licentia::store::postgres {

class PgPool {
 public:
  // Keeps at most `max_idle` idle connections to `url`.
  PgPool(std::string url, int max_idle)
      : url_(std::move(url)), max_idle_(max_idle) {}

  // A healthy idle connection, or a new one; kUnavailable (with libpq's
  // reason) if the database cannot be reached. It is tried again on the
  // next call.
  Result<std::unique_ptr<PgConnection>> Acquire();
  // Keeps `conn` for a later Acquire unless it is broken or the pool is
  // full.
  void Release(std::unique_ptr<PgConnection> conn);

 private:
  const std::string url_;
  const int max_idle_;
  Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ GUARDED_BY(mu_);
};

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_PG_POOL_H_
