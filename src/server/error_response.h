// How every error leaves licentiad: a JSON body with the stable error code
// and a printable sentence, the HTTP status that goes with the code, and
// the headers the code calls for (Retry-After, WWW-Authenticate).
#ifndef LICENTIA_SERVER_ERROR_RESPONSE_H_
#define LICENTIA_SERVER_ERROR_RESPONSE_H_

#include "core/status.h"
#include "server/http_types.h"

namespace licentia::server {

// {"error": {"code": "...", "message": "..."}} with the code's HTTP status.
// The message is made printable (server/printable_text.h), so quoting raw
// request bytes cannot break the JSON.
HttpResponse ErrorResponse(const Status& st);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ERROR_RESPONSE_H_
