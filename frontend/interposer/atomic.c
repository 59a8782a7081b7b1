/* MODE_ATOMIC: the kernel's flattened arrays read from the program, IN_FENCE_FD values turned into fds riding
 * along (the device node takes an index), OUT_FENCE_PTR pointers written with the fences that come back. The
 * property ids of those two are learned once per file through GETPROPERTY. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ioctl.h"

#define MAX_OBJS 4096
#define MAX_PROPS 65536

static int prop_kind(struct pvd_card *c, uint32_t id) {
  for (struct pvd_prop *p = c->props; p; p = p->next)
    if (p->id == id) return p->kind;
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "prop_id", id);
  struct pvd_reply r;
  if (pvd_op(c, "MODE_GETPROPERTY", &a, &r)) return 0; /* the commit itself reports the bad id */
  char name[DRM_PROP_NAME_LEN];
  pvd_strfield(r.ok, "name", name, sizeof name);
  pvd_reply_done(&r);
  struct pvd_prop *p = malloc(sizeof *p);
  int kind = !strcmp(name, "IN_FENCE_FD") ? 1 : !strcmp(name, "OUT_FENCE_PTR") ? 2 : 0;
  if (p) {
    p->id = id;
    p->kind = kind;
    p->next = c->props;
    c->props = p;
  }
  return kind;
}

struct lists {
  uint32_t *objs, *counts, *props;
  uint64_t *values;
  uint64_t *fence_ptr; /* per obj: its OUT_FENCE_PTR, 0 if none */
  uint32_t total;
};

static void free_lists(struct lists *l) {
  free(l->objs), free(l->counts), free(l->props), free(l->values), free(l->fence_ptr);
}

static int read_lists(const struct drm_mode_atomic *at, struct lists *l) {
  uint32_t n = at->count_objs;
  if (n > MAX_OBJS) return -EINVAL;
  l->objs = calloc(n + 1, 4), l->counts = calloc(n + 1, 4), l->fence_ptr = calloc(n + 1, 8);
  if (!l->objs || !l->counts || !l->fence_ptr) return -ENOMEM;
  if (pvd_uread(l->objs, at->objs_ptr, n * 4ull) || pvd_uread(l->counts, at->count_props_ptr, n * 4ull)) return -EFAULT;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += l->counts[i];
  if (total > MAX_PROPS) return -EINVAL;
  l->total = (uint32_t)total;
  l->props = calloc(total + 1, 4), l->values = calloc(total + 1, 8);
  if (!l->props || !l->values) return -ENOMEM;
  if (pvd_uread(l->props, at->props_ptr, total * 4) || pvd_uread(l->values, at->prop_values_ptr, total * 8)) return -EFAULT;
  return 0;
}

static int h_atomic(struct pvd_card *c, void *k) {
  struct drm_mode_atomic *at = k;
  struct lists l = {0};
  int fds[PVD_MAX_FDS], nfds = 0;
  /* drm_mode_atomic_ioctl() refuses these before it reads any array (the device node checks the rest) */
  if (!c->atomic || (at->flags & ~DRM_MODE_ATOMIC_FLAGS) || at->reserved) return -EINVAL;
  int e = read_lists(at, &l);
  /* fences: the program's fd numbers become indexes into the fds riding along; out-fence pointers are checked
   * writable first (the kernel writes -1 before committing) */
  for (uint32_t i = 0, j = 0; !e && i < at->count_objs; i++) {
    for (uint32_t n = 0; !e && n < l.counts[i]; n++, j++) {
      int kind = prop_kind(c, l.props[j]);
      if (kind == 1 && (int64_t)l.values[j] >= 0) {
        int fd = (int)l.values[j];
        if (nfds == PVD_MAX_FDS || syscall(SYS_fcntl, fd, F_GETFD) < 0) e = -EINVAL;
        else {
          fds[nfds] = fd;
          l.values[j] = (uint64_t)nfds++;
        }
      } else if (kind == 2 && l.values[j]) {
        int32_t minus1 = -1;
        if (pvd_uwrite(l.values[j], &minus1, 4)) e = -EFAULT;
        l.fence_ptr[i] = l.values[j];
        l.values[j] = 1;
      }
    }
  }
  mp_writer a = {NULL, 0, 0, 0};
  if (!e) {
    a.cap = 256 + (size_t)at->count_objs * 10 + (size_t)l.total * 15;
    a.buf = malloc(a.cap);
    if (!a.buf) e = -ENOMEM;
  }
  if (!e) {
    mp_map(&a, 7);
    mp_kv_uint(&a, "flags", at->flags);
    mp_kv_uint(&a, "reserved", at->reserved);
    mp_str(&a, "user_data");
    mp_bin(&a, &at->user_data, 8);
    mp_str(&a, "objs");
    mp_array(&a, at->count_objs);
    for (uint32_t i = 0; i < at->count_objs; i++) mp_uint(&a, l.objs[i]);
    mp_str(&a, "count_props");
    mp_array(&a, at->count_objs);
    for (uint32_t i = 0; i < at->count_objs; i++) mp_uint(&a, l.counts[i]);
    mp_str(&a, "props");
    mp_array(&a, l.total);
    for (uint32_t i = 0; i < l.total; i++) mp_uint(&a, l.props[i]);
    mp_str(&a, "prop_values");
    mp_array(&a, l.total);
    for (uint32_t i = 0; i < l.total; i++) mp_int(&a, (int64_t)l.values[i]);
    struct pvd_reply r;
    e = pvd_op_fds(c, "MODE_ATOMIC", &a, fds, nfds, &r);
    if (!e) {
      mp_reader it;
      uint32_t n;
      pvd_array(r.ok, "out_fences", &it, &n);
      for (uint32_t i = 0; i < n; i++) {
        uint64_t crtc = 0;
        int64_t idx = -1;
        mp_field_uint(it, "crtc_id", &crtc);
        mp_field_int(it, "fd_index", &idx);
        mp_skip(&it);
        if (idx < 0 || idx >= r.nfds) continue;
        for (uint32_t o = 0; o < at->count_objs; o++) {
          if (l.objs[o] != crtc || !l.fence_ptr[o]) continue;
          int32_t fd = r.fds[idx];
          if (pvd_uwrite(l.fence_ptr[o], &fd, 4)) e = -EFAULT;
          else r.fds[idx] = -1; /* the program's now */
          break;
        }
      }
      pvd_reply_done(&r);
    }
  }
  free(a.buf);
  free_lists(&l);
  return e;
}

pvd_handler pvd_atomic_handler(void) { return h_atomic; }
