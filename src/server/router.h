// Finds the endpoint a request is for, from its method and path.
//
// A pattern is a path whose segments are either literal or "{}", which
// captures that segment of the request path: "/v1/admin/codes/{}/block".
// A request path matches only in its one canonical spelling: "/", then
// non-empty segments, no trailing slash, nothing percent-encoded
// ("/v1//status", "/v1/status/" and "/v1%2Fstatus" match nothing).
// Patterns are split once, when added; a request's path is
// split once, into a fixed array, so finding a route allocates nothing but
// the captured segments.
//
// Thread safety: Add is not thread-safe; once every route is added, Find
// may be called from any number of threads at once.
#ifndef LICENTIA_SERVER_ROUTER_H_
#define LICENTIA_SERVER_ROUTER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace licentia::server {

class Router {
 public:
  // The longest pattern, in segments. A path with more segments than this
  // matches no route.
  static constexpr size_t kMaxSegments = 8;

  enum class Outcome {
    kFound,        // `route` and `params` are set
    kWrongMethod,  // a route has this path, but not for this method
    kUnknownPath,  // no route has this path
  };

  struct Match {
    Outcome outcome = Outcome::kUnknownPath;
    size_t route = 0;                 // the index Add returned
    std::vector<std::string> params;  // the "{}" segments, in order
  };

  // Adds a route and returns its index (0, 1, 2, ... in the order added).
  // Throws std::logic_error (a programming error, at start-up) if `pattern`
  // has more than kMaxSegments segments or the same method and pattern were
  // added before (the second could never be found).
  size_t Add(std::string method, std::string_view pattern);

  // Every route as "METHOD /pattern" ({} for a captured segment), in the
  // order added: what the API description (docs/openapi.json) must cover.
  std::vector<std::string> List() const;

  // The first route added that matches both method and path; if none, says
  // whether the path alone matched one.
  [[nodiscard]] Match Find(std::string_view method,
                           std::string_view path) const;

 private:
  static constexpr std::string_view kCapture = "{}";

  struct Route {
    std::string method;
    std::vector<std::string> segments;
  };

  std::vector<Route> routes_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ROUTER_H_
