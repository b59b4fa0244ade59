// The Licentia client SDK: what an application embeds to activate, hold a
// reserve activation code, renew itself with no gap, and verify its license
// offline.
//
// One LicenseManager per application (product) on a device. Its state lives
// in one file under ClientConfig::state_dir, written atomically and guarded
// by an integrity check. Methods that talk to the server block the calling
// thread (at most ClientConfig::timeout_ms per request).
//
// Thread safety: a LicenseManager is internally synchronised; any thread may
// call any method. Errors are values (Status/Result), never exceptions.
#ifndef LICENTIA_LICENSE_MANAGER_H_
#define LICENTIA_LICENSE_MANAGER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "licentia/clock.h"
#include "licentia/status.h"

namespace licentia {

struct RetryPolicy {
  // Network-type failures of a rollover are retried after initial, then
  // doubling up to max, each delay varied by +/- jitter (a fraction).
  UnixSeconds initial_delay = 30;
  UnixSeconds max_delay = 3600;
  double jitter = 0.2;
};

// Push: while the device is online, the agent (or the application's own
// Step() calls) holds one long poll on the server, so that a block, new
// terms, a released seat or a changed reserve reach the device within
// moments of being made (docs/sdk.md, "Push").
struct PushPolicy {
  bool enabled = true;  // false: the interval sync only
  // How long each wait asks the server to hold it (1-300 seconds).
  UnixSeconds wait_seconds = 60;
  // After a failed wait (server down, network gone), the delay before the
  // next: doubling from initial_ms to max_ms, each varied by +/- jitter, so
  // that devices do not all come back at once after an outage.
  long reconnect_initial_ms = 1000;
  long reconnect_max_ms = 300000;
  double reconnect_jitter = 0.5;
};

struct ClientConfig {
  std::string server_url;  // e.g. "https://licensing.example.com"
  // The server's Ed25519 public keys (64 hex characters each), as in its
  // signing.pub; keys signed by any of them are accepted.
  std::vector<std::string> trusted_public_keys;
  std::string product;      // the product id the codes are issued for
  std::string app_version;  // the installed application version, e.g. "22.1"
  std::string state_dir;    // where the state file is kept
  // The device fingerprint. Empty: derived from /etc/machine-id hashed with
  // the product id. Set explicitly only in tests or special deployments.
  std::string fingerprint;
  std::string device_name;       // shown to the vendor; default: the host name
  const Clock* clock = nullptr;  // default: the system clock
  long timeout_ms = 15000;
  UnixSeconds sync_interval = 3600;  // how often Tick() syncs
  RetryPolicy retry;
  PushPolicy push;
};

enum class LicenseState {
  kNone,     // no license on this device
  kActive,   // valid now
  kExpired,  // its term has ended (by trusted time)
  kBlocked,  // the vendor blocked the code
  // A subscription past its end, within its grace period: it works fully
  // while the renewal is due (grace_until says until when).
  kGrace,
  kSuspended,  // the vendor suspended the subscription; works once resumed
};

enum class ReserveState {
  kNone,
  kWaiting,   // registered; activates when the current license ends
  kRetrying,  // a rollover failed for a network reason; retries itself
  kFailed,    // a rollover failed for a reason a retry cannot fix
};

struct ProblemReport {
  ErrorCode code = ErrorCode::kOk;
  std::string message;     // what happened
  std::string what_to_do;  // what the user can do about it
  UnixSeconds at = 0;

  bool operator==(const ProblemReport&) const = default;
};

struct ReserveDetails {
  ReserveState state = ReserveState::kNone;
  std::string masked_code;
  std::string license_type;
  int term_days = 0;
  int max_devices = 0;
  std::optional<UnixSeconds> expires_at;  // known once first activated
  std::optional<UnixSeconds> next_retry_at;
  int failed_attempts = 0;
  std::optional<ProblemReport> last_error;
  // Set once the reserve was prepared for an offline rollover: verified
  // by the server ahead of time, it takes over at this moment (the
  // license's end) even if the device has no network then.
  std::optional<UnixSeconds> prepared_from;
};

// What the application's "License details" window shows.
struct LicenseDetails {
  LicenseState state = LicenseState::kNone;
  std::string masked_code;
  std::string product;
  std::string edition;
  std::vector<std::string> features;
  std::string license_type;
  std::optional<UnixSeconds> expires_at;
  std::optional<long> days_left;  // whole days until expiry, >= 0
  // A subscription's grace: after expires_at it keeps working until then.
  std::optional<UnixSeconds> grace_until;
  int seats_used = 0;
  int max_devices = 0;
  ReserveDetails reserve;
  std::optional<ProblemReport> last_error;
  std::optional<UnixSeconds> last_sync;
  UnixSeconds trusted_time = 0;  // the time all checks use
  bool clock_rolled_back = false;
  // The management console account this device is connected to (its
  // email address), or "" (docs/console.md).
  std::string connected_account;
};

std::string_view LicenseStateName(LicenseState s);  // "active", ...
std::string_view ReserveStateName(ReserveState s);  // "waiting", ...

class LicenseManager {
 public:
  // Loads (or starts) the state for config.product. kInvalidRequest for a
  // bad configuration; kStateTampered if the state file fails its
  // integrity check (the file is then kept aside as *.corrupt and the
  // device starts without a license).
  static Result<std::unique_ptr<LicenseManager>> Open(ClientConfig config);
  ~LicenseManager();

