#include "store/postgres/pg_list_statements.h"

namespace licentia::store::postgres {

#define LICENTIA_LIST_CODES(LEAD)                                            \
  "SELECT " LICENTIA_CODE_COLUMNS " FROM codes WHERE " LEAD                  \
  "id > $1 AND ($2 = '' OR product_id = $2) AND ($3::boolean IS NULL OR "    \
  "blocked = $3) AND ($4::bigint IS NULL OR batch_id = $4) AND ($5 = '' OR " \
  "code_tail LIKE '%' || $5) ORDER BY id LIMIT $6"

const char* ListCodesStatement(const CodeFilter& f) {
  if (f.batch_id) return LICENTIA_LIST_CODES("batch_id = $4 AND ");
  if (!f.product_id.empty()) return LICENTIA_LIST_CODES("product_id = $2 AND ");
  return LICENTIA_LIST_CODES("");
}

#define LICENTIA_LIST_EVENTS(LEAD)                                         \
  "SELECT id, at, type, code_id, product_id, device, actor, details FROM " \
  "events WHERE " LEAD                                                     \
  "id > $1 AND ($2::bigint IS NULL OR code_id = $2) AND "                  \
  "($3 = '' OR product_id = $3) AND ($4 = '' OR type = $4) ORDER BY id "   \
  "LIMIT $5"

const char* ListEventsStatement(const EventFilter& f) {
  if (f.code_id) return LICENTIA_LIST_EVENTS("code_id = $2 AND ");
  if (!f.product_id.empty())
    return LICENTIA_LIST_EVENTS("product_id = $3 AND ");
  return LICENTIA_LIST_EVENTS("");
}

}  // namespace licentia::store::postgres
