#include "store/sqlite/change_recorder.h"

#include <fmt/format.h>

#include <cstring>

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
    Connection& conn, ChangedKeys& keys) {
  if (!sqlite3_compileoption_used("ENABLE_PREUPDATE_HOOK")) {
    return Status(ErrorCode::kInternal,
                  "This SQLite library was built without its pre-update "
                  "hook (SQLITE_ENABLE_PREUPDATE_HOOK), which the read "
                  "cache needs.");
  }
  std::unique_ptr<ChangeRecorder> recorder(new ChangeRecorder(conn, keys));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->activation_code_id_col_,
      ColumnIndex(conn, "PRAGMA table_info(activations)", "code_id"));
  LICENTIA_ASSIGN_OR_RETURN(
      recorder->reserve_device_col_,
      ColumnIndex(conn, "PRAGMA table_info(reserves)", "device_hash"));
  if (recorder->activation_code_id_col_ < 0 ||
      recorder->reserve_device_col_ < 0) {
    return Status(ErrorCode::kInternal,
                  "The schema lacks a column the read cache follows.");
  }
  sqlite3_preupdate_hook(conn.raw(), &ChangeRecorder::OnChange, recorder.get());
  return recorder;
}

ChangeRecorder::~ChangeRecorder() {
  sqlite3_preupdate_hook(conn_.raw(), nullptr, nullptr);
}

void ChangeRecorder::OnChange(void* self, sqlite3* db, int op,
                              const char* db_name, const char* table,
                              sqlite3_int64 old_rowid,
                              sqlite3_int64 new_rowid) {
  auto* recorder = static_cast<ChangeRecorder*>(self);
  if (std::strcmp(db_name, "main") != 0) return;
  ChangedKeys& keys = recorder->keys_;
  // The row before the change (update, delete) and after it (insert,
  // update): an update may change the very key.
  const bool before = op != SQLITE_INSERT;
  const bool after = op != SQLITE_DELETE;
  auto value = [db](bool old_row, int col) -> sqlite3_value* {
    sqlite3_value* v = nullptr;
    int rc = old_row ? sqlite3_preupdate_old(db, col, &v)
                     : sqlite3_preupdate_new(db, col, &v);
    return rc == SQLITE_OK ? v : nullptr;
  };
  if (std::strcmp(table, "codes") == 0) {
    if (before) keys.codes.push_back(old_rowid);
    if (after) keys.codes.push_back(new_rowid);
  } else if (std::strcmp(table, "activations") == 0) {
    for (bool old_row : {true, false}) {
      if (old_row ? !before : !after) continue;
      if (sqlite3_value* v =
              value(old_row, recorder->activation_code_id_col_)) {
        keys.codes.push_back(sqlite3_value_int64(v));
      }
    }
  } else if (std::strcmp(table, "reserves") == 0) {
    for (bool old_row : {true, false}) {
      if (old_row ? !before : !after) continue;
      sqlite3_value* v = value(old_row, recorder->reserve_device_col_);
      crypto::Hash device{};
      if (v != nullptr &&
          sqlite3_value_bytes(v) == static_cast<int>(device.size())) {
        std::memcpy(device.data(), sqlite3_value_blob(v), device.size());
        keys.devices.push_back(device);
      }
    }
  }
}

}  // namespace licentia::store::sqlite
