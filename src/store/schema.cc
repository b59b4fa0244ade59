#include "store/schema.h"

#include <fmt/format.h>

#include <array>

namespace licentia::store {
namespace {

// The schema's versions, each dialect's DDL side by side. A version is
// applied once, in order, in a transaction of its own, and recorded in
// schema_migrations; one number means the same schema on every backend.
// Versions are only ever appended.
constexpr Migration kMigrations[] = {
    // 1: The initial schema.
    {.sqlite = R"sql(
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
     .postgres = R"sql(
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
)sql"},
    // 2: Each code keeps a running count of its active seats, so reading a code
    // costs the same whatever its number of seats (counting them added
    // ~0.3 ms per 3,000 seats to each status and activation on SQLite's
    // single writer). Kept by triggers here; migration 4 moves the count to
    // the store (sql_transaction.h).
    {.sqlite = R"sql(
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
     .postgres = R"sql(
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
)sql"},
    // 3: One index on a code's activations instead of two. The expression is 1
    // for an active seat and NULL once it is freed, and NULLs never collide
    // in a unique index: a device holds at most one active seat of a code,
    // with any number of freed ones behind it. The same index serves
    // listing a code's activations (its first column), so an activation
    // writes one index entry fewer. (PostgreSQL got this in version 3 of
    // the one schema; before, it kept the two indexes.)
    {.sqlite = R"sql(
CREATE UNIQUE INDEX activations_seats ON activations(code_id, device_hash,
  (CASE WHEN deactivated_at IS NULL THEN 1 END));
DROP INDEX activations_one_seat_per_device;
DROP INDEX activations_by_code;
)sql",
     .postgres = R"sql(
CREATE UNIQUE INDEX activations_seats ON activations(code_id, device_hash,
  (CASE WHEN deactivated_at IS NULL THEN 1 END));
DROP INDEX activations_one_seat_per_device;
DROP INDEX activations_by_code;
)sql"},
    // 4: The seat count is kept by the store's two statements that take and
    // free seats (sql_transaction.h), on every backend, instead of
    // triggers: with a trigger, SQLite keeps a statement journal for every
    // activation's insert (~4% of an activation's instructions, all on its
    // single writer), and one rule is kept one way.
    {.sqlite = R"sql(
DROP TRIGGER activations_take_seat;
DROP TRIGGER activations_free_seat;
DROP TRIGGER activations_retake_seat;
DROP TRIGGER activations_delete_seat;
)sql",
     .postgres = R"sql(
DROP TRIGGER activations_seats ON activations;
DROP FUNCTION activations_count_seats();
)sql"},
    // 5: the change feed (Store::SetChangeListener). SQLite's writer
    // reports its changes itself (sqlite/change_recorder.h); PostgreSQL's
    // come from every instance, so the database announces them: a NOTIFY
    // on licentia_changes, sent when the transaction commits (identical
    // ones in one transaction are sent once). Only the changes a device's
    // answers show: not a new seat, a seat count or a seen-at time, so the
    // activation path sends none.
    {.sqlite = "-- nothing: see sqlite/change_recorder.h", .postgres = R"sql(
CREATE FUNCTION licentia_notify_change() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'reserves' THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM pg_notify('licentia_changes',
                        'd' || encode(OLD.device_hash, 'hex'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM pg_notify('licentia_changes',
                        'd' || encode(NEW.device_hash, 'hex'));
    END IF;
  ELSIF TG_TABLE_NAME = 'activations' THEN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('licentia_changes', 'c' || OLD.code_id);
    ELSE
      PERFORM pg_notify('licentia_changes', 'c' || NEW.code_id);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('licentia_changes', 'c' || OLD.id);
  ELSE
    PERFORM pg_notify('licentia_changes', 'c' || NEW.id);
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER codes_changes AFTER UPDATE OF blocked, blocked_reason,
  max_devices, activate_by, compatible_versions, term_days, license_type,
  edition, features OR DELETE ON codes
  FOR EACH ROW EXECUTE FUNCTION licentia_notify_change();
CREATE TRIGGER activations_changes AFTER UPDATE OF deactivated_at OR DELETE
  ON activations FOR EACH ROW EXECUTE FUNCTION licentia_notify_change();
CREATE TRIGGER reserves_changes AFTER INSERT OR UPDATE OR DELETE ON reserves
  FOR EACH ROW EXECUTE FUNCTION licentia_notify_change();
)sql"},
    // 6: offline rollover, offered per batch: how many days before a
    // device's license ends this code, as its reserve, may be prepared
    // (0: never). Issued terms do not change, so the change feed needs no
    // word of it.
    {.sqlite = "ALTER TABLE codes ADD COLUMN prepare_days INTEGER NOT NULL "
               "DEFAULT 0;",
     .postgres =
         "ALTER TABLE codes ADD COLUMN prepare_days INTEGER NOT NULL DEFAULT "
         "0;"},
    // 7: offline activation by file: each device request is answered once.
    {.sqlite = R"sql(
CREATE TABLE offline_requests (
  request_id BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  code_id INTEGER NOT NULL REFERENCES codes(id),
  device_hash BLOB NOT NULL,
  answered_at INTEGER NOT NULL
);
)sql",
     .postgres = R"sql(
CREATE TABLE offline_requests (
  request_id BYTEA PRIMARY KEY,
  kind TEXT NOT NULL,
  code_id BIGINT NOT NULL REFERENCES codes(id),
  device_hash BYTEA NOT NULL,
  answered_at BIGINT NOT NULL
);
)sql"},
    // 8: the license owners' side (the management console): accounts and
    // their sessions, one-time device connection codes, devices connected
    // to an account, and the codes an account holds - as the license
    // administrator (with the code sealed under the data directory's key,
    // docs/console.md) or as an invited member. A device's activations are
    // found by its hash for the console's device pages; the index holds
    // active seats only. Ids name devices in the console's addresses, so
    // SQLite never reuses one (AUTOINCREMENT), as PostgreSQL's sequences
    // never do.
    {.sqlite = R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);
CREATE TABLE account_sessions (
  token_hash BLOB PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX account_sessions_by_account ON account_sessions(account_id);
CREATE TABLE connect_codes (
  code_hash BLOB PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE device_connections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_hash BLOB NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  token_hash BLOB NOT NULL,
  device_name TEXT NOT NULL,
  os TEXT NOT NULL,
  app_version TEXT NOT NULL,
  connected_at INTEGER NOT NULL,
  last_contact_at INTEGER NOT NULL
);
CREATE INDEX device_connections_by_account
  ON device_connections(account_id, id);
CREATE TABLE account_codes (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  code_id INTEGER NOT NULL REFERENCES codes(id),
  role TEXT NOT NULL,
  sealed_code TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, code_id)
);
CREATE INDEX account_codes_by_code ON account_codes(code_id);
CREATE INDEX activations_by_device ON activations(device_hash, code_id)
  WHERE deactivated_at IS NULL;
)sql",
     .postgres = R"sql(
CREATE TABLE accounts (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  password_changed_at BIGINT NOT NULL
);
CREATE TABLE account_sessions (
  token_hash BYTEA PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX account_sessions_by_account ON account_sessions(account_id);
CREATE TABLE connect_codes (
  code_hash BYTEA PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE TABLE device_connections (
  id BIGSERIAL PRIMARY KEY,
  device_hash BYTEA NOT NULL UNIQUE,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  token_hash BYTEA NOT NULL,
  device_name TEXT NOT NULL,
  os TEXT NOT NULL,
  app_version TEXT NOT NULL,
  connected_at BIGINT NOT NULL,
  last_contact_at BIGINT NOT NULL
);
CREATE INDEX device_connections_by_account
  ON device_connections(account_id, id);
CREATE TABLE account_codes (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  code_id BIGINT NOT NULL REFERENCES codes(id),
  role TEXT NOT NULL,
  sealed_code TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, code_id)
);
CREATE INDEX account_codes_by_code ON account_codes(code_id);
CREATE INDEX activations_by_device ON activations(device_hash, code_id)
  WHERE deactivated_at IS NULL;
)sql"},
    // 9: invitations to use a code, from its license administrator to
    // another account (by email address); accepted, they make that account
    // a member holding the code.
    {.sqlite = R"sql(
CREATE TABLE invitations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code_id INTEGER NOT NULL REFERENCES codes(id),
  inviter_account_id INTEGER NOT NULL REFERENCES accounts(id),
  email TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decided_at INTEGER
);
CREATE INDEX invitations_by_code ON invitations(code_id, id);
CREATE INDEX invitations_by_email ON invitations(email, id);
)sql",
     .postgres = R"sql(
