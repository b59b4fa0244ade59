// The query parameters of the admin listings, read one way: whole numbers
// in range, page sizes, and no parameter the listing does not know.
#ifndef LICENTIA_SERVER_QUERY_PARAMS_H_
#define LICENTIA_SERVER_QUERY_PARAMS_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace licentia::server {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// The most rows a listing returns at once.
constexpr int kMaxPageSize = 1000;

// Parameter `name` as a whole number in [min, max]; `fallback` when absent
// or empty; kInvalidRequest naming it otherwise.
Result<std::int64_t> QueryInt(const QueryParams& q, std::string_view name,
                              std::int64_t fallback, std::int64_t min,
                              std::int64_t max);
// A page size: at least one row (an empty page would end the listing
// with no way to continue), at most kMaxPageSize; 100 by default.
Result<int> QueryLimit(const QueryParams& q);
// Parameter `name`, or "".
std::string QueryString(const QueryParams& q, std::string_view name);
// A listing refuses parameters it does not know: a mistyped filter
// ("?prodcut=photo") would otherwise return everything, silently.
Status OnlyKnownParams(const QueryParams& q,
                       std::initializer_list<std::string_view> known);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_QUERY_PARAMS_H_
