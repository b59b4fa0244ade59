// Key serials on PostgreSQL: drawn from the key_serial sequence a block at
// a time and shared by the store's connections, so that drawing one is a
// round trip once per block instead of once per key. They stay unique
// across instances (every block comes from the sequence); the rest of a
// block is lost when the instance stops, as a rolled-back transaction's
// serial is: serials are unique, not contiguous.
//
// Thread-safe.
#ifndef LICENTIA_STORE_POSTGRES_KEY_SERIAL_BLOCKS_H_
#define LICENTIA_STORE_POSTGRES_KEY_SERIAL_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "core/mutex.h"
#include "store/sql_transaction.h"

namespace licentia::store::postgres {

class KeySerialBlocks final : public KeySerialSource {
 public:
  static constexpr int kBlock = 32;

  // The next serial, drawing a block through `session` when none is left.
  Result<std::uint64_t> Next(SqlSession& session) override;

 private:
  Mutex mu_;
  // Kept smallest last, so that serials go out in the sequence's order.
  std::vector<std::uint64_t> free_ GUARDED_BY(mu_);
};

}  // namespace licentia::store::postgres

#endif  // LICENTIA_STORE_POSTGRES_KEY_SERIAL_BLOCKS_H_
