#include "store/sql_transaction.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/feature_list.h"
#include "store/list_statements.h"
#include "store/row_codec.h"

namespace licentia::store {
namespace {

// Every statement of a transaction, in one place. Built once: backends
// cache prepared statements by the address of their text.

const SqlStatement kFindProduct(
    fmt::format("SELECT {} FROM products WHERE id = $1", kProductColumns));
const SqlStatement kListProducts(
    fmt::format("SELECT {} FROM products ORDER BY id", kProductColumns));
const SqlStatement kInsertProduct(
    "INSERT INTO products(id, name, created_at) VALUES ($1, $2, $3)");
const SqlStatement kInsertProductVersion(
    "INSERT INTO product_versions(product_id, version, created_at) "
    "VALUES ($1, $2, $3)");
const SqlStatement kProductVersions(
    "SELECT version FROM product_versions WHERE product_id = $1 "
    "ORDER BY created_at, version");

const SqlStatement kInsertBatch = SqlStatement::InsertReturningId(
    "INSERT INTO batches(product_id, count, note, created_at) "
    "VALUES ($1, $2, $3, $4)");
const SqlStatement kInsertCode = SqlStatement::InsertReturningId(
    "INSERT INTO codes(code_hash, code_tail, batch_id, product_id, edition, "
    "features, max_devices, license_type, term_days, activate_by, "
    "compatible_versions, requires_account, created_at, prepare_days, "
    "grace_days, heartbeat_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16)");
const SqlStatement kFindCodeByHash(
    fmt::format("SELECT {} FROM codes WHERE code_hash = $1", kCodeColumns));
const SqlStatement kFindCodeById(
    fmt::format("SELECT {} FROM codes WHERE id = $1", kCodeColumns));
// SqlTransactionOptions::lock_codes; SQLite has one writer and no FOR
// UPDATE.
const SqlStatement kLockCodeByHash = SqlStatement::PerDialect(
    "", "SELECT 1 FROM codes WHERE code_hash = $1 FOR UPDATE");
const SqlStatement kLockCodeById = SqlStatement::PerDialect(
    "", "SELECT 1 FROM codes WHERE id = $1 FOR UPDATE");
const SqlStatement kSetFirstActivation(
    "UPDATE codes SET first_activated_at = $2 WHERE id = $1 AND "
    "(first_activated_at IS NULL OR first_activated_at > $2)");
const SqlStatement kSetBlocked(
    "UPDATE codes SET blocked = $2, blocked_reason = $3 WHERE id = $1");
const SqlStatement kSetCodeEnd(
    "UPDATE codes SET ends_at = $2, term_days = $3 WHERE id = $1");
const SqlStatement kSetSuspended(
    "UPDATE codes SET suspended = $2, suspended_reason = $3 WHERE id = $1");
// Unset fields keep each code's own value.
constexpr char kTermsAssignments[] =
    "UPDATE codes SET max_devices = COALESCE($2, max_devices), activate_by = "
    "CASE WHEN $3 THEN $4 ELSE activate_by END, compatible_versions = "
    "COALESCE($5, compatible_versions) WHERE ";
const SqlStatement kChangeCodeTerms(fmt::format("{}id = $1",
                                                kTermsAssignments));
const SqlStatement kChangeBatchTerms(fmt::format("{}batch_id = $1",
                                                 kTermsAssignments));
const SqlStatement kSummarizeBatch(
    "SELECT b.product_id, COUNT(c.id), COALESCE(MAX(c.max_devices), 0), "
    "COALESCE(MIN(c.max_devices), 0) FROM batches b LEFT JOIN codes c ON "
    "c.batch_id = b.id WHERE b.id = $1 GROUP BY b.product_id");
const SqlStatement kAddSeats(
    "UPDATE codes SET seats_used = seats_used + $2 WHERE id = $1");

const SqlStatement kFindActiveActivation(
    fmt::format("SELECT {} FROM activations WHERE code_id = $1 AND "
                "device_hash = $2 AND deactivated_at IS NULL",
                kActivationColumns));
const SqlStatement kListActivations(
    fmt::format("SELECT {} FROM activations WHERE code_id = $1 ORDER BY id",
                kActivationColumns));
const SqlStatement kListActivationsAfter(fmt::format(
    "SELECT {} FROM activations a JOIN codes c ON c.id = a.code_id WHERE a.id "
    "> $1 AND ($2 = '' OR c.product_id = $2) AND ($3 = 0 OR a.code_id = $3) "
    "ORDER BY a.id LIMIT $4",
    QualifiedColumns("a", kActivationColumns)));
const SqlStatement kCountActiveSeats(
    "SELECT COUNT(*) FROM activations WHERE code_id = $1 AND "
    "deactivated_at IS NULL");
const SqlStatement kInsertActivation = SqlStatement::InsertReturningId(
    "INSERT INTO activations(code_id, device_hash, device_name, os, "
    "app_version, token_hash, activated_at, last_seen_at, key_serial) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
const SqlStatement kRefreshActivation(
    "UPDATE activations SET device_name = $2, os = $3, app_version = $4, "
    "token_hash = $5, last_seen_at = $6, key_serial = $7 WHERE id = $1");
const SqlStatement kTouchActivation(
    "UPDATE activations SET last_seen_at = $2 WHERE id = $1 AND "
    "last_seen_at < $2");
// Through the partial index of codes with heartbeats, then each one's
// seats in use.
const SqlStatement kListStaleSeats(
    "SELECT a.id, a.code_id, a.device_hash, a.device_name, a.last_seen_at, "
    "c.heartbeat_days FROM codes c JOIN activations a ON a.code_id = c.id "
    "WHERE c.heartbeat_days > 0 AND a.deactivated_at IS NULL AND "
    "a.last_seen_at <= $1 - c.heartbeat_days * 86400 ORDER BY a.last_seen_at, "
    "a.id LIMIT $2");
const SqlStatement kDeactivate(
    "UPDATE activations SET deactivated_at = $2, released_by = $3, "
    "release_reason = $4 WHERE id = $1 AND deactivated_at IS NULL "
    "RETURNING code_id");
// By the seat index (code, device); freed seats only.
const SqlStatement kFindReleasedSeat(
    "SELECT token_hash, deactivated_at, released_by, release_reason FROM "
    "activations WHERE code_id = $1 AND device_hash = $2 AND deactivated_at "
    "IS NOT NULL ORDER BY id DESC LIMIT 1");

const SqlStatement kFindReserve(
    "SELECT code_id, added_at FROM reserves WHERE device_hash = $1 AND "
    "product_id = $2");
const SqlStatement kPutReserve(
    "INSERT INTO reserves(device_hash, product_id, code_id, added_at) "
    "VALUES ($1, $2, $3, $4)");
const SqlStatement kRecordOfflineRequest(
    "INSERT INTO offline_requests(request_id, kind, code_id, device_hash, "
    "answered_at) VALUES ($1, $2, $3, $4, $5)");
const SqlStatement kDeleteReserve(
    "DELETE FROM reserves WHERE device_hash = $1 AND product_id = $2");

const SqlStatement kAppendEvent(
    "INSERT INTO events(at, type, code_id, product_id, device, actor, "
    "details, token_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");

constexpr char kAdminTokenColumns[] =
    "id, name, scopes, created_at, last_used_at, revoked_at";
const SqlStatement kInsertAdminToken = SqlStatement::InsertReturningId(
    "INSERT INTO admin_tokens(token_hash, name, scopes, created_at) "
    "VALUES ($1, $2, $3, $4)");
const SqlStatement kFindAdminToken(fmt::format(
    "SELECT {} FROM admin_tokens WHERE token_hash = $1", kAdminTokenColumns));
const SqlStatement kListAdminTokens(
    fmt::format("SELECT {} FROM admin_tokens ORDER BY id", kAdminTokenColumns));
const SqlStatement kRevokeAdminToken(
    "UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS "
    "NULL RETURNING id");
const SqlStatement kTouchAdminToken(
    "UPDATE admin_tokens SET last_used_at = $2 WHERE id = $1");

AdminTokenRow DecodeAdminToken(const SqlRow& row) {
  return {row.Int(0), row.Text(1),   row.Text(2),
          row.Int(3), row.OptInt(4), row.OptInt(5)};
}
const SqlStatement kCountAdminTokens("SELECT COUNT(*) FROM admin_tokens");

}  // namespace

Status SqlTransaction::Run(const SqlStatement& statement, SqlParams params,
                           RowVisitor row) {
  if (options_.cache != nullptr && !stamped_) {
    stamp_ = options_.cache->Epoch();
    stamped_ = true;
  }
  return session_.Run(statement, params, row);
}

Result<std::int64_t> SqlTransaction::Insert(const SqlStatement& statement,
                                            SqlParams params) {
  return session_.Insert(statement, params);
}

Status SqlTransaction::Run(const SqlStatement& statement, SqlParams params) {
  return Run(statement, params, [](const SqlRow&) { return Status::Ok(); });
}

Result<std::int64_t> SqlTransaction::RunForInt(const SqlStatement& statement,
                                               SqlParams params) {
  std::optional<std::int64_t> value;
  LICENTIA_RETURN_IF_ERROR(Run(statement, params, [&](const SqlRow& row) {
    if (!value) value = row.Int(0);
    return Status::Ok();
  }));
  if (!value) {
    return Status(ErrorCode::kInternal, "A statement returned no row.");
  }
  return *value;
}

Result<std::optional<CodeRow>> SqlTransaction::OneCode(
    const SqlStatement& statement, SqlParams params) {
  std::optional<CodeRow> found;
  LICENTIA_RETURN_IF_ERROR(Run(statement, params, [&](const SqlRow& row) {
    LICENTIA_ASSIGN_OR_RETURN(found, DecodeCode(row));
    return Status::Ok();
  }));
  if (options_.cache != nullptr && found) {
    options_.cache->PutCode(*found, stamp_);
  }
  return found;
}

Result<std::optional<ProductRow>> SqlTransaction::FindProduct(
    std::string_view id) {
  std::optional<ProductRow> found;
  LICENTIA_RETURN_IF_ERROR(Run(kFindProduct, {id}, [&](const SqlRow& row) {
    found = DecodeProduct(row);
    return Status::Ok();
  }));
  if (found) LICENTIA_RETURN_IF_ERROR(LoadVersions(*found));
  return found;
}

Result<std::vector<ProductRow>> SqlTransaction::ListProducts() {
  std::vector<ProductRow> out;
  LICENTIA_RETURN_IF_ERROR(Run(kListProducts, {}, [&](const SqlRow& row) {
    out.push_back(DecodeProduct(row));
    return Status::Ok();
  }));
  for (auto& p : out) LICENTIA_RETURN_IF_ERROR(LoadVersions(p));
  return out;
}

Status SqlTransaction::LoadVersions(ProductRow& p) {
  return Run(kProductVersions, {p.id}, [&](const SqlRow& row) {
    p.versions.push_back(row.Text(0));
    return Status::Ok();
  });
}

Status SqlTransaction::InsertProduct(const ProductRow& p) {
  return Run(kInsertProduct, {p.id, p.name, p.created_at});
}

Status SqlTransaction::InsertProductVersion(std::string_view product_id,
                                            std::string_view version,
                                            UnixSeconds at) {
  return Run(kInsertProductVersion, {product_id, version, at});
}

Result<std::int64_t> SqlTransaction::InsertBatch(const BatchRow& b) {
  return Insert(kInsertBatch, {b.product_id, b.count, b.note, b.created_at});
}

Result<std::int64_t> SqlTransaction::InsertCode(const CodeRow& c) {
  return Insert(
      kInsertCode,
      {c.code_hash, c.code_tail, c.batch_id, c.terms.product, c.terms.edition,
       EncodeFeatures(c.terms.features), c.terms.max_devices,
       LicenseTypeName(c.terms.type), c.terms.term_days, c.terms.activate_by,
       c.terms.compatible_versions, SqlValue::Bool(c.terms.requires_account),
       c.created_at, c.terms.prepare_days, c.terms.grace_days,
       c.terms.heartbeat_days});
}

Result<std::optional<CodeRow>> SqlTransaction::FindCodeByHash(
    const crypto::Hash& code_hash) {
  if (options_.cache != nullptr) {
    if (auto hit = options_.cache->CodeByHash(code_hash)) return hit;
  }
  if (options_.lock_codes) {
    LICENTIA_RETURN_IF_ERROR(Run(kLockCodeByHash, {code_hash}));
  }
  return OneCode(kFindCodeByHash, {code_hash});
}

Result<std::optional<CodeRow>> SqlTransaction::FindCodeById(std::int64_t id) {
  if (options_.cache != nullptr) {
    if (auto hit = options_.cache->CodeById(id)) return hit;
  }
  if (options_.lock_codes) LICENTIA_RETURN_IF_ERROR(Run(kLockCodeById, {id}));
  return OneCode(kFindCodeById, {id});
}

Result<std::vector<CodeRow>> SqlTransaction::ListCodes(const CodeFilter& f) {
  std::vector<CodeRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(ListCodesStatement(f),
          {f.after_id, f.product_id,
           f.blocked ? SqlValue::Bool(*f.blocked) : SqlValue(), f.batch_id,
           f.tail, f.limit},
          [&](const SqlRow& row) {
            LICENTIA_ASSIGN_OR_RETURN(CodeRow code, DecodeCode(row));
            out.push_back(std::move(code));
            return Status::Ok();
          }));
  return out;
}

Status SqlTransaction::SetFirstActivation(std::int64_t code_id,
                                          UnixSeconds at) {
  return Run(kSetFirstActivation, {code_id, at});
}

Status SqlTransaction::SetBlocked(std::int64_t code_id, bool blocked,
                                  std::string_view reason) {
  return Run(kSetBlocked, {code_id, SqlValue::Bool(blocked), reason});
}

Status SqlTransaction::SetCodeEnd(std::int64_t code_id,
                                  std::optional<UnixSeconds> ends_at,
                                  int term_days) {
  return Run(kSetCodeEnd, {code_id, ends_at, term_days});
}

Status SqlTransaction::SetSuspended(std::int64_t code_id, bool suspended,
                                    std::string_view reason) {
  return Run(kSetSuspended, {code_id, SqlValue::Bool(suspended), reason});
}

namespace {
SqlValue OptText(const std::optional<std::string>& v) {
  return v ? SqlValue(*v) : SqlValue();
}
SqlValue OptInt(std::optional<int> v) { return v ? SqlValue(*v) : SqlValue(); }
}  // namespace

Status SqlTransaction::ChangeCodeTerms(std::int64_t code_id,
                                       const TermsChange& c) {
  return Run(kChangeCodeTerms,
             {code_id, OptInt(c.max_devices), SqlValue::Bool(c.set_activate_by),
              c.activate_by, OptText(c.compatible_versions)});
}

Status SqlTransaction::ChangeBatchTerms(std::int64_t batch_id,
                                        const TermsChange& c) {
  return Run(
      kChangeBatchTerms,
      {batch_id, OptInt(c.max_devices), SqlValue::Bool(c.set_activate_by),
       c.activate_by, OptText(c.compatible_versions)});
}

Result<std::optional<Transaction::BatchTermsSummary>>
SqlTransaction::SummarizeBatch(std::int64_t batch_id) {
  std::optional<BatchTermsSummary> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kSummarizeBatch, {batch_id}, [&](const SqlRow& row) {
        found = BatchTermsSummary{row.Text(0), row.Int(1),
                                  static_cast<int>(row.Int(2)),
                                  static_cast<int>(row.Int(3))};
        return Status::Ok();
      }));
  return found;
}

