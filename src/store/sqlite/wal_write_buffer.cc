#include "store/sqlite/wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <new>
#include <vector>

#include "store/sqlite/sqlite_handle.h"

namespace licentia::store::sqlite {
namespace {

// Past this much a buffered run is written out even before a sync: a
// commit of ~25 activations is ~100 KB; a migration that rewrites a table
// may be far larger.
constexpr size_t kMaxBuffered = 4 << 20;

sqlite3_vfs* g_base = nullptr;  // the VFS wrapped; set once, at registration

// A file opened through this VFS. SQLite allocates szOsFile bytes for it:
// this struct, then the wrapped VFS's file. `pending` and `offset` are used
// only for a WAL file.
struct BufferedFile {
  sqlite3_file base;  // first: SQLite sees a BufferedFile as a sqlite3_file
  sqlite3_file* inner;
  bool wal;
  std::vector<unsigned char>* pending;  // the buffered run, for a WAL file
  sqlite3_int64 offset;                 // where `pending` starts in the file
};

BufferedFile* Self(sqlite3_file* f) {
  return reinterpret_cast<BufferedFile*>(f);
}

const sqlite3_io_methods* Inner(BufferedFile* f) { return f->inner->pMethods; }

// The most the wrapped unix VFS writes in one call: it keeps only the low
// 17 bits of a write's length (a longer write fails as "disk full").
constexpr size_t kMaxWrite = 64 << 10;

// Writes the buffered run out, in calls of at most kMaxWrite bytes. On
// failure the run is dropped and the error returned: the caller's operation
// fails, and SQLite rolls the transaction back (nothing buffered was ever
// published).
int Flush(BufferedFile* f) {
  if (!f->wal || f->pending->empty()) return SQLITE_OK;
  const std::vector<unsigned char>& run = *f->pending;
  int rc = SQLITE_OK;
  for (size_t at = 0; at < run.size() && rc == SQLITE_OK; at += kMaxWrite) {
    size_t n = std::min(kMaxWrite, run.size() - at);
    rc = Inner(f)->xWrite(f->inner, run.data() + at, static_cast<int>(n),
                          f->offset + static_cast<sqlite3_int64>(at));
  }
  f->pending->clear();
  return rc;
}

int Close(sqlite3_file* file) {
  BufferedFile* f = Self(file);
  int rc = Flush(f);
  int closed = Inner(f)->xClose(f->inner);
  delete f->pending;
  f->pending = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  BufferedFile* f = Self(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Inner(f)->xRead(f->inner, out, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount,
          sqlite3_int64 offset) {
  BufferedFile* f = Self(file);
  if (!f->wal) return Inner(f)->xWrite(f->inner, data, amount, offset);
  std::vector<unsigned char>& run = *f->pending;
  if (!run.empty() &&
      offset != f->offset + static_cast<sqlite3_int64>(run.size())) {
    // Not contiguous (SQLite rewrites a frame of the open transaction in
    // place): write out what came before, in order.
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (run.empty()) f->offset = offset;
  const auto* bytes = static_cast<const unsigned char*>(data);
  try {
    run.insert(run.end(), bytes, bytes + amount);
  } catch (const std::bad_alloc&) {
    return SQLITE_IOERR_NOMEM;
  }
  if (run.size() >= kMaxBuffered) return Flush(f);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  BufferedFile* f = Self(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Inner(f)->xTruncate(f->inner, size);
}

// A WAL file's sync writes the buffer out and stops there: the WalSyncer
// syncs the file before any write is acknowledged (see the header).
int Sync(sqlite3_file* file, int flags) {
  BufferedFile* f = Self(file);
  if (f->wal) return Flush(f);
  return Inner(f)->xSync(f->inner, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  BufferedFile* f = Self(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Inner(f)->xFileSize(f->inner, size);
}

int Lock(sqlite3_file* file, int level) {
  BufferedFile* f = Self(file);
  return Inner(f)->xLock(f->inner, level);
}

int Unlock(sqlite3_file* file, int level) {
  BufferedFile* f = Self(file);
  return Inner(f)->xUnlock(f->inner, level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  BufferedFile* f = Self(file);
  return Inner(f)->xCheckReservedLock(f->inner, out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  BufferedFile* f = Self(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Inner(f)->xFileControl(f->inner, op, arg);
}

int SectorSize(sqlite3_file* file) {
  BufferedFile* f = Self(file);
  return Inner(f)->xSectorSize(f->inner);
}

int DeviceCharacteristics(sqlite3_file* file) {
  BufferedFile* f = Self(file);
  return Inner(f)->xDeviceCharacteristics(f->inner);
}

// Shared memory belongs to the database file, never to the WAL file, so
// these only pass through.
int ShmMap(sqlite3_file* file, int region, int size, int extend,
           void volatile** out) {
  BufferedFile* f = Self(file);
  return Inner(f)->xShmMap(f->inner, region, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  BufferedFile* f = Self(file);
  return Inner(f)->xShmLock(f->inner, offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  BufferedFile* f = Self(file);
  Inner(f)->xShmBarrier(f->inner);
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  BufferedFile* f = Self(file);
  return Inner(f)->xShmUnmap(f->inner, delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  BufferedFile* f = Self(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Inner(f)->xFetch(f->inner, offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  BufferedFile* f = Self(file);
  return Inner(f)->xUnfetch(f->inner, offset, page);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
         int* out_flags) {
  BufferedFile* f = Self(file);
  f->base.pMethods = nullptr;  // SQLite calls no method if the open fails
  f->inner = reinterpret_cast<sqlite3_file*>(f + 1);
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->pending = nullptr;
  f->offset = 0;
  if (f->wal) {
    f->pending = new (std::nothrow) std::vector<unsigned char>();
    if (f->pending == nullptr) return SQLITE_NOMEM;
  }
  int rc = g_base->xOpen(g_base, name, f->inner, flags, out_flags);
  if (rc != SQLITE_OK || f->inner->pMethods == nullptr) {
    // The wrapped VFS may leave a method table to close a partly opened
    // file with even when it fails.
    if (f->inner->pMethods != nullptr) f->inner->pMethods->xClose(f->inner);
    delete f->pending;
    f->pending = nullptr;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  // The wrapped file's methods must be version 3 (shared memory and
  // memory-mapped reads), as the unix VFS's are.
  if (f->inner->pMethods->iVersion < 3) {
    f->inner->pMethods->xClose(f->inner);
    delete f->pending;
    f->pending = nullptr;
    return SQLITE_CANTOPEN;
  }
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// Everything but opening files is the wrapped VFS's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void DlError(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int Sleep(sqlite3_vfs*, int micros) { return g_base->xSleep(g_base, micros); }
int CurrentTime(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

sqlite3_vfs g_vfs;

}  // namespace

Status RegisterWalWriteBufferVfs() {
  static const Status registered = [] {
    ConfigureSqliteOnce();  // sqlite3_vfs_find initialises SQLite
    g_base = sqlite3_vfs_find(nullptr);
    if (g_base == nullptr || g_base->iVersion < 2) {
      return Status(ErrorCode::kInternal,
                    "SQLite has no default file system to buffer WAL "
                    "writes on.");
    }
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(BufferedFile)) + g_base->szOsFile;
    g_vfs.mxPathname = g_base->mxPathname;
    g_vfs.zName = kWalWriteBufferVfs;
    g_vfs.xOpen = Open;
    g_vfs.xDelete = Delete;
    g_vfs.xAccess = Access;
    g_vfs.xFullPathname = FullPathname;
    g_vfs.xDlOpen = DlOpen;
    g_vfs.xDlError = DlError;
    g_vfs.xDlSym = DlSym;
    g_vfs.xDlClose = DlClose;
    g_vfs.xRandomness = Randomness;
    g_vfs.xSleep = Sleep;
    g_vfs.xCurrentTime = CurrentTime;
    g_vfs.xGetLastError = GetLastError;
    g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    int rc = sqlite3_vfs_register(&g_vfs, 0);
    if (rc != SQLITE_OK) {
      return Status(ErrorCode::kInternal,
                    "SQLite refused the WAL write buffer's file system.");
    }
    return Status::Ok();
  }();
  return registered;
}

}  // namespace licentia::store::sqlite
