#include "client/details_json.h"

#include <boost/json.hpp>

#include "client/json_values.h"

namespace licentia::client {
namespace json = boost::json;

json::object DetailsToJson(const LicenseDetails& d) {
  json::array features;
  for (const auto& f : d.features) features.emplace_back(f);
  json::object reserve{
      {"state", ReserveStateName(d.reserve.state)},
      {"masked_code", d.reserve.masked_code},
      {"license_type", d.reserve.license_type},
      {"term_days", d.reserve.term_days},
      {"max_devices", d.reserve.max_devices},
      {"expires_at", OptTimeJson(d.reserve.expires_at)},
      {"next_retry_at", OptTimeJson(d.reserve.next_retry_at)},
      {"failed_attempts", d.reserve.failed_attempts},
      {"last_error", ProblemJson(d.reserve.last_error)},
      {"prepared_from", OptTimeJson(d.reserve.prepared_from)},
  };
  return json::object{
      {"state", LicenseStateName(d.state)},
      {"masked_code", d.masked_code},
      {"product", d.product},
      {"edition", d.edition},
      {"features", std::move(features)},
      {"license_type", d.license_type},
      {"expires_at", OptTimeJson(d.expires_at)},
      {"days_left", d.days_left ? json::value(*d.days_left) : json::value()},
      {"grace_until", OptTimeJson(d.grace_until)},
      {"seats_used", d.seats_used},
      {"max_devices", d.max_devices},
      {"reserve", std::move(reserve)},
      {"last_error", ProblemJson(d.last_error)},
      {"last_sync", OptTimeJson(d.last_sync)},
      {"connected_account", d.connected_account},
      {"trusted_time", d.trusted_time},
      {"clock_rolled_back", d.clock_rolled_back},
  };
}

}  // namespace licentia::client
