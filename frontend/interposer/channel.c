/* One open card file: the connection to the device node's cardN socket, request/reply over it, the event socket
 * the program holds (its app end; the frontend writes raw 32-byte records to the other end) and its teardown. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "interposer.h"

#define PACKET_MAX (256 * 1024 + 4096)
/* The frontend always answers (blocking vblank waits give up after 3 s): this only bounds a wedged peer. */
#define REPLY_TIMEOUT_MS 30000

static int send_packet(int chan, const uint8_t *p, size_t n, const int *fds, int nfds) {
  struct iovec iov = {(void *)p, n};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * PVD_MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  if (nfds > 0) {
    m.msg_control = ctl.buf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
  }
  for (;;) {
    ssize_t s = sendmsg(chan, &m, MSG_NOSIGNAL);
    if (s == (ssize_t)n) return 0;
    if (s < 0 && errno == EINTR) continue;
    return s < 0 && errno == EBADF ? -EBADF : s < 0 && errno == EMSGSIZE ? -ENOMEM : -ENODEV;
  }
}

/* One packet with its fds (all CLOEXEC); 0 on EOF; -errno. */
static ssize_t recv_packet(int chan, uint8_t *buf, int *fds, int *nfds) {
  struct pollfd p = {chan, POLLIN, 0};
  int r;
  do r = poll(&p, 1, REPLY_TIMEOUT_MS);
  while (r < 0 && errno == EINTR);
  if (r == 0) return -ETIMEDOUT;
  if (r < 0) return -errno;
  struct iovec iov = {buf, PACKET_MAX};
  union {
    char buf[CMSG_SPACE(sizeof(int) * PVD_MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  do n = recvmsg(chan, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? -EAGAIN : -ENODEV;
  *nfds = 0;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
    int k = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
      if (*nfds < PVD_MAX_FDS) fds[(*nfds)++] = fd;
      else sys_close(fd);
    }
  }
  return n;
}

static void close_fds(int *fds, int n) {
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0) sys_close(fds[i]);
}

int pvd_call(struct pvd_card *c, const char *op, const mp_writer *args, const int *fds, int nfds, struct pvd_reply *r) {
  r->nfds = 0;
  if (c->gone) return -ENODEV;
  if (args->overflow) return -ENOMEM;
  uint8_t *pkt = malloc(args->len + 64 + strlen(op));
  if (!pkt) return -ENOMEM;
  mp_writer w = {pkt, args->len + 64 + strlen(op), 0, 0};
  uint32_t id = ++c->next_id;
  mp_map(&w, 3);
  mp_kv_uint(&w, "id", id);
  mp_str(&w, "op");
  mp_str(&w, op);
  mp_str(&w, "args");
  memcpy(w.buf + w.len, args->buf, args->len);
  w.len += args->len;
  int e = send_packet(c->chan, pkt, w.len, fds, nfds);
  free(pkt);
  if (e) {
    if (e == -ENODEV) c->gone = 1;
    return e;
  }
  for (;;) {
    ssize_t n = recv_packet(c->chan, c->rbuf, r->fds, &r->nfds);
    if (n == -EAGAIN) continue;
    if (n <= 0) {
      if (n == 0 || n == -ENODEV) c->gone = 1;
      return n == 0 ? -ENODEV : (int)n;
    }
    mp_reader pk = {c->rbuf, c->rbuf + n}, v;
    uint64_t re;
    if (mp_field_uint(pk, "re", &re) || re != id) {
      /* an {ev}/{uevent} packet, or the reply to a request we gave up on */
      close_fds(r->fds, r->nfds);
      r->nfds = 0;
      continue;
    }
    if (!mp_find(pk, "ok", &v)) {
      r->ok = v;
      return 0;
    }
    int64_t err = EPROTO;
    if (!mp_find(pk, "err", &v)) mp_field_int(v, "errno", &err);
    close_fds(r->fds, r->nfds);
    r->nfds = 0;
    return err > 0 && err < 4096 ? -(int)err : -EPROTO;
  }
}

void pvd_reply_done(struct pvd_reply *r) {
  close_fds(r->fds, r->nfds);
  r->nfds = 0;
}

static int connect_card(const char *sock) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(sock) >= sizeof a.sun_path) return -ENAMETOOLONG;
  strcpy(a.sun_path, sock);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int r;
  do r = connect(s, (struct sockaddr *)&a, sizeof a);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    sys_close(s);
    /* no frontend behind the node: as a device node whose driver is gone */
    return e == ENOENT ? -ENOENT : e == EACCES ? -EACCES : -ENXIO;
  }
  int hi = pvd_move_high(s);
  return hi < 0 ? -errno : hi;
}

