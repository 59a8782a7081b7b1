/* Shared declarations of the LD_PRELOAD interposer: the open card files, the fd table that maps the program's
 * fds to them, the request channel to the frontend's device node, and the real libc functions. */
#ifndef PVD_INTERPOSER_H
#define PVD_INTERPOSER_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "msgpack.h"

#define PVD_EXPORT __attribute__((visibility("default")))
/* fds at or beyond this cannot be card fds (the table's size); such dups of a card fd behave as plain sockets */
#define PVD_FD_MAX 65536
#define PVD_MAX_FDS 16 /* fds riding along one packet */

/* A dumb buffer this file mapped: the fake offset the program mmaps and the memfd behind it. */
struct pvd_map {
  uint32_t handle;
  uint64_t offset, size;
  int memfd;
  struct pvd_map *next;
};

/* A property id this file learned the name of (atomic needs IN_FENCE_FD and OUT_FENCE_PTR). */
struct pvd_prop {
  uint32_t id;
  int kind; /* 0 other, 1 IN_FENCE_FD, 2 OUT_FENCE_PTR */
  struct pvd_prop *next;
};

/* One open of /dev/dri/cardN: one connection to the device node. */
struct pvd_card {
  int minor;
  pid_t pid;        /* the opener: a forked child's close does not close the parent's file */
  int chan;         /* the private request socket, moved to a high fd */
  int sink;         /* our copy of the event socket's far end: the frontend closing its copy is no EOF */
  int refs;         /* program fds referring to it */
  int uses;         /* calls in progress (under the table lock) */
  int gone;         /* the device node closed the connection: ENODEV */
  int atomic;       /* the ATOMIC client cap is set: MODE_ATOMIC's first checks come before its copies */
  uint32_t next_id;
  pthread_mutex_t lock;  /* one request at a time; also guards maps, props */
  pthread_mutex_t rlock; /* one read() at a time, so records come out whole and in order */
  uint8_t *rbuf;         /* the reply being read */
  uint64_t next_offset;
  struct pvd_map *maps;
  struct pvd_prop *props;
  struct pvd_card *next_open; /* fdtable.c's list */
};

/* A reply: `ok` is the result map (valid while the card's lock is held); fds ride along. */
struct pvd_reply {
  mp_reader ok;
  int fds[PVD_MAX_FDS];
  int nfds;
};

/* real.c: the next definition of an interposed function (cached per call site); the interposer's own file
 * operations use raw syscalls (sys_*) so that they never re-enter it. */
void *pvd_next(const char *name);
#define REAL(name)                                                   \
  static __typeof__(&name) real_##name;                              \
  if (!real_##name) real_##name = (__typeof__(&name))pvd_next(#name)
int sys_close(int fd);

/* fdtable.c */
struct pvd_card *pvd_card_get(int fd);  /* the card behind a program fd, with a use held; NULL if none */
void pvd_card_put(struct pvd_card *c);
int pvd_is_card_fd(int fd);
int pvd_card_minor(int fd);             /* -1 if not a card fd */
void pvd_bind(int fd, struct pvd_card *c); /* fd now refers to c (one more ref) */
struct pvd_card *pvd_unbind(int fd);    /* fd no longer refers to its card: returns it if that was the last ref */
void pvd_set_private(int fd, int on);
int pvd_is_private(int fd);
int pvd_move_high(int fd);              /* dups fd to the private range, closes the original; -1 on error */
void pvd_track(struct pvd_card *c, int on); /* the list of open cards, for pvd_rehome_private */
void pvd_rehome_private(int fd);        /* the program is about to replace private fd: its owner moves to another */

/* channel.c */
int pvd_card_open(int minor, const char *sock, int flags); /* the program's fd, or -1 with errno */
void pvd_card_release(struct pvd_card *c); /* the last program fd is gone: PVD_CLOSE, free */
/* Sends {id, op, args} (args: a complete msgpack map) and waits for its reply: 0 or -errno. Lock held. */
int pvd_call(struct pvd_card *c, const char *op, const mp_writer *args, const int *fds, int nfds, struct pvd_reply *r);
void pvd_reply_done(struct pvd_reply *r); /* closes the fds no handler took */
ssize_t pvd_card_read(struct pvd_card *c, int fd, void *buf, size_t count);

/* umem.c: the program's memory through process_vm_readv/writev: a bad pointer is -EFAULT, never a crash. */
int pvd_uread(void *dst, uint64_t uptr, size_t n);
int pvd_uwrite(uint64_t uptr, const void *src, size_t n);

/* ioctl.c */
int pvd_card_ioctl(struct pvd_card *c, unsigned long cmd, void *arg); /* 0 or -errno */

/* paths.c */
const char *pvd_redirect(const char *path, char *buf, size_t len); /* path itself when not redirected */
int pvd_card_path(const char *path); /* the minor of a /dev/dri/cardN the run exposes, else -1 */
void pvd_card_stat(int minor, struct stat *st);

/* mem.c */
int pvd_map_find(struct pvd_card *c, uint64_t offset, struct pvd_map **out);
void pvd_map_drop(struct pvd_card *c, uint32_t handle);
int pvd_map_add(struct pvd_card *c, uint32_t handle, uint64_t size, int memfd, uint64_t *offset);
#endif