Status SqlTransaction::AddSeats(std::int64_t code_id, int delta) {
  return session_.Defer(kAddSeats, {code_id, delta});
}

Result<std::optional<ActivationRow>> SqlTransaction::FindActiveActivation(
    std::int64_t code_id, const crypto::Hash& device_hash) {
  if (options_.cache != nullptr) {
    if (auto hit = options_.cache->Activation(code_id, device_hash)) {
      return *hit;
    }
  }
  std::optional<ActivationRow> found;
  LICENTIA_RETURN_IF_ERROR(Run(
      kFindActiveActivation, {code_id, device_hash}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(found, DecodeActivation(row));
        return Status::Ok();
      }));
  if (options_.cache != nullptr) {
    options_.cache->PutActivation(code_id, device_hash, found, stamp_);
  }
  return found;
}

Result<std::vector<ActivationRow>> SqlTransaction::ListActivations(
    std::int64_t code_id) {
  std::vector<ActivationRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListActivations, {code_id}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(ActivationRow a, DecodeActivation(row));
        out.push_back(std::move(a));
        return Status::Ok();
      }));
  return out;
}

Result<int> SqlTransaction::CountActiveSeats(std::int64_t code_id) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t n,
                            RunForInt(kCountActiveSeats, {code_id}));
  return static_cast<int>(n);
}

