// Answers a write that issues a license key once both halves are ready:
// the transaction is durable (the store's callback) and the key is signed
// (the KeySigner's callback). The key is queued for the signer once the
// write has committed (store::Transaction::OnCommit) and signed with the
// others of its commit (server/key_signer.h); it is never sent before the
// write is durable, and a write that fails answers its error and drops the
// key.
//
// Thread-safe. The reply is called exactly once, on whichever thread
// completes the pair.
#ifndef LICENTIA_SERVER_KEY_JOIN_H_
#define LICENTIA_SERVER_KEY_JOIN_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/crypto.h"
#include "core/mutex.h"
#include "core/status.h"
#include "server/reply.h"
#include "server/service_context.h"

namespace licentia::server {

class KeyJoin {
 public:
  // `finish` makes the response and finds the signed key in `key`.
  KeyJoin(std::shared_ptr<IssuedKey> key, ResultMaker finish, Reply reply);

  // The signer's answer.
  void Signed(Result<crypto::Bytes> signed_key);
  // The store's answer: the transaction is durable, or failed.
  void Durable(Status st);

 private:
  // REQUIRES: `lock` holds mu_. Answers if both halves are in, releasing
  // the lock first; otherwise leaves it held.
  // Once the key is signed and the write durable: marks the join answered
  // and takes the signed key out, for Answer() to use after unlocking.
  std::optional<Result<crypto::Bytes>> TakeIfComplete() REQUIRES(mu_);
  void Answer(Result<crypto::Bytes> signed_key) EXCLUDES(mu_);

  const std::shared_ptr<IssuedKey> key_;
  const ResultMaker finish_;
  const Reply reply_;
  Mutex mu_;
  std::optional<Result<crypto::Bytes>> signed_ GUARDED_BY(mu_);
  bool durable_ GUARDED_BY(mu_) = false;
  bool answered_ GUARDED_BY(mu_) = false;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_KEY_JOIN_H_