  // Activates `code` as the current license. The code's format and check
  // symbols are verified before any network call (kInvalidCodeFormat).
  Status Activate(std::string_view code);

  // The license as the user should see it. No network, and it never waits
  // for a call to the server in flight on another thread: it shows the
  // state as that call last saved it.
  LicenseDetails Details();

  // Adds `code` as the reserve (rule 6): local format check, then the
  // server's pre-check and registration. Each refusal has its own code.
  Status AddReserve(std::string_view code);
  Status RemoveReserve();

  // Removes the license key from the device (the seat is released on the
  // server) and, if a reserve is set, activates it (rule 8).
  Status RemoveLicenseKey();

  // Asks the server for the license's state (blocked, expiry) and its time,
  // then does anything now due (a rollover).
  Status Sync();

  // The fast offline check an application makes often: the key's
  // signature, device binding and expiry against trusted time. OK means the
  // application may run licensed. If the license has just ended and a
  // reserve is waiting, it first switches to the reserve (the one case in
  // which it uses the network), so there is no gap.
  Status Check();

  // Retries a failed rollover now (the "Try again" button).
  Status TryAgain();

  // Switches to the reserve now, e.g. when the current code was blocked
  // (the "Activate now" button).
  Status ActivateNow();

  // Does what is due at this moment: a sync when the interval has passed,
  // a rollover when the license has ended, a retry when its time has come.
  // An agent calls it periodically. Returns the outcome of what it did.
  Status Tick();

  // Connects this device to a management console account with the
  // one-time connection code the console shows (docs/console.md), and
  // returns the account's email address. A device is connected to one
  // account at a time: connecting again moves it. kConnectCodeInvalid if
  // the code is unknown, used or expired; kInvalidRequest if it is not
  // eight letters and digits.
  Result<std::string> Connect(std::string_view connect_code);
  // Ends this device's connection to its account (the account's console
  // no longer shows it). kNotConnected if it has none.
  Status Disconnect();

  // Offline activation (docs/offline-files.md), for a device that never
  // reaches the server. The request is the text of a file for the vendor;
  // the device keeps it pending until its response is imported (a later
  // request replaces it, and each is answered once).
  //
  // The request to activate `code` on this device. kInvalidCodeFormat
  // before anything else, as Activate().
  Result<std::string> OfflineActivationRequest(std::string_view code);
  // The request to free this device's seat. The license key is removed
  // from the device at once: the request stands for its removal.
  // kNoCurrentLicense without one.
  Result<std::string> OfflineDeactivationRequest();
  // The request to add `code` as the reserve (rule 6: the device's own
  // checks first, as AddReserve), and the request to prepare the reserve
  // for an offline rollover (docs/sdk.md, "Offline rollover"): imported,
  // its key takes over at the license's end with no network.
  Result<std::string> OfflineReserveRequest(std::string_view code);
  Result<std::string> OfflinePrepareRequest();
  // Imports the vendor's response file. An activation's key is verified as
  // online and becomes the current license; a deactivation's confirms the
  // seat was freed. kOfflineResponseMismatch if it does not answer the
  // request pending on this device (or none is), kInvalidRequest if it is
  // not a response file; nothing changes then.
  Status ImportOfflineResponse(std::string_view text);

  // One step of the agent, for an application that drives it from a loop
  // or thread of its own: does what is due (as Tick()), then waits for at
  // most `max_wait` for whichever comes first: a change the server reports
  // for this device (applied as Sync() applies its answer), the device's
  // next due work, or Interrupt(). While the server cannot be reached it
  // waits out the reconnect delay (PushPolicy) instead of asking again.
  // No lock is held while it waits: Details(), Check() and every other
  // method run meanwhile. Returns the outcome of the due work if it
  // failed, else that of the wait: OK after an answer (changed or not),
  // kUnavailable while the server cannot be reached.
  Status Step(std::chrono::milliseconds max_wait);

  // Ends the Step() in progress (the agent's or the application's) at
  // once, or else the next one after its due work. Thread-safe.
  void Interrupt();

  // Runs Step() in a loop on a thread the SDK owns, until StopAgent() or
  // the manager is destroyed: the application needs no thread of its own.
  // `on_change`, if set, is called on the agent's thread each time what
  // Details() shows has changed (a block arrived, the reserve took over);
  // it must return promptly, must not throw and must not call StopAgent().
  // kConflict if the agent already runs.
  Status StartAgent(std::function<void()> on_change = {});
  // Stops the agent: interrupts its wait and joins its thread. A no-op if
  // it does not run.
  void StopAgent();

 private:
  struct Impl;
  explicit LicenseManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace licentia

#endif  // LICENTIA_LICENSE_MANAGER_H_
