// The time source for licentiad's domain rules: the real clock, or, with
// --test-clock, a clock that moves only through POST /v1/admin/test/clock
// (docs/server.md, "The test clock").
#ifndef LICENTIA_SERVER_SERVER_CLOCK_H_
#define LICENTIA_SERVER_SERVER_CLOCK_H_

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace licentia::server {

class ServerClock final : public Clock {
 public:
  // The real clock, or a manual one starting at `manual_start`.
  explicit ServerClock(std::optional<UnixSeconds> manual_start) {
    if (manual_start) manual_.emplace(*manual_start);
  }
  UnixSeconds Now() const override {
    return manual_ ? manual_->Now() : system_.Now();
  }
  // The manual clock, or null when the real one is in use.
  ManualClock* manual() { return manual_ ? &*manual_ : nullptr; }

 private:
  SystemClock system_;
  std::optional<ManualClock> manual_;
};

// The test-clock endpoint: sets `clock` to "now" and/or advances it by
// "advance_seconds" / "advance_days" from the JSON `body`; answers the
// clock's new time. kInvalidRequest naming the field on bad input, with the
// clock unchanged.
Result<boost::json::object> SetTestClock(ManualClock& clock,
                                         std::string_view body);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SERVER_CLOCK_H_
