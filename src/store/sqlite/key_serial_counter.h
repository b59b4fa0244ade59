// Key serials on SQLite: the counter row as the single writer holds it,
// read once, advanced in memory and written back once per batch of writes
// (an UPDATE ... RETURNING per activation cost ~5 us on the writer). A
// serial taken by a write that is then rolled back is skipped.
//
// Thread safety: used only by the writer thread.
#ifndef LICENTIA_STORE_SQLITE_KEY_SERIAL_COUNTER_H_
#define LICENTIA_STORE_SQLITE_KEY_SERIAL_COUNTER_H_

#include <cstdint>

#include "store/sql_transaction.h"

namespace licentia::store::sqlite {

class KeySerialCounter final : public KeySerialSource {
 public:
  Result<std::uint64_t> Next(SqlSession& session) override;

  // Writes the counter back if this batch advanced it. REQUIRES: in the
  // batch's transaction, before its COMMIT. Called after a failed COMMIT
  // too, the next batch writes a higher value and the serials of this one
  // are never used.
  Status Save(SqlSession& session);

 private:
  bool loaded_ = false;
  bool dirty_ = false;  // last_ is ahead of the row in this transaction
  std::uint64_t last_ = 0;
};

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_KEY_SERIAL_COUNTER_H_
