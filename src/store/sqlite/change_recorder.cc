#include "store/sqlite/change_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "store/schema.h"

namespace licentia::store::sqlite {
namespace {

// The position of `column` in `table`, or -1.
Result<int> ColumnIndex(Connection& conn, const char* table_info,
                        std::string_view column) {
  LICENTIA_ASSIGN_OR_RETURN(Query q, conn.Prepare(table_info));
  while (true) {
    LICENTIA_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return -1;
    if (q.Text(1) == column) return static_cast<int>(q.Int(0));
  }
}

}  // namespace

Result<std::unique_ptr<ChangeRecorder>> ChangeRecorder::Attach(
    Connection& conn, ChangedKeys& keys, ChangedKeys* shown) {
  if (!sqlite3_compileoption_used("ENABLE_PREUPDATE_HOOK")) {
    return Status(ErrorCode::kInternal,
                  "This SQLite library was built without its pre-update "
                  "hook (SQLITE_ENABLE_PREUPDATE_HOOK), which the read "
                  "cache needs.");
  }
  std::unique_ptr<ChangeRecorder> recorder(
      new ChangeRecorder(conn, keys, shown));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->activation_code_id_col_,
      ColumnIndex(conn, "PRAGMA table_info(activations)", "code_id"));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->reserve_device_col_,
      ColumnIndex(conn, "PRAGMA table_info(reserves)", "device_hash"));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->action_device_col_,
      ColumnIndex(conn, "PRAGMA table_info(device_actions)", "device_hash"));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->activation_freed_col_,
      ColumnIndex(conn, "PRAGMA table_info(activations)", "deactivated_at"));
  for (const char* name : kCodeColumnsDevicesSee) {
    LICENTIA_ASSIGN_OR_RETURN(
        int col, ColumnIndex(conn, "PRAGMA table_info(codes)", name));
    recorder->code_shown_cols_.push_back(col);
  }
  bool missing = std::find(recorder->code_shown_cols_.begin(),
                           recorder->code_shown_cols_.end(),
                           -1) != recorder->code_shown_cols_.end();
  if (missing || recorder->activation_code_id_col_ < 0 ||
      recorder->reserve_device_col_ < 0 || recorder->action_device_col_ < 0 ||
      recorder->activation_freed_col_ < 0) {
    return Status(ErrorCode::kInternal,
                  "The schema lacks a column the read cache follows.");
  }
  sqlite3_preupdate_hook(conn.raw(), &ChangeRecorder::OnChange, recorder.get());
  return recorder;
}

ChangeRecorder::~ChangeRecorder() {
  sqlite3_preupdate_hook(conn_.raw(), nullptr, nullptr);
}

bool ChangeRecorder::Changes(sqlite3* db, int col) {
  sqlite3_value* before = nullptr;
  sqlite3_value* after = nullptr;
  if (sqlite3_preupdate_old(db, col, &before) != SQLITE_OK ||
      sqlite3_preupdate_new(db, col, &after) != SQLITE_OK) {
    return true;  // cannot tell: say it changed
  }
  int type = sqlite3_value_type(before);
  if (type != sqlite3_value_type(after)) return true;
  switch (type) {
    case SQLITE_NULL:
      return false;
    case SQLITE_INTEGER:
      return sqlite3_value_int64(before) != sqlite3_value_int64(after);
    default: {
      int n = sqlite3_value_bytes(before);
      return n != sqlite3_value_bytes(after) ||
             (n > 0 && std::memcmp(sqlite3_value_blob(before),
                                   sqlite3_value_blob(after), n) != 0);
    }
  }
}

