#include "store/sqlite/sqlite_migrations.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace licentia::store::sqlite {
namespace {

constexpr std::array<std::string_view, 4> kMigrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE product_versions (
  product_id TEXT NOT NULL REFERENCES products(id),
  version TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (product_id, version)
);
CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products(id),
  count INTEGER NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE codes (
  id INTEGER PRIMARY KEY,
  code_hash BLOB NOT NULL UNIQUE,
  code_tail TEXT NOT NULL,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  edition TEXT NOT NULL,
  features TEXT NOT NULL,
  max_devices INTEGER NOT NULL,
  license_type TEXT NOT NULL,
  term_days INTEGER NOT NULL,
  activate_by INTEGER,
  compatible_versions TEXT NOT NULL,
  requires_account INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  first_activated_at INTEGER,
  blocked INTEGER NOT NULL DEFAULT 0,
  blocked_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX codes_by_product ON codes(product_id, id);
CREATE INDEX codes_by_batch ON codes(batch_id, id);
CREATE INDEX codes_by_tail ON codes(code_tail);
CREATE TABLE activations (
  id INTEGER PRIMARY KEY,
  code_id INTEGER NOT NULL REFERENCES codes(id),
  device_hash BLOB NOT NULL,
  device_name TEXT NOT NULL,
  os TEXT NOT NULL,
  app_version TEXT NOT NULL,
  token_hash BLOB NOT NULL,
  activated_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  deactivated_at INTEGER,
  key_serial INTEGER NOT NULL
);
CREATE UNIQUE INDEX activations_one_seat_per_device
  ON activations(code_id, device_hash) WHERE deactivated_at IS NULL;
CREATE INDEX activations_by_code ON activations(code_id, id);
CREATE TABLE reserves (
  device_hash BLOB NOT NULL,
  product_id TEXT NOT NULL,
  code_id INTEGER NOT NULL REFERENCES codes(id),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (device_hash, product_id)
);
CREATE INDEX reserves_by_code ON reserves(code_id);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO counters(name, value) VALUES ('key_serial', 0);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  code_id INTEGER,
  product_id TEXT NOT NULL,
  device TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX events_by_code ON events(code_id, id);
CREATE INDEX events_by_product ON events(product_id, id);
-- The event log is append-only: history cannot be rewritten.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE admin_tokens (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
    // 2: each code keeps a running count of its active seats, maintained by
    // triggers on every path that adds, frees or deletes an activation, so
    // reading a code costs the same whatever its number of seats (it used
    // to count them: 3,000 seats added ~0.3 ms to each status and to each
    // activation on the single writer).
    R"sql(
ALTER TABLE codes ADD COLUMN seats_used INTEGER NOT NULL DEFAULT 0;
UPDATE codes SET seats_used = (SELECT COUNT(*) FROM activations a
  WHERE a.code_id = codes.id AND a.deactivated_at IS NULL);
CREATE TRIGGER activations_take_seat AFTER INSERT ON activations
  WHEN NEW.deactivated_at IS NULL
BEGIN
  UPDATE codes SET seats_used = seats_used + 1 WHERE id = NEW.code_id;
END;
CREATE TRIGGER activations_free_seat AFTER UPDATE OF deactivated_at
  ON activations
  WHEN OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL
BEGIN
  UPDATE codes SET seats_used = seats_used - 1 WHERE id = NEW.code_id;
END;
CREATE TRIGGER activations_retake_seat AFTER UPDATE OF deactivated_at
  ON activations
  WHEN OLD.deactivated_at IS NOT NULL AND NEW.deactivated_at IS NULL
BEGIN
  UPDATE codes SET seats_used = seats_used + 1 WHERE id = NEW.code_id;
END;
CREATE TRIGGER activations_delete_seat AFTER DELETE ON activations
  WHEN OLD.deactivated_at IS NULL
BEGIN
  UPDATE codes SET seats_used = seats_used - 1 WHERE id = OLD.code_id;
END;
)sql",
    // 3: one index on a code's activations instead of two. The expression
    // is 1 for an active seat and NULL once it is freed, and NULLs never
    // collide in a unique index: a device holds at most one active seat of
    // a code, with any number of freed ones behind it. The same index
    // serves listing a code's activations (its first column), so an
    // activation writes one index entry fewer on the single writer.
    R"sql(
CREATE UNIQUE INDEX activations_seats ON activations(code_id, device_hash,
  (CASE WHEN deactivated_at IS NULL THEN 1 END));
DROP INDEX activations_one_seat_per_device;
DROP INDEX activations_by_code;
)sql",
    // 4: the seat count is kept by the two statements that take and free
    // seats (SqliteTransaction::InsertActivation and Deactivate) instead of
    // triggers. With a trigger, SQLite keeps a statement journal for every
    // activation's insert (a statement that writes two tables must be able
    // to undo itself alone): ~4% of an activation's instructions, all of
    // them on the single writer. Nothing else adds, frees or deletes
    // activations; the store's tests check the count on every path.
    R"sql(
DROP TRIGGER activations_take_seat;
DROP TRIGGER activations_free_seat;
DROP TRIGGER activations_retake_seat;
DROP TRIGGER activations_delete_seat;
)sql",
};

}  // namespace

Status Migrate(Connection& conn) {
  LICENTIA_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  std::int64_t current = 0;
  {
    LICENTIA_ASSIGN_OR_RETURN(
        Query q, conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM "
                              "schema_migrations"));
    LICENTIA_ASSIGN_OR_RETURN(bool has_row, q.Step());
    if (has_row) current = q.Int(0);
  }
  if (current > static_cast<std::int64_t>(kMigrations.size())) {
    return Status(ErrorCode::kCorruption,
                  fmt::format("The database schema is version {}, newer than "
                              "this licentiad knows ({}); upgrade licentiad.",
                              current, kMigrations.size()));
  }
  for (size_t v = current + 1; v <= kMigrations.size(); ++v) {
    LICENTIA_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    Status st = conn.Exec(kMigrations[v - 1]);
    if (st.ok()) {
      st =
          conn.Exec(fmt::format("INSERT INTO schema_migrations VALUES ({}, "
                                "strftime('%s','now'))",
                                v));
    }
    if (!st.ok()) {
      (void)conn.Exec("ROLLBACK");
      return st;
    }
    LICENTIA_RETURN_IF_ERROR(conn.Exec("COMMIT"));
  }
  return Status::Ok();
}

}  // namespace licentia::store::sqlite
