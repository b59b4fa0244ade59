// Signs the license keys of activations off the network threads, many at
// once. An Ed25519 signature costs more than the rest of an activation's
// network-side work; with format 2 (core/key_batch.h) the keys of a batch
// share one signature, so the cost per key falls as load rises.
//
// A batch opens when a key arrives at an idle signer and gathers keys for
// up to `gather` (keys queued while a batch is being signed form the next
// one). Keys are queued as soon as their transaction has decided them, and
// making that transaction durable takes longer than the gathering time, so
// gathering costs an activation no latency (server/key_join.h).
//
// Thread-safe. Each Done is called exactly once, on the signer's thread:
// with the armoured key, or with the error that kept this key from being
// issued. Destruction signs and answers everything still queued.
#ifndef LICENTIA_SERVER_KEY_SIGNER_H_
#define LICENTIA_SERVER_KEY_SIGNER_H_

#include <chrono>
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
  static constexpr std::chrono::microseconds kDefaultGather{200};
  KeySigner(crypto::SigningKeyPair signer, KeyFormat format,
            std::chrono::microseconds gather = kDefaultGather);
  ~KeySigner();
  KeySigner(const KeySigner&) = delete;
  KeySigner& operator=(const KeySigner&) = delete;

  void Sign(LicenseKeyPayload payload, Done done);

  struct Stats {
    std::uint64_t keys = 0;        // keys issued
    std::uint64_t signatures = 0;  // Ed25519 signatures made for them
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
  const std::chrono::microseconds gather_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;                    // guarded by mu_
  std::chrono::steady_clock::time_point opened_;  // queue_'s first key; mu_
  bool stopping_ = false;                         // guarded by mu_
  Stats stats_;                                   // guarded by mu_
  std::thread thread_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_KEY_SIGNER_H_
