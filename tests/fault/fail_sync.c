/* Fault injection for tests, loaded into a real licentiad with LD_PRELOAD:
 * while the file named by LICENTIA_TEST_FAIL_SYNC_IF exists, fsync() and
 * fdatasync() fail with EIO, as they do when a disk can no longer write
 * what the page cache holds. Lets a test check that the server fails closed
 * (acknowledges nothing it could not make durable) without a broken disk.
 * Never part of the product; built only with the tests. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int SyncShouldFail(void) {
  const char* trigger = getenv("LICENTIA_TEST_FAIL_SYNC_IF");
  return trigger != NULL && access(trigger, F_OK) == 0;
}

typedef int (*SyncFn)(int);

static int Forward(const char* name, int fd) {
  SyncFn real = (SyncFn)dlsym(RTLD_NEXT, name);
  if (real == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  if (SyncShouldFail()) {
    errno = EIO;
    return -1;
  }
  return Forward("fdatasync", fd);
}

int fsync(int fd) {
  if (SyncShouldFail()) {
    errno = EIO;
    return -1;
  }
  return Forward("fsync", fd);
}
