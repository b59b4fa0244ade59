#include "store/postgres/pg_connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <utility>
#include <vector>

#include "core/crypto.h"

namespace licentia::store::postgres {

void Params::Push(std::optional<std::string> v) {
  values_.push_back(std::move(v));
  // Re-point everything: push_back may have moved the strings.
  pointers_.clear();
  for (const auto& s : values_) pointers_.push_back(s ? s->c_str() : nullptr);
}

Params& Params::Add(std::int64_t v) {
  Push(std::to_string(v));
  return *this;
}
Params& Params::Add(std::string_view v) {
  Push(std::string(v));
  return *this;
}
Params& Params::Add(std::span<const std::uint8_t> bytes) {
  Push("\\x" + crypto::ToHex(bytes));
  return *this;
}
Params& Params::Add(std::optional<std::int64_t> v) {
  if (v) return Add(*v);
  return AddNull();
}
Params& Params::AddBool(bool v) {
  Push(std::string(v ? "true" : "false"));
  return *this;
}
Params& Params::AddNull() {
  Push(std::nullopt);
  return *this;
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     PQgetlength(r_.get(), row, col));
}

std::int64_t Rows::Int(int row, int col) const {
  std::int64_t v = 0;
  const char* s = PQgetvalue(r_.get(), row, col);
  std::from_chars(s, s + PQgetlength(r_.get(), row, col), v);
  return v;
}

std::optional<std::int64_t> Rows::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

bool Rows::Bool(int row, int col) const {
  return PQgetvalue(r_.get(), row, col)[0] == 't';
}

std::vector<std::uint8_t> Rows::Bytes(int row, int col) const {
  std::string_view s(PQgetvalue(r_.get(), row, col),
                     PQgetlength(r_.get(), row, col));
  if (s.starts_with("\\x")) s.remove_prefix(2);
  auto b = crypto::FromHex(s);
  return b ? *b : std::vector<std::uint8_t>{};
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  std::unique_ptr<PgConnection> conn(new PgConnection(c));
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string why = c ? PQerrorMessage(c) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) {
      why.pop_back();
    }
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot connect to PostgreSQL: {}", why));
  }
  // Quiet notices (e.g. "relation already exists, skipping").
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  return conn;
}

Status PgConnection::WaitForNotifications(int timeout_ms,
                                          std::vector<std::string>& payloads) {
  auto lost = [this] {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("The PostgreSQL connection was lost: {}",
                              PQerrorMessage(conn_.get())));
  };
  pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
  if (fd.fd < 0) return lost();
  int ready = ::poll(&fd, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) return lost();
  if (ready > 0 && PQconsumeInput(conn_.get()) == 0) return lost();
  while (PGnotify* n = PQnotifies(conn_.get())) {
    payloads.emplace_back(n->extra);
    PQfreemem(n);
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) return lost();
  return Status::Ok();
}

Status PgConnection::Check(PGresult* r, std::string_view what) {
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return Status::Ok();
  }
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get());
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  if (broken() || last_sqlstate_.starts_with("08") ||
      last_sqlstate_ == "57P01") {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("The database is unavailable ({}).", msg));
  }
  if (last_sqlstate_ == "23505") {
    return Status(ErrorCode::kConflict, fmt::format("{}: {}", what, msg));
  }
  if (last_sqlstate_ == "40001" || last_sqlstate_ == "40P01") {
    return Status(ErrorCode::kUnavailable,
                  "The transaction conflicted with another; it is retried.");
  }
  return Status(ErrorCode::kInternal,
                fmt::format("Database error ({}: {}).", what, msg));
}

Result<const std::string*> PgConnection::Prepared(const char* sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    // Preparing belongs to the session, not to a transaction: done apart
    // from anything pending.
    std::string name = fmt::format("s{}", prepared_.size());
    ++round_trips_;
    PgResultPtr prep(PQprepare(conn_.get(), name.c_str(), sql, 0, nullptr));
    LICENTIA_RETURN_IF_ERROR(Check(prep.get(), "prepare"));
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return &it->second;
}

Result<Rows> PgConnection::Query(const char* sql, const Params& params) {
  LICENTIA_ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
  PgResultPtr r;
  if (pending_begin_ != nullptr || !deferred_.empty()) {
    LICENTIA_ASSIGN_OR_RETURN(r, Pipeline(name, &params, nullptr));
  } else {
    ++round_trips_;
    r.reset(PQexecPrepared(conn_.get(), name->c_str(), params.size(),
                           params.values(), nullptr, nullptr, 0));
  }
  LICENTIA_RETURN_IF_ERROR(Check(r.get(), std::string_view(sql).substr(0, 40)));
  return Rows(std::move(r));
}

