#include "server/key_signer.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "core/thread_name.h"

namespace licentia::server {

KeySigner::KeySigner(crypto::SigningKeyPair signer, KeyFormat format,
                     std::chrono::microseconds gather)
    : signer_(std::move(signer)),
      format_(format),
      // Gathering only pays where keys share a signature.
      gather_(format == KeyFormat::kBatch ? gather
                                          : std::chrono::microseconds(0)) {
  thread_ = std::thread([this] { Loop(); });
}

KeySigner::~KeySigner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void KeySigner::Sign(LicenseKeyPayload payload, Done done) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    bool was_idle = queue_.empty();
    if (was_idle) opened_ = std::chrono::steady_clock::now();
    queue_.push_back({std::move(payload), std::move(done)});
    wake = was_idle || queue_.size() == kMaxBatchKeys;
  }
  if (wake) cv_.notify_one();
}

KeySigner::Stats KeySigner::GetStats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void KeySigner::Loop() {
  SetCurrentThreadName("lic-sign");
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything answered
      // Gather the batch; a full batch or shutdown closes it early.
      cv_.wait_until(lock, opened_ + gather_, [this] {
        return stopping_ || queue_.size() >= kMaxBatchKeys;
      });
      std::size_t n = std::min(queue_.size(), kMaxBatchKeys);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      // Keys left over open the next batch now.
      if (!queue_.empty()) opened_ = std::chrono::steady_clock::now();
    }
    SignBatch(batch);
    batch.clear();
  }
}

void KeySigner::SignBatch(std::vector<Pending>& batch) {
  std::vector<Result<std::string>> keys;
  if (format_ == KeyFormat::kBatch) {
    std::vector<LicenseKeyPayload> payloads;
    payloads.reserve(batch.size());
    for (auto& p : batch) payloads.push_back(std::move(p.payload));
    keys = IssueLicenseKeyBatch(std::move(payloads), signer_);
  } else {
    for (auto& p : batch) {
      keys.push_back(IssueLicenseKey(std::move(p.payload), signer_));
    }
  }
  // A payload that cannot be encoded is answered with its error: it is
  // neither a key nor (alone in its batch) a signature.
  auto issued = static_cast<std::uint64_t>(std::count_if(
      keys.begin(), keys.end(), [](const auto& k) { return k.ok(); }));
  {
    std::lock_guard lock(mu_);
    stats_.keys += issued;
    stats_.signatures +=
        format_ == KeyFormat::kBatch ? (issued > 0 ? 1 : 0) : issued;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].done(std::move(keys[i]));
  }
}

}  // namespace licentia::server
