#include "server/key_join.h"

#include <utility>

namespace licentia::server {

KeyJoin::KeyJoin(std::shared_ptr<IssuedKey> key, ResultMaker finish,
                 Reply reply)
    : key_(std::move(key)),
      finish_(std::move(finish)),
      reply_(std::move(reply)) {}

void KeyJoin::Signed(Result<crypto::Bytes> signed_key) {
  MutexLock lock(mu_);
  if (answered_) return;
  signed_ = std::move(signed_key);
  auto complete = TakeIfComplete();
  lock.Unlock();
  if (complete) Answer(std::move(*complete));
}

void KeyJoin::Durable(Status st) {
  MutexLock lock(mu_);
  if (answered_) return;
  if (!st.ok()) {
    answered_ = true;
    lock.Unlock();
    ReplyNow(reply_, std::move(st));
    return;
  }
  durable_ = true;
  auto complete = TakeIfComplete();
  lock.Unlock();
  if (complete) Answer(std::move(*complete));
}

std::optional<Result<crypto::Bytes>> KeyJoin::TakeIfComplete() {
  if (!durable_ || !signed_) return std::nullopt;
  answered_ = true;
  return std::exchange(signed_, std::nullopt);
}

void KeyJoin::Answer(Result<crypto::Bytes> signed_key) {
  if (!signed_key.ok()) return ReplyNow(reply_, signed_key.status());
  key_->signed_key = std::move(*signed_key);
  reply_(finish_);
}

}  // namespace licentia::server
