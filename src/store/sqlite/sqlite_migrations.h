// Versioned schema migrations for the SQLite backend. Each entry is applied
// once, in order, inside a transaction, and recorded in schema_migrations.
#ifndef LICENTIA_STORE_SQLITE_SQLITE_MIGRATIONS_H_
#define LICENTIA_STORE_SQLITE_SQLITE_MIGRATIONS_H_

#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {

// Brings the schema to the latest version. kCorruption if the database is
// newer than this program knows.
Status Migrate(Connection& conn);

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_SQLITE_MIGRATIONS_H_
