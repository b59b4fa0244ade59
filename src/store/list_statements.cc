#include "store/list_statements.h"

#include <fmt/format.h>

#include "store/row_codec.h"

namespace licentia::store {
namespace {

// `index` serves `lead` on SQLite; the full filter follows, so every
// statement returns the same rows for the same parameters.
SqlStatement Codes(const char* index, const char* lead) {
  constexpr const char* kText =
      "SELECT {} FROM codes {}WHERE {}id > $1 AND ($2 = '' OR product_id = "
      "$2) AND ({} IS NULL OR blocked = $3) AND ({} IS NULL OR batch_id = "
      "$4) AND ($5 = '' OR code_tail LIKE '%' || $5) ORDER BY id LIMIT $6";
  return SqlStatement::PerDialect(
      SqliteParameters(fmt::format(fmt::runtime(kText), kCodeColumns, index,
                                   lead, "$3", "$4")),
      fmt::format(fmt::runtime(kText), kCodeColumns, "", lead, "$3::boolean",
                  "$4::bigint"));
}

SqlStatement Events(const char* index, const char* lead) {
  constexpr const char* kText =
      "SELECT {} FROM events {}WHERE {}id > $1 AND ({} IS NULL OR code_id = "
      "$2) AND ($3 = '' OR product_id = $3) AND ($4 = '' OR type = $4) "
      "ORDER BY id LIMIT $5";
  return SqlStatement::PerDialect(
      SqliteParameters(
          fmt::format(fmt::runtime(kText), kEventColumns, index, lead, "$2")),
      fmt::format(fmt::runtime(kText), kEventColumns, "", lead, "$2::bigint"));
}

}  // namespace

const SqlStatement& ListCodesStatement(const CodeFilter& f) {
  static const SqlStatement by_batch =
      Codes("INDEXED BY codes_by_batch ", "batch_id = $4 AND ");
  static const SqlStatement by_product =
      Codes("INDEXED BY codes_by_product ", "product_id = $2 AND ");
  static const SqlStatement by_id = Codes("", "");
  if (f.batch_id) return by_batch;
  if (!f.product_id.empty()) return by_product;
  return by_id;
}

const SqlStatement& ListEventsStatement(const EventFilter& f) {
  static const SqlStatement by_code =
      Events("INDEXED BY events_by_code ", "code_id = $2 AND ");
  static const SqlStatement by_product =
      Events("INDEXED BY events_by_product ", "product_id = $3 AND ");
  static const SqlStatement by_id = Events("", "");
  if (f.code_id) return by_code;
  if (!f.product_id.empty()) return by_product;
  return by_id;
}

const SqlStatement& FindCodeSeatStatement() {
  static const SqlStatement statement = SqlStatement::PerDialect(
      SqliteParameters(fmt::format(
          "SELECT {}, {}, r.code_id, r.added_at FROM codes c "
          "LEFT JOIN activations a ON a.code_id = c.id AND a.device_hash = $2 "
          "AND a.deactivated_at IS NULL "
          "LEFT JOIN reserves r ON r.device_hash = $2 AND "
          "r.product_id = c.product_id "
          "WHERE c.code_hash = $1",
          QualifiedColumns("c", kCodeColumns),
          QualifiedColumns("a", kActivationColumns))),
      fmt::format(
          "SELECT {}, {}, r.code_id, r.added_at FROM codes c "
          "LEFT JOIN LATERAL (SELECT {} FROM activations WHERE code_id = c.id "
          "AND device_hash = $2 AND deactivated_at IS NULL LIMIT 1) a ON true "
          "LEFT JOIN reserves r ON r.device_hash = $2 AND "
          "r.product_id = c.product_id "
          "WHERE c.code_hash = $1",
          QualifiedColumns("c", kCodeColumns),
          QualifiedColumns("a", kActivationColumns), kActivationColumns));
  return statement;
}

}  // namespace licentia::store
