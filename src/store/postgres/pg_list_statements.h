// The SQL of the admin listings (codes, events) on PostgreSQL, each led by
// the index on its most selective filter.
//
// The statements are prepared once per connection, and PostgreSQL may run
// a prepared statement on a generic plan, made without the parameters'
// values: for "($2 IS NULL OR code_id = $2)" that plan walks the primary
// key, reading every event after the cursor to list one code's. Each
// filter combination gets a statement whose leading condition an index
// serves; the full filter follows, so every variant returns the same rows.
// (The SQLite store does the same: sqlite/list_statements.h.)
#ifndef LICENTIA_STORE_POSTGRES_PG_LIST_STATEMENTS_H_
#define LICENTIA_STORE_POSTGRES_PG_LIST_STATEMENTS_H_

#include "store/store.h"

// The columns ReadCode (pg_store.cc) decodes, in order.
#define LICENTIA_CODE_COLUMNS                                                \
  "id, code_hash, code_tail, batch_id, product_id, edition, features, "      \
  "max_devices, license_type, term_days, activate_by, compatible_versions, " \
  "requires_account, created_at, first_activated_at, blocked, "              \
  "blocked_reason, seats_used"

namespace licentia::store::postgres {

// Parameters: $1 after_id, $2 product_id ('' = any), $3 blocked (NULL =
// any), $4 batch_id (NULL = any), $5 tail ('' = any), $6 limit. A string
// literal (PgConnection::Query caches by address).
const char* ListCodesStatement(const CodeFilter& f);

// Parameters: $1 after_id, $2 code_id (NULL = any), $3 product_id ('' =
// any), $4 type ('' = any), $5 limit. A string literal.
const char* ListEventsStatement(const EventFilter& f);

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_PG_LIST_STATEMENTS_H_