Result<std::int64_t> SqlTransaction::InsertActivation(const ActivationRow& a) {
  LICENTIA_ASSIGN_OR_RETURN(
      std::int64_t id,
      Insert(kInsertActivation,
             {a.code_id, a.device_hash, a.device_name, a.os, a.app_version,
              a.token_hash, a.activated_at, a.last_seen_at, a.key_serial}));
  // An inserted activation holds a seat (deactivated_at is not written).
  LICENTIA_RETURN_IF_ERROR(AddSeats(a.code_id, 1));
  return id;
}

Result<std::vector<ActivationRow>> SqlTransaction::ListActivationsAfter(
    std::int64_t after_id, std::string_view product_id, std::int64_t code_id,
    int limit) {
  std::vector<ActivationRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListActivationsAfter, {after_id, product_id, code_id, limit},
          [&](const SqlRow& row) {
            LICENTIA_ASSIGN_OR_RETURN(ActivationRow a, DecodeActivation(row));
            out.push_back(std::move(a));
            return Status::Ok();
          }));
  return out;
}

Status SqlTransaction::RefreshActivation(const ActivationRow& a) {
  return Run(kRefreshActivation, {a.id, a.device_name, a.os, a.app_version,
                                  a.token_hash, a.last_seen_at, a.key_serial});
}

