// How services answer asynchronously. A write finishes on a store thread
// once its commit is durable; the work of building the response (signing,
// serialising) must not run there, so a service replies with a ResultMaker
// that the HTTP layer runs on a network thread.
#ifndef LICENTIA_SERVER_REPLY_H_
#define LICENTIA_SERVER_REPLY_H_

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "core/status.h"
#include "server/http_types.h"
#include "store/store.h"

namespace licentia::server {

// The body of a successful answer: a JSON object, or one already written
// as text (server/json_writer.h) by the answers served most often.
class JsonBody {
 public:
  JsonBody(boost::json::object object)  // NOLINT: implicit by design
      : v_(std::move(object)) {}
  // REQUIRES: `json` is the text of one JSON object.
  static JsonBody Text(std::string json) {
    JsonBody b;
    b.v_ = std::move(json);
    return b;
  }
  // A body that is not JSON, streamed (an export): `content_type` and the
  // pieces `stream` produces.
  static JsonBody Streamed(std::string content_type,
                           std::shared_ptr<BodyStream> stream) {
    JsonBody b;
    b.content_type_ = std::move(content_type);
    b.stream_ = std::move(stream);
    return b;
  }
  // The text sent to the client (empty for a streamed body).
  std::string Serialize() && {
    if (auto* text = std::get_if<std::string>(&v_)) return std::move(*text);
    return boost::json::serialize(std::get<boost::json::object>(v_));
  }
  const std::shared_ptr<BodyStream>& stream() const { return stream_; }
  const std::string& content_type() const { return content_type_; }

 private:
  JsonBody() = default;
  std::variant<boost::json::object, std::string> v_;
  std::string content_type_ = "application/json";
  std::shared_ptr<BodyStream> stream_;
};

using ResultMaker = std::function<Result<JsonBody>()>;
// Thread-safe; call exactly once.
using Reply = std::function<void(ResultMaker)>;

inline void ReplyNow(const Reply& reply, Result<JsonBody> result) {
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
      [out]() -> Result<JsonBody> { return JsonBody(std::move(*out)); },
      std::move(reply));
}

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_REPLY_H_
