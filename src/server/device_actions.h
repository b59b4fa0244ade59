// Actions taken in the console for a connected device - send it a license,
// set or remove its reserve - and how the device takes them up (docs/
// console.md, "Actions that reach devices").
//
// The console queues an action after the checks the server can make on the
// device's behalf (the account holds the code; rule 6 for a reserve; a seat
// for a license), so that a refusal shows at once. The device carries it
// out at its next contact exactly as if its user had typed the code, with
// every check the SDK and the server make, and reports the outcome, which
// the console then shows. A device waiting (POST /v1/wait) hears of a new
// action at once: the status it waits on counts its pending actions.
//
// The device receives the code itself, opened from its license
// administrator's sealed copy (core/code_seal.h), which the administrator
// made by typing the code in or by connecting a device that proved it
// holds the code; a code held with no sealed copy cannot be sent.
//
// Each function is the body of one transaction; nothing is written when it
// fails. Thread-compatible (no state of its own beyond the key).
#ifndef LICENTIA_SERVER_DEVICE_ACTIONS_H_
#define LICENTIA_SERVER_DEVICE_ACTIONS_H_

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string_view>

#include "core/code_seal.h"
#include "core/status.h"
#include "store/store.h"

namespace licentia::server {

// The actions' names in the API: "activate", "set_reserve",
// "remove_reserve"; and their states: "pending", "done", "refused".
std::string_view DeviceActionKindName(store::DeviceActionKind kind);
std::string_view DeviceActionStateName(store::DeviceActionState state);

class DeviceActions {
 public:
  explicit DeviceActions(const CodeSealKey& seal_key) : seal_key_(seal_key) {}

  // Queues `kind` (with `code_id`, the code to use or, for
  // kRemoveReserve, the device's reserve) for `account`'s connected device
  // `connection_id`. NOT_FOUND for a device or code the account does not
  // have; the refusal rule 6 or the seat rules give, as on the device.
  Result<boost::json::object> Queue(store::Transaction& txn,
                                    std::int64_t account,
                                    std::int64_t connection_id,
                                    store::DeviceActionKind kind,
                                    std::int64_t code_id,
                                    UnixSeconds now) const;

  // "Use this code as the reserve on all my devices": one result per
  // connected device - {"device_id", "name", "result": "queued" |
  // "refused", "error": {"code", "message"}}.
  Result<boost::json::array> ReserveEverywhere(store::Transaction& txn,
                                               std::int64_t account,
                                               std::int64_t code_id,
                                               UnixSeconds now) const;

  // The device's newest actions, for its console page.
  Result<boost::json::array> Recent(store::Transaction& txn,
                                    const crypto::Hash& device_hash) const;

  // POST /v1/actions: the pending actions of the device proving its
  // connection, each with the code to use.
  Result<boost::json::object> Take(store::Transaction& txn,
                                   const crypto::Hash& device_hash,
                                   std::string_view connection_token,
                                   UnixSeconds now) const;
  // POST /v1/actions/result: the device's outcome of action `id`; an empty
  // `error_code` means it was carried out.
  Result<boost::json::object> Finish(store::Transaction& txn,
                                     const crypto::Hash& device_hash,
                                     std::string_view connection_token,
                                     std::int64_t id,
                                     std::string_view error_code,
                                     std::string_view message,
                                     UnixSeconds now) const;

 private:
  const CodeSealKey seal_key_;
};

// The device's connection if `connection_token` proves it; NOT_CONNECTED
// otherwise (one answer for no connection and a wrong token).
Result<store::DeviceConnectionRow> ProveConnection(
    store::Transaction& txn, const crypto::Hash& device_hash,
    std::string_view connection_token);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_DEVICE_ACTIONS_H_
