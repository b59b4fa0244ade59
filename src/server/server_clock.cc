#include "server/server_clock.h"

#include "server/json_fields.h"

namespace licentia::server {

Result<boost::json::object> SetTestClock(ManualClock& clock,
                                         std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(body, {"now", "advance_seconds", "advance_days"}));
  LICENTIA_ASSIGN_OR_RETURN(auto now, f.OptDate("now"));
  LICENTIA_ASSIGN_OR_RETURN(
      auto secs, f.OptInt("advance_seconds", 0, 100LL * 365 * 86400));
  LICENTIA_ASSIGN_OR_RETURN(auto days, f.OptInt("advance_days", 0, 100 * 365));
  if (now) clock.Set(*now);
  if (secs) clock.Advance(*secs);
  if (days) clock.Advance(*days * kSecondsPerDay);
  return boost::json::object{{"now", clock.Now()},
                             {"now_text", FormatTimestamp(clock.Now())}};
}

}  // namespace licentia::server
