/* The fd-taking libc functions for card fds: close (the last fd of an open file closes it synchronously), the
 * dup family (a dup refers to the same open file), fcntl's F_DUPFD*, read (whole event records), mmap of a dumb
 * buffer's fake offset, and ioctl. Every other fd goes straight to libc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "interposer.h"

/* The program may not close or replace the interposer's own fds (a closefrom() loop, a dup2 onto one): a
 * close is refused as for a free fd; a dup2 target is first moved out of the way. */
static int guard_private(int fd) {
  if (!pvd_is_private(fd)) return 0;
  errno = EBADF;
  return -1;
}

PVD_EXPORT int close(int fd) {
  if (guard_private(fd)) return -1;
  REAL(close);
  if (!pvd_is_card_fd(fd)) return real_close(fd);
  /* the socket is still open for the file's other fds; close(2) itself cannot fail here */
  struct pvd_card *c = pvd_unbind(fd);
  int r = real_close(fd);
  if (c) pvd_card_release(c);
  return r;
}

/* A new fd from a dup of `old`: it refers to old's card, if any. */
static int dup_result(int old, int fd) {
  if (fd < 0) return fd;
  struct pvd_card *c = pvd_card_get(old);
  if (c) {
    pvd_bind(fd, c);
    pvd_card_put(c);
  }
  return fd;
}

PVD_EXPORT int dup(int old) {
  REAL(dup);
  return dup_result(old, real_dup(old));
}

/* Before `newfd` is replaced: a private fd there is moved away (its card's chan follows); a card fd there loses
 * its reference once the dup succeeded. */
static void evict_private(int newfd) {
  if (!pvd_is_private(newfd)) return;
  pvd_rehome_private(newfd);
}

PVD_EXPORT int dup2(int old, int newfd) {
  REAL(dup2);
  if (old == newfd) return real_dup2(old, newfd);
  evict_private(newfd);
  int was_card = pvd_is_card_fd(newfd);
  struct pvd_card *gone = was_card ? pvd_unbind(newfd) : NULL;
  int r = real_dup2(old, newfd);
  if (gone) pvd_card_release(gone);
  return dup_result(old, r);
}

PVD_EXPORT int dup3(int old, int newfd, int flags) {
  REAL(dup3);
  if (old == newfd) return real_dup3(old, newfd, flags);
  evict_private(newfd);
  struct pvd_card *gone = pvd_is_card_fd(newfd) ? pvd_unbind(newfd) : NULL;
  int r = real_dup3(old, newfd, flags);
  if (gone) pvd_card_release(gone);
  return dup_result(old, r);
}

static int fcntl_common(int fd, int cmd, void *arg) {
  REAL(fcntl);
  int r = real_fcntl(fd, cmd, arg);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && pvd_is_card_fd(fd)) return dup_result(fd, r);
  return r;
}

PVD_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return fcntl_common(fd, cmd, arg);
}

PVD_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return fcntl_common(fd, cmd, arg);
}

PVD_EXPORT ssize_t read(int fd, void *buf, size_t count) {
  struct pvd_card *c = pvd_card_get(fd);
  if (!c) {
    REAL(read);
    return real_read(fd, buf, count);
  }
  ssize_t r = pvd_card_read(c, fd, buf, count);
  int e = errno;
  pvd_card_put(c);
  errno = e;
  return r;
}

PVD_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  struct pvd_card *c = pvd_card_get(fd);
  if (!c) {
    REAL(mmap);
    return real_mmap(addr, len, prot, flags, fd, off);
  }
  pthread_mutex_lock(&c->lock);
  struct pvd_map *m;
  int e = pvd_map_find(c, (uint64_t)off, &m);
  void *p = MAP_FAILED;
  if (!e && len > m->size) e = -EINVAL;
  if (!e) {
    p = (void *)syscall(SYS_mmap, addr, len, prot, flags, m->memfd, 0);
    if (p == MAP_FAILED) e = -errno;
  }
  pthread_mutex_unlock(&c->lock);
  pvd_card_put(c);
  if (e) errno = -e;
  return p;
}

PVD_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) { return mmap(addr, len, prot, flags, fd, off); }

PVD_EXPORT int ioctl(int fd, unsigned long cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct pvd_card *c = pvd_card_get(fd);
  /* the VFS's generic fd ioctls act on the app socket as on any file */
  if (c && (cmd == FIONBIO || cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIOASYNC)) {
    pvd_card_put(c);
    c = NULL;
  }
  if (!c) {
    REAL(ioctl);
    return real_ioctl(fd, cmd, arg);
  }
  int r = pvd_card_ioctl(c, cmd, arg);
  pvd_card_put(c);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  return r;
}
