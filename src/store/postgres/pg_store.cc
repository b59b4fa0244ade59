#include "store/postgres/pg_store.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/backoff.h"
#include "core/crypto.h"
#include "core/mutex.h"
#include "core/thread_name.h"
#include "store/feature_list.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_list_statements.h"
#include "store/shared_sql.h"

namespace licentia::store::postgres {
namespace {

// Any constant: instances starting together take turns migrating.
constexpr std::int64_t kMigrationLockId = 0x4c434e5301;

constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE product_versions (
  product_id TEXT NOT NULL REFERENCES products(id),
  version TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (product_id, version)
);
CREATE TABLE batches (
  id BIGSERIAL PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products(id),
  count BIGINT NOT NULL,
  note TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE codes (
  id BIGSERIAL PRIMARY KEY,
  code_hash BYTEA NOT NULL UNIQUE,
  code_tail TEXT NOT NULL,
  batch_id BIGINT NOT NULL REFERENCES batches(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  edition TEXT NOT NULL,
  features TEXT NOT NULL,
  max_devices INTEGER NOT NULL,
  license_type TEXT NOT NULL,
  term_days INTEGER NOT NULL,
  activate_by BIGINT,
  compatible_versions TEXT NOT NULL,
  requires_account BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  first_activated_at BIGINT,
  blocked BOOLEAN NOT NULL DEFAULT FALSE,
  blocked_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX codes_by_product ON codes(product_id, id);
CREATE INDEX codes_by_batch ON codes(batch_id, id);
CREATE INDEX codes_by_tail ON codes(code_tail);
CREATE TABLE activations (
  id BIGSERIAL PRIMARY KEY,
  code_id BIGINT NOT NULL REFERENCES codes(id),
  device_hash BYTEA NOT NULL,
  device_name TEXT NOT NULL,
  os TEXT NOT NULL,
  app_version TEXT NOT NULL,
  token_hash BYTEA NOT NULL,
  activated_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  deactivated_at BIGINT,
  key_serial BIGINT NOT NULL
);
CREATE UNIQUE INDEX activations_one_seat_per_device
  ON activations(code_id, device_hash) WHERE deactivated_at IS NULL;
CREATE INDEX activations_by_code ON activations(code_id, id);
CREATE TABLE reserves (
  device_hash BYTEA NOT NULL,
  product_id TEXT NOT NULL,
  code_id BIGINT NOT NULL REFERENCES codes(id),
  added_at BIGINT NOT NULL,
  PRIMARY KEY (device_hash, product_id)
);
CREATE INDEX reserves_by_code ON reserves(code_id);
CREATE SEQUENCE key_serial;
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  code_id BIGINT,
  product_id TEXT NOT NULL,
  device TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX events_by_code ON events(code_id, id);
CREATE INDEX events_by_product ON events(product_id, id);
CREATE FUNCTION events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TABLE admin_tokens (
  id BIGSERIAL PRIMARY KEY,
  token_hash BYTEA NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
)sql",
    // 2: each code keeps a running count of its active seats, maintained by
    // a trigger (see the SQLite migration 2). The trigger's UPDATE of the
    // code row happens in transactions that already hold that row's lock.
    R"sql(
ALTER TABLE codes ADD COLUMN seats_used INTEGER NOT NULL DEFAULT 0;
UPDATE codes SET seats_used = (SELECT COUNT(*) FROM activations a
  WHERE a.code_id = codes.id AND a.deactivated_at IS NULL);
CREATE FUNCTION activations_count_seats() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deactivated_at IS NULL THEN
      UPDATE codes SET seats_used = seats_used + 1 WHERE id = NEW.code_id;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.deactivated_at IS NULL THEN
      UPDATE codes SET seats_used = seats_used - 1 WHERE id = OLD.code_id;
    END IF;
  ELSIF OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL THEN
    UPDATE codes SET seats_used = seats_used - 1 WHERE id = NEW.code_id;
  ELSIF OLD.deactivated_at IS NOT NULL AND NEW.deactivated_at IS NULL THEN
    UPDATE codes SET seats_used = seats_used + 1 WHERE id = NEW.code_id;
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER activations_seats AFTER INSERT OR DELETE OR UPDATE OF
  deactivated_at ON activations
  FOR EACH ROW EXECUTE FUNCTION activations_count_seats();
)sql",
};

// Reads LICENTIA_CODE_COLUMNS of row `i`, starting at column `first`.
CodeRow ReadCode(const Rows& r, int i, int first = 0) {
  CodeRow c;
  c.id = r.Int(i, first + 0);
  c.code_hash = r.FixedBytes<crypto::kHashBytes>(i, first + 1);
  c.code_tail = r.Text(i, first + 2);
  c.batch_id = r.Int(i, first + 3);
  c.terms.product = r.Text(i, first + 4);
  c.terms.edition = r.Text(i, first + 5);
  c.terms.features = DecodeFeatures(r.Text(i, first + 6));
  c.terms.max_devices = static_cast<int>(r.Int(i, first + 7));
  c.terms.type =
      LicenseTypeFromName(r.Text(i, first + 8)).value_or(LicenseType::kTerm);
  c.terms.term_days = static_cast<int>(r.Int(i, first + 9));
  c.terms.activate_by = r.OptInt(i, first + 10);
  c.terms.compatible_versions = r.Text(i, first + 11);
  c.terms.requires_account = r.Bool(i, first + 12);
  c.created_at = r.Int(i, first + 13);
  c.first_activated_at = r.OptInt(i, first + 14);
  c.blocked = r.Bool(i, first + 15);
  c.blocked_reason = r.Text(i, first + 16);
  c.seats_used = static_cast<int>(r.Int(i, first + 17));
  return c;
}

#define LICENTIA_ACTIVATION_COLUMNS                                      \
  "id, code_id, device_hash, device_name, os, app_version, token_hash, " \
  "activated_at, last_seen_at, deactivated_at, key_serial"

// Reads LICENTIA_ACTIVATION_COLUMNS of row `i`, starting at column `first`.
ActivationRow ReadActivation(const Rows& r, int i, int first = 0) {
  ActivationRow a;
  a.id = r.Int(i, first + 0);
  a.code_id = r.Int(i, first + 1);
  a.device_hash = r.FixedBytes<crypto::kHashBytes>(i, first + 2);
  a.device_name = r.Text(i, first + 3);
  a.os = r.Text(i, first + 4);
  a.app_version = r.Text(i, first + 5);
  a.token_hash = r.FixedBytes<crypto::kHashBytes>(i, first + 6);
  a.activated_at = r.Int(i, first + 7);
  a.last_seen_at = r.Int(i, first + 8);
  a.deactivated_at = r.OptInt(i, first + 9);
  a.key_serial = static_cast<std::uint64_t>(r.Int(i, first + 10));
  return a;
}

// FindCodeSeat's one statement (shared_sql.h) and where its columns start.
const int kCodeColumnCount = ColumnCount(LICENTIA_CODE_COLUMNS);
const int kActivationColumnCount = ColumnCount(LICENTIA_ACTIVATION_COLUMNS);
const std::string kFindCodeSeat = FindCodeSeatSql(
    LICENTIA_CODE_COLUMNS, LICENTIA_ACTIVATION_COLUMNS, SqlDialect::kPostgres);

// Key serials drawn from the sequence a block at a time and shared by the
// store's connections, so that NextKeySerial is a round trip once per
// block instead of once per key. They stay unique across instances (every
// block comes from the sequence); the rest of a block is lost when the
// instance stops, as a rolled-back transaction's serial is: serials are
// unique, not contiguous. Thread-safe.
class KeySerialBlocks {
 public:
  static constexpr int kBlock = 32;

  // The next serial, drawing a block on `conn` when none is left.
  Result<std::uint64_t> Next(PgConnection& conn) {
    {
      MutexLock lock(mu_);
      if (!free_.empty()) {
        std::uint64_t serial = free_.back();
        free_.pop_back();
        return serial;
      }
    }
    static const std::string kDraw = fmt::format(
        "SELECT nextval('key_serial') FROM generate_series(1, {})", kBlock);
    LICENTIA_ASSIGN_OR_RETURN(Rows r, conn.Query(kDraw.c_str()));
    if (r.size() == 0) {
      return Status(ErrorCode::kInternal, "key_serial sequence gave nothing");
    }
    MutexLock lock(mu_);
    // Kept smallest last, so that serials go out in the sequence's order.
    for (int i = r.size() - 1; i >= 1; --i) {
      free_.push_back(static_cast<std::uint64_t>(r.Int(i, 0)));
    }
    return static_cast<std::uint64_t>(r.Int(0, 0));
  }

 private:
  Mutex mu_;
  std::vector<std::uint64_t> free_ GUARDED_BY(mu_);
};

class PgTransaction final : public Transaction {
 public:
  // In a write transaction, reading a code locks its row first (FOR UPDATE,
  // in a statement of its own, so that what is read next - the seats in use
  // - is read after the lock is held, with a fresh READ COMMITTED snapshot).
  // Every change to a code's seats, first activation, block state or
  // reserves goes through reading that code, so they are serialised per
  // code across instances without serialization failures.
  PgTransaction(PgConnection& c, bool writing, KeySerialBlocks& serials)
      : c_(c), writing_(writing), serials_(serials) {}

  Result<std::optional<ProductRow>> FindProduct(std::string_view id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r,
        c_.Query("SELECT id, name, created_at FROM products WHERE id = $1",
                 Params().Add(id)));
    if (r.size() == 0) return std::optional<ProductRow>();
    ProductRow p{r.Text(0, 0), r.Text(0, 1), r.Int(0, 2), {}};
    LICENTIA_RETURN_IF_ERROR(LoadVersions(p));
    return std::optional<ProductRow>(std::move(p));
  }

  Result<std::vector<ProductRow>> ListProducts() override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r,
        c_.Query("SELECT id, name, created_at FROM products ORDER BY id"));
    std::vector<ProductRow> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2), {}});
    }
    for (auto& p : out) LICENTIA_RETURN_IF_ERROR(LoadVersions(p));
    return out;
  }

  Status InsertProduct(const ProductRow& p) override {
    return c_
        .Query("INSERT INTO products(id, name, created_at) VALUES ($1, $2, $3)",
               Params().Add(p.id).Add(p.name).Add(p.created_at))
        .status();
  }

  Status InsertProductVersion(std::string_view product_id,
                              std::string_view version,
                              UnixSeconds at) override {
    return c_
        .Query(
            "INSERT INTO product_versions(product_id, version, "
            "created_at) VALUES ($1, $2, $3)",
            Params().Add(product_id).Add(version).Add(at))
        .status();
  }

  Result<std::int64_t> InsertBatch(const BatchRow& b) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("INSERT INTO batches(product_id, count, note, "
                         "created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                         Params()
                             .Add(b.product_id)
                             .Add(b.count)
                             .Add(b.note)
                             .Add(b.created_at)));
    return r.Int(0, 0);
  }

  Result<std::int64_t> InsertCode(const CodeRow& c) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r,
        c_.Query(
            "INSERT INTO codes(code_hash, code_tail, batch_id, product_id, "
            "edition, features, max_devices, license_type, term_days, "
            "activate_by, compatible_versions, requires_account, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11, $12, $13) RETURNING id",
            Params()
                .Add(c.code_hash)
                .Add(c.code_tail)
                .Add(c.batch_id)
                .Add(c.terms.product)
                .Add(c.terms.edition)
                .Add(EncodeFeatures(c.terms.features))
                .Add(std::int64_t{c.terms.max_devices})
                .Add(LicenseTypeName(c.terms.type))
                .Add(std::int64_t{c.terms.term_days})
                .Add(c.terms.activate_by)
                .Add(c.terms.compatible_versions)
                .AddBool(c.terms.requires_account)
                .Add(c.created_at)));
    return r.Int(0, 0);
  }

  Result<std::optional<CodeRow>> FindCodeByHash(
      const crypto::Hash& h) override {
    if (writing_) LICENTIA_RETURN_IF_ERROR(LockCode(h));
    LICENTIA_ASSIGN_OR_RETURN(Rows r,
                              c_.Query("SELECT " LICENTIA_CODE_COLUMNS
                                       " FROM codes WHERE code_hash = $1",
                                       Params().Add(h)));
    if (r.size() == 0) return std::optional<CodeRow>();
    return std::optional<CodeRow>(ReadCode(r, 0));
  }

  Result<std::optional<CodeRow>> FindCodeById(std::int64_t id) override {
    if (writing_) {
      LICENTIA_RETURN_IF_ERROR(
          c_.Query("SELECT 1 FROM codes WHERE id = $1 FOR UPDATE",
                   Params().Add(id))
              .status());
    }
    LICENTIA_ASSIGN_OR_RETURN(Rows r, c_.Query("SELECT " LICENTIA_CODE_COLUMNS
                                               " FROM codes WHERE id = $1",
                                               Params().Add(id)));
    if (r.size() == 0) return std::optional<CodeRow>();
    return std::optional<CodeRow>(ReadCode(r, 0));
  }

  Result<std::vector<CodeRow>> ListCodes(const CodeFilter& f) override {
    Params p;
    p.Add(f.after_id).Add(f.product_id);
    if (f.blocked) {
      p.AddBool(*f.blocked);
    } else {
      p.AddNull();
    }
    p.Add(f.batch_id).Add(f.tail).Add(std::int64_t{f.limit});
    LICENTIA_ASSIGN_OR_RETURN(Rows r, c_.Query(ListCodesStatement(f), p));
    std::vector<CodeRow> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadCode(r, i));
    return out;
  }

  Status SetFirstActivation(std::int64_t code_id, UnixSeconds at) override {
    return c_
        .Query(
            "UPDATE codes SET first_activated_at = $2 WHERE id = $1 "
            "AND first_activated_at IS NULL",
            Params().Add(code_id).Add(at))
        .status();
  }

  Status SetBlocked(std::int64_t code_id, bool blocked,
                    std::string_view reason) override {
    return c_
        .Query(
            "UPDATE codes SET blocked = $2, blocked_reason = $3 WHERE "
            "id = $1",
            Params().Add(code_id).AddBool(blocked).Add(reason))
        .status();
  }

  Result<std::optional<ActivationRow>> FindActiveActivation(
      std::int64_t code_id, const crypto::Hash& device) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT " LICENTIA_ACTIVATION_COLUMNS
                         " FROM activations WHERE code_id = $1 AND device_hash "
                         "= $2 AND deactivated_at IS NULL",
                         Params().Add(code_id).Add(device)));
    if (r.size() == 0) return std::optional<ActivationRow>();
    return std::optional<ActivationRow>(ReadActivation(r, 0));
  }

  Result<CodeSeat> FindCodeSeat(const crypto::Hash& code_hash,
                                const crypto::Hash& device_hash) override {
    if (writing_) LICENTIA_RETURN_IF_ERROR(LockCode(code_hash));
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query(kFindCodeSeat.c_str(),
                         Params().Add(code_hash).Add(device_hash)));
    CodeSeat out;
    if (r.size() == 0) return out;
    out.code = ReadCode(r, 0);
    int column = kCodeColumnCount;
    if (r.OptInt(0, column)) out.activation = ReadActivation(r, 0, column);
    column += kActivationColumnCount;
    if (auto reserve_code = r.OptInt(0, column)) {
      out.reserve = ReserveRow{device_hash, out.code->terms.product,
                               *reserve_code, r.Int(0, column + 1)};
    }
    return out;
  }

  Result<std::vector<ActivationRow>> ListActivations(
      std::int64_t code_id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT " LICENTIA_ACTIVATION_COLUMNS
                         " FROM activations WHERE code_id = $1 ORDER BY id",
                         Params().Add(code_id)));
    std::vector<ActivationRow> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(ReadActivation(r, i));
    return out;
  }

  Result<int> CountActiveSeats(std::int64_t code_id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT COUNT(*) FROM activations WHERE code_id = $1 "
                         "AND deactivated_at IS NULL",
                         Params().Add(code_id)));
    return static_cast<int>(r.Int(0, 0));
  }

  Result<std::int64_t> InsertActivation(const ActivationRow& a) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r,
        c_.Query(
            "INSERT INTO activations(code_id, device_hash, device_name, os, "
            "app_version, token_hash, activated_at, last_seen_at, "
            "key_serial) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "RETURNING id",
            Params()
                .Add(a.code_id)
                .Add(a.device_hash)
                .Add(a.device_name)
                .Add(a.os)
                .Add(a.app_version)
                .Add(a.token_hash)
                .Add(a.activated_at)
                .Add(a.last_seen_at)
                .Add(static_cast<std::int64_t>(a.key_serial))));
    return r.Int(0, 0);
  }

  Status RefreshActivation(const ActivationRow& a) override {
    return c_
        .Query(
            "UPDATE activations SET device_name = $2, os = $3, "
            "app_version = $4, token_hash = $5, last_seen_at = $6, "
            "key_serial = $7 WHERE id = $1",
            Params()
                .Add(a.id)
                .Add(a.device_name)
                .Add(a.os)
                .Add(a.app_version)
                .Add(a.token_hash)
                .Add(a.last_seen_at)
                .Add(static_cast<std::int64_t>(a.key_serial)))
        .status();
  }

  Status Deactivate(std::int64_t activation_id, UnixSeconds at) override {
    return c_
        .Query(
            "UPDATE activations SET deactivated_at = $2 WHERE id = $1 "
            "AND deactivated_at IS NULL",
            Params().Add(activation_id).Add(at))
        .status();
  }

  Result<std::uint64_t> NextKeySerial() override { return serials_.Next(c_); }

  Result<std::optional<ReserveRow>> FindReserve(
      const crypto::Hash& device, std::string_view product_id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT code_id, added_at FROM reserves WHERE "
                         "device_hash = $1 AND product_id = $2",
                         Params().Add(device).Add(product_id)));
    if (r.size() == 0) return std::optional<ReserveRow>();
    return std::optional<ReserveRow>(
        ReserveRow{device, std::string(product_id), r.Int(0, 0), r.Int(0, 1)});
  }

  Status PutReserve(const ReserveRow& row) override {
    return c_
        .Query(
            "INSERT INTO reserves(device_hash, product_id, code_id, "
            "added_at) VALUES ($1, $2, $3, $4)",
            Params()
                .Add(row.device_hash)
                .Add(row.product_id)
                .Add(row.code_id)
                .Add(row.added_at))
        .status();
  }

  Status DeleteReserve(const crypto::Hash& device,
                       std::string_view product_id) override {
    return c_
        .Query(
            "DELETE FROM reserves WHERE device_hash = $1 AND "
            "product_id = $2",
            Params().Add(device).Add(product_id))
        .status();
  }

  // Sent with the transaction's next statement or its COMMIT, in the same
  // round trip: nothing reads its result.
  Status AppendEvent(const EventRow& e) override {
    Params params;
    params.Add(e.at).Add(e.type).Add(e.code_id).Add(e.product_id);
    params.Add(e.device).Add(e.actor).Add(e.details_json);
    return c_.Defer(
        "INSERT INTO events(at, type, code_id, product_id, device, actor, "
        "details) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        std::move(params));
  }

  Result<std::vector<EventRow>> ListEvents(const EventFilter& f) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r,
        c_.Query(ListEventsStatement(f), Params()
                                             .Add(f.after_id)
                                             .Add(f.code_id)
                                             .Add(f.product_id)
                                             .Add(f.type)
                                             .Add(std::int64_t{f.limit})));
    std::vector<EventRow> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.OptInt(i, 3),
                     r.Text(i, 4), r.Text(i, 5), r.Text(i, 6), r.Text(i, 7)});
    }
    return out;
  }

  Status InsertAdminToken(const crypto::Hash& h, std::string_view name,
                          UnixSeconds at) override {
    return c_
        .Query(
            "INSERT INTO admin_tokens(token_hash, name, created_at) "
            "VALUES ($1, $2, $3)",
            Params().Add(h).Add(name).Add(at))
        .status();
  }

  Result<bool> AdminTokenExists(const crypto::Hash& h) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT 1 FROM admin_tokens WHERE token_hash = $1",
                         Params().Add(h)));
    return r.size() > 0;
  }

  Result<std::int64_t> CountAdminTokens() override {
    LICENTIA_ASSIGN_OR_RETURN(Rows r,
                              c_.Query("SELECT COUNT(*) FROM admin_tokens"));
    return r.Int(0, 0);
  }

 private:
  // The row lock every write takes on a code before reading it (see above).
  Status LockCode(const crypto::Hash& code_hash) {
    return c_
        .Query("SELECT 1 FROM codes WHERE code_hash = $1 FOR UPDATE",
               Params().Add(code_hash))
        .status();
  }

  Status LoadVersions(ProductRow& p) {
    LICENTIA_ASSIGN_OR_RETURN(
        Rows r, c_.Query("SELECT version FROM product_versions WHERE "
                         "product_id = $1 ORDER BY created_at, version",
                         Params().Add(p.id)));
    for (int i = 0; i < r.size(); ++i) p.versions.push_back(r.Text(i, 0));
    return Status::Ok();
  }

  PgConnection& c_;
  const bool writing_;
  KeySerialBlocks& serials_;
};

