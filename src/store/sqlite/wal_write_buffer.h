// A SQLite VFS that hands each commit's WAL frames to the kernel in one
// write instead of two per frame.
//
// SQLite writes a WAL frame as two writes, its 24-byte header and its page:
// a commit of ~20 activations was ~48 pwrite calls on the single writer,
// each with its own system-call and file-system overhead. Connections
// opened on this VFS (by name, kWalWriteBufferVfs) buffer the writes to
// their WAL file while they are contiguous and write the buffer out in one
// call before anything could depend on it: before the WAL file is synced,
// read, sized, truncated, locked or closed, before shared-memory calls, and
// when a write does not follow the buffered ones or the buffer is full.
// Every other file (the database, its journal) is passed through untouched.
//
// Why this is safe: SQLite publishes a commit to other connections only by
// updating the WAL index in shared memory, after the commit's frames are
// written and, on a connection with synchronous=FULL, after it has synced
// the WAL file. The store's writer connection runs with synchronous=FULL on
// this VFS, so the sync is where the buffer is written out: a failed write
// fails the commit (SQLite rolls it back; nothing was published), and no
// reader can see a frame that is not in the file.
//
// On this VFS a WAL sync writes the buffer out but does not call fdatasync
// itself: durability is the WalSyncer's (wal_syncer.h), which syncs the
// WAL file before any write is acknowledged, as it did when the writer ran
// with synchronous=NORMAL, and syncs the WAL's directory once when the
// store opens (SQLite would have at the first sync of a new WAL). Syncs of
// other files are real.
#ifndef LICENTIA_STORE_SQLITE_WAL_WRITE_BUFFER_H_
#define LICENTIA_STORE_SQLITE_WAL_WRITE_BUFFER_H_

#include "core/status.h"

namespace licentia::store::sqlite {

// The name to open connections with (sqlite3_open_v2's zVfs).
inline constexpr const char* kWalWriteBufferVfs = "licentia-wal-buffer";

// Registers the VFS (once per process; later calls return the first
// result). kInternal if SQLite has no default VFS to wrap. Thread-safe.
[[nodiscard]] Status RegisterWalWriteBufferVfs();

}  // namespace licentia::store::sqlite

#endif  // LICENTIA_STORE_SQLITE_WAL_WRITE_BUFFER_H_
