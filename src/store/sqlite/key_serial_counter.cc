#include "store/sqlite/key_serial_counter.h"

namespace licentia::store::sqlite {
namespace {

const SqlStatement kLoad(
    "SELECT value FROM counters WHERE name = 'key_serial'");
const SqlStatement kSave(
    "UPDATE counters SET value = $1 WHERE name = 'key_serial'");

}  // namespace

Result<std::uint64_t> KeySerialCounter::Next(SqlSession& session) {
  if (!loaded_) {
    bool found = false;
    LICENTIA_RETURN_IF_ERROR(session.Run(kLoad, {}, [&](const SqlRow& row) {
      last_ = static_cast<std::uint64_t>(row.Int(0));
      found = true;
      return Status::Ok();
    }));
    if (!found) {
      return Status(ErrorCode::kInternal, "The key_serial counter is missing.");
    }
    loaded_ = true;
  }
  dirty_ = true;
  return ++last_;
}

Status KeySerialCounter::Save(SqlSession& session) {
  if (!dirty_) return Status::Ok();
  LICENTIA_RETURN_IF_ERROR(session.Run(kSave, {last_}));
  dirty_ = false;
  return Status::Ok();
}

}  // namespace licentia::store::sqlite
