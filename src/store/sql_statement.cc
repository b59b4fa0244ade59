#include "store/sql_statement.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace licentia::store {

SqlStatement::SqlStatement(std::string postgres)
    : sqlite_(SqliteParameters(postgres)), postgres_(std::move(postgres)) {}

SqlStatement SqlStatement::PerDialect(std::string sqlite,
                                      std::string postgres) {
  return SqlStatement(std::move(sqlite), std::move(postgres));
}

SqlStatement SqlStatement::InsertReturningId(std::string postgres_insert) {
  std::string sqlite = SqliteParameters(postgres_insert);
  return SqlStatement(std::move(sqlite),
                      std::move(postgres_insert) + " RETURNING id");
}

std::string SqliteParameters(std::string_view sql) {
  std::string out(sql);
  bool quoted = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\'') quoted = !quoted;
    if (!quoted && out[i] == '$' && i + 1 < out.size() &&
        std::isdigit(static_cast<unsigned char>(out[i + 1]))) {
      out[i] = '?';
    }
  }
  return out;
}

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

}  // namespace licentia::store
