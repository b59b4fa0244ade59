#include "core/license_terms.h"

#include <fmt/format.h>

#include "core/version_range.h"

namespace licentia {

std::string_view LicenseTypeName(LicenseType type) {
  switch (type) {
    case LicenseType::kTerm:
      return "term";
    case LicenseType::kSubscription:
      return "subscription";
    case LicenseType::kTrial:
      return "trial";
  }
  return "term";
}

std::optional<LicenseType> LicenseTypeFromName(std::string_view name) {
  if (name == "term") return LicenseType::kTerm;
  if (name == "subscription") return LicenseType::kSubscription;
  if (name == "trial") return LicenseType::kTrial;
  return std::nullopt;
}

Status CodeTerms::Validate() const {
  if (max_devices < 1 || max_devices > kMaxDevicesLimit) {
    return Status(
        ErrorCode::kInvalidRequest,
        fmt::format("max_devices must be between 1 and {}.", kMaxDevicesLimit));
  }
  if (term_days < 1 || term_days > kMaxTermDays) {
    return Status(
        ErrorCode::kInvalidRequest,
        fmt::format("term_days must be between 1 and {}.", kMaxTermDays));
  }
  if (prepare_days < 0 || prepare_days > kMaxPrepareDays) {
    return Status(
        ErrorCode::kInvalidRequest,
        fmt::format("prepare_days must be between 0 and {}.", kMaxPrepareDays));
  }
  if (prepare_days > 0 && type != LicenseType::kTerm) {
    return Status(ErrorCode::kInvalidRequest,
                  "prepare_days is for term codes: only they can be a "
                  "reserve.");
  }
  if (grace_days < 0 || grace_days > kMaxGraceDays) {
    return Status(
        ErrorCode::kInvalidRequest,
        fmt::format("grace_days must be between 0 and {}.", kMaxGraceDays));
  }
  if (grace_days > 0 && type != LicenseType::kSubscription) {
    return Status(ErrorCode::kInvalidRequest,
                  "grace_days is for subscriptions: only they are renewed.");
  }
  if (heartbeat_days < 0 || heartbeat_days > kMaxHeartbeatDays) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("heartbeat_days must be between 0 and {}.",
                              kMaxHeartbeatDays));
  }
  if (edition.size() > 64) {
    return Status(ErrorCode::kInvalidRequest,
                  "edition is longer than 64 characters.");
  }
  if (features.size() > 64) {
    return Status(ErrorCode::kInvalidRequest, "At most 64 features.");
  }
  for (const auto& f : features) {
    if (f.empty() || f.size() > 64) {
      return Status(ErrorCode::kInvalidRequest,
                    "Each feature is 1 to 64 characters.");
    }
  }
  auto range = VersionRange::Parse(compatible_versions);
  if (!range.ok()) return range.status();
  return Status::Ok();
}

UnixSeconds ExpiryFrom(UnixSeconds first_activation, int term_days) {
  return first_activation +
         static_cast<UnixSeconds>(term_days) * kSecondsPerDay;
}

Status CheckVersionCompatible(const CodeTerms& terms,
                              std::string_view app_version) {
  if (terms.compatible_versions.empty()) {  // any version, the common case
    auto version = Version::Parse(app_version);
    return version.ok() ? Status::Ok() : version.status();
  }
  auto range = VersionRange::Parse(terms.compatible_versions);
  if (!range.ok()) return range.status();
  auto version = Version::Parse(app_version);
  if (!version.ok()) return version.status();
  if (!range->Contains(*version)) {
    return Status(ErrorCode::kIncompatibleVersion,
                  fmt::format("This code is for versions {} of the "
                              "application; this one is {}.",
                              range->ToString(), version->ToString()));
  }
  return Status::Ok();
}

}  // namespace licentia
