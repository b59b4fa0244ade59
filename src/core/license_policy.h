// The licensing policy: what a code allows at a given moment, by the domain
// rules of docs/domain-rules.md, written once for the server (which decides)
// and the SDK (which refuses early what the server would refuse, and shows
// the same state). Pure functions of the facts given; no I/O.
//
// Every refusal is a Status with the code and sentence the API documents
// (docs/api.md); where several rules refuse, the first in rule order is
// reported.
#ifndef LICENTIA_CORE_LICENSE_POLICY_H_
#define LICENTIA_CORE_LICENSE_POLICY_H_

#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/license_terms.h"
#include "core/status.h"

namespace licentia {

// What is known of a code: its terms and what happened to it.
struct CodeFacts {
  const CodeTerms& terms;
  std::optional<UnixSeconds> first_activated_at;  // empty: never activated
  bool blocked = false;
  std::string_view blocked_reason;
  int seats_used = 0;
  // Rule 8's account condition, for the device at hand: it is connected
  // to a management console account that holds this code. Only read for
  // codes that require an account.
  bool device_account_holds = false;
  // A subscription's end as its renewals set it (docs/domain-rules.md,
  // "Subscriptions"): it replaces the end counted from first activation.
  std::optional<UnixSeconds> ends_at;
  // Suspended by the vendor (a missed payment): reversible, and unlike a
  // block it switches nothing to a reserve.
  bool suspended = false;
  std::string_view suspended_reason;
};

// The code's expiry: the end its renewals set, else the end of its term
// once it was first activated anywhere (rule 3); empty: not yet known.
std::optional<UnixSeconds> CodeExpiry(const CodeFacts& code);
// The end of the grace after the expiry (subscriptions with grace_days);
// empty when there is none.
std::optional<UnixSeconds> GraceEnd(const CodeFacts& code);
// What a license key for the code states as its end: the end of the grace
// if there is one, else the expiry. REQUIRES: CodeExpiry(code).
UnixSeconds KeyValidUntil(const CodeFacts& code);

// A license's state at `now`: blocked (rule 10) before suspended before
// expired (rule 3); in its grace (still of full function) between the
// expiry and the grace's end; else active. A code never activated counts
// as active: its term has not begun.
enum class CodeState { kActive, kGrace, kExpired, kSuspended, kBlocked };
std::string_view CodeStateName(CodeState state);  // "active", ...
// Whether a license in `state` works: active or in its grace.
bool IsUsable(CodeState state);
CodeState CodeStateAt(const CodeFacts& code, UnixSeconds now);
// The same from what a device holds: what the server last said of a block
// and a suspension, the expiry and the end of the grace (its key's end).
struct HeldLicenseFacts {
  bool blocked = false;
  bool suspended = false;
  std::optional<UnixSeconds> expires_at;
  std::optional<UnixSeconds> grace_until;
};
CodeState CodeStateAt(const HeldLicenseFacts& held, UnixSeconds now);

// A new seat for a device (rules 2-4, 10): not blocked, activate-by not
// passed, expiry (once known) ahead, the application version compatible, a
// seat free; for a code that requires an account, the device's account
// holds it (rule 8).
Status CheckNewSeat(const CodeFacts& code, UnixSeconds now,
                    std::string_view app_version);
// A device activating again the code whose seat it holds (rule 4: the same
// seat and expiry): not blocked, not suspended, not expired (its grace
// counts), version compatible. No activate-by check: no new seat is taken.
Status CheckReactivation(const CodeFacts& code, UnixSeconds now,
                         std::string_view app_version);
// A fresh license key for the seat a device holds (after a renewal or a
// change of terms): not blocked, not suspended, not expired (its grace
// counts). The version was checked when the seat was taken.
Status CheckKeyRefresh(const CodeFacts& code, UnixSeconds now);

// A renewal of a subscription (docs/domain-rules.md): the new end it sets.
// `days` extends it from its expiry while the code is usable (active or in
// its grace, so a late payment loses no day), else from `now`; a code never
// activated gets the days added to its term instead (empty result: no end
// is set). `until` sets the end as given. Refused: a code that is not a
// subscription (kConflict), an end not after `now` (kInvalidRequest).
struct Renewal {
  std::optional<UnixSeconds> ends_at;  // the new end, if one is set
  int term_days = 0;                   // the code's term afterwards
};
Result<Renewal> RenewSubscription(const CodeFacts& code, UnixSeconds now,
                                  std::optional<int> days,
                                  std::optional<UnixSeconds> until);

// Heartbeats: whether the seat last seen at `last_seen_at` is to be freed
// at `now` (the code's heartbeat_days passed without contact).
bool HeartbeatMissed(const CodeFacts& code, UnixSeconds last_seen_at,
                     UnixSeconds now);

// Rule 6, in its order, for adding a reserve beside the device's `current`
// license: first what the current license must be (a current, valid,
// non-subscription license), then — once the reserve code is found — what
// the reserve must be. `reserve_already_set`: the device has a reserve.
Status CheckReserveHolder(const CodeFacts& current, UnixSeconds now);
Status CheckReserveCode(const CodeFacts& current, const CodeFacts& reserve,
                        bool same_code, bool reserve_already_set,
                        UnixSeconds now);

// Offline rollover: whether the reserve may be prepared now, `now` being
// before `current_end`, the end of the license it follows. Only when the
// reserve's terms offer it (prepare_days > 0, else kPrepareNotOffered) and
// from prepare_days before current_end on (else kPrepareTooEarly, naming
// the day it may). The reserve itself is then checked with CheckNewSeat at
// current_end — the moment it takes over — or, for a seat the device holds
// already, CheckReactivation at that moment.
Status CheckPrepareWindow(const CodeFacts& reserve, UnixSeconds current_end,
                          UnixSeconds now);
// The first moment the SDK may ask to prepare `reserve_prepare_days`'
// reserve before `current_end`; nullopt when its terms do not offer it.
std::optional<UnixSeconds> PrepareWindowStart(int reserve_prepare_days,
                                              UnixSeconds current_end);

// The refusals the SDK can decide on its own before asking the server
// (rule 6): the same codes and sentences as the server's.
Status NoCurrentLicense();
Status ReserveAlreadySet();
Status ReserveIsCurrentCode();
// The code was blocked by the vendor (rule 10), with its reason if any.
Status CodeBlocked(std::string_view reason);
// The vendor suspended the subscription, with its reason if any.
Status CodeSuspended(std::string_view reason);

}  // namespace licentia

#endif  // LICENTIA_CORE_LICENSE_POLICY_H_
