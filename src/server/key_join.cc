#include "server/key_join.h"

#include <utility>

namespace licentia::server {

KeyJoin::KeyJoin(std::shared_ptr<IssuedKey> key, ResultMaker finish,
                 Reply reply)
    : key_(std::move(key)),
      finish_(std::move(finish)),
      reply_(std::move(reply)) {}

std::uint64_t KeyJoin::NewAttempt() {
  std::lock_guard lock(mu_);
  signed_.reset();
  return ++attempt_;
}

void KeyJoin::Signed(std::uint64_t attempt, Result<crypto::Bytes> signed_key) {
  std::unique_lock lock(mu_);
  if (answered_ || attempt != attempt_) return;
  signed_ = std::move(signed_key);
  AnswerIfComplete(lock);
}

void KeyJoin::Durable(Status st) {
  std::unique_lock lock(mu_);
  if (answered_) return;
  if (!st.ok()) {
    answered_ = true;
    lock.unlock();
    ReplyNow(reply_, std::move(st));
    return;
  }
  durable_ = true;
  AnswerIfComplete(lock);
}

void KeyJoin::AnswerIfComplete(std::unique_lock<std::mutex>& lock) {
  if (!durable_ || !signed_) return;
  answered_ = true;
  Result<crypto::Bytes> signed_key = std::move(*signed_);
  signed_.reset();
  lock.unlock();
  if (!signed_key.ok()) return ReplyNow(reply_, signed_key.status());
  key_->signed_key = std::move(*signed_key);
  reply_(finish_);
}

}  // namespace licentia::server