Status SqlTransaction::TouchActivation(std::int64_t activation_id,
                                       UnixSeconds at) {
  return Run(kTouchActivation, {activation_id, at});
}

Result<std::vector<StaleSeat>> SqlTransaction::ListStaleSeats(UnixSeconds now,
                                                              int limit) {
  std::vector<StaleSeat> seats;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListStaleSeats, {now, limit}, [&](const SqlRow& row) {
        StaleSeat s;
        s.activation_id = row.Int(0);
        s.code_id = row.Int(1);
        LICENTIA_ASSIGN_OR_RETURN(s.device_hash, DecodeHash(row, 2));
        s.device_name = row.Text(3);
        s.last_seen_at = row.Int(4);
        s.heartbeat_days = static_cast<int>(row.Int(5));
        seats.push_back(std::move(s));
        return Status::Ok();
      }));
  return seats;
}

Status SqlTransaction::Deactivate(std::int64_t activation_id, UnixSeconds at) {
  return ReleaseSeat(activation_id, at, "", "");
}

Status SqlTransaction::ReleaseSeat(std::int64_t activation_id, UnixSeconds at,
                                   std::string_view released_by,
                                   std::string_view reason) {
  std::optional<std::int64_t> code_id;
  LICENTIA_RETURN_IF_ERROR(Run(kDeactivate,
                               {activation_id, at, released_by, reason},
                               [&](const SqlRow& row) {
                                 code_id = row.Int(0);
                                 return Status::Ok();
                               }));
  if (!code_id) return Status::Ok();  // no such seat, or already free
  return AddSeats(*code_id, -1);
}

