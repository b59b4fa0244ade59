// The PostgreSQL store's change feed (Store::SetChangeListener): a
// connection of its own LISTENs on the channel the schema's triggers
// NOTIFY (store/schema.cc, version 5), so it hears the commits of every
// instance sharing the database, its own included, as they commit.
//
// When the connection is lost, notifications sent meanwhile are lost with
// it: once it is back, the feed says `everything`, and listeners re-read
// what they care about.
#ifndef LICENTIA_STORE_POSTGRES_CHANGE_FEED_H_
#define LICENTIA_STORE_POSTGRES_CHANGE_FEED_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace licentia::store::postgres {

class PgChangeFeed {
 public:
  // Connects to `url`, LISTENs, and from then on calls `listener` on its
  // own thread. Returns once listening, so that every commit after it is
  // heard; if the database cannot be reached now, keeps trying (the first
  // success says `everything`).
  PgChangeFeed(std::string url, ChangeListener listener);
  // Stops listening (within ~200 ms).
  ~PgChangeFeed();
  PgChangeFeed(const PgChangeFeed&) = delete;
  PgChangeFeed& operator=(const PgChangeFeed&) = delete;

  // The keys a notification's payload names: "c<code id>" or "d<device
  // hash in hex>". False for anything else (ignored).
  static bool Parse(std::string_view payload, ChangedKeys& into);

 private:
  Result<std::unique_ptr<PgConnection>> Listen() const;
  void Loop(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const ChangeListener listener_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_CHANGE_FEED_H_
