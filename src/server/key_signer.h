// Signs the license keys of activations off the network threads, many at
// once. An Ed25519 signature costs more than the rest of an activation's
// network-side work; with format 2 (core/key_batch.h) the keys queued while
// the previous batch was being signed share one signature, so the cost per
// key falls as load rises, and a lone activation is signed at once.
//
// Thread-safe. Each Done is called exactly once, on the signer's thread:
// with the armoured key, or with the error that kept this key from being
// issued. Destruction signs and answers everything still queued.
#ifndef LICENTIA_SERVER_KEY_SIGNER_H_
#define LICENTIA_SERVER_KEY_SIGNER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/license_key.h"
#include "core/status.h"

namespace licentia::server {

class KeySigner {
 public:
  using Done = std::function<void(Result<std::string> armoured_key)>;

  // `format` kSingle signs each key alone (for fleets whose applications
  // only verify format 1); kBatch signs each batch once.
  KeySigner(crypto::SigningKeyPair signer, KeyFormat format);
  ~KeySigner();
  KeySigner(const KeySigner&) = delete;
  KeySigner& operator=(const KeySigner&) = delete;

  void Sign(LicenseKeyPayload payload, Done done);

  struct Stats {
    std::uint64_t keys = 0;
    std::uint64_t signatures = 0;
  };
  Stats GetStats() const;

 private:
  struct Pending {
    LicenseKeyPayload payload;
    Done done;
  };
  void Loop();
  void SignBatch(std::vector<Pending>& batch);

  const crypto::SigningKeyPair signer_;
  const KeyFormat format_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  Stats stats_;                 // guarded by mu_
  std::thread thread_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_KEY_SIGNER_H_
