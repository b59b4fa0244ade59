// The embedded SQLite backend.
//
// Writes go through one writer thread that groups the transactions waiting
// at that moment into a single database transaction (each inside its own
// SAVEPOINT, so one failing transaction does not disturb the others) and one
// durable commit: WAL with synchronous=FULL, so every acknowledged write
// survives a crash or power loss, while many writes share one fsync.
// Reads run on a pool of read-only connections, concurrently with writes.
#ifndef LICENTIA_STORE_SQLITE_SQLITE_STORE_H_
#define LICENTIA_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "store/store.h"

namespace licentia::store::sqlite {

struct SqliteOptions {
  std::string path;
  int max_batch = 256;  // transactions grouped into one commit, at most
  int read_connections = 8;
  // Rows kept by the read cache (read_cache.h); 0 turns it off.
  std::size_t read_cache_entries = 200000;
  // A checkpoint starts when the WAL holds this many frames (pages): the
  // WAL stays near this size (16 MB of 4 KB pages by default).
  int checkpoint_frames = 4096;
  // The writer's WAL frames reach the kernel in one write per commit
  // (wal_write_buffer.h) instead of two per page. Measured in
  // docs/performance.md (change 31, and the option's own paired runs);
  // off is SQLite's own VFS, for a file system where the buffering VFS
  // should not be trusted or to compare.
  bool wal_write_buffer = true;
};

// Opens (creating if needed) and migrates the database. kUnavailable if the
// file cannot be opened, kCorruption if it is not a database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_SQLITE_STORE_H_
