#include "server/json_fields.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <ctime>

namespace licentia::server {
namespace {

Status Bad(std::string message) {
  return Status(ErrorCode::kInvalidRequest, std::move(message));
}

bool ValidUtf8Text(std::string_view s) {
  // Control characters have no place in names, codes or versions.
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<JsonFields> JsonFields::Parse(
    std::string_view body, std::initializer_list<std::string_view> allowed) {
  auto arena = std::make_unique<Arena>();
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 8;
  boost::json::value v = boost::json::parse(
      body, ec, boost::json::storage_ptr(&arena->resource), opts);
  if (ec) {
    return Bad(
        fmt::format("The request body is not valid JSON ({}).", ec.message()));
  }
  if (!v.is_object()) return Bad("The request body must be a JSON object.");
  for (const auto& kv : v.as_object()) {
    bool known = false;
    for (auto name : allowed) known = known || kv.key() == name;
    if (!known) {
      return Bad(fmt::format("Unknown field '{}'.",
                             std::string_view(kv.key()).substr(0, 40)));
    }
  }
  return JsonFields(std::move(arena), std::move(v.as_object()));
}

bool JsonFields::Has(std::string_view name) const {
  auto it = obj_.find(name);
  return it != obj_.end() && !it->value().is_null();
}

bool JsonFields::IsNull(std::string_view name) const {
  auto it = obj_.find(name);
  return it != obj_.end() && it->value().is_null();
}

Result<std::optional<std::string>> JsonFields::OptString(std::string_view name,
                                                         size_t max_len) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) {
    return std::optional<std::string>();
  }
  if (!it->value().is_string()) {
    return Bad(fmt::format("'{}' must be a string.", name));
  }
  std::string_view s = it->value().as_string();
  if (s.size() > max_len) {
    return Bad(
        fmt::format("'{}' is longer than {} characters.", name, max_len));
  }
  if (!ValidUtf8Text(s)) {
    return Bad(fmt::format("'{}' contains control characters.", name));
  }
  return std::optional<std::string>(std::string(s));
}

Result<std::string> JsonFields::String(std::string_view name,
                                       size_t max_len) const {
  LICENTIA_ASSIGN_OR_RETURN(auto s, OptString(name, max_len));
  if (!s || s->empty()) {
    return Bad(fmt::format("'{}' is required.", name));
  }
  return *s;
}

Result<std::optional<std::int64_t>> JsonFields::OptInt(std::string_view name,
                                                       std::int64_t min,
                                                       std::int64_t max) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) {
    return std::optional<std::int64_t>();
  }
  const auto& v = it->value();
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= INT64_MAX) {
    n = static_cast<std::int64_t>(v.as_uint64());
  } else {
    return Bad(fmt::format("'{}' must be a whole number.", name));
  }
  if (n < min || n > max) {
    return Bad(fmt::format("'{}' must be between {} and {}.", name, min, max));
  }
  return std::optional<std::int64_t>(n);
}

Result<std::int64_t> JsonFields::Int(std::string_view name, std::int64_t min,
                                     std::int64_t max,
                                     std::int64_t fallback) const {
  LICENTIA_ASSIGN_OR_RETURN(auto n, OptInt(name, min, max));
  return n.value_or(fallback);
}

Result<bool> JsonFields::Bool(std::string_view name, bool fallback) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return fallback;
  if (!it->value().is_bool()) {
    return Bad(fmt::format("'{}' must be true or false.", name));
  }
  return it->value().as_bool();
}

Result<std::vector<std::string>> JsonFields::StringList(std::string_view name,
                                                        size_t max_items,
                                                        size_t max_len) const {
  std::vector<std::string> out;
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) {
    return Bad(fmt::format("'{}' must be a list of strings.", name));
  }
  const auto& arr = it->value().as_array();
  if (arr.size() > max_items) {
    return Bad(fmt::format("'{}' has more than {} items.", name, max_items));
  }
  for (const auto& item : arr) {
    if (!item.is_string() || item.as_string().empty() ||
        item.as_string().size() > max_len || !ValidUtf8Text(item.as_string())) {
      return Bad(
          fmt::format("Each item of '{}' must be a string of 1 to {} "
                      "printable characters.",
                      name, max_len));
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

std::optional<std::int64_t> ParseDate(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 23, mi = 59, s = 59;
  std::string str(text);
  char tail = 0;
  if (text.size() == 10) {
    if (std::sscanf(str.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3) {
      return std::nullopt;
    }
  } else if (text.size() == 20) {
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%c", &y, &mo, &d, &h,
                    &mi, &s, &tail) != 6) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
      mi > 59 || s > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t t = timegm(&tm);
  // Reject dates that timegm normalised (e.g. February 30).
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d || back.tm_mon != mo - 1) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

Result<std::optional<std::int64_t>> JsonFields::OptDate(
    std::string_view name) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || it->value().is_null()) {
    return std::optional<std::int64_t>();
  }
  if (it->value().is_string()) {
    auto t = ParseDate(it->value().as_string());
    if (t) return std::optional<std::int64_t>(*t);
  } else if (it->value().is_int64() && it->value().as_int64() >= 0) {
    return std::optional<std::int64_t>(it->value().as_int64());
  }
  return Bad(
      fmt::format("'{}' must be a date like 2027-03-31 or "
                  "2027-03-31T12:00:00Z, or Unix seconds.",
                  name));
}

}  // namespace licentia::server
