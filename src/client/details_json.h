// LicenseDetails as JSON: one format for `licentia details --json` and the
// C API's licentia_details_json.
#ifndef LICENTIA_CLIENT_DETAILS_JSON_H_
#define LICENTIA_CLIENT_DETAILS_JSON_H_

#include <boost/json/object.hpp>

#include "licentia/license_manager.h"

namespace licentia::client {

boost::json::object DetailsToJson(const LicenseDetails& d);

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_DETAILS_JSON_H_