static struct pvd_card *new_card(int minor, int chan) {
  struct pvd_card *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->rbuf = malloc(PACKET_MAX);
  if (!c->rbuf) {
    free(c);
    return NULL;
  }
  c->minor = minor;
  c->pid = getpid();
  c->chan = chan;
  c->next_offset = 0x100000000ull; /* the kernel's DRM_FILE_PAGE_OFFSET_START on 64-bit */
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->rlock, NULL);
  return c;
}

int pvd_card_open(int minor, const char *sock, int flags) {
  int sv[2];
  /* the app end first, so the program gets the lowest free fd as open(2) would give */
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) return -1;
  int chan = connect_card(sock);
  struct pvd_card *c = chan < 0 ? NULL : new_card(minor, chan);
  int e = chan < 0 ? chan : c ? 0 : -ENOMEM;
  if (!e) {
    mp_writer a = {(uint8_t[32]){0}, 32, 0, 0};
    mp_map(&a, 1);
    mp_str(&a, "uevents");
    mp_bool(&a, 0);
    struct pvd_reply r;
    pthread_mutex_lock(&c->lock);
    e = pvd_call(c, "PVD_EVENT_FD", &a, &sv[1], 1, &r);
    if (!e) pvd_reply_done(&r);
    pthread_mutex_unlock(&c->lock);
  }
  /* A kernel card fd never reads EOF: after an unplug it just has no more events. Holding the far end too keeps
   * the app end from reading EOF (always readable, a busy poll loop) once the frontend closes its copy. */
  int sink = e ? -1 : pvd_move_high(sv[1]);
  if (e) sys_close(sv[1]);
  else if (sink < 0) e = -errno;
  if (e) {
    if (chan >= 0) {
      pvd_set_private(chan, 0);
      sys_close(chan);
    }
    if (c) {
      c->chan = -1;
      pthread_mutex_destroy(&c->lock);
      pthread_mutex_destroy(&c->rlock);
      free(c->rbuf);
      free(c);
    }
    sys_close(sv[0]);
    errno = -e;
    return -1;
  }
  if (!(flags & O_CLOEXEC)) syscall(SYS_fcntl, sv[0], F_SETFD, 0);
  if (flags & O_NONBLOCK) syscall(SYS_fcntl, sv[0], F_SETFL, O_NONBLOCK);
  c->sink = sink;
  pvd_track(c, 1);
  pvd_bind(sv[0], c);
  return sv[0];
}

void pvd_card_release(struct pvd_card *c) {
  pthread_mutex_lock(&c->lock);
  if (c->pid == getpid() && !c->gone) {
    /* close(2) of a card is synchronous: master and framebuffers are gone when it returns */
    mp_writer a = {(uint8_t[4]){0}, 4, 0, 0};
    mp_map(&a, 0);
    struct pvd_reply r;
    if (!pvd_call(c, "PVD_CLOSE", &a, NULL, 0, &r)) pvd_reply_done(&r);
  }
  pvd_track(c, 0);
  pvd_set_private(c->chan, 0);
  sys_close(c->chan);
  pvd_set_private(c->sink, 0);
  sys_close(c->sink);
  c->chan = -1;
  c->gone = 1;
  while (c->maps) pvd_map_drop(c, c->maps->handle);
  while (c->props) {
    struct pvd_prop *p = c->props;
    c->props = p->next;
    free(p);
  }
  pthread_mutex_unlock(&c->lock);
  pvd_card_put(c);
}

ssize_t pvd_card_read(struct pvd_card *c, int fd, void *buf, size_t count) {
  pthread_mutex_lock(&c->rlock);
  size_t got = 0;
  ssize_t ret = 0;
  for (;;) {
    uint8_t rec[64];
    ssize_t n = recv(fd, rec, sizeof rec, MSG_PEEK | (got ? MSG_DONTWAIT : 0));
    if (n < 0) {
      if (!got) ret = -errno;
      break;
    }
    /* a record that does not fit: the kernel's drm_read leaves it queued and returns what it has, 0 for none */
    if (n == 0 || (size_t)n > count - got) break;
    if (pvd_uwrite((uint64_t)(uintptr_t)buf + got, rec, (size_t)n)) {
      if (!got) ret = -EFAULT;
      break;
    }
    recv(fd, rec, sizeof rec, MSG_DONTWAIT);
    got += (size_t)n;
  }
  pthread_mutex_unlock(&c->rlock);
  if (ret < 0) {
    errno = (int)-ret;
    return -1;
  }
  return (ssize_t)got;
}
