/* Path redirection into the run's fake root ($PVDISPLAY_FAKE_ROOT: /dev/dri and the card's sysfs), and the
 * path-taking libc functions that go through it. An open of a /dev/dri/cardN the run exposes connects to the
 * card's socket instead; stat of it answers a character device 226:N. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "interposer.h"

#define DRM_MAJOR 226

static const char *const PREFIXES[] = {"/dev/dri", "/sys/dev/char/226:", "/sys/class/drm", "/sys/devices/pvdisplay"};

static const char *fake_root(void) {
  const char *r = getenv("PVDISPLAY_FAKE_ROOT");
  return r && r[0] == '/' ? r : NULL;
}

static int under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(path, prefix, n)) return 0;
  /* "/sys/dev/char/226:" matches any minor; the others are directories */
  return prefix[n - 1] == ':' || path[n] == 0 || path[n] == '/';
}

const char *pvd_redirect(const char *path, char *buf, size_t len) {
  const char *root = fake_root();
  if (!root || !path || path[0] != '/') return path;
  for (size_t i = 0; i < sizeof PREFIXES / sizeof *PREFIXES; i++) {
    if (!under(path, PREFIXES[i])) continue;
    int n = snprintf(buf, len, "%s%s", root, path);
    return n > 0 && (size_t)n < len ? buf : path;
  }
  return path;
}

/* "/dev/dri/cardN" for a card the run exposes (its placeholder in the fake root), or without a fake root any
 * card the runtime dir has a socket for. */
int pvd_card_path(const char *path) {
  if (!path || strncmp(path, "/dev/dri/card", 13)) return -1;
  char *end;
  long n = strtol(path + 13, &end, 10);
  if (end == path + 13 || *end || n < 0 || n > 255 || (path[13] == '0' && end != path + 14)) return -1;
  char buf[PATH_MAX];
  const char *root = fake_root();
  const char *rt = getenv("PVDISPLAY_RUNTIME_DIR");
  if (!rt) return -1;
  if (root) snprintf(buf, sizeof buf, "%s%s", root, path);
  else snprintf(buf, sizeof buf, "%s/dri/card%ld", rt, n);
  struct stat st;
  return syscall(SYS_newfstatat, AT_FDCWD, buf, &st, 0) == 0 ? (int)n : -1;
}

void pvd_card_stat(int minor, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_mode = S_IFCHR | 0666;
  st->st_rdev = makedev(DRM_MAJOR, (unsigned)minor);
  st->st_dev = makedev(0, 5); /* devtmpfs-like */
  st->st_ino = 1000 + (ino_t)minor;
  st->st_nlink = 1;
  st->st_blksize = 4096;
}

static int open_card(const char *path, int flags) {
  int minor = pvd_card_path(path);
  char sock[PATH_MAX];
  snprintf(sock, sizeof sock, "%s/dri/card%d", getenv("PVDISPLAY_RUNTIME_DIR"), minor);
  return pvd_card_open(minor, sock, flags);
}

/* ---- open family ---- */

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* 1 with *fd set when path is a card (connected, or -1 with errno); else 0 with path redirected as needed. */
static int card_or_redirect(const char **path, char *buf, size_t len, int flags, int *fd) {
  if (pvd_card_path(*path) >= 0) {
    *fd = open_card(*path, flags);
    return 1;
  }
  *path = pvd_redirect(*path, buf, len);
  return 0;
}

#define OPEN_WRAPPER(name, params, real_args)                                  \
  PVD_EXPORT int name params {                                                 \
    va_list ap;                                                                \
    va_start(ap, flags);                                                       \
    mode_t mode = mode_arg(flags, ap);                                         \
    va_end(ap);                                                                \
    char buf[PATH_MAX];                                                        \
    int fd;                                                                    \
    if (card_or_redirect(&path, buf, sizeof buf, flags, &fd)) return fd;       \
    REAL(name);                                                                \
    return real_##name real_args;                                              \
  }
OPEN_WRAPPER(open, (const char *path, int flags, ...), (path, flags, mode))
OPEN_WRAPPER(open64, (const char *path, int flags, ...), (path, flags, mode))
OPEN_WRAPPER(openat, (int dirfd, const char *path, int flags, ...), (dirfd, path, flags, mode))
OPEN_WRAPPER(openat64, (int dirfd, const char *path, int flags, ...), (dirfd, path, flags, mode))

/* _FORTIFY_SOURCE entry points */
PVD_EXPORT int __open_2(const char *path, int flags) { return open(path, flags); }
PVD_EXPORT int __open64_2(const char *path, int flags) { return open64(path, flags); }
PVD_EXPORT int __openat_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }
PVD_EXPORT int __openat64_2(int dirfd, const char *path, int flags) { return openat64(dirfd, path, flags); }

#define FOPEN_WRAPPER(name)                                                    \
  PVD_EXPORT FILE *name(const char *path, const char *mode) {                  \
    char buf[PATH_MAX];                                                        \
    path = pvd_redirect(path, buf, sizeof buf);                                \
    REAL(name);                                                                \
    return real_##name(path, mode);                                            \
  }
