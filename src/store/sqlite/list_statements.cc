#include "store/sqlite/list_statements.h"

#include <fmt/format.h>

namespace licentia::store::sqlite {

const char* const kCodeColumns =
    "id, code_hash, code_tail, batch_id, product_id, edition, features, "
    "max_devices, license_type, term_days, activate_by, compatible_versions, "
    "requires_account, created_at, first_activated_at, blocked, "
    "blocked_reason, seats_used";

namespace {

// `index` serves `lead`; the full filter follows, so every statement
// returns the same rows for the same parameters. INDEXED BY rather than a
// hint: without statistics SQLite's planner sometimes prefers the primary
// key (it did for the product filters on an empty database), and a listing
// must not depend on that.
std::string Codes(const char* index, const char* lead) {
  return fmt::format(
      "SELECT {} FROM codes {}WHERE {}id > ?1 AND (?2 = '' OR product_id = "
      "?2) AND (?3 IS NULL OR blocked = ?3) AND (?4 IS NULL OR batch_id = "
      "?4) AND (?5 = '' OR code_tail LIKE '%' || ?5) ORDER BY id LIMIT ?6",
      kCodeColumns, index, lead);
}

std::string Events(const char* index, const char* lead) {
  return fmt::format(
      "SELECT id, at, type, code_id, product_id, device, actor, details "
      "FROM events {}WHERE {}id > ?1 AND (?2 IS NULL OR code_id = ?2) AND "
      "(?3 = '' OR product_id = ?3) AND (?4 = '' OR type = ?4) "
      "ORDER BY id LIMIT ?5",
      index, lead);
}

}  // namespace

const std::string& ListCodesStatement(const CodeFilter& f) {
  static const std::string by_batch =
      Codes("INDEXED BY codes_by_batch ", "batch_id = ?4 AND ");
  static const std::string by_product =
      Codes("INDEXED BY codes_by_product ", "product_id = ?2 AND ");
  static const std::string by_id = Codes("", "");
  if (f.batch_id) return by_batch;
  if (!f.product_id.empty()) return by_product;
  return by_id;
}

const std::string& ListEventsStatement(const EventFilter& f) {
  static const std::string by_code =
      Events("INDEXED BY events_by_code ", "code_id = ?2 AND ");
  static const std::string by_product =
      Events("INDEXED BY events_by_product ", "product_id = ?3 AND ");
  static const std::string by_id = Events("", "");
  if (f.code_id) return by_code;
  if (!f.product_id.empty()) return by_product;
  return by_id;
}

}  // namespace licentia::store::sqlite
