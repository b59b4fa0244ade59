#include "server/query_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace licentia::server {

Result<std::int64_t> QueryInt(const QueryParams& q, std::string_view name,
                              std::int64_t fallback, std::int64_t min,
                              std::int64_t max) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return fallback;
  std::int64_t v = 0;
  const std::string& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("Query parameter '{}' must be a whole number "
                              "from {} to {}.",
                              name, min, max));
  }
  return v;
}

Result<int> QueryLimit(const QueryParams& q) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t limit,
                            QueryInt(q, "limit", 100, 1, kMaxPageSize));
  return static_cast<int>(limit);
}

std::string QueryString(const QueryParams& q, std::string_view name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

Status OnlyKnownParams(const QueryParams& q,
                       std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : q) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (std::string_view k : known) {
        list += list.empty() ? "" : ", ";
        list += k;
      }
      return Status(ErrorCode::kInvalidRequest,
                    fmt::format("Unknown query parameter '{}'; this listing "
                                "takes {}.",
                                name.substr(0, 40), list));
    }
  }
  return Status::Ok();
}

}  // namespace licentia::server