CREATE TABLE invitations (
  id BIGSERIAL PRIMARY KEY,
  code_id BIGINT NOT NULL REFERENCES codes(id),
  inviter_account_id BIGINT NOT NULL REFERENCES accounts(id),
  email TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  decided_at BIGINT
);
CREATE INDEX invitations_by_code ON invitations(code_id, id);
CREATE INDEX invitations_by_email ON invitations(email, id);
)sql"},
    // 10: actions taken in the console for a connected device (send a
    // license, set or remove its reserve), carried out by the device at
    // its next contact, with their results. A new or finished action is
    // news to a waiting device, as a reserve change is: PostgreSQL's
    // change feed names its device.
    {.sqlite = R"sql(
CREATE TABLE device_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_hash BLOB NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  code_id INTEGER REFERENCES codes(id),
  state TEXT NOT NULL,
  error_code TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX device_actions_by_device ON device_actions(device_hash, id);
)sql",
     .postgres = R"sql(
CREATE TABLE device_actions (
  id BIGSERIAL PRIMARY KEY,
  device_hash BYTEA NOT NULL,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  code_id BIGINT REFERENCES codes(id),
  state TEXT NOT NULL,
  error_code TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  done_at BIGINT
);
CREATE INDEX device_actions_by_device ON device_actions(device_hash, id);
CREATE OR REPLACE FUNCTION licentia_notify_change() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME IN ('reserves', 'device_actions') THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM pg_notify('licentia_changes',
                        'd' || encode(OLD.device_hash, 'hex'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM pg_notify('licentia_changes',
                        'd' || encode(NEW.device_hash, 'hex'));
    END IF;
  ELSIF TG_TABLE_NAME = 'activations' THEN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('licentia_changes', 'c' || OLD.code_id);
    ELSE
      PERFORM pg_notify('licentia_changes', 'c' || NEW.code_id);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('licentia_changes', 'c' || OLD.id);
  ELSE
    PERFORM pg_notify('licentia_changes', 'c' || NEW.id);
  END IF;
  RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER device_actions_changes AFTER INSERT OR UPDATE OR DELETE
  ON device_actions FOR EACH ROW EXECUTE FUNCTION licentia_notify_change();
)sql"},
    // 11: the console's optional second sign-in factor: an account's TOTP
    // secret (sealed, server/totp.h), the one being set up until it is
    // confirmed, the last step used (a code is good once), and the hashes
    // of its one-time recovery codes.
    {.sqlite = R"sql(
ALTER TABLE accounts ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  code_hash BLOB NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (account_id, code_hash)
);
)sql",
     .postgres = R"sql(
