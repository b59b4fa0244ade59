// The statements whose text differs between the dialects because their
// plans do: the admin listings (codes, events), each led by the index on
// its most selective filter, and the activation's one read of a code, its
// seat and its reserve. Tests beside each backend check the plans
// (sqlite/list_statements_test.cc, postgres/pg_list_statements_test.cc).
//
// One listing statement with "($2 IS NULL OR code_id = $2)" style
// conditions reads well, but SQLite plans it once, before the values are
// known, and so always walks the primary key: listing the events of one
// code meant reading every event after the cursor, a full scan on a store
// with tens of millions of events. Each filter combination gets a statement
// whose leading condition an index serves; the others stay as residual
// filters. SQLite is told the index (INDEXED BY: without statistics its
// planner sometimes preferred the primary key, and a listing must not
// depend on that); PostgreSQL's planner picks it from the leading
// condition.
#ifndef LICENTIA_STORE_LIST_STATEMENTS_H_
#define LICENTIA_STORE_LIST_STATEMENTS_H_

#include "store/sql_statement.h"
#include "store/store.h"

namespace licentia::store {

// Parameters: $1 after_id, $2 product_id ('' = any), $3 blocked (NULL =
// any), $4 batch_id (NULL = any), $5 tail ('' = any), $6 limit. Rows:
// kCodeColumns. Led by the batch index if a batch is given, else the
// product index if a product is, else the primary key.
const SqlStatement& ListCodesStatement(const CodeFilter& f);

// Parameters: $1 after_id, $2 code_id (NULL = any), $3 product_id ('' =
// any), $4 type ('' = any), $5 limit. Rows: kEventColumns. Led by the code
// index if a code is given, else the product index if a product is, else
// the primary key.
const SqlStatement& ListEventsStatement(const EventFilter& f);

// Transaction::FindCodeSeat's statement: $1 is the code's hash, $2 the
// device's; the row holds kCodeColumns, then kActivationColumns (NULL
// without an active seat), then the reserve's code_id and added_at (NULL
// without a reserve). At most one row: a device holds one active seat per
// code and one reserve per product.
//
// On PostgreSQL the seat is joined LATERAL: as a plain LEFT JOIN, its
// plan on small tables searched the seats index (code_id, device_hash) by
// the device alone and filtered by code afterwards, a walk of the whole
// index, and a prepared statement may keep such a plan. A LATERAL
// subquery with a LIMIT (which PostgreSQL cannot flatten into the join;
// there is at most one row anyway) makes the code's id part of the index
// search whatever the statistics say. SQLite has no LATERAL and plans the
// plain join right.
const SqlStatement& FindCodeSeatStatement();

}  // namespace licentia::store

#endif  // LICENTIA_STORE_LIST_STATEMENTS_H_
