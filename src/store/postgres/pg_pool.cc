#include "store/postgres/pg_pool.h"

namespace licentia::store::postgres {

Result<std::unique_ptr<PgConnection>> PgPool::Acquire() {
  {
    MutexLock lock(mu_);
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->broken()) return conn;
    }
  }
  return PgConnection::Connect(url_);
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  if (conn->broken()) return;
  MutexLock lock(mu_);
  if (static_cast<int>(idle_.size()) < max_idle_) {
    idle_.push_back(std::move(conn));
  }
}

}  // namespace licentia::store::postgres
