#include "store/shared_sql.h"

#include <fmt/format.h>

#include <algorithm>

namespace licentia::store {

std::string QualifiedColumns(std::string_view alias, std::string_view columns) {
  std::string out;
  while (!columns.empty()) {
    size_t comma = columns.find(", ");
    std::string_view name = columns.substr(0, comma);
    if (!out.empty()) out += ", ";
    out.append(alias).append(".").append(name);
    if (comma == std::string_view::npos) break;
    columns.remove_prefix(comma + 2);
  }
  return out;
}

int ColumnCount(std::string_view columns) {
  return 1 + static_cast<int>(std::count(columns.begin(), columns.end(), ','));
}

std::string FindCodeSeatSql(std::string_view code_columns,
                            std::string_view activation_columns,
                            SqlDialect dialect) {
  if (dialect == SqlDialect::kSqlite) {
    return fmt::format(
        "SELECT {}, {}, r.code_id, r.added_at FROM codes c "
        "LEFT JOIN activations a ON a.code_id = c.id AND a.device_hash = ?2 "
        "AND a.deactivated_at IS NULL "
        "LEFT JOIN reserves r ON r.device_hash = ?2 AND "
        "r.product_id = c.product_id "
        "WHERE c.code_hash = ?1",
        QualifiedColumns("c", code_columns),
        QualifiedColumns("a", activation_columns));
  }
  return fmt::format(
      "SELECT {}, {}, r.code_id, r.added_at FROM codes c "
      "LEFT JOIN LATERAL (SELECT {} FROM activations WHERE code_id = c.id "
      "AND device_hash = $2 AND deactivated_at IS NULL LIMIT 1) a ON true "
      "LEFT JOIN reserves r ON r.device_hash = $2 AND "
      "r.product_id = c.product_id "
      "WHERE c.code_hash = $1",
      QualifiedColumns("c", code_columns),
      QualifiedColumns("a", activation_columns), activation_columns);
}

}  // namespace licentia::store
