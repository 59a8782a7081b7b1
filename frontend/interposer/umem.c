/* Copies to and from the program's memory that fail with EFAULT on a bad pointer instead of crashing: the kernel
 * does the same for an ioctl's user pointers (process_vm_readv/writev on our own pid). */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>
#include "interposer.h"

static int copy(void *local, uint64_t uptr, size_t n, int out) {
  if (n == 0) return 0;
  if (uptr == 0 || uptr + n < uptr) return -EFAULT;
  struct iovec l = {local, n}, r = {(void *)(uintptr_t)uptr, n};
  ssize_t got = out ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
  return got == (ssize_t)n ? 0 : -EFAULT;
}

int pvd_uread(void *dst, uint64_t uptr, size_t n) { return copy(dst, uptr, n, 0); }
int pvd_uwrite(uint64_t uptr, const void *src, size_t n) { return copy((void *)src, uptr, n, 1); }
