// What the device and admin services share: the store, the clock, the
// server's secrets, and the few helpers both need to describe codes.
#ifndef LICENTIA_SERVER_SERVICE_CONTEXT_H_
#define LICENTIA_SERVER_SERVICE_CONTEXT_H_

#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/activation_code.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/license_key.h"
#include "core/license_policy.h"
#include "server/json_writer.h"
#include "store/store.h"

namespace licentia::server {

class KeySigner;

// A license key on its way out: the payload a transaction filled in, then
// the key's bytes once signed. They are armoured where the answer is made,
// on a network thread, not on the store's writer that signs them.
struct IssuedKey {
  LicenseKeyPayload payload;
  crypto::Bytes signed_key;
};

struct ServiceContext {
  store::Store& store;
  const Clock& clock;
  KeySigner& key_signer;
  // Keyed by the pepper the hashes codes are stored under.
  crypto::PreparedHmac code_hasher;

  crypto::Hash HashCode(const ActivationCode& code) const {
    return code_hasher.Mac(code.Canonical());
  }
};

// What the licensing policy (core/license_policy.h) needs to know of a
// stored code. The view refers to `code`, which must outlive it.
CodeFacts FactsOf(const store::CodeRow& code);

// The same, for the device `device_hash` about to take or keep a seat:
// with rule 8's account condition read from `txn` (whether the device is
// connected to an account that holds the code) when the code requires an
// account.
Result<CodeFacts> FactsForDevice(store::Transaction& txn,
                                 const store::CodeRow& code,
                                 const crypto::Hash& device_hash);

// Rule 6 for adding `reserve` to the device `device_hash` whose current
// license is `current`, in the order of its refusals.
Status CheckReserveForDevice(store::Transaction& txn,
                             const store::CodeRow& current,
                             const crypto::Hash& device_hash,
                             const store::CodeRow& reserve, UnixSeconds now);

// The code's expiry once it has been activated anywhere (rule 3).
std::optional<UnixSeconds> CodeExpiry(const store::CodeRow& code);

// A code as the admin API and devices see it: masked, never the plaintext.
// WriteCodeFields writes its fields into the object `w` has open (for
// answers that add fields of their own), WriteCode the object itself (the
// device answers are written as text); CodeJson is the same as an object.
void WriteCodeFields(JsonWriter& w, const store::CodeRow& code);
void WriteCode(JsonWriter& w, const store::CodeRow& code);
boost::json::object CodeJson(const store::CodeRow& code);
boost::json::object ActivationJson(const store::ActivationRow& a);

// An event's details: a flat JSON object of strings and integers, in the
// order given. Written straight to text: building a boost::json::object
// for every activation cost ~2 us on the single writer. The strings it
// views must outlive it.
class EventDetails {
 public:
  using Value = std::variant<std::int64_t, std::string_view>;
  EventDetails() = default;
  EventDetails(std::initializer_list<std::pair<std::string_view, Value>> fields)
      : fields_(fields) {}
  void Add(std::string_view key, Value value) {
    fields_.emplace_back(key, value);
  }
  // The string field `key`, if there is one.
  std::optional<std::string_view> FindString(std::string_view key) const;
  // The JSON text, e.g. {"activation_id":7,"device_name":"laptop"}.
  std::string ToJson() const;

 private:
  std::vector<std::pair<std::string_view, Value>> fields_;
};

// Every event type the server records, as the event log's filter accepts
// them (docs/api.md lists each).
inline constexpr std::array<std::string_view, 25> kEventTypes = {
    "product.created",     "product.version_added", "codes.issued",
    "code.activated",      "code.deactivated",      "code.blocked",
    "code.unblocked",      "reserve.added",         "reserve.removed",
    "reserve.activated",   "reserve.prepared",      "account.code_added",
    "device.connected",    "device.disconnected",   "invitation.sent",
    "invitation.accepted", "invitation.declined",   "invitation.revoked",
    "code.renewed",        "code.suspended",        "code.resumed",
    "code.terms_changed",  "batch.terms_changed",   "token.created",
    "token.revoked"};
bool IsEventType(std::string_view type);

// Who an event says acted: "device", "system", "account", or "admin"
// with the admin token used.
struct EventActor {
  EventActor(const char* kind) : kind(kind) {}       // NOLINT: "device"
  EventActor(std::string_view kind) : kind(kind) {}  // NOLINT
  EventActor(std::string_view kind, std::optional<std::int64_t> token_id)
      : kind(kind), token_id(token_id) {}
  std::string_view kind;
  std::optional<std::int64_t> token_id;
};

// Appends an event in `txn`. REQUIRES: IsEventType(type).
Status RecordEvent(store::Transaction& txn, UnixSeconds at,
                   std::string_view type, const store::CodeRow* code,
                   std::string_view device_hex, EventActor actor,
                   const EventDetails& details = {});

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SERVICE_CONTEXT_H_
