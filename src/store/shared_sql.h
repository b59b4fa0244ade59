// SQL text both backends build the same way: column lists qualified for
// joins, and the statements whose text differs between SQLite and
// PostgreSQL only in how parameters are written.
#ifndef LICENTIA_STORE_SHARED_SQL_H_
#define LICENTIA_STORE_SHARED_SQL_H_

#include <string>
#include <string_view>

namespace licentia::store {

// "id, name" qualified by "c" is "c.id, c.name". REQUIRES: `columns` is
// plain column names separated by ", ".
std::string QualifiedColumns(std::string_view alias, std::string_view columns);

// How many columns `columns` names (1 + the number of commas).
int ColumnCount(std::string_view columns);

enum class SqlDialect { kSqlite, kPostgres };

// Transaction::FindCodeSeat's statement: parameter 1 is the code's hash,
// parameter 2 the device's; the row holds `code_columns`, then
// `activation_columns` (NULL without an active seat), then the reserve's
// code_id and added_at (NULL without a reserve). At most one row: a device
// holds one active seat per code and one reserve per product.
//
// On PostgreSQL the seat is joined LATERAL: as a plain LEFT JOIN, its
// plan on small tables searched the seats index (code_id, device_hash) by
// the device alone and filtered by code afterwards, a walk of the whole
// index, and a prepared statement may keep such a plan. A LATERAL
// subquery with a LIMIT (which PostgreSQL cannot flatten into the join;
// there is at most one row anyway) makes the code's id part of the index
// search whatever the statistics say
// (pg_list_statements_test.cc checks it). SQLite has no LATERAL and plans the
// plain join right (list_statements_test.cc checks its plan).
std::string FindCodeSeatSql(std::string_view code_columns,
                            std::string_view activation_columns,
                            SqlDialect dialect);

}  // namespace licentia::store

#endif  // LICENTIA_STORE_SHARED_SQL_H_