bool IsRetryable(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

class PgStore final : public Store {
 public:
  explicit PgStore(PgOptions o) : options_(std::move(o)) {}

  ~PgStore() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    work_cv_.SignalAll();
    for (auto& t : workers_) t.join();
  }

  Status Init() {
    LICENTIA_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(options_.url));
    LICENTIA_RETURN_IF_ERROR(Migrate(*conn));
    {
      MutexLock lock(mu_);
      idle_.push_back(std::move(conn));
    }
    for (int i = 0; i < options_.pool_size; ++i) {
      workers_.emplace_back([this] {
        SetCurrentThreadName("lic-pg");
        WorkerLoop();
      });
    }
    return Status::Ok();
  }

  void WriteAsync(TransactionFn fn, DoneFn done) override {
    Enqueue(std::move(fn), std::move(done), /*write=*/true);
  }

  void ReadAsync(TransactionFn fn, DoneFn done) override {
    Enqueue(std::move(fn), std::move(done), /*write=*/false);
  }

  void Enqueue(TransactionFn fn, DoneFn done, bool write) {
    {
      MutexLock lock(mu_);
      if (!stopping_) {
        queue_.push_back({std::move(fn), std::move(done), write});
        work_cv_.Signal();
        return;
      }
    }
    done(Status(ErrorCode::kUnavailable, "The store is shutting down."));
  }

  Status Read(const TransactionFn& fn) override {
    LICENTIA_ASSIGN_OR_RETURN(auto conn, Acquire());
    // Begun with the first statement, in its round trip.
    conn->Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgTransaction txn(*conn, false, serials_);
    Status st = fn(txn);
    Status end = conn->End(st.ok());
    if (st.ok()) st = end;
    Release(std::move(conn));
    return st;
  }

  Stats GetStats() const override {
    MutexLock lock(mu_);
    return stats_;
  }

 private:
  struct Pending {
    TransactionFn fn;
    DoneFn done;
    bool write = true;
  };

  static Status Migrate(PgConnection& conn) {
    LICENTIA_RETURN_IF_ERROR(conn.Exec(
        fmt::format("SELECT pg_advisory_lock({})", kMigrationLockId)));
    Status st = conn.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY "
        "KEY, applied_at BIGINT NOT NULL)");
    std::int64_t current = 0;
    if (st.ok()) {
      auto r =
          conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (r.ok()) {
        current = r->Int(0, 0);
      } else {
        st = r.status();
      }
    }
    constexpr std::int64_t kLatest = std::size(kMigrations);
    if (st.ok() && current > kLatest) {
      st = Status(ErrorCode::kCorruption,
                  fmt::format("The database schema is version {}, newer than "
                              "this licentiad knows ({}); upgrade licentiad.",
                              current, kLatest));
    }
    for (std::int64_t v = current + 1; st.ok() && v <= kLatest; ++v) {
      st = conn.Exec("BEGIN");
      if (st.ok()) st = conn.Exec(kMigrations[v - 1]);
      if (st.ok()) {
        st =
            conn.Exec(fmt::format("INSERT INTO schema_migrations VALUES ({}, "
                                  "EXTRACT(EPOCH FROM now())::bigint)",
                                  v));
      }
      if (st.ok()) {
        st = conn.Exec("COMMIT");
      } else {
        (void)conn.Exec("ROLLBACK");
      }
    }
    (void)conn.Exec(
        fmt::format("SELECT pg_advisory_unlock({})", kMigrationLockId));
    return st;
  }

  // A healthy connection from the pool, or a new one; kUnavailable if the
  // database cannot be reached (it is tried again on the next request).
  Result<std::unique_ptr<PgConnection>> Acquire() {
    {
      MutexLock lock(mu_);
      while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        if (!c->broken()) return c;
      }
    }
    LICENTIA_ASSIGN_OR_RETURN(auto c, PgConnection::Connect(options_.url));
    return c;
  }

  void Release(std::unique_ptr<PgConnection> c) {
    if (c->broken()) return;
    MutexLock lock(mu_);
    if (static_cast<int>(idle_.size()) < options_.pool_size) {
      idle_.push_back(std::move(c));
    }
  }

  void WorkerLoop() {
    while (true) {
      Pending p;
      {
        MutexLock lock(mu_);
        while (!stopping_ && queue_.empty()) work_cv_.Wait(mu_);
        if (queue_.empty()) return;  // stopping, and the queue is drained
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      if (p.write) {
        Status st = RunWrite(p.fn);
        AfterWrites();
        p.done(std::move(st));
      } else {
        p.done(Read(p.fn));
      }
    }
  }

  // Row locks on the codes a transaction touches (see PgTransaction);
  // retried on deadlocks and serialization failures.
  Status RunWrite(const TransactionFn& fn) {
    Status last;
    for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
      auto conn = Acquire();
      if (!conn.ok()) return conn.status();
      PgConnection& c = **conn;
      // Begun with the first statement, in its round trip.
      c.Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
      PgTransaction txn(c, true, serials_);
      Status st = fn(txn);
      bool retry = IsRetryable(c.last_sqlstate());
      if (st.ok()) {
        st = c.End(true);
        retry = !st.ok() && IsRetryable(c.last_sqlstate());
      } else {
        (void)c.End(false);
      }
      Release(std::move(*conn));
      if (st.ok()) {
        MutexLock lock(mu_);
        stats_.commits += 1;
        stats_.transactions += 1;
        return st;
      }
      if (!retry) return st;
      last = st;
      // Back off a little, with jitter, so the contenders spread out:
      // 100 us doubling to 6.4 ms, +/- 50 %.
      std::this_thread::sleep_for(std::chrono::microseconds(BackoffDelay(
          {.initial = 100, .max = 6400, .jitter = 0.5}, attempt + 1,
          static_cast<double>(crypto::RandomUniform(1u << 20)) /
              static_cast<double>(1u << 20))));
    }
    return Status(ErrorCode::kUnavailable,
                  "The database stayed too busy to finish this request; try "
                  "again.");
  }

  const PgOptions options_;
  KeySerialBlocks serials_;
  mutable Mutex mu_;
  CondVar work_cv_;
  std::deque<Pending> queue_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<PgConnection>> idle_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  Stats stats_ GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(const PgOptions& options) {
  auto store = std::make_unique<PgStore>(options);
  LICENTIA_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace licentia::store::postgres
