#include "core/license_policy.h"

#include <fmt/format.h>

namespace licentia {

std::optional<UnixSeconds> CodeExpiry(const CodeFacts& code) {
  if (code.ends_at) return code.ends_at;
  if (!code.first_activated_at) return std::nullopt;
  return ExpiryFrom(*code.first_activated_at, code.terms.term_days);
}

std::optional<UnixSeconds> GraceEnd(const CodeFacts& code) {
  auto expiry = CodeExpiry(code);
  if (!expiry || code.terms.grace_days <= 0) return std::nullopt;
  return *expiry + code.terms.grace_days * kSecondsPerDay;
}

UnixSeconds KeyValidUntil(const CodeFacts& code) {
  if (auto grace = GraceEnd(code)) return *grace;
  return *CodeExpiry(code);
}

std::string_view CodeStateName(CodeState state) {
  switch (state) {
    case CodeState::kActive:
      return "active";
    case CodeState::kGrace:
      return "grace";
    case CodeState::kExpired:
      return "expired";
    case CodeState::kSuspended:
      return "suspended";
    case CodeState::kBlocked:
      return "blocked";
  }
  return "active";
}

bool IsUsable(CodeState state) {
  return state == CodeState::kActive || state == CodeState::kGrace;
}

CodeState CodeStateAt(const HeldLicenseFacts& held, UnixSeconds now) {
  if (held.blocked) return CodeState::kBlocked;
  if (held.suspended) return CodeState::kSuspended;
  if (held.expires_at && now >= *held.expires_at) {
    return held.grace_until && now < *held.grace_until ? CodeState::kGrace
                                                       : CodeState::kExpired;
  }
  return CodeState::kActive;
}

CodeState CodeStateAt(const CodeFacts& code, UnixSeconds now) {
  return CodeStateAt(HeldLicenseFacts{code.blocked, code.suspended,
                                      CodeExpiry(code), GraceEnd(code)},
                     now);
}

Status CodeBlocked(std::string_view reason) {
  return Status(ErrorCode::kCodeBlocked,
                reason.empty()
                    ? std::string("This activation code has been blocked by "
                                  "the vendor.")
                    : fmt::format("This activation code has been blocked by "
                                  "the vendor: {}.",
                                  reason));
}

Status CodeSuspended(std::string_view reason) {
  return Status(ErrorCode::kCodeSuspended,
                reason.empty()
                    ? std::string("The vendor suspended this subscription; "
                                  "it works again once the vendor resumes "
                                  "it.")
                    : fmt::format("The vendor suspended this subscription: "
                                  "{}. It works again once the vendor "
                                  "resumes it.",
                                  reason));
}

Status NoCurrentLicense() {
  return Status(ErrorCode::kNoCurrentLicense,
                "A reserve code can only be added while this device has a "
                "current, valid license.");
}

Status ReserveAlreadySet() {
  return Status(ErrorCode::kReserveAlreadySet,
                "This device already has a reserve code; remove it before "
                "adding another.");
}

Status ReserveIsCurrentCode() {
  return Status(ErrorCode::kReserveIsCurrentCode,
                "This is the code the device is already using; enter a "
                "different code as the reserve.");
}

namespace {

Status AccountRequired() {
  return Status(ErrorCode::kAccountRequired,
                "This code requires the device to be connected to a "
                "management console account that holds the code: connect "
                "the device (licentia connect) and add the code to that "
                "account, or ask its license administrator to invite you.");
}

Status ExpiredOn(UnixSeconds expiry) {
  return Status(
      ErrorCode::kCodeExpired,
      fmt::format("This code's term ended on {}.", FormatTimestamp(expiry)));
}

Status DeadlinePassed(UnixSeconds activate_by) {
  return Status(ErrorCode::kActivationDeadlinePassed,
                fmt::format("This code had to be activated by {}; that date "
                            "has passed.",
                            FormatTimestamp(activate_by)));
}

// Rules 10 and 8's account condition, checked before any other: a blocked
// code is reported as blocked whatever else is wrong with it.
Status CheckBlockedAndAccount(const CodeFacts& code) {
  if (code.blocked) return CodeBlocked(code.blocked_reason);
  if (code.suspended) return CodeSuspended(code.suspended_reason);
  if (code.terms.requires_account && !code.device_account_holds) {
    return AccountRequired();
  }
  return Status::Ok();
}

}  // namespace

Status CheckNewSeat(const CodeFacts& code, UnixSeconds now,
                    std::string_view app_version) {
  LICENTIA_RETURN_IF_ERROR(CheckBlockedAndAccount(code));
  // The activate-by date is a deadline for every new seat, so a reserve
  // taken up after it fails as rule 8 requires.
  if (code.terms.activate_by && now > *code.terms.activate_by) {
    return DeadlinePassed(*code.terms.activate_by);
  }
  if (auto expiry = CodeExpiry(code); expiry && now >= *expiry) {
    if (auto grace = GraceEnd(code); grace && now < *grace) {
      return Status(
          ErrorCode::kCodeExpired,
          fmt::format("This subscription ended on {} and is in its "
                      "grace period until {}: devices using it "
                      "keep working, new ones need the renewal.",
                      FormatTimestamp(*expiry), FormatTimestamp(*grace)));
    }
    return ExpiredOn(*expiry);
  }
  LICENTIA_RETURN_IF_ERROR(CheckVersionCompatible(code.terms, app_version));
  if (code.seats_used >= code.terms.max_devices) {
    return Status(ErrorCode::kDeviceLimitReached,
                  fmt::format("All {} devices allowed for this code are in "
                              "use; deactivate one of them first.",
                              code.terms.max_devices));
  }
  return Status::Ok();
}

std::optional<UnixSeconds> PrepareWindowStart(int reserve_prepare_days,
                                              UnixSeconds current_end) {
  if (reserve_prepare_days <= 0) return std::nullopt;
  return current_end - reserve_prepare_days * kSecondsPerDay;
}

Status CheckPrepareWindow(const CodeFacts& reserve, UnixSeconds current_end,
                          UnixSeconds now) {
  auto start = PrepareWindowStart(reserve.terms.prepare_days, current_end);
  if (!start) {
    return Status(ErrorCode::kPrepareNotOffered,
                  "This reserve code does not offer offline rollover; it "
                  "takes over when the license ends, with this device "
                  "online.");
  }
  if (now < *start) {
    return Status(
        ErrorCode::kPrepareTooEarly,
        fmt::format("The reserve code can be prepared from {}, {} "
                    "days before the current license ends.",
                    FormatTimestamp(*start), reserve.terms.prepare_days));
  }
  return Status::Ok();
}

Status CheckReactivation(const CodeFacts& code, UnixSeconds now,
                         std::string_view app_version) {
  LICENTIA_RETURN_IF_ERROR(CheckKeyRefresh(code, now));
  return CheckVersionCompatible(code.terms, app_version);
}

Status CheckKeyRefresh(const CodeFacts& code, UnixSeconds now) {
  LICENTIA_RETURN_IF_ERROR(CheckBlockedAndAccount(code));
  if (CodeStateAt(code, now) == CodeState::kExpired) {
    return ExpiredOn(*CodeExpiry(code));
  }
  return Status::Ok();
}

Result<Renewal> RenewSubscription(const CodeFacts& code, UnixSeconds now,
                                  std::optional<int> days,
                                  std::optional<UnixSeconds> until) {
  if (code.terms.type != LicenseType::kSubscription) {
    return Status(ErrorCode::kConflict,
                  fmt::format("Only subscriptions renew; this is a {} code "
                              "(extend a term license by issuing a new code "
                              "for the customer's reserve).",
                              LicenseTypeName(code.terms.type)));
  }
  Renewal r{code.ends_at, code.terms.term_days};
  if (until) {
    if (*until <= now) {
      return Status(ErrorCode::kInvalidRequest,
                    "ends_at must be later than now.");
    }
    r.ends_at = *until;
    return r;
  }
  auto expiry = CodeExpiry(code);
  if (!expiry) {
    // Never activated: the term, still to start, grows.
    if (code.terms.term_days + *days > kMaxTermDays) {
      return Status(
          ErrorCode::kInvalidRequest,
          fmt::format("The term would exceed {} days.", kMaxTermDays));
    }
    r.term_days = code.terms.term_days + *days;
    return r;
  }
  // Paid before the grace ran out: the days follow on without a gap.
  // Later: they count from now.
  UnixSeconds lapses = GraceEnd(code).value_or(*expiry);
  UnixSeconds from = now < lapses ? *expiry : now;
  r.ends_at = from + static_cast<UnixSeconds>(*days) * kSecondsPerDay;
  return r;
}

bool HeartbeatMissed(const CodeFacts& code, UnixSeconds last_seen_at,
                     UnixSeconds now) {
  return code.terms.heartbeat_days > 0 &&
         now >= last_seen_at + code.terms.heartbeat_days * kSecondsPerDay;
}

Status CheckReserveHolder(const CodeFacts& current, UnixSeconds now) {
  if (!CodeExpiry(current) || CodeStateAt(current, now) != CodeState::kActive) {
    return NoCurrentLicense();
  }
  if (current.terms.type == LicenseType::kSubscription) {
    return Status(ErrorCode::kCurrentIsSubscription,
                  "The current license is a subscription, which renews "
                  "itself; a reserve code cannot be added to it.");
  }
  return Status::Ok();
}

Status CheckReserveCode(const CodeFacts& current, const CodeFacts& reserve,
                        bool same_code, bool reserve_already_set,
                        UnixSeconds now) {
  LICENTIA_RETURN_IF_ERROR(CheckReserveHolder(current, now));
  auto current_expiry = CodeExpiry(current);
  if (reserve.terms.type == LicenseType::kSubscription) {
    return Status(ErrorCode::kReserveIsSubscription,
                  "A subscription code cannot be used as a reserve code.");
  }
  if (reserve.terms.type == LicenseType::kTrial) {
    return Status(ErrorCode::kReserveIsTrial,
                  "A trial code cannot be used as a reserve code.");
  }
  if (same_code) return ReserveIsCurrentCode();
  LICENTIA_RETURN_IF_ERROR(CheckBlockedAndAccount(reserve));
  if (reserve.terms.product != current.terms.product) {
    return Status(ErrorCode::kWrongProduct,
                  fmt::format("This code is for the product '{}', not '{}'.",
                              reserve.terms.product, current.terms.product));
  }
  if (reserve.terms.activate_by && now > *reserve.terms.activate_by) {
    return DeadlinePassed(*reserve.terms.activate_by);
  }
  if (auto expiry = CodeExpiry(reserve); expiry && *expiry <= *current_expiry) {
    return Status(ErrorCode::kReserveNotLater,
                  fmt::format("This code was first activated earlier and "
                              "expires on {}, not later than the current "
                              "license ({}); it would add nothing.",
                              FormatTimestamp(*expiry),
                              FormatTimestamp(*current_expiry)));
  }
  if (reserve_already_set) return ReserveAlreadySet();
  return Status::Ok();
}

}  // namespace licentia
