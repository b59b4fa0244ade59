#include "server/error_response.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "core/http_status.h"
#include "server/printable_text.h"

namespace licentia::server {

HttpResponse ErrorResponse(const Status& st) {
  namespace json = boost::json;
  HttpResponse r;
  r.status = HttpStatusFor(st.code());
  r.body = json::serialize(json::object{
      {"error", json::object{{"code", ErrorCodeName(st.code())},
                             {"message", PrintableText(st.message())}}}});
  r.error_code = std::string(ErrorCodeName(st.code()));
  if (st.code() == ErrorCode::kRateLimited ||
      (st.code() == ErrorCode::kUnavailable && st.retry_after_seconds() > 0)) {
    // The limiter's own wait; 60 only where nothing better is known.
    int wait = st.retry_after_seconds() > 0 ? st.retry_after_seconds() : 60;
    r.headers.emplace_back("Retry-After", std::to_string(wait));
  }
  if (st.code() == ErrorCode::kUnauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return r;
}

}  // namespace licentia::server