Result<std::optional<ReleasedSeat>> SqlTransaction::FindReleasedSeat(
    std::int64_t code_id, const crypto::Hash& device_hash) {
  std::optional<ReleasedSeat> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFindReleasedSeat, {code_id, device_hash}, [&](const SqlRow& row) {
        ReleasedSeat r;
        LICENTIA_ASSIGN_OR_RETURN(r.token_hash, DecodeHash(row, 0));
        r.at = row.Int(1);
        r.released_by = row.Text(2);
        r.reason = row.Text(3);
        if (!r.released_by.empty()) found = std::move(r);
        return Status::Ok();
      }));
  return found;
}

Result<std::uint64_t> SqlTransaction::NextKeySerial() {
  if (options_.serials == nullptr) {
    return Status(ErrorCode::kInternal,
                  "Key serials are drawn only in write transactions.");
  }
  return options_.serials->Next(session_);
}

Result<CodeSeat> SqlTransaction::FindCodeSeat(const crypto::Hash& code_hash,
                                              const crypto::Hash& device_hash) {
  // A read through the cache goes one row at a time.
  if (options_.cache != nullptr) {
    return Transaction::FindCodeSeat(code_hash, device_hash);
  }
  if (options_.lock_codes) {
    LICENTIA_RETURN_IF_ERROR(Run(kLockCodeByHash, {code_hash}));
  }
  static const int kActivationAt = ColumnCount(kCodeColumns);
  static const int kReserveAt = kActivationAt + ColumnCount(kActivationColumns);
  CodeSeat out;
  LICENTIA_RETURN_IF_ERROR(
      Run(FindCodeSeatStatement(), {code_hash, device_hash},
          [&](const SqlRow& row) {
            LICENTIA_ASSIGN_OR_RETURN(out.code, DecodeCode(row));
            if (!row.IsNull(kActivationAt)) {
              LICENTIA_ASSIGN_OR_RETURN(out.activation,
                                        DecodeActivation(row, kActivationAt));
            }
            if (!row.IsNull(kReserveAt)) {
              out.reserve =
                  ReserveRow{device_hash, out.code->terms.product,
                             row.Int(kReserveAt), row.Int(kReserveAt + 1)};
            }
            return Status::Ok();
          }));
  return out;
}

