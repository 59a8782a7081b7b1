/* Which of the program's fds are card fds (and of which open file), and which fds are the interposer's own
 * (request channels, memfds): those live at high numbers, out of the program's way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "interposer.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pvd_card *cards[PVD_FD_MAX];
static unsigned char private_fd[PVD_FD_MAX];

struct pvd_card *pvd_card_get(int fd) {
  if (fd < 0 || fd >= PVD_FD_MAX || !__atomic_load_n(&cards[fd], __ATOMIC_ACQUIRE)) return NULL;
  pthread_mutex_lock(&table_lock);
  struct pvd_card *c = cards[fd];
  if (c) c->uses++;
  pthread_mutex_unlock(&table_lock);
  return c;
}

static void free_card(struct pvd_card *c) {
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->rlock);
  free(c->rbuf);
  free(c);
}

void pvd_card_put(struct pvd_card *c) {
  pthread_mutex_lock(&table_lock);
  int last = --c->uses == 0 && c->refs == 0;
  pthread_mutex_unlock(&table_lock);
  if (last) free_card(c);
}

int pvd_is_card_fd(int fd) { return fd >= 0 && fd < PVD_FD_MAX && __atomic_load_n(&cards[fd], __ATOMIC_ACQUIRE); }

int pvd_card_minor(int fd) {
  struct pvd_card *c = pvd_card_get(fd);
  if (!c) return -1;
  int m = c->minor;
  pvd_card_put(c);
  return m;
}

void pvd_bind(int fd, struct pvd_card *c) {
  if (fd < 0 || fd >= PVD_FD_MAX) return;
  pthread_mutex_lock(&table_lock);
  c->refs++;
  __atomic_store_n(&cards[fd], c, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&table_lock);
}

/* The caller releases the returned card (its last ref went); it is freed once no call uses it. */
struct pvd_card *pvd_unbind(int fd) {
  if (!pvd_is_card_fd(fd)) return NULL;
  pthread_mutex_lock(&table_lock);
  struct pvd_card *c = cards[fd];
  struct pvd_card *last = NULL;
  if (c) {
    __atomic_store_n(&cards[fd], NULL, __ATOMIC_RELEASE);
    if (--c->refs == 0) {
      last = c;
      c->uses++; /* held by the caller until pvd_card_release's put */
    }
  }
  pthread_mutex_unlock(&table_lock);
  return last;
}

void pvd_set_private(int fd, int on) {
  if (fd >= 0 && fd < PVD_FD_MAX) __atomic_store_n(&private_fd[fd], (unsigned char)on, __ATOMIC_RELEASE);
}

int pvd_is_private(int fd) { return fd >= 0 && fd < PVD_FD_MAX && __atomic_load_n(&private_fd[fd], __ATOMIC_ACQUIRE); }

/* Below the soft fd limit, but well above what programs usually reach (and than select()'s 1024 when possible). */
static int high_base(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY) return 900;
  long lim = (long)rl.rlim_cur;
  if (lim > 1100) return lim > 4096 ? 1024 : (int)(lim - 128);
  return lim > 256 ? (int)(lim - 100) : (int)(lim / 2);
}

int pvd_move_high(int fd) {
  int hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, high_base());
  if (hi < 0) hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
  int e = errno;
  sys_close(fd);
  if (hi < 0) {
    errno = e;
    return -1;
  }
  pvd_set_private(hi, 1);
  return hi;
}

static struct pvd_card *open_cards;

void pvd_track(struct pvd_card *c, int on) {
  pthread_mutex_lock(&table_lock);
  struct pvd_card **p = &open_cards;
  while (*p && *p != c) p = &(*p)->next_open;
  if (on && !*p) {
    c->next_open = open_cards;
    open_cards = c;
  } else if (!on && *p) {
    *p = c->next_open;
  }
  pthread_mutex_unlock(&table_lock);
}

static int rehome(int *slot, int fd) {
  if (*slot != fd) return 0;
  int hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, high_base());
  if (hi < 0) return 1;
  pvd_set_private(hi, 1);
  *slot = hi;
  return 1;
}

void pvd_rehome_private(int fd) {
  pthread_mutex_lock(&table_lock);
  struct pvd_card *list[64];
  int n = 0;
  for (struct pvd_card *c = open_cards; c && n < 64; c = c->next_open, n++) {
    list[n] = c;
    c->uses++;
  }
  pthread_mutex_unlock(&table_lock);
  for (int i = 0; i < n; i++) {
    struct pvd_card *c = list[i];
    pthread_mutex_lock(&c->lock);
    int done = rehome(&c->chan, fd) || rehome(&c->sink, fd);
    for (struct pvd_map *m = c->maps; m && !done; m = m->next) done = rehome(&m->memfd, fd);
    pthread_mutex_unlock(&c->lock);
    pvd_card_put(c);
  }
  /* the old number is the program's now (its dup2 replaces it) */
  pvd_set_private(fd, 0);
}
