// Typed, bounded access to the fields of a JSON request body. Every accessor
// returns kInvalidRequest with a sentence naming the field and what was
// expected, so a malformed request is refused before anything changes.
#ifndef LICENTIA_SERVER_JSON_FIELDS_H_
#define LICENTIA_SERVER_JSON_FIELDS_H_

#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace licentia::server {

class JsonFields {
 public:
  // The body must be one JSON object with only the `allowed` keys.
  static Result<JsonFields> Parse(
      std::string_view body, std::initializer_list<std::string_view> allowed);

  Result<std::string> String(std::string_view name, size_t max_len) const;
  Result<std::optional<std::string>> OptString(std::string_view name,
                                               size_t max_len) const;
  Result<std::int64_t> Int(std::string_view name, std::int64_t min,
                           std::int64_t max, std::int64_t fallback) const;
  Result<std::optional<std::int64_t>> OptInt(std::string_view name,
                                             std::int64_t min,
                                             std::int64_t max) const;
  Result<bool> Bool(std::string_view name, bool fallback) const;
  Result<std::vector<std::string>> StringList(std::string_view name,
                                              size_t max_items,
                                              size_t max_len) const;
  // A date: Unix seconds, or "YYYY-MM-DD" (end of that day, UTC), or
  // RFC 3339 "YYYY-MM-DDTHH:MM:SSZ".
  Result<std::optional<std::int64_t>> OptDate(std::string_view name) const;

 private:
  explicit JsonFields(boost::json::object obj) : obj_(std::move(obj)) {}
  boost::json::object obj_;
};

// Parses a date as OptDate does. std::nullopt if it is not one.
std::optional<std::int64_t> ParseDate(std::string_view text);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_JSON_FIELDS_H_
