// RAII for libpq: a connection that prepares each statement once, and
// results that free themselves. Not thread-safe: one thread uses a
// connection at a time (the pool hands them out).
#ifndef LICENTIA_STORE_POSTGRES_PG_CONNECTION_H_
#define LICENTIA_STORE_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace licentia::store::postgres {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

// Statement parameters, all sent as text (the server infers their types).
class Params {
 public:
  Params() = default;
  // Moved, never copied: values() points into the strings held.
  Params(Params&&) = default;
  Params& operator=(Params&&) = default;
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

  Params& Add(std::int64_t v);
  Params& Add(std::string_view v);
  Params& Add(std::span<const std::uint8_t> bytes);  // as bytea
  Params& Add(std::optional<std::int64_t> v);
  Params& AddBool(bool v);
  Params& AddNull();

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  void Push(std::optional<std::string> v);
  std::vector<std::optional<std::string>> values_;
  std::vector<const char*> pointers_;
};

// Rows of a result, read by column index.
class Rows {
 public:
  explicit Rows(PgResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const {
    return PQgetisnull(r_.get(), row, col);
  }
  std::string Text(int row, int col) const;
  std::int64_t Int(int row, int col) const;
  std::optional<std::int64_t> OptInt(int row, int col) const;
  bool Bool(int row, int col) const;
  // A bytea column (hex output format).
  std::vector<std::uint8_t> Bytes(int row, int col) const;
  template <size_t N>
  std::array<std::uint8_t, N> FixedBytes(int row, int col) const {
    std::array<std::uint8_t, N> out{};
    auto b = Bytes(row, col);
    if (b.size() == N) std::copy(b.begin(), b.end(), out.begin());
    return out;
  }

 private:
  PgResultPtr r_;
};

class PgConnection {
 public:
  // kUnavailable (with libpq's reason) if the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& url);

  // Runs `sql` (a string literal: its address keys the prepared-statement
  // cache) with `params`. Errors: kConflict for unique violations,
  // kUnavailable for a lost connection, kInternal otherwise; see
  // last_sqlstate() for the exact SQLSTATE.
  Result<Rows> Query(const char* sql, const Params& params = {});
  // Runs commands without parameters (DDL, session settings). A
  // transaction opened with Begin is begun first.
  Status Exec(std::string_view sql);

  // Opens a transaction with `begin` ("BEGIN ISOLATION LEVEL ..."), sent
  // together with the transaction's first Query in one round trip (libpq
  // pipeline mode) instead of in one of its own; an error of the BEGIN is
  // that Query's error. If no statement runs before End, nothing is sent
  // at all. REQUIRES: `begin` is a string literal; no transaction open.
  void Begin(const char* begin) {
    pending_begin_ = begin;
    deferred_.clear();
    last_sqlstate_.clear();  // of this transaction's statements only
  }
  // Queues a statement whose result nothing reads (an insert into an
  // append-only log, say) to go with the transaction's next Query or its
  // COMMIT, in the same round trip. Its error is that call's error, and
  // the transaction fails. Statements run in the order they were issued.
  // kInternal if `sql` does not prepare (that is reported at once).
  // REQUIRES: `sql` is a string literal; inside a transaction (Begin).
  [[nodiscard]] Status Defer(const char* sql, Params params);
  // Ends the transaction Begin opened: COMMIT if `commit` (with any
  // deferred statements before it), else ROLLBACK (they are dropped).
  // Errors as for Query; a failed COMMIT leaves no transaction open.
  Status End(bool commit);

  // Waits up to `timeout_ms` for notifications of the channels this
  // connection LISTENs on (Exec("LISTEN ...")) and appends their payloads
  // to `payloads`. OK also when none came; kUnavailable once the connection
  // is lost. REQUIRES: no transaction open.
  Status WaitForNotifications(int timeout_ms,
                              std::vector<std::string>& payloads);

  // How many times this connection has waited for the server so far (each
  // a network round trip). For tests and measurements.
  std::uint64_t round_trips() const { return round_trips_; }

  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // True once the connection is broken; the pool then replaces it.
  bool broken() const {
    return stuck_ || PQstatus(conn_.get()) != CONNECTION_OK;
  }

 private:
  explicit PgConnection(PGconn* c) : conn_(c) {}
  Status Check(PGresult* r, std::string_view what);
  struct Deferred {
    const char* sql;
    const std::string* name;  // its prepared statement's
    Params params;
  };
  // The prepared statement's name for `sql`, preparing it on first use.
  Result<const std::string*> Prepared(const char* sql);
  // Sends what is pending (the BEGIN, the deferred statements), then the
  // prepared statement `name` or, if it is null, the command `command`, in
  // one pipeline, and reads every result in the same round trip. The last
  // one's result (for the caller to check), or the first error before it.
  Result<PgResultPtr> Pipeline(const std::string* name, const Params* params,
                               const char* command);
  Status SendPending();

  std::unique_ptr<PGconn, PgConnCloser> conn_;
  const char* pending_begin_ = nullptr;  // Begin's, until a statement runs
  std::vector<Deferred> deferred_;       // sent with the next statement
  bool stuck_ = false;  // left in pipeline mode: replaced by the pool
  std::uint64_t round_trips_ = 0;
  std::unordered_map<const char*, std::string> prepared_;  // sql -> name
  std::string last_sqlstate_;
};

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_PG_CONNECTION_H_
