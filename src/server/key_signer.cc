#include "server/key_signer.h"

#include <algorithm>
#include <span>
#include <utility>

namespace licentia::server {

KeySigner::KeySigner(crypto::SigningKeyPair signer, KeyFormat format)
    : signer_(std::move(signer)), format_(format) {}

KeySigner::~KeySigner() { SignQueued(); }

void KeySigner::Sign(LicenseKeyPayload payload, Done done) {
  MutexLock lock(mu_);
  queue_.push_back({std::move(payload), std::move(done)});
}

KeySigner::Stats KeySigner::GetStats() const {
  MutexLock lock(mu_);
  return stats_;
}

void KeySigner::SignQueued() {
  std::vector<Pending> taken;
  {
    MutexLock lock(mu_);
    if (queue_.empty()) return;
    taken.swap(queue_);
  }
  std::span<Pending> left(taken);
  while (!left.empty()) {
    std::size_t n = std::min(left.size(), kMaxBatchKeys);
    SignBatch(left.first(n));
    left = left.subspan(n);
  }
}

void KeySigner::SignBatch(std::span<Pending> batch) {
  std::vector<Result<crypto::Bytes>> keys;
  if (format_ == KeyFormat::kBatch) {
    std::vector<LicenseKeyPayload> payloads;
    payloads.reserve(batch.size());
    for (auto& p : batch) payloads.push_back(std::move(p.payload));
    keys = SignLicenseKeyBatch(std::move(payloads), signer_);
  } else {
    for (auto& p : batch) {
      keys.push_back(SignLicenseKey(std::move(p.payload), signer_));
    }
  }
  // A payload that cannot be encoded is answered with its error: it is
  // neither a key nor (alone in its batch) a signature.
  auto issued = static_cast<std::uint64_t>(std::count_if(
      keys.begin(), keys.end(), [](const auto& k) { return k.ok(); }));
  {
    MutexLock lock(mu_);
    stats_.keys += issued;
    stats_.signatures +=
        format_ == KeyFormat::kBatch ? (issued > 0 ? 1 : 0) : issued;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].done(std::move(keys[i]));
  }
}

TimeAttestation KeySigner::AttestTime(const TimeNonce& nonce,
                                      UnixSeconds server_time) const {
  return licentia::AttestTime(nonce, server_time, signer_);
}

}  // namespace licentia::server
