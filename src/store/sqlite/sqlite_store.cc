#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/mutex.h"
#include "core/thread_name.h"
#include "store/feature_list.h"
#include "store/shared_sql.h"
#include "store/sqlite/list_statements.h"
#include "store/sqlite/page_write_back.h"
#include "store/sqlite/read_cache.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_migrations.h"
#include "store/sqlite/wal_syncer.h"
#include "store/sqlite/wal_write_buffer.h"

namespace licentia::store::sqlite {
namespace {

// Reads the kCodeColumns starting at column `first`.
CodeRow ReadCode(const Query& q, int first = 0) {
  CodeRow c;
  c.id = q.Int(first + 0);
  c.code_hash = q.FixedBlob<crypto::kHashBytes>(first + 1);
  c.code_tail = q.Text(first + 2);
  c.batch_id = q.Int(first + 3);
  c.terms.product = q.Text(first + 4);
  c.terms.edition = q.Text(first + 5);
  c.terms.features = DecodeFeatures(q.Text(first + 6));
  c.terms.max_devices = static_cast<int>(q.Int(first + 7));
  c.terms.type =
      LicenseTypeFromName(q.Text(first + 8)).value_or(LicenseType::kTerm);
  c.terms.term_days = static_cast<int>(q.Int(first + 9));
  c.terms.activate_by = q.OptInt(first + 10);
  c.terms.compatible_versions = q.Text(first + 11);
  c.terms.requires_account = q.Int(first + 12) != 0;
  c.created_at = q.Int(first + 13);
  c.first_activated_at = q.OptInt(first + 14);
  c.blocked = q.Int(first + 15) != 0;
  c.blocked_reason = q.Text(first + 16);
  c.seats_used = static_cast<int>(q.Int(first + 17));
  return c;
}

constexpr const char* kActivationColumns =
    "id, code_id, device_hash, device_name, os, app_version, token_hash, "
    "activated_at, last_seen_at, deactivated_at, key_serial";

// Reads the kActivationColumns starting at column `first`.
ActivationRow ReadActivation(const Query& q, int first = 0) {
  ActivationRow a;
  a.id = q.Int(first + 0);
  a.code_id = q.Int(first + 1);
  a.device_hash = q.FixedBlob<crypto::kHashBytes>(first + 2);
  a.device_name = q.Text(first + 3);
  a.os = q.Text(first + 4);
  a.app_version = q.Text(first + 5);
  a.token_hash = q.FixedBlob<crypto::kHashBytes>(first + 6);
  a.activated_at = q.Int(first + 7);
  a.last_seen_at = q.Int(first + 8);
  a.deactivated_at = q.OptInt(first + 9);
  a.key_serial = static_cast<std::uint64_t>(q.Int(first + 10));
  return a;
}

// Statements whose text is assembled once from the column lists above; the
// cache in Connection is keyed by address, so these must be stable strings.
const std::string kFindCodeByHash =
    fmt::format("SELECT {} FROM codes WHERE code_hash = ?1", kCodeColumns);
const std::string kFindCodeById =
    fmt::format("SELECT {} FROM codes WHERE id = ?1", kCodeColumns);
const std::string kFindActiveActivation = fmt::format(
    "SELECT {} FROM activations WHERE code_id = ?1 AND device_hash = ?2 AND "
    "deactivated_at IS NULL",
    kActivationColumns);
// FindCodeSeat's one statement (shared_sql.h) and where its columns start.
const int kCodeColumnCount = ColumnCount(kCodeColumns);
const int kActivationColumnCount = ColumnCount(kActivationColumns);
const std::string kFindCodeSeat =
    FindCodeSeatSql(kCodeColumns, kActivationColumns, SqlDialect::kSqlite);
const std::string kListActivations =
    fmt::format("SELECT {} FROM activations WHERE code_id = ?1 ORDER BY id",
                kActivationColumns);

// The key serial counter as the writer holds it: read once, advanced in
// memory, written back once per batch (an UPDATE ... RETURNING per
// activation cost ~5 us on the single writer). A serial taken by a write
// that is then rolled back is skipped: serials are unique, not contiguous.
struct KeySerials {
  bool loaded = false;
  bool dirty = false;  // `last` is ahead of the row in this transaction
  std::uint64_t last = 0;
};

// Gives a read its connection when it first needs one.
using ConnectionSource = std::function<Result<Connection*>()>;

class SqliteTransaction final : public Transaction {
 public:
  // A write transaction (already begun by the writer) records the keys it
  // changes in `touched` and takes serials from `serials`. A read
  // transaction serves and fills `cache` (may be null) and takes a
  // connection from `source` and begins only on its first statement: a
  // read the cache answers whole touches neither the connection pool nor
  // the database.
  static SqliteTransaction ForWrite(Connection& conn, TouchedKeys* touched,
                                    KeySerials* serials) {
    return SqliteTransaction(&conn, nullptr, nullptr, touched, serials, true);
  }
  static SqliteTransaction ForRead(const ConnectionSource& source,
                                   ReadCache* cache) {
    return SqliteTransaction(nullptr, &source, cache, nullptr, nullptr, false);
  }
  // Whether a read transaction reached the database (and must end).
  bool begun() const { return begun_; }