ALTER TABLE accounts ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  code_hash BYTEA NOT NULL,
  used_at BIGINT,
  PRIMARY KEY (account_id, code_hash)
);
)sql"},
    // 12: the codes a connected device uses, as it reports them (when it
    // connects, and with each activation while connected), in place of
    // version 8's index of every device's seats: that index took a write
    // at a random place in a large tree with every activation, and cost
    // the activation path a fifth of its rate (docs/performance.md,
    // change 42). Devices that never connect pay nothing now.
    {.sqlite = R"sql(
DROP INDEX activations_by_device;
CREATE TABLE device_codes (
  device_hash BLOB NOT NULL,
  code_id INTEGER NOT NULL REFERENCES codes(id),
  PRIMARY KEY (device_hash, code_id)
);
)sql",
     .postgres = R"sql(
DROP INDEX activations_by_device;
CREATE TABLE device_codes (
  device_hash BYTEA NOT NULL,
  code_id BIGINT NOT NULL REFERENCES codes(id),
  PRIMARY KEY (device_hash, code_id)
);
)sql"},
    // 13: who freed a seat other than its device - the vendor ("vendor")
    // or the license's owner in the console ("owner") - and why, so that
    // the device, proving it held the seat, is told so (SEAT_RELEASED).
    {.sqlite = R"sql(
ALTER TABLE activations ADD COLUMN released_by TEXT NOT NULL DEFAULT '';
ALTER TABLE activations ADD COLUMN release_reason TEXT NOT NULL DEFAULT '';
)sql",
     .postgres = R"sql(
ALTER TABLE activations ADD COLUMN released_by TEXT NOT NULL DEFAULT '';
ALTER TABLE activations ADD COLUMN release_reason TEXT NOT NULL DEFAULT '';
)sql"},
    // 14: subscriptions that renew and pause, and heartbeats: the end a
    // renewal set, a suspension and its reason, the grace after a missed
    // renewal and the days a device may stay away before its seat is
    // freed. The change feed now also follows the end and the suspension
    // (kCodeColumnsDevicesSee). Few codes have heartbeats: the sweep reads
    // them by their own index.
    {.sqlite = R"sql(
ALTER TABLE codes ADD COLUMN ends_at INTEGER;
ALTER TABLE codes ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE codes ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN heartbeat_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX codes_with_heartbeat ON codes(id) WHERE heartbeat_days > 0;
)sql",
     .postgres = R"sql(
