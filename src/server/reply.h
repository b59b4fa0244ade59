// How services answer asynchronously. A write finishes on a store thread
// once its commit is durable; the work of building the response (signing,
// serialising) must not run there, so a service replies with a ResultMaker
// that the HTTP layer runs on a network thread.
#ifndef LICENTIA_SERVER_REPLY_H_
#define LICENTIA_SERVER_REPLY_H_

#include <boost/json/object.hpp>
#include <functional>
#include <memory>

#include "core/status.h"
#include "store/store.h"

namespace licentia::server {

using ResultMaker = std::function<Result<boost::json::object>()>;
// Thread-safe; call exactly once.
using Reply = std::function<void(ResultMaker)>;

inline void ReplyNow(const Reply& reply, Result<boost::json::object> result) {
  reply([r = std::move(result)]() { return r; });
}

// The store callback of a transaction: replies with what `finish` makes if
// it succeeded, or with its error.
inline store::DoneFn ReplyWhenDone(ResultMaker finish, Reply reply) {
  return [finish = std::move(finish), reply = std::move(reply)](Status st) {
    if (st.ok()) {
      reply(finish);
    } else {
      ReplyNow(reply, std::move(st));
    }
  };
}

// Runs `fn` in a write transaction; once it is durable, replies with what
// `finish` makes, or with the transaction's error.
inline void WriteAndReply(store::Store& store, store::TransactionFn fn,
                          ResultMaker finish, Reply reply) {
  store.WriteAsync(std::move(fn),
                   ReplyWhenDone(std::move(finish), std::move(reply)));
}

// Runs `fn` in a read transaction (on the store's threads where reads wait
// on a network, at once otherwise); then replies with what `finish` makes,
// or with the transaction's error.
inline void ReadAndReply(store::Store& store, store::TransactionFn fn,
                         ResultMaker finish, Reply reply) {
  store.ReadAsync(std::move(fn),
                  ReplyWhenDone(std::move(finish), std::move(reply)));
}

// The common case: the transaction fills `*out`, which is the response.
inline void WriteAndReply(store::Store& store,
                          std::shared_ptr<boost::json::object> out,
                          store::TransactionFn fn, Reply reply) {
  WriteAndReply(
      store, std::move(fn),
      [out]() -> Result<boost::json::object> { return std::move(*out); },
      std::move(reply));
}

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_REPLY_H_
