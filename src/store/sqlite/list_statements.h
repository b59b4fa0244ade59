// The SQL of the admin listings (codes, events), each led by the index on
// its most selective filter.
//
// One statement with "(?2 IS NULL OR code_id = ?2)" style conditions reads
// well but SQLite plans it once, before the values are known, and so
// always walks the primary key: listing the events of one code meant
// reading every event after the cursor, a full scan on a store with tens of
// millions of events. Each filter combination below gets a statement whose
// leading condition an index serves; the others stay as residual filters.
//
// The strings are built once and never change (Connection caches prepared
// statements by address).
#ifndef LICENTIA_STORE_SQLITE_LIST_STATEMENTS_H_
#define LICENTIA_STORE_SQLITE_LIST_STATEMENTS_H_

#include <string>

#include "store/store.h"

namespace licentia::store::sqlite {

// The columns ReadCode (sqlite_store.cc) decodes, in order.
extern const char* const kCodeColumns;

// Parameters: ?1 after_id, ?2 product_id ('' = any), ?3 blocked (NULL =
// any), ?4 batch_id (NULL = any), ?5 tail ('' = any), ?6 limit. Led by the
// batch index if a batch is given, else the product index if a product is,
// else the primary key.
const std::string& ListCodesStatement(const CodeFilter& f);

// Parameters: ?1 after_id, ?2 code_id (NULL = any), ?3 product_id ('' =
// any), ?4 type ('' = any), ?5 limit. Led by the code index if a code is
// given, else the product index if a product is, else the primary key.
const std::string& ListEventsStatement(const EventFilter& f);

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_LIST_STATEMENTS_H_
