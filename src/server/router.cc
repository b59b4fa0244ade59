#include "server/router.h"

#include <array>
#include <stdexcept>
#include <utility>

namespace licentia::server {
namespace {

// The non-empty '/'-separated segments of `path`, into `out`. Returns how
// many there are, or out.size() + 1 if there are more than fit.
template <size_t N>
size_t Split(std::string_view path, std::array<std::string_view, N>& out) {
  size_t count = 0;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    if (count == N) return N + 1;
    out[count++] = path.substr(i, end - i);
    i = end;
  }
  return count;
}

// The one spelling of a route's path: "/" then non-empty segments split by
// single slashes, no trailing slash, nothing percent-encoded (no route has a
// character that needs it). Anything else is no route at all, so a proxy
// rule on a literal prefix such as "/v1/admin/" cannot be bypassed by
// "//v1//admin", "/v1/admin%2Fcodes" or "/%76%31/admin".
bool IsCanonicalPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.size() > 1 && path.back() == '/') return false;
  if (path.find("//") != std::string_view::npos) return false;
  return path.find('%') == std::string_view::npos;
}

}  // namespace

size_t Router::Add(std::string method, std::string_view pattern) {
  std::array<std::string_view, kMaxSegments> parts;
  const size_t count = Split(pattern, parts);
  if (count > kMaxSegments) {
    throw std::logic_error("route pattern has too many segments: " +
                           std::string(pattern));
  }
  Route route{std::move(method), {}};
  route.segments.assign(parts.begin(), parts.begin() + count);
  for (const Route& added : routes_) {
    if (added.method == route.method && added.segments == route.segments) {
      throw std::logic_error("route added twice: " + route.method + " " +
                             std::string(pattern));
    }
  }
  routes_.push_back(std::move(route));
  return routes_.size() - 1;
}

std::vector<std::string> Router::List() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) {
    std::string line = r.method + " ";
    for (const auto& s : r.segments) line += "/" + s;
    out.push_back(std::move(line));
  }
  return out;
}

Router::Match Router::Find(std::string_view method,
                           std::string_view path) const {
  Match match;
  if (!IsCanonicalPath(path)) return match;
  std::array<std::string_view, kMaxSegments> parts;
  const size_t count = Split(path, parts);
  if (count > kMaxSegments) return match;
  for (size_t r = 0; r < routes_.size(); ++r) {
    const Route& route = routes_[r];
    if (route.segments.size() != count) continue;
    bool same_path = true;
    for (size_t i = 0; i < count && same_path; ++i) {
      same_path =
          route.segments[i] == kCapture || route.segments[i] == parts[i];
    }
    if (!same_path) continue;
    if (route.method != method) {
      match.outcome = Outcome::kWrongMethod;
      continue;
    }
    match.outcome = Outcome::kFound;
    match.route = r;
    for (size_t i = 0; i < count; ++i) {
      if (route.segments[i] == kCapture) match.params.emplace_back(parts[i]);
    }
    return match;
  }
  return match;
}

}  // namespace licentia::server
