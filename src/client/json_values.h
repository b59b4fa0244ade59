// JSON for values the SDK writes in more than one place (the state file,
// `licentia details --json`), so that both spell them the same way.
#ifndef LICENTIA_CLIENT_JSON_VALUES_H_
#define LICENTIA_CLIENT_JSON_VALUES_H_

#include <boost/json/value.hpp>
#include <optional>

#include "licentia/clock.h"
#include "licentia/license_manager.h"

namespace licentia::client {

// Unix seconds, or null.
boost::json::value OptTimeJson(const std::optional<UnixSeconds>& t);
// {"code","message","what_to_do","at"}, or null.
boost::json::value ProblemJson(const std::optional<ProblemReport>& p);

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_JSON_VALUES_H_
