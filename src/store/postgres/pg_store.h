// The PostgreSQL backend, for several stateless licentiad instances in front
// of one database.
//
// Every write transaction locks the row of each code it reads (FOR UPDATE)
// before reading the seats in use, so seat allocation, first activation and
// blocking are serialised per code across instances; a transaction that
// meets a deadlock or serialization failure (SQLSTATE 40P01, 40001) is rolled
// back and retried. Writes run
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
