// The property every request-handling fuzz target checks of an answer:
// nothing a client sends is answered 500 (INTERNAL, the server's own
// fault); every JSON answer is an object; an error carries a known error
// code and a non-empty message. Traps (a finding) otherwise.
#ifndef LICENTIA_FUZZ_ANSWER_CHECK_H_
#define LICENTIA_FUZZ_ANSWER_CHECK_H_

#include <boost/json/parse.hpp>

#include "licentia/status.h"
#include "server/http_types.h"

namespace licentia::fuzz {

inline void CheckAnswer(const server::HttpResponse& res) {
  if (res.status == 500) __builtin_trap();
  // Not JSON: /metrics, a console page.
  if (res.content_type != "application/json") return;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(res.body, ec);
  if (ec || !v.is_object()) __builtin_trap();
  if (res.status >= 400) {
    const auto* error = v.as_object().if_contains("error");
    if (!error || !error->is_object()) __builtin_trap();
    const auto* code = error->as_object().if_contains("code");
    const auto* message = error->as_object().if_contains("message");
    if (!code || !code->is_string() || !message || !message->is_string() ||
        message->as_string().empty()) {
      __builtin_trap();
    }
    if (!ErrorCodeFromName(code->as_string())) __builtin_trap();
  }
}

}  // namespace licentia::fuzz

#endif  // LICENTIA_FUZZ_ANSWER_CHECK_H_