  Result<std::optional<ProductRow>> FindProduct(std::string_view id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q,
        Prepare("SELECT id, name, created_at FROM products WHERE id = ?1"));
    q.Bind(1, id);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<ProductRow>();
    ProductRow p{q.Text(0), q.Text(1), q.Int(2), {}};
    LICENTIA_RETURN_IF_ERROR(LoadVersions(p));
    return std::optional<ProductRow>(std::move(p));
  }

  Result<std::vector<ProductRow>> ListProducts() override {
    std::vector<ProductRow> out;
    {
      LICENTIA_ASSIGN_OR_RETURN(
          Query q,
          Prepare("SELECT id, name, created_at FROM products ORDER BY id"));
      while (true) {
        LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back({q.Text(0), q.Text(1), q.Int(2), {}});
      }
    }
    for (auto& p : out) LICENTIA_RETURN_IF_ERROR(LoadVersions(p));
    return out;
  }

  Status InsertProduct(const ProductRow& row) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO products(id, name, created_at) "
                         "VALUES (?1, ?2, ?3)"));
    q.Bind(1, row.id).Bind(2, row.name).Bind(3, row.created_at);
    return q.Run();
  }

  Status InsertProductVersion(std::string_view product_id,
                              std::string_view version,
                              UnixSeconds at) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO product_versions(product_id, "
                         "version, created_at) VALUES (?1, ?2, ?3)"));
    q.Bind(1, product_id).Bind(2, version).Bind(3, at);
    return q.Run();
  }

  Result<std::int64_t> InsertBatch(const BatchRow& row) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO batches(product_id, count, note, "
                         "created_at) VALUES (?1, ?2, ?3, ?4)"));
    q.Bind(1, row.product_id).Bind(2, row.count).Bind(3, row.note);
    q.Bind(4, row.created_at);
    LICENTIA_RETURN_IF_ERROR(q.Run());
    return conn_->LastInsertId();
  }

  Result<std::int64_t> InsertCode(const CodeRow& c) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q,
        Prepare(
            "INSERT INTO codes(code_hash, code_tail, batch_id, product_id, "
            "edition, features, max_devices, license_type, term_days, "
            "activate_by, compatible_versions, requires_account, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    q.Bind(1, c.code_hash).Bind(2, c.code_tail).Bind(3, c.batch_id);
    q.Bind(4, c.terms.product).Bind(5, c.terms.edition);
    q.Bind(6, EncodeFeatures(c.terms.features));
    q.Bind(7, std::int64_t{c.terms.max_devices});
    q.Bind(8, LicenseTypeName(c.terms.type));
    q.Bind(9, std::int64_t{c.terms.term_days}).Bind(10, c.terms.activate_by);
    q.Bind(11, c.terms.compatible_versions);
    q.Bind(12, std::int64_t{c.terms.requires_account ? 1 : 0});
    q.Bind(13, c.created_at);
    LICENTIA_RETURN_IF_ERROR(q.Run());
    return conn_->LastInsertId();
  }

  Result<std::optional<CodeRow>> FindCodeByHash(
      const crypto::Hash& code_hash) override {
    if (cache_) {
      if (auto hit = cache_->CodeByHash(code_hash)) return hit;
    }
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(kFindCodeByHash.c_str()));
    q.BindRef(1, code_hash);
    return CacheCode(OneCode(q));
  }

  Result<std::optional<CodeRow>> FindCodeById(std::int64_t id) override {
    if (cache_) {
      if (auto hit = cache_->CodeById(id)) return hit;
    }
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(kFindCodeById.c_str()));
    q.Bind(1, id);
    return CacheCode(OneCode(q));
  }

  Result<std::vector<CodeRow>> ListCodes(const CodeFilter& f) override {
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(ListCodesStatement(f).c_str()));
    q.Bind(1, f.after_id).Bind(2, f.product_id);
    if (f.blocked) {
      q.Bind(3, std::int64_t{*f.blocked ? 1 : 0});
    } else {
      q.BindNull(3);
    }
    q.Bind(4, f.batch_id).Bind(5, f.tail).Bind(6, std::int64_t{f.limit});
    std::vector<CodeRow> out;
    while (true) {
      LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadCode(q));
    }
    return out;
  }

  Status SetFirstActivation(std::int64_t code_id, UnixSeconds at) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("UPDATE codes SET first_activated_at = ?2 "
                         "WHERE id = ?1 AND first_activated_at IS NULL"));
    q.Bind(1, code_id).Bind(2, at);
    Touch(code_id);
    return q.Run();
  }

  Status SetBlocked(std::int64_t code_id, bool blocked,
                    std::string_view reason) override {
    LICENTIA_ASSIGN_OR_RETURN(Query q,
                              Prepare("UPDATE codes SET blocked = ?2, "
                                      "blocked_reason = ?3 WHERE id = ?1"));
    q.Bind(1, code_id).Bind(2, std::int64_t{blocked ? 1 : 0}).Bind(3, reason);
    Touch(code_id);
    return q.Run();
  }

  Result<std::optional<ActivationRow>> FindActiveActivation(
      std::int64_t code_id, const crypto::Hash& device_hash) override {
    if (cache_) {
      if (auto hit = cache_->Activation(code_id, device_hash)) return *hit;
    }
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(kFindActiveActivation.c_str()));
    q.Bind(1, code_id).BindRef(2, device_hash);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    std::optional<ActivationRow> found;
    if (row) found = ReadActivation(q);
    if (cache_) cache_->PutActivation(code_id, device_hash, found, stamp_);
    return found;
  }

  Result<CodeSeat> FindCodeSeat(const crypto::Hash& code_hash,
                                const crypto::Hash& device_hash) override {
    // A read goes through the cache, one row at a time.
    if (cache_) return Transaction::FindCodeSeat(code_hash, device_hash);
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(kFindCodeSeat.c_str()));
    q.BindRef(1, code_hash).BindRef(2, device_hash);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    CodeSeat out;
    if (!row) return out;
    out.code = ReadCode(q);
    int column = kCodeColumnCount;
    if (q.OptInt(column)) out.activation = ReadActivation(q, column);
    column += kActivationColumnCount;
    if (auto reserve_code = q.OptInt(column)) {
      out.reserve = ReserveRow{device_hash, out.code->terms.product,
                               *reserve_code, q.Int(column + 1)};
    }
    return out;
  }

  Result<std::vector<ActivationRow>> ListActivations(
      std::int64_t code_id) override {
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(kListActivations.c_str()));
    q.Bind(1, code_id);
    std::vector<ActivationRow> out;
    while (true) {
      LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadActivation(q));
    }
    return out;
  }

  Result<int> CountActiveSeats(std::int64_t code_id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("SELECT COUNT(*) FROM activations WHERE "
                         "code_id = ?1 AND deactivated_at IS NULL"));
    q.Bind(1, code_id);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? static_cast<int>(q.Int(0)) : 0;
  }

  Result<std::int64_t> InsertActivation(const ActivationRow& a) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q,
        Prepare("INSERT INTO activations(code_id, device_hash, "
                "device_name, os, app_version, token_hash, activated_at, "
                "last_seen_at, key_serial) VALUES (?1, ?2, ?3, ?4, ?5, "
                "?6, ?7, ?8, ?9)"));
    q.Bind(1, a.code_id).BindRef(2, a.device_hash).BindRef(3, a.device_name);
    q.BindRef(4, a.os).BindRef(5, a.app_version).BindRef(6, a.token_hash);
    q.Bind(7, a.activated_at).Bind(8, a.last_seen_at);
    q.Bind(9, static_cast<std::int64_t>(a.key_serial));
    Touch(a.code_id);
    LICENTIA_RETURN_IF_ERROR(q.Run());
    std::int64_t id = conn_->LastInsertId();
    // Inserted rows hold a seat (deactivated_at is not written).
    LICENTIA_RETURN_IF_ERROR(AddSeats(a.code_id, 1));
    return id;
  }

  // The code's running seat count (migration 4): changed only with the
  // activation that takes or frees the seat, in the same transaction.
  Status AddSeats(std::int64_t code_id, int delta) {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("UPDATE codes SET seats_used = seats_used + ?2 "
                         "WHERE id = ?1"));
    q.Bind(1, code_id).Bind(2, delta);
    return q.Run();
  }

  Status RefreshActivation(const ActivationRow& a) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q,
        Prepare("UPDATE activations SET device_name = ?2, os = ?3, "
                "app_version = ?4, token_hash = ?5, last_seen_at = ?6, "
                "key_serial = ?7 WHERE id = ?1"));
    q.Bind(1, a.id).BindRef(2, a.device_name).BindRef(3, a.os);
    q.BindRef(4, a.app_version).BindRef(5, a.token_hash);
    q.Bind(6, a.last_seen_at);
    q.Bind(7, static_cast<std::int64_t>(a.key_serial));
    Touch(a.code_id);
    return q.Run();
  }

  Status Deactivate(std::int64_t activation_id, UnixSeconds at) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("UPDATE activations SET deactivated_at = ?2 "
                         "WHERE id = ?1 AND deactivated_at IS NULL "
                         "RETURNING code_id"));
    q.Bind(1, activation_id).Bind(2, at);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    std::int64_t code_id = row ? q.Int(0) : 0;
    LICENTIA_RETURN_IF_ERROR(q.Run());
    if (!row) return Status::Ok();  // no such seat, or already free
    Touch(code_id);
    return AddSeats(code_id, -1);
  }

  Result<std::uint64_t> NextKeySerial() override {
    if (serials_) {
      if (!serials_->loaded) {
        LICENTIA_ASSIGN_OR_RETURN(Query q,
                                  Prepare("SELECT value FROM counters WHERE "
                                          "name = 'key_serial'"));
        LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) {
          return Status(ErrorCode::kInternal, "key_serial counter missing");
        }
        serials_->last = static_cast<std::uint64_t>(q.Int(0));
        serials_->loaded = true;
      }
      serials_->dirty = true;
      return ++serials_->last;
    }
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("UPDATE counters SET value = value + 1 WHERE "
                         "name = 'key_serial' RETURNING value"));
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Status(ErrorCode::kInternal, "key_serial counter missing");
    std::uint64_t value = static_cast<std::uint64_t>(q.Int(0));
    LICENTIA_RETURN_IF_ERROR(q.Run());
    return value;
  }

  Result<std::optional<ReserveRow>> FindReserve(
      const crypto::Hash& device_hash, std::string_view product_id) override {
    if (cache_) {
      if (auto hit = cache_->Reserve(device_hash, product_id)) return *hit;
    }
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("SELECT code_id, added_at FROM reserves WHERE "
                         "device_hash = ?1 AND product_id = ?2"));
    q.Bind(1, device_hash).Bind(2, product_id);
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    std::optional<ReserveRow> found;
    if (row) {
      found =
          ReserveRow{device_hash, std::string(product_id), q.Int(0), q.Int(1)};
    }
    if (cache_) cache_->PutReserve(device_hash, product_id, found, stamp_);
    return found;
  }

  Status PutReserve(const ReserveRow& r) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO reserves(device_hash, product_id, "
                         "code_id, added_at) VALUES (?1, ?2, ?3, ?4)"));
    q.Bind(1, r.device_hash).Bind(2, r.product_id).Bind(3, r.code_id);
    q.Bind(4, r.added_at);
    TouchDevice(r.device_hash);
    return q.Run();
  }

  Status DeleteReserve(const crypto::Hash& device_hash,
                       std::string_view product_id) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("DELETE FROM reserves WHERE device_hash = ?1 "
                         "AND product_id = ?2"));
    q.Bind(1, device_hash).Bind(2, product_id);
    TouchDevice(device_hash);
    return q.Run();
  }

  Status AppendEvent(const EventRow& e) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO events(at, type, code_id, "
                         "product_id, device, actor, details) VALUES "
                         "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    q.Bind(1, e.at).BindRef(2, e.type).Bind(3, e.code_id);
    q.BindRef(4, e.product_id).BindRef(5, e.device).BindRef(6, e.actor);
    q.BindRef(7, e.details_json);
    return q.Run();
  }

  Result<std::vector<EventRow>> ListEvents(const EventFilter& f) override {
    LICENTIA_ASSIGN_OR_RETURN(Query q, Prepare(ListEventsStatement(f).c_str()));
    q.Bind(1, f.after_id).Bind(2, f.code_id).Bind(3, f.product_id);
    q.Bind(4, f.type).Bind(5, std::int64_t{f.limit});
    std::vector<EventRow> out;
    while (true) {
      LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Int(0), q.Int(1), q.Text(2), q.OptInt(3), q.Text(4),
                     q.Text(5), q.Text(6), q.Text(7)});
    }
    return out;
  }

  Status InsertAdminToken(const crypto::Hash& token_hash, std::string_view name,
                          UnixSeconds at) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("INSERT INTO admin_tokens(token_hash, name, "
                         "created_at) VALUES (?1, ?2, ?3)"));
    q.Bind(1, token_hash).Bind(2, name).Bind(3, at);
    return q.Run();
  }

  Result<bool> AdminTokenExists(const crypto::Hash& token_hash) override {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("SELECT 1 FROM admin_tokens WHERE token_hash = ?1"));
    q.Bind(1, token_hash);
    return q.Step();
  }

  Result<std::int64_t> CountAdminTokens() override {
    LICENTIA_ASSIGN_OR_RETURN(Query q,
                              Prepare("SELECT COUNT(*) FROM admin_tokens"));
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

 private:
  Status LoadVersions(ProductRow& p) {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, Prepare("SELECT version FROM product_versions WHERE "
                         "product_id = ?1 ORDER BY created_at, version"));
    q.Bind(1, p.id);
    while (true) {
      LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      p.versions.push_back(q.Text(0));
    }
    return Status::Ok();
  }

  static Result<std::optional<CodeRow>> OneCode(Query& q) {
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<CodeRow>();
    return std::optional<CodeRow>(ReadCode(q));
  }

  SqliteTransaction(Connection* conn, const ConnectionSource* source,
                    ReadCache* cache, TouchedKeys* touched, KeySerials* serials,
                    bool begun)
      : conn_(conn),
        source_(source),
        cache_(cache),
        touched_(touched),
        serials_(serials),
        begun_(begun) {}

  // Every statement goes through here: a read transaction starts on the
  // first one, after taking the cache stamp (see read_cache.h).
  Result<Query> Prepare(const char* sql) {
    if (!begun_) {
      if (cache_) stamp_ = cache_->Epoch();
      if (conn_ == nullptr) {
        LICENTIA_ASSIGN_OR_RETURN(conn_, (*source_)());
      }
      LICENTIA_ASSIGN_OR_RETURN(Query begin, conn_->Prepare("BEGIN"));
      LICENTIA_RETURN_IF_ERROR(begin.Run());
      begun_ = true;
    }
    return conn_->Prepare(sql);
  }

  Result<std::optional<CodeRow>> CacheCode(Result<std::optional<CodeRow>> r) {
    if (cache_ && r.ok() && r->has_value()) cache_->PutCode(**r, stamp_);
    return r;
  }

  void Touch(std::int64_t code_id) {
    if (touched_) touched_->codes.push_back(code_id);
  }
  void TouchDevice(const crypto::Hash& device) {
    if (touched_) touched_->devices.push_back(device);
  }

  Connection* conn_;                      // reads: null until needed
  const ConnectionSource* const source_;  // reads only
  ReadCache* const cache_;                // reads only; may be null
  TouchedKeys* const touched_;            // writes only
  KeySerials* const serials_;             // writes only
  bool begun_;
  std::uint64_t stamp_ = 0;  // the cache epoch before this read began
};

