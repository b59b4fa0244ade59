// The database schema, one list of versions for every backend, with each
// dialect's DDL side by side (schema.cc), and the one runner that applies
// them.
#ifndef LICENTIA_STORE_SCHEMA_H_
#define LICENTIA_STORE_SCHEMA_H_

#include <cstdint>
#include <span>

#include "core/clock.h"
#include "core/status.h"
#include "store/sql_session.h"

namespace licentia::store {

// The columns of `codes` whose change a device is told of (a block, its
// terms): the change feed reports a code when one of them changes, not when
// its seat count or first activation does. PostgreSQL's trigger (versions
// 5, 14) and SQLite's change recorder both follow this list (schema_test.cc
// checks the trigger's).
inline constexpr const char* kCodeColumnsDevicesSee[] = {"blocked",
                                                         "blocked_reason",
                                                         "max_devices",
                                                         "activate_by",
                                                         "compatible_versions",
                                                         "term_days",
                                                         "license_type",
                                                         "edition",
                                                         "features",
                                                         "ends_at",
                                                         "suspended",
                                                         "suspended_reason"};

struct Migration {
  const char* sqlite;
  const char* postgres;
};

// Every version, oldest first; version N is element N - 1.
std::span<const Migration> SchemaMigrations();
std::int64_t LatestSchemaVersion();

// Applies the versions the database does not have yet, each in its own
// transaction, recorded with the time `now`. On PostgreSQL, instances
// starting together take turns (an advisory lock). kCorruption if the
// database is newer than this program knows; a failed version is rolled
// back whole and its error returned.
// REQUIRES: no transaction open on `session`.
Status MigrateSchema(SqlSession& session, UnixSeconds now);

}  // namespace licentia::store

#endif  // LICENTIA_STORE_SCHEMA_H_