Result<std::optional<ReserveRow>> SqlTransaction::FindReserve(
    const crypto::Hash& device_hash, std::string_view product_id) {
  if (options_.cache != nullptr) {
    if (auto hit = options_.cache->Reserve(device_hash, product_id)) {
      return *hit;
    }
  }
  std::optional<ReserveRow> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFindReserve, {device_hash, product_id}, [&](const SqlRow& row) {
        found = ReserveRow{device_hash, std::string(product_id), row.Int(0),
                           row.Int(1)};
        return Status::Ok();
      }));
  if (options_.cache != nullptr) {
    options_.cache->PutReserve(device_hash, product_id, found, stamp_);
  }
  return found;
}

Status SqlTransaction::PutReserve(const ReserveRow& r) {
  return Run(kPutReserve, {r.device_hash, r.product_id, r.code_id, r.added_at});
}

Status SqlTransaction::RecordOfflineRequest(
    std::span<const std::uint8_t> request_id, std::string_view kind,
    std::int64_t code_id, const crypto::Hash& device_hash, UnixSeconds at) {
  Status st =
      Run(kRecordOfflineRequest, {request_id, kind, code_id, device_hash, at});
  if (st.code() == ErrorCode::kConflict) {
    return Status(ErrorCode::kOfflineRequestUsed,
                  "This request file was answered already; each is answered "
                  "once. Write a new one on the device.");
  }
  return st;
}

