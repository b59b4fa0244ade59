// What a code carries (rule 2) and how its term is computed (rule 3).
#ifndef LICENTIA_CORE_LICENSE_TERMS_H_
#define LICENTIA_CORE_LICENSE_TERMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace licentia {

enum class LicenseType { kTerm, kSubscription, kTrial };

std::string_view LicenseTypeName(LicenseType type);  // "term", ...
std::optional<LicenseType> LicenseTypeFromName(std::string_view name);

constexpr int kMaxDevicesLimit = 10000;
constexpr int kMaxTermDays = 36500;
// Offline rollover: how long before the current license ends a reserve may
// be prepared, at most. Longer would hold a seat idle for months.
constexpr int kMaxPrepareDays = 90;
// A subscription's grace after a missed renewal, and the longest a device
// may stay away before the server frees its seat (heartbeats), at most.
constexpr int kMaxGraceDays = 90;
constexpr int kMaxHeartbeatDays = 365;

struct CodeTerms {
  std::string product;
  std::string edition;
  std::vector<std::string> features;
  int max_devices = 1;
  LicenseType type = LicenseType::kTerm;
  int term_days = 365;
  std::optional<UnixSeconds> activate_by;  // end of the activation window
  std::string compatible_versions;         // a VersionRange; "" = any
  bool requires_account = false;
  // Offline rollover (docs/domain-rules.md): within this many days before
  // a device's current license ends, this code, as the device's reserve,
  // may be prepared: verified then, with a key valid from the license's
  // end, so the device switches at the end with no network. 0: never.
  int prepare_days = 0;
  // Subscriptions: days of full function after the end when no renewal
  // came (the license's state is then "grace"). 0: none.
  int grace_days = 0;
  // Days a device may go without contacting the server before the server
  // frees its seat itself (docs/domain-rules.md, "Heartbeats"). 0: never.
  int heartbeat_days = 0;

  // kInvalidRequest naming the first bad field: device count outside
  // 1..kMaxDevicesLimit, term outside 1..kMaxTermDays, prepare_days outside
  // 0..kMaxPrepareDays, grace_days outside 0..kMaxGraceDays or set on a
  // code that is not a subscription, heartbeat_days outside
  // 0..kMaxHeartbeatDays, unparsable range.
  Status Validate() const;
};

// Rule 3: the term counts from the code's first activation on any device.
UnixSeconds ExpiryFrom(UnixSeconds first_activation, int term_days);

// Rule 2: whether `app_version` is within the code's compatible versions.
// kIncompatibleVersion, or kInvalidRequest for an unparsable version.
Status CheckVersionCompatible(const CodeTerms& terms,
                              std::string_view app_version);

}  // namespace licentia

#endif  // LICENTIA_CORE_LICENSE_TERMS_H_