ALTER TABLE codes ADD COLUMN ends_at BIGINT;
ALTER TABLE codes ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE codes ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE codes ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN heartbeat_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX codes_with_heartbeat ON codes(id) WHERE heartbeat_days > 0;
DROP TRIGGER codes_changes ON codes;
CREATE TRIGGER codes_changes AFTER UPDATE OF blocked, blocked_reason,
  max_devices, activate_by, compatible_versions, term_days, license_type,
  edition, features, ends_at, suspended, suspended_reason OR DELETE ON codes
  FOR EACH ROW EXECUTE FUNCTION licentia_notify_change();
)sql"},
    // 15: admin tokens with scopes (server/admin_scopes.h), their last use
    // and revocation; each event names the token that acted. Tokens made
    // before hold every scope, as they could do everything.
    {.sqlite = R"sql(
ALTER TABLE admin_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'full';
ALTER TABLE admin_tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE admin_tokens ADD COLUMN revoked_at INTEGER;
ALTER TABLE events ADD COLUMN token_id INTEGER;
)sql",
     .postgres = R"sql(
ALTER TABLE admin_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'full';
ALTER TABLE admin_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE admin_tokens ADD COLUMN revoked_at BIGINT;
ALTER TABLE events ADD COLUMN token_id BIGINT;
)sql"},
    // 16: webhooks. Endpoints with the event types they want (" a b " with
    // spaces around each, or " * ") and their signing secret, sealed; the
    // outbox of deliveries, written in the transaction of the event they
    // carry, and worked off by the dispatcher (server/webhook_dispatcher.h)
    // through the index of what is due.
    {.sqlite = R"sql(
CREATE TABLE webhook_endpoints (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT NOT NULL,
  sealed_secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
);
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id),
  event_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  delivered_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state,
  next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(
  endpoint_id, id);
)sql",
     .postgres = R"sql(
CREATE TABLE webhook_endpoints (
  id BIGSERIAL PRIMARY KEY,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  description TEXT NOT NULL,
  sealed_secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  disabled_at BIGINT
);
CREATE TABLE webhook_deliveries (
  id BIGSERIAL PRIMARY KEY,
  endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id),
  event_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  last_status INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  delivered_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state,
  next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(
  endpoint_id, id);
)sql"},
};

// Instances starting together on one PostgreSQL database take turns
// migrating (any constant).
constexpr std::int64_t kMigrationLockId = 0x4c434e5301;

const SqlStatement kSchemaVersion(
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
const SqlStatement kRecordVersion(
    "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)");

Status ApplyPending(SqlSession& session, UnixSeconds now) {
  LICENTIA_RETURN_IF_ERROR(session.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY "
      "KEY, applied_at BIGINT NOT NULL)"));
  std::int64_t current = 0;
  LICENTIA_RETURN_IF_ERROR(
      session.Run(kSchemaVersion, {}, [&](const SqlRow& row) {
        current = row.Int(0);
        return Status::Ok();
      }));
  const std::int64_t latest = LatestSchemaVersion();
  if (current > latest) {
    return Status(ErrorCode::kCorruption,
                  fmt::format("The database schema is version {}, newer than "
                              "this licentiad knows ({}); upgrade licentiad.",
                              current, latest));
  }
  const bool sqlite = session.dialect() == SqlDialect::kSqlite;
  for (std::int64_t v = current + 1; v <= latest; ++v) {
    const Migration& m = kMigrations[v - 1];
    LICENTIA_RETURN_IF_ERROR(
        session.Exec(sqlite ? "BEGIN IMMEDIATE" : "BEGIN"));
    Status st = session.Exec(sqlite ? m.sqlite : m.postgres);
    if (st.ok()) st = session.Run(kRecordVersion, {v, now});
    if (st.ok()) st = session.Exec("COMMIT");
    if (!st.ok()) {
      (void)session.Exec("ROLLBACK");
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace

std::span<const Migration> SchemaMigrations() { return kMigrations; }

std::int64_t LatestSchemaVersion() {
  return static_cast<std::int64_t>(std::size(kMigrations));
}

Status MigrateSchema(SqlSession& session, UnixSeconds now) {
  if (session.dialect() == SqlDialect::kSqlite) {
    return ApplyPending(session, now);
  }
  LICENTIA_RETURN_IF_ERROR(session.Exec(
      fmt::format("SELECT pg_advisory_lock({})", kMigrationLockId)));
  Status st = ApplyPending(session, now);
  (void)session.Exec(
      fmt::format("SELECT pg_advisory_unlock({})", kMigrationLockId));
  return st;
}

}  // namespace licentia::store