void ChangeRecorder::OnChange(void* self, sqlite3* db, int op,
                              const char* db_name, const char* table,
                              sqlite3_int64 old_rowid,
                              sqlite3_int64 new_rowid) {
  auto* recorder = static_cast<ChangeRecorder*>(self);
  if (std::strcmp(db_name, "main") != 0) return;
  if (recorder->watched_changed_ != nullptr &&
      std::strcmp(table, recorder->watched_table_) == 0) {
    *recorder->watched_changed_ = true;
  }
  recorder->RecordForCache(db, op, table, old_rowid, new_rowid);
  if (recorder->shown_ != nullptr) {
    recorder->RecordShown(db, op, table, old_rowid);
  }
}

void ChangeRecorder::RecordShown(sqlite3* db, int op, const char* table,
                                 sqlite3_int64 old_rowid) {
  ChangedKeys& shown = *shown_;
  if (std::strcmp(table, "codes") == 0) {
    // A new code: nobody holds it yet.
    if (op == SQLITE_INSERT) return;
    bool seen = op == SQLITE_DELETE;
    for (int col : code_shown_cols_) {
      if (seen) break;
      seen = Changes(db, col);
    }
    if (seen) shown.codes.push_back(old_rowid);
  } else if (std::strcmp(table, "activations") == 0) {
    // A seat freed or deleted; a new one or a refreshed one is no news.
    if (op == SQLITE_INSERT) return;
    if (op == SQLITE_UPDATE && !Changes(db, activation_freed_col_)) return;
    sqlite3_value* code = nullptr;
    if (sqlite3_preupdate_old(db, activation_code_id_col_, &code) ==
        SQLITE_OK) {
      shown.codes.push_back(sqlite3_value_int64(code));
    }
  } else if (std::strcmp(table, "reserves") == 0) {
    ChangedDevices(db, op, reserve_device_col_, shown);  // every change is
  } else if (std::strcmp(table, "device_actions") == 0) {
    // A new action for the device, or one it finished: either is news to
    // the device (and to its console).
    ChangedDevices(db, op, action_device_col_, shown);
  }
}

void ChangeRecorder::ChangedDevices(sqlite3* db, int op, int col,
                                    ChangedKeys& into) {
  // The row before the change (update, delete) and after it (insert,
  // update): an update may change the very key.
  for (bool old_row : {true, false}) {
    if (old_row ? op == SQLITE_INSERT : op == SQLITE_DELETE) continue;
    sqlite3_value* v = nullptr;
    int rc = old_row ? sqlite3_preupdate_old(db, col, &v)
                     : sqlite3_preupdate_new(db, col, &v);
    crypto::Hash device{};
    if (rc == SQLITE_OK && v != nullptr &&
        sqlite3_value_bytes(v) == static_cast<int>(device.size())) {
      std::memcpy(device.data(), sqlite3_value_blob(v), device.size());
      into.devices.push_back(device);
    }
  }
}

void ChangeRecorder::RecordForCache(sqlite3* db, int op, const char* table,
                                    sqlite3_int64 old_rowid,
                                    sqlite3_int64 new_rowid) {
  // The row before the change (update, delete) and after it (insert,
  // update): an update may change the very key.
  const bool before = op != SQLITE_INSERT;
  const bool after = op != SQLITE_DELETE;
  if (std::strcmp(table, "codes") == 0) {
    if (before) keys_.codes.push_back(old_rowid);
    if (after) keys_.codes.push_back(new_rowid);
  } else if (std::strcmp(table, "activations") == 0) {
    for (bool old_row : {true, false}) {
      if (old_row ? !before : !after) continue;
      sqlite3_value* v = nullptr;
      int rc = old_row ? sqlite3_preupdate_old(db, activation_code_id_col_, &v)
                       : sqlite3_preupdate_new(db, activation_code_id_col_, &v);
      if (rc == SQLITE_OK && v != nullptr) {
        keys_.codes.push_back(sqlite3_value_int64(v));
      }
    }
  } else if (std::strcmp(table, "reserves") == 0) {
    ChangedDevices(db, op, reserve_device_col_, keys_);
  }
}

}  // namespace licentia::store::sqlite
