#include "store/postgres/key_serial_blocks.h"

#include <fmt/format.h>

#include <algorithm>

namespace licentia::store::postgres {
namespace {

const SqlStatement kDraw = SqlStatement::PerDialect(
    "", fmt::format("SELECT nextval('key_serial') FROM generate_series(1, {})",
                    KeySerialBlocks::kBlock));

}  // namespace

Result<std::uint64_t> KeySerialBlocks::Next(SqlSession& session) {
  {
    MutexLock lock(mu_);
    if (!free_.empty()) {
      std::uint64_t serial = free_.back();
      free_.pop_back();
      return serial;
    }
  }
  std::vector<std::uint64_t> drawn;
  LICENTIA_RETURN_IF_ERROR(session.Run(kDraw, {}, [&](const SqlRow& row) {
    drawn.push_back(static_cast<std::uint64_t>(row.Int(0)));
    return Status::Ok();
  }));
  if (drawn.empty()) {
    return Status(ErrorCode::kInternal,
                  "The key_serial sequence gave nothing.");
  }
  MutexLock lock(mu_);
  free_.insert(free_.end(), drawn.rbegin(), drawn.rend() - 1);
  return drawn.front();
}

}  // namespace licentia::store::postgres
