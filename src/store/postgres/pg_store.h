// The PostgreSQL backend, for several stateless licentiad instances in front
// of one database.
//
// Every write transaction runs at SERIALIZABLE isolation and is retried on a
// serialization failure or deadlock (SQLSTATE 40001, 40P01), so seat
// allocation and first activation stay exact across instances. Writes run
// on a pool of threads, one connection each; reads borrow a connection on
// the calling thread. Migrations run at start under an advisory lock, so
// instances starting together do not race.
#ifndef LICENTIA_STORE_POSTGRES_PG_STORE_H_
#define LICENTIA_STORE_POSTGRES_PG_STORE_H_

#include <memory>
#include <string>

#include "store/store.h"

namespace licentia::store::postgres {

struct PgOptions {
  std::string url;    // postgresql://user@host:port/db?...
  int pool_size = 8;  // connections (and write threads)
  int max_retries = 20;
};

// kUnavailable with libpq's reason if the database cannot be reached.
Result<std::unique_ptr<Store>> OpenPgStore(const PgOptions& options);

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_PG_STORE_H_
