// Typed, bounded access to the fields of a JSON request body. Every accessor
// returns kInvalidRequest with a sentence naming the field and what was
// expected, so a malformed request is refused before anything changes.
#ifndef LICENTIA_SERVER_JSON_FIELDS_H_
#define LICENTIA_SERVER_JSON_FIELDS_H_

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
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

  // True if the field is present and not null.
  bool Has(std::string_view name) const;
  // Whether the field is present and null ("clear this").
  bool IsNull(std::string_view name) const;
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
  // The parsed body lives in a buffer of its own: a device call's body is
  // small, and a monotonic arena makes its parse one allocation instead of
  // one per key and string.
  struct Arena {
    static constexpr std::size_t kBytes = 768;
    alignas(std::max_align_t) unsigned char buffer[kBytes];
    boost::json::monotonic_resource resource{buffer, kBytes};
  };
  // Moves keep the object on its arena (a json::object moved by
  // construction keeps its storage; assigned, it would be copied).
  JsonFields(std::unique_ptr<Arena> arena, boost::json::object&& obj)
      : arena_(std::move(arena)), obj_(std::move(obj)) {}
  std::unique_ptr<Arena> arena_;
  boost::json::object obj_;  // after arena_: destroyed before it
};

// Parses a date as OptDate does. std::nullopt if it is not one.
std::optional<std::int64_t> ParseDate(std::string_view text);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_JSON_FIELDS_H_
