// The HTTP status the server answers each error code with (the table in
// licentia/error_codes.def). For the server; not part of the SDK's surface.
#ifndef LICENTIA_CORE_HTTP_STATUS_H_
#define LICENTIA_CORE_HTTP_STATUS_H_

#include "core/status.h"

namespace licentia {

int HttpStatusFor(ErrorCode code);

}  // namespace licentia

#endif  // LICENTIA_CORE_HTTP_STATUS_H_