// A write waiting for the writer thread.
struct PendingWrite {
  TransactionFn fn;
  DoneFn done;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options)
      : options_(std::move(options)),
        cache_(options_.read_cache_entries > 0
                   ? std::make_unique<ReadCache>(options_.read_cache_entries)
                   : nullptr) {}

  ~SqliteStore() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.SignalAll();
    checkpoint_cv_.SignalAll();
    if (writer_.joinable()) writer_.join();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  Status Init() {
    // The writer's connection hands each commit's WAL frames to the kernel
    // in one write (wal_write_buffer.h).
    LICENTIA_RETURN_IF_ERROR(RegisterWalWriteBufferVfs());
    LICENTIA_ASSIGN_OR_RETURN(
        writer_conn_,
        Connection::Open(options_.path, false, kWalWriteBufferVfs));
    // WAL lets readers run beside the writer. synchronous=FULL makes SQLite
    // sync the WAL at each COMMIT, before it publishes the commit; on the
    // buffering VFS that sync writes the buffered frames out and does not
    // fsync. The WalSyncer does, before any write is answered (see
    // wal_syncer.h), so every answer is still durable.
    LICENTIA_RETURN_IF_ERROR(
        writer_conn_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                           "PRAGMA foreign_keys=ON;"));
    LICENTIA_RETURN_IF_ERROR(Migrate(*writer_conn_));
    // Migrations committed without a sync of their own: make them durable
    // before serving.
    LICENTIA_ASSIGN_OR_RETURN(syncer_, WalSyncer::Open(options_.path + "-wal"));
    LICENTIA_RETURN_IF_ERROR(syncer_->Sync());
    // Checkpoints copy the WAL back into the database and fsync it. Run
    // inside a commit (SQLite's default) they stall every write waiting on
    // the single writer; a checkpointer thread on its own connection does
    // them beside the writes instead (PASSIVE: never blocks readers or the
    // writer), so the writer's connection never checkpoints.
    LICENTIA_RETURN_IF_ERROR(writer_conn_->Exec(
        "PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864;"));
    sqlite3_wal_hook(writer_conn_->raw(), &SqliteStore::OnWalCommit, this);
    LICENTIA_ASSIGN_OR_RETURN(checkpoint_conn_,
                              Connection::Open(options_.path, false));
    // FULL: a checkpoint syncs the WAL before copying it into the database
    // and the database before the WAL may be reused.
    LICENTIA_RETURN_IF_ERROR(
        checkpoint_conn_->Exec("PRAGMA synchronous=FULL;"));
    LICENTIA_ASSIGN_OR_RETURN(checkpoint_write_back_,
                              PageWriteBack::Open(options_.path));
    writer_ = std::thread([this] { WriterLoop(); });
    checkpointer_ = std::thread([this] { CheckpointLoop(); });
    return Status::Ok();
  }

  void WriteAsync(TransactionFn fn, DoneFn done) override {
    {
      MutexLock lock(mu_);
      if (!stopping_) {
        queue_.push_back({std::move(fn), std::move(done)});
        if (queue_.size() == 1) cv_.Signal();
        return;
      }
    }
    done(Status(ErrorCode::kUnavailable, "The store is shutting down."));
  }

  Status Read(const TransactionFn& fn) override {
    std::unique_ptr<Connection> conn;
    ConnectionSource source = [&]() -> Result<Connection*> {
      LICENTIA_ASSIGN_OR_RETURN(conn, AcquireReader());
      return conn.get();
    };
    SqliteTransaction txn = SqliteTransaction::ForRead(source, cache_.get());
    Status st = fn(txn);
    if (txn.begun()) {
      Status end = Control(*conn, "COMMIT");
      if (st.ok()) st = end;
    }
    if (conn) ReleaseReader(std::move(conn));
    return st;
  }

  Status WriteHealth() const override { return syncer_->Health(); }

  Stats GetStats() const override {
    Stats stats;
    {
      MutexLock lock(mu_);
      stats = stats_;
    }
    stats.commits = syncer_->syncs();
    return stats;
  }

 private:
  Result<std::unique_ptr<Connection>> AcquireReader() {
    {
      MutexLock lock(readers_mu_);
      if (!readers_.empty()) {
        auto conn = std::move(readers_.back());
        readers_.pop_back();
        return conn;
      }
    }
    LICENTIA_ASSIGN_OR_RETURN(auto conn, Connection::Open(options_.path, true));
    return conn;
  }

  void ReleaseReader(std::unique_ptr<Connection> conn) {
    MutexLock lock(readers_mu_);
    if (static_cast<int>(readers_.size()) < options_.read_connections) {
      readers_.push_back(std::move(conn));
    }
  }

  // Transaction control through cached prepared statements: these run for
  // every request, and re-parsing them each time is measurable.
  static Status Control(Connection& conn, const char* sql) {
    LICENTIA_ASSIGN_OR_RETURN(Query q, conn.Prepare(sql));
    return q.Run();
  }

  // Runs each write of `batch` in the open transaction, its result in
  // `results`. Without savepoints, returns false as soon as a write fails
  // after changing the database (the caller must roll back and run the
  // batch again with savepoints); with them, always true.
  bool RunWrites(Connection& conn, std::vector<PendingWrite>& batch,
                 std::vector<Status>& results, bool savepoints) {
    for (size_t i = 0; i < batch.size(); ++i) {
      SqliteTransaction txn =
          SqliteTransaction::ForWrite(conn, &touched_, &serials_);
      if (!savepoints) {
        std::int64_t changes = sqlite3_total_changes64(conn.raw());
        Status st = batch[i].fn(txn);
        if (!st.ok() && sqlite3_total_changes64(conn.raw()) != changes) {
          return false;
        }
        results[i] = std::move(st);
        continue;
      }
      Status st = Control(conn, "SAVEPOINT w");
      if (st.ok()) {
        st = batch[i].fn(txn);
        if (st.ok()) st = Control(conn, "RELEASE w");
        if (!st.ok()) {
          (void)Control(conn, "ROLLBACK TO w");
          (void)Control(conn, "RELEASE w");
        }
      }
      results[i] = std::move(st);
    }
    return true;
  }

  // Writes the serial counter back if this batch advanced it.
  Status SaveKeySerial(Connection& conn) {
    if (!serials_.dirty) return Status::Ok();
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, conn.Prepare("UPDATE counters SET value = ?1 WHERE name = "
                              "'key_serial'"));
    q.Bind(1, static_cast<std::int64_t>(serials_.last));
    LICENTIA_RETURN_IF_ERROR(q.Run());
    // Also after a failed COMMIT: the next batch then writes a higher value
    // and the serials of this one are never used.
    serials_.dirty = false;
    return Status::Ok();
  }

  // SQLite calls this after each commit on the writer's connection with the
  // number of frames now in the WAL.
  static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    // Shorter than after the last commit: this one began the WAL again.
    if (frames < store->writer_wal_frames_) store->writer_wal_restarts_ += 1;
    store->writer_wal_frames_ = frames;
    return SQLITE_OK;
  }

  // Checkpoints when the WAL has grown to options_.checkpoint_frames frames
  // and the writer has committed since the last checkpoint and finished it
  // (FinishCheckpoint): starting another before that would hold the
  // checkpoint lock the writer needs to complete the previous one, and the
  // WAL would never restart. Each checkpoint ends with a few fsyncs on the
  // writer, which hold up every write in flight: fewer, larger checkpoints
  // hold them up less often, and a WAL bounded in bytes (rather than in
  // commits) stays the same size whatever a commit writes.
  void CheckpointLoop() {
    SetCurrentThreadName("lic-checkpoint");
    std::uint64_t done_at = 0;
    while (true) {
      {
        MutexLock lock(mu_);
        while (!stopping_ && !(wal_frames_ >= options_.checkpoint_frames &&
                               batches_ != done_at &&
                               finished_checkpoints_ == stats_.checkpoints)) {
          checkpoint_cv_.Wait(mu_);
        }
        if (stopping_) return;
        done_at = batches_;
      }
      int log = 0, copied = 0;
      int rc =
          sqlite3_wal_checkpoint_v2(checkpoint_conn_->raw(), nullptr,
                                    SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      // SQLite syncs the database only in the pass that reaches the end of
      // the WAL, which under load is the writer's (FinishCheckpoint): write
      // back the pages copied here now, so that its sync, which holds up
      // every write in flight, has only its own few (page_write_back.h).
      // An error here is also the error of that sync, which reports it.
      if (rc == SQLITE_OK && copied > 0) (void)checkpoint_write_back_->Run();
      MutexLock lock(mu_);
      if (rc == SQLITE_OK) stats_.checkpoints += 1;
    }
  }

  // After the checkpointer has copied most of the WAL, the writer copies the
  // few frames appended meanwhile (cheap), so the checkpoint is complete
  // and the next commit starts the WAL from its beginning again instead of
  // growing it. Runs on the writer thread, between batches.
  void FinishCheckpoint() {
    std::uint64_t done;
    {
      MutexLock lock(mu_);
      done = stats_.checkpoints;
    }
    if (done == writer_seen_checkpoints_) return;
    writer_seen_checkpoints_ = done;
    int log = 0, copied = 0;
    (void)sqlite3_wal_checkpoint_v2(writer_conn_->raw(), nullptr,
                                    SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    MutexLock lock(mu_);
    finished_checkpoints_ = done;
    // The WAL restarts at the next commit, whose length then tells the
    // checkpointer whether a new checkpoint is due. With the length of the
    // last commit left here, it started one at once, beside that commit:
    // the WAL, found busy, did not restart, and every checkpoint took two
    // rounds (two syncs of the database on this thread).
    wal_frames_ = 0;
    checkpoint_cv_.Signal();
  }

  void WriterLoop() {
    SetCurrentThreadName("lic-writer");
    std::vector<PendingWrite> batch;
    while (true) {
      {
        MutexLock lock(mu_);
        while (!stopping_ && queue_.empty()) cv_.Wait(mu_);
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() &&
               static_cast<int>(batch.size()) < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      RunBatch(batch);
      batch.clear();
      FinishCheckpoint();
    }
  }

  // One BEGIN IMMEDIATE ... COMMIT around every write in `batch`. A write
  // whose function fails must leave no trace while the others commit.
  // Nearly every failure is a refusal decided before anything is written,
  // so the writes run without savepoints (two statements each); if one
  // fails after changing the database, the batch starts over with each
  // write in its own savepoint, where it can be rolled back alone (store.h:
  // transaction functions may run more than once). The answers go out
  // once the commit is on disk (WalSyncer), after the store's after-writes
  // hook (store.h).
  void RunBatch(std::vector<PendingWrite>& batch) {
    std::vector<Status> results(batch.size());
    // The whole batch's fate: committed and synced, or the error that
    // answers every write in it.
    Status batch_status = CommitBatch(batch, results);
    // The batch's frames head for the disk while its keys are signed.
    if (batch_status.ok()) syncer_->StartWriteBack();
    AfterWrites();
    if (batch_status.ok()) batch_status = syncer_->Sync();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(batch_status.ok() ? std::move(results[i]) : batch_status);
    }
  }

  // RunBatch's transaction: OK with each write's own result in `results`
  // once the batch is committed (not yet synced), or the error that kept
  // the whole batch from committing.
  Status CommitBatch(std::vector<PendingWrite>& batch,
                     std::vector<Status>& results) {
    Connection& conn = *writer_conn_;
    LICENTIA_RETURN_IF_ERROR(Control(conn, "BEGIN IMMEDIATE"));
    if (!RunWrites(conn, batch, results, /*savepoints=*/false)) {
      Status again = Control(conn, "ROLLBACK");
      if (again.ok()) again = Control(conn, "BEGIN IMMEDIATE");
      LICENTIA_RETURN_IF_ERROR(again);
      (void)RunWrites(conn, batch, results, /*savepoints=*/true);
    }
    Status commit = SaveKeySerial(conn);
    if (commit.ok()) commit = Control(conn, "COMMIT");
    // Before any answer of this batch goes out (read_cache.h). Also after a
    // failed commit: dropping entries is always safe.
    if (cache_) cache_->Invalidate(touched_);
    touched_.Clear();
    if (!commit.ok()) {
      (void)conn.Exec("ROLLBACK");
      return commit;
    }
    MutexLock lock(mu_);
    batches_ += 1;
    stats_.transactions += static_cast<std::uint64_t>(
        std::count_if(results.begin(), results.end(),
                      [](const Status& st) { return st.ok(); }));
    wal_frames_ = writer_wal_frames_;
    stats_.wal_restarts = writer_wal_restarts_;
    if (wal_frames_ >= options_.checkpoint_frames) {
      checkpoint_cv_.Signal();
    }
    return Status::Ok();
  }

  const SqliteOptions options_;
  std::unique_ptr<Connection> writer_conn_;  // used only by writer_
  std::thread writer_;
  std::uint64_t writer_seen_checkpoints_ = 0;    // used only by writer_
  TouchedKeys touched_;                          // used only by writer_
  KeySerials serials_;                           // used only by writer_
  const std::unique_ptr<ReadCache> cache_;       // null when disabled
  std::unique_ptr<Connection> checkpoint_conn_;  // used only by checkpointer_
  std::unique_ptr<PageWriteBack> checkpoint_write_back_;  // checkpointer_
  std::thread checkpointer_;
  CondVar checkpoint_cv_;              // with mu_
  std::unique_ptr<WalSyncer> syncer_;  // set in Init; used by writer_

  mutable Mutex mu_;
  CondVar cv_;  // with mu_
  std::deque<PendingWrite> queue_ GUARDED_BY(mu_);
  // Its own lock: reads must not wait while the writer takes its queue.
  Mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_ GUARDED_BY(readers_mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  Stats stats_ GUARDED_BY(mu_);
  // COMMITs on the writer.
  std::uint64_t batches_ GUARDED_BY(mu_) = 0;
  // WAL frames after the last COMMIT.
  int wal_frames_ GUARDED_BY(mu_) = 0;
  // Checkpoints the writer finished.
  std::uint64_t finished_checkpoints_ GUARDED_BY(mu_) = 0;
  int writer_wal_frames_ = 0;  // set by OnWalCommit; used only by writer_
  std::uint64_t writer_wal_restarts_ = 0;  // likewise
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  LICENTIA_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace licentia::store::sqlite
