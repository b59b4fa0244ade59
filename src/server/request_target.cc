#include "server/request_target.h"

#include <boost/url/parse.hpp>

namespace licentia::server {

bool ParseRequestTarget(std::string_view target, HttpRequest& request) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return false;
  // Not decoded: "/v1/admin%2Fcodes" must not reach /v1/admin/codes.
  request.path = std::string(url->encoded_path());
  request.query.clear();
  for (auto param : url->params()) {
    request.query[param.key] = param.value;
  }
  return true;
}

}  // namespace licentia::server