Status PgConnection::Defer(const char* sql, Params params) {
  LICENTIA_ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
  deferred_.push_back({sql, name, std::move(params)});
  return Status::Ok();
}

Result<PgResultPtr> PgConnection::Pipeline(const std::string* name,
                                           const Params* params,
                                           const char* command) {
  PGconn* c = conn_.get();
  const char* begin = std::exchange(pending_begin_, nullptr);
  std::vector<Deferred> deferred = std::exchange(deferred_, {});
  ++round_trips_;
  bool sent = PQenterPipelineMode(c) == 1;
  if (sent && begin != nullptr) {
    sent = PQsendQueryParams(c, begin, 0, nullptr, nullptr, nullptr, nullptr,
                             0) == 1;
  }
  for (const Deferred& d : deferred) {
    sent = sent &&
           PQsendQueryPrepared(c, d.name->c_str(), d.params.size(),
                               d.params.values(), nullptr, nullptr, 0) == 1;
  }
  if (sent && name != nullptr) {
    sent = PQsendQueryPrepared(c, name->c_str(), params->size(),
                               params->values(), nullptr, nullptr, 0) == 1;
  } else if (sent) {
    sent = PQsendQueryParams(c, command, 0, nullptr, nullptr, nullptr, nullptr,
                             0) == 1;
  }
  sent = sent && PQpipelineSync(c) == 1;
  // The results in order, each followed by a null, then the sync point. A
  // broken connection ends the list early.
  const size_t expected = (begin != nullptr ? 1 : 0) + deferred.size() + 1;
  std::vector<PgResultPtr> results;
  size_t nulls = 0;
  while (sent) {
    PGresult* r = PQgetResult(c);
    if (r == nullptr) {
      if (broken() || ++nulls > expected) break;
      continue;
    }
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    results.emplace_back(r);
  }
  if (PQpipelineStatus(c) != PQ_PIPELINE_OFF && PQexitPipelineMode(c) != 1) {
    stuck_ = true;
  }
  // The first failure is the one to report; what follows it was skipped.
  for (size_t i = 0; i + 1 < expected; ++i) {
    const char* what = (begin != nullptr && i == 0)
                           ? begin
                           : deferred[i - (begin != nullptr ? 1 : 0)].sql;
    LICENTIA_RETURN_IF_ERROR(
        Check(i < results.size() ? results[i].get() : nullptr,
              std::string_view(what).substr(0, 40)));
  }
  if (results.size() < expected) return PgResultPtr();  // Check reports why
  return std::move(results.back());
}

Status PgConnection::SendPending() {
  if (pending_begin_ == nullptr && deferred_.empty()) return Status::Ok();
  LICENTIA_ASSIGN_OR_RETURN(PgResultPtr r,
                            Pipeline(nullptr, nullptr, "SELECT 1"));
  return Check(r.get(), "SELECT 1");
}

Status PgConnection::Exec(std::string_view sql) {
  LICENTIA_RETURN_IF_ERROR(SendPending());
  std::string s(sql);
  ++round_trips_;
  PgResultPtr r(PQexec(conn_.get(), s.c_str()));
  return Check(r.get(), sql.substr(0, 40));
}

Status PgConnection::End(bool commit) {
  if (!commit) {
    deferred_.clear();
    // Nothing reached the server: there is no transaction to end.
    if (std::exchange(pending_begin_, nullptr) != nullptr) return Status::Ok();
    return Exec("ROLLBACK");
  }
  if (deferred_.empty()) {
    if (std::exchange(pending_begin_, nullptr) != nullptr) return Status::Ok();
    return Exec("COMMIT");
  }
  auto committed = Pipeline(nullptr, nullptr, "COMMIT");
  Status st =
      committed.ok() ? Check(committed->get(), "COMMIT") : committed.status();
  if (!st.ok() && !broken()) {
    // A deferred statement failed and the COMMIT after it was skipped: the
    // transaction is still open, in its failed state.
    std::string sqlstate = last_sqlstate_;
    (void)Exec("ROLLBACK");
    last_sqlstate_ = sqlstate;  // the retry decides on the failure's
  }
  return st;
}

}  // namespace licentia::store::postgres
