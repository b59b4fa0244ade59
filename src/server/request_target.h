// The request target of an HTTP request ("/v1/admin/codes?limit=5") split
// into the path the router matches and the query parameters. Boost.URL's
// parser, without Beast: the admin fuzz target drives it directly.
#ifndef LICENTIA_SERVER_REQUEST_TARGET_H_
#define LICENTIA_SERVER_REQUEST_TARGET_H_

#include <string_view>

#include "server/http_types.h"

namespace licentia::server {

// Fills request.path with the target's path exactly as sent (still
// percent-encoded: the router matches one canonical spelling) and
// request.query with its decoded parameters (a repeated name keeps its last
// value). Returns false if `target` is not an origin-form target.
[[nodiscard]] bool ParseRequestTarget(std::string_view target,
                                      HttpRequest& request);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_REQUEST_TARGET_H_
