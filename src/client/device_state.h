// The SDK's state on the device for one application: the current license,
// the reserve code and its rollover state, and the last trusted time.
//
// On disk it is one JSON file written atomically (temporary file, fsync,
// rename, fsync of the directory) and sealed with a keyed BLAKE2b MAC whose
// key is derived from the device fingerprint and the product. A damaged or
// edited file fails the check and is never trusted. (Someone with full
// control of the device can recompute the MAC; what they cannot forge is the
// license key inside, which the server signed.)
#ifndef LICENTIA_CLIENT_DEVICE_STATE_H_
#define LICENTIA_CLIENT_DEVICE_STATE_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "licentia/clock.h"
#include "licentia/license_manager.h"
#include "licentia/status.h"

namespace licentia::client {

constexpr int kStateFormatVersion = 1;

// What the device knows about a code (from the server's answers).
struct CodeInfo {
  std::string code;  // canonical plaintext: the device needs it to activate
  std::string masked_code;
  std::string product;
  std::string edition;
  std::vector<std::string> features;
  std::string license_type;
  int term_days = 0;
  int max_devices = 0;
  int seats_used = 0;
  std::optional<UnixSeconds> expires_at;
  // What a key for the code states as its end: the end of a
  // subscription's grace (grace_days after expires_at) or expires_at.
  std::optional<UnixSeconds> key_valid_until;
  int grace_days = 0;
  // Offline rollover: how many days before the license it follows ends
  // this code, as the reserve, may be prepared (0: never).
  int prepare_days = 0;

  bool operator==(const CodeInfo&) const = default;
};

// A reserve prepared for an offline rollover (POST /v1/reserve/prepare):
// a key for the reserve, verified on arrival, valid from the current
// license's end. Empty license_key: none.
struct PreparedReserve {
  std::string license_key;  // armoured
  std::string activation_token;
  UnixSeconds valid_from = 0;
  UnixSeconds valid_until = 0;

  bool operator==(const PreparedReserve&) const = default;
};

// A seat this device no longer uses but could not yet release on the
// server (it was unreachable): released at the next contact, so that no
// seat leaks.
struct SeatToRelease {
  std::string code;  // canonical
  std::string activation_token;

  bool operator==(const SeatToRelease&) const = default;
};

// The offline request (docs/offline-files.md) this device wrote last and
// awaits the answer to. Empty id: none.
struct PendingOfflineRequest {
  std::string id;    // hex
  std::string kind;  // "activate" or "deactivate"
  std::string code;  // canonical

  bool operator==(const PendingOfflineRequest&) const = default;
};

struct DeviceState {
  // The current license; empty code means none.
  CodeInfo current;
  std::string activation_token;
  std::string license_key;  // armoured, as the server signed it
  bool blocked = false;
  std::string blocked_reason;
  bool suspended = false;  // a subscription the vendor suspended
  std::string suspended_reason;

  // The reserve; empty code means none.
  CodeInfo reserve;
  ReserveState reserve_state = ReserveState::kNone;
  int failed_attempts = 0;
  std::optional<UnixSeconds> next_retry_at;
  std::optional<ProblemReport> reserve_error;
  PreparedReserve prepared;
  // No new attempt to prepare the reserve before this (after a failure).
  std::optional<UnixSeconds> next_prepare_at;
  // The device switched to its prepared reserve without the server: the
  // full verification of the rollover is made at its next contact.
  bool switched_offline = false;
  PendingOfflineRequest pending_offline;

  std::optional<ProblemReport> last_error;
  std::optional<UnixSeconds> last_sync;
  UnixSeconds trusted_time = 0;  // never decreases
  // Server time minus device time at the last answer from the server: a
  // device whose clock runs slow or fast still judges expiry by the
  // server's time.
  UnixSeconds clock_offset = 0;
  UnixSeconds last_local_time = 0;  // the latest device clock reading seen
  bool activate_now_requested = false;

  std::vector<SeatToRelease> seats_to_release;
  // A code whose activation failed for a network reason: Try again repeats
  // it. Empty when there is none.
  std::string retry_code;

  // The management console account this device is connected to (its
  // email), and the token that proves the connection; empty when none.
  std::string connected_account;
  std::string connection_token;

  bool has_license() const { return !current.code.empty(); }
  bool has_reserve() const { return !reserve.code.empty(); }

  bool operator==(const DeviceState&) const = default;
};

class StateFile {
 public:
  // `mac_key_material`: device fingerprint and product, from which the MAC
  // key is derived.
  StateFile(std::filesystem::path path, std::string mac_key_material);

  // kNotFound if there is no file yet; kStateTampered if it fails the
  // integrity check or does not parse; kIoError if it cannot be read.
  Result<DeviceState> Load() const;
  // Atomic replace. kIoError on failure (the old file stays intact).
  Status Save(const DeviceState& state) const;
  // Moves a file that failed its check aside (path + ".corrupt").
  void QuarantineCorrupt() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string mac_key_material_;
};

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_DEVICE_STATE_H_
