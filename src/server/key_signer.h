// Signs the license keys of activations, many at once. An Ed25519
// signature costs more than the rest of an activation's network-side work;
// with format 2 (core/key_batch.h) the keys signed together share one
// signature, so the cost per key falls as load rises.
//
// Sign() only queues a key; SignQueued() signs everything queued so far, on
// the calling thread. The server queues each key once its write has
// committed (store::Transaction::OnCommit) and signs once per commit,
// after all of that commit's keys are queued
// (store::Transaction::OnceAfterCommit): on SQLite the keys of a whole
// batch of writes share one signature, made on the writer while the
// commit heads for the disk, before the batch is answered. Keys thus cost
// no thread of their own and no waiting to gather a batch.
//
// Thread-safe. Each Done is called exactly once, on the thread that signs
// it: with the signed key's bytes (for ArmourLicenseKey, which the caller
// runs on its own thread: armouring costs more than a key's share of the
// signature), or with the error that kept this key from being issued.
// Destruction signs and answers everything still queued.
#ifndef LICENTIA_SERVER_KEY_SIGNER_H_
#define LICENTIA_SERVER_KEY_SIGNER_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/license_key.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/time_attestation.h"

namespace licentia::server {

class KeySigner {
 public:
  using Done = std::function<void(Result<crypto::Bytes> signed_key)>;

  // `format` kSingle signs each key alone (for fleets whose applications
  // only verify format 1); kBatch signs up to kMaxBatchKeys keys at once.
  KeySigner(crypto::SigningKeyPair signer, KeyFormat format);
  ~KeySigner();
  KeySigner(const KeySigner&) = delete;
  KeySigner& operator=(const KeySigner&) = delete;

  // Queues `payload`; `done` is called when a SignQueued call signs it.
  void Sign(LicenseKeyPayload payload, Done done);

  // Signs and answers every key queued before this call (keys queued
  // meanwhile wait for the next call). Calls from several threads at once
  // each sign their own share.
  void SignQueued();

  // Signs the server's time for a device's nonce (core/time_attestation.h)
  // at once, on the calling thread. Thread-safe.
  TimeAttestation AttestTime(const TimeNonce& nonce,
                             UnixSeconds server_time) const;
  // Signs `bytes` (an offline response file's, core/offline_request.h:
  // OfflineResponseSignedBytes) at once. Thread-safe.
  crypto::Signature SignOfflineResponse(
      std::span<const std::uint8_t> bytes) const {
    return crypto::Sign(bytes, signer_.secret_key);
  }
  // The id of the key this signer signs with. Thread-safe.
  crypto::KeyId key_id() const { return crypto::KeyIdOf(signer_.public_key); }

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
  // REQUIRES: 1 <= batch.size() <= kMaxBatchKeys.
  void SignBatch(std::span<Pending> batch);

  const crypto::SigningKeyPair signer_;
  const KeyFormat format_;
  mutable Mutex mu_;
  std::vector<Pending> queue_ GUARDED_BY(mu_);
  Stats stats_ GUARDED_BY(mu_);
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_KEY_SIGNER_H_