Status SqlTransaction::DeleteReserve(const crypto::Hash& device_hash,
                                     std::string_view product_id) {
  return Run(kDeleteReserve, {device_hash, product_id});
}

Status SqlTransaction::OnCommit(std::function<void()> fn) {
  if (options_.on_commit == nullptr) {
    return Status(ErrorCode::kInternal,
                  "OnCommit is for write transactions only.");
  }
  options_.on_commit->each.push_back(std::move(fn));
  return Status::Ok();
}

Status SqlTransaction::OnceAfterCommit(const void* key,
                                       std::function<void()> fn) {
  if (options_.on_commit == nullptr) {
    return Status(ErrorCode::kInternal,
                  "OnceAfterCommit is for write transactions only.");
  }
  options_.on_commit->once.emplace_back(key, std::move(fn));
  return Status::Ok();
}

void RunCommitCallbacks(std::span<CommitCallbacks* const> committed) {
  for (CommitCallbacks* c : committed) {
    for (auto& fn : c->each) fn();
  }
  // A handful of keys at most: a linear search beats a set.
  std::vector<const void*> ran;
  for (CommitCallbacks* c : committed) {
    for (auto& [key, fn] : c->once) {
      if (std::find(ran.begin(), ran.end(), key) != ran.end()) continue;
      ran.push_back(key);
      fn();
    }
  }
}

Status SqlTransaction::AppendEvent(const EventRow& e) {
  // Nothing reads its result: PostgreSQL sends it with the next statement.
  return session_.Defer(
      kAppendEvent, {e.at, e.type, e.code_id, e.product_id, e.device, e.actor,
                     e.details_json, e.token_id});
}

Result<std::vector<EventRow>> SqlTransaction::ListEvents(const EventFilter& f) {
  std::vector<EventRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(ListEventsStatement(f),
          {f.after_id, f.code_id, f.product_id, f.type, f.limit},
          [&](const SqlRow& row) {
            out.push_back(DecodeEvent(row));
            return Status::Ok();
          }));
  return out;
}

Result<std::int64_t> SqlTransaction::InsertAdminToken(
    const crypto::Hash& token_hash, std::string_view name,
    std::string_view scopes, UnixSeconds at) {
  return Insert(kInsertAdminToken, {token_hash, name, scopes, at});
}

Result<std::optional<AdminTokenRow>> SqlTransaction::FindAdminToken(
    const crypto::Hash& token_hash) {
  return FindRow(kFindAdminToken, {token_hash}, DecodeAdminToken);
}

Result<std::vector<AdminTokenRow>> SqlTransaction::ListAdminTokens() {
  std::vector<AdminTokenRow> out;
  LICENTIA_RETURN_IF_ERROR(Run(kListAdminTokens, {}, [&](const SqlRow& row) {
    out.push_back(DecodeAdminToken(row));
    return Status::Ok();
  }));
  return out;
}

Result<bool> SqlTransaction::RevokeAdminToken(std::int64_t id, UnixSeconds at) {
  return RunReturnsRow(kRevokeAdminToken, {id, at});
}

Status SqlTransaction::TouchAdminToken(std::int64_t id, UnixSeconds at) {
  return Run(kTouchAdminToken, {id, at});
}

Result<std::int64_t> SqlTransaction::CountAdminTokens() {
  return RunForInt(kCountAdminTokens, {});
}

}  // namespace licentia::store