FOPEN_WRAPPER(fopen)
FOPEN_WRAPPER(fopen64)

PVD_EXPORT DIR *opendir(const char *path) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(opendir);
  return real_opendir(path);
}

/* ---- stat family ---- */

/* fstatat/statx of "" with AT_EMPTY_PATH: the dirfd itself (kept out of line: libc declares path nonnull) */
__attribute__((noinline)) static int empty_at(const char *path, int flags) { return path && !path[0] && (flags & AT_EMPTY_PATH); }

static int card_path_stat(const char *path, struct stat *st) {
  int minor = pvd_card_path(path);
  if (minor < 0) return 0;
  pvd_card_stat(minor, st);
  return 1;
}

PVD_EXPORT int stat(const char *path, struct stat *st) {
  if (card_path_stat(path, st)) return 0;
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(stat);
  return real_stat(path, st);
}

PVD_EXPORT int lstat(const char *path, struct stat *st) {
  if (card_path_stat(path, st)) return 0;
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(lstat);
  return real_lstat(path, st);
}

PVD_EXPORT int fstat(int fd, struct stat *st) {
  int minor = pvd_card_minor(fd);
  if (minor >= 0) {
    pvd_card_stat(minor, st);
    return 0;
  }
  REAL(fstat);
  return real_fstat(fd, st);
}

PVD_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
  int minor = empty_at(path, flags) ? pvd_card_minor(dirfd) : pvd_card_path(path);
  if (minor >= 0) {
    pvd_card_stat(minor, st);
    return 0;
  }
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(fstatat);
  return real_fstatat(dirfd, path, st, flags);
}

/* On 64-bit glibc the *64 variants share struct stat's layout. */
PVD_EXPORT int stat64(const char *path, struct stat64 *st) { return stat(path, (struct stat *)st); }
PVD_EXPORT int lstat64(const char *path, struct stat64 *st) { return lstat(path, (struct stat *)st); }
PVD_EXPORT int fstat64(int fd, struct stat64 *st) { return fstat(fd, (struct stat *)st); }
PVD_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) { return fstatat(dirfd, path, (struct stat *)st, flags); }
/* programs built against glibc before 2.33 call these */
PVD_EXPORT int __xstat(int ver, const char *path, struct stat *st) { (void)ver; return stat(path, st); }
PVD_EXPORT int __lxstat(int ver, const char *path, struct stat *st) { (void)ver; return lstat(path, st); }
PVD_EXPORT int __fxstat(int ver, int fd, struct stat *st) { (void)ver; return fstat(fd, st); }
PVD_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags) { (void)ver; return fstatat(dirfd, path, st, flags); }
PVD_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st) { (void)ver; return stat64(path, st); }
PVD_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st) { (void)ver; return lstat64(path, st); }
PVD_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st) { (void)ver; return fstat64(fd, st); }
PVD_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags) { (void)ver; return fstatat64(dirfd, path, st, flags); }

PVD_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx) {
  int minor = empty_at(path, flags) ? pvd_card_minor(dirfd) : pvd_card_path(path);
  if (minor >= 0) {
    memset(stx, 0, sizeof *stx);
    stx->stx_mask = STATX_BASIC_STATS & ~(unsigned)STATX_BLOCKS;
    stx->stx_mode = S_IFCHR | 0666;
    stx->stx_nlink = 1;
    stx->stx_blksize = 4096;
    stx->stx_ino = 1000 + (unsigned)minor;
    stx->stx_rdev_major = DRM_MAJOR;
    stx->stx_rdev_minor = (unsigned)minor;
    stx->stx_dev_minor = 5;
    return 0;
  }
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(statx);
  return real_statx(dirfd, path, flags, mask, stx);
}

PVD_EXPORT int access(const char *path, int mode) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(access);
  return real_access(path, mode);
}

PVD_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(faccessat);
  return real_faccessat(dirfd, path, mode, flags);
}

/* ---- links ---- */

PVD_EXPORT ssize_t readlink(const char *path, char *out, size_t len) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(readlink);
  return real_readlink(path, out, len);
}

PVD_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *out, size_t len) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(readlinkat);
  return real_readlinkat(dirfd, path, out, len);
}

/* Results inside the fake root are given back without it, so the program keeps seeing /sys and /dev paths. */
static char *strip_root(char *res) {
  const char *root = fake_root();
  size_t n = root ? strlen(root) : 0;
  if (res && n && !strncmp(res, root, n) && (res[n] == '/' || !res[n])) memmove(res, res + n, strlen(res + n) + 1);
  if (res && !res[0]) strcpy(res, "/");
  return res;
}

PVD_EXPORT char *realpath(const char *path, char *resolved) {
  char buf[PATH_MAX];
  path = pvd_redirect(path, buf, sizeof buf);
  REAL(realpath);
  return strip_root(real_realpath(path, resolved));
}

PVD_EXPORT char *canonicalize_file_name(const char *path) { return realpath(path, NULL); }
