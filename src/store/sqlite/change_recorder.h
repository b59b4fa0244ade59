// Records, as read-cache keys (read_cache.h), every row the writer's
// connection changes in the tables the cache holds rows of: a code (by
// id), a code's activations (by the code's id) and a device's reserves (by
// the device's hash). Separately, for the change feed (store.h), the
// changes a device is told of: a code's state or terms
// (kCodeColumnsDevicesSee), a seat freed or deleted, any reserve change;
// not a new seat, a seat count or a seen-at time.
//
// SQLite reports each change itself (its pre-update hook, called for every
// row a statement inserts, updates or deletes, triggers included), so the
// store's methods have nothing to remember: a write that changes a cached
// row cannot forget to invalidate it. Changes later rolled back are
// recorded too; dropping a cache entry is always safe.
#ifndef LICENTIA_STORE_SQLITE_CHANGE_RECORDER_H_
#define LICENTIA_STORE_SQLITE_CHANGE_RECORDER_H_

#include <memory>
#include <vector>

#include "core/status.h"
#include "store/read_cache.h"
#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {

class ChangeRecorder {
 public:
  // Records the changes made through `conn` into `keys` from now on, until
  // the recorder is destroyed. kInternal if this SQLite was built without
  // its pre-update hook (SQLITE_ENABLE_PREUPDATE_HOOK; Debian's has it) or
  // the schema lacks a column the recorder reads. REQUIRES: `conn` and
  // `keys` outlive the recorder; the schema is migrated; `keys` is used
  // only on the thread that uses `conn`.
  // `shown` (may be null) gets the changes devices are told of.
  static Result<std::unique_ptr<ChangeRecorder>> Attach(
      Connection& conn, ChangedKeys& keys, ChangedKeys* shown = nullptr);
  ~ChangeRecorder();
  ChangeRecorder(const ChangeRecorder&) = delete;

  // Also sets `*changed` to true whenever a statement changes a row of
  // `table` (while it runs: a later statement of the same transaction sees
  // it). REQUIRES: `table` and `changed` outlive the recorder; `changed`
  // is used only on the connection's thread.
  void WatchTable(const char* table, bool* changed) {
    watched_table_ = table;
    watched_changed_ = changed;
  }
  ChangeRecorder& operator=(const ChangeRecorder&) = delete;

 private:
  ChangeRecorder(Connection& conn, ChangedKeys& keys, ChangedKeys* shown)
      : conn_(conn), keys_(keys), shown_(shown) {}
  // Whether the update under way changes column `col`.
  static bool Changes(sqlite3* db, int col);
  void RecordForCache(sqlite3* db, int op, const char* table,
                      sqlite3_int64 old_rowid, sqlite3_int64 new_rowid);
  void RecordShown(sqlite3* db, int op, const char* table,
                   sqlite3_int64 old_rowid);
  // The devices of the reserve row being changed, before and after.
  // The device hashes (column `col`) of a changed row, before and after.
  static void ChangedDevices(sqlite3* db, int op, int col, ChangedKeys& into);
  static void OnChange(void* self, sqlite3* db, int op, const char* db_name,
                       const char* table, sqlite3_int64 old_rowid,
                       sqlite3_int64 new_rowid);

  Connection& conn_;
  ChangedKeys& keys_;
  ChangedKeys* const shown_;
  int activation_code_id_col_ = -1;      // activations.code_id
  int reserve_device_col_ = -1;          // reserves.device_hash
  int action_device_col_ = -1;           // device_actions.device_hash
  int activation_freed_col_ = -1;        // activations.deactivated_at
  std::vector<int> code_shown_cols_;     // kCodeColumnsDevicesSee
  const char* watched_table_ = nullptr;  // WatchTable
  bool* watched_changed_ = nullptr;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_CHANGE_RECORDER_H_
