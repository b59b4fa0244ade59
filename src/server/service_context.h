// What the device and admin services share: the store, the clock, the
// server's secrets, and the few helpers both need to describe codes.
#ifndef LICENTIA_SERVER_SERVICE_CONTEXT_H_
#define LICENTIA_SERVER_SERVICE_CONTEXT_H_

#include <boost/json/object.hpp>
#include <string_view>

#include "core/activation_code.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/license_key.h"
#include "store/store.h"

namespace licentia::server {

class KeySigner;

// A license key on its way out: the payload a transaction filled in, then
// the armoured key once signed.
struct IssuedKey {
  LicenseKeyPayload payload;
  std::string armoured;
};

struct ServiceContext {
  store::Store& store;
  const Clock& clock;
  KeySigner& key_signer;
  crypto::HmacKey code_pepper;  // keys the hashes codes are stored under

  crypto::Hash HashCode(const ActivationCode& code) const {
    return crypto::Hmac(code_pepper, code.Canonical());
  }
};

// The code's expiry once it has been activated anywhere (rule 3).
std::optional<UnixSeconds> CodeExpiry(const store::CodeRow& code);

// A code as the admin API and devices see it: masked, never the plaintext.
boost::json::object CodeJson(const store::CodeRow& code);
boost::json::object ActivationJson(const store::ActivationRow& a);

// Appends an event in `txn`.
Status RecordEvent(store::Transaction& txn, UnixSeconds at,
                   std::string_view type, const store::CodeRow* code,
                   std::string_view device_hex, std::string_view actor,
                   boost::json::object details = {});

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SERVICE_CONTEXT_H_
