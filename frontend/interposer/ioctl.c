/* The DRM ioctl entry point for card fds, as the kernel's drm_ioctl(): the ioctl table (by nr, with the
 * kernel's own definition deciding the struct size), copy in / copy out of the argument, the answers the DRM
 * core gives without a driver, and the helpers the translators share. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "ioctl.h"
#include <sys/ioctl.h>

enum kind { NONE, CALL, NOOP, NOOP_ROOT, INVALID_ROOT, NOTSUPP };

struct entry {
  unsigned long cmd; /* the kernel's definition: its size and direction win over the caller's */
  enum kind kind;
};

#define E(name, k) [DRM_IOCTL_NR(DRM_IOCTL_##name)] = {DRM_IOCTL_##name, k}
static const struct entry TABLE[256] = {
    E(VERSION, CALL), E(GET_UNIQUE, CALL), E(GET_MAGIC, CALL), E(IRQ_BUSID, INVALID_ROOT), E(GET_CLIENT, CALL),
    E(GET_STATS, CALL), E(SET_VERSION, CALL), E(MODESET_CTL, NOOP), E(GEM_CLOSE, CALL), E(GEM_FLINK, NOTSUPP),
    E(GEM_OPEN, NOTSUPP), E(GET_CAP, CALL), E(SET_CLIENT_CAP, CALL), E(SET_UNIQUE, INVALID_ROOT),
    E(AUTH_MAGIC, CALL), E(BLOCK, NOOP_ROOT), E(UNBLOCK, NOOP_ROOT), E(SET_MASTER, CALL), E(DROP_MASTER, CALL),
    E(ADD_DRAW, NOOP), E(RM_DRAW, NOOP_ROOT), E(FINISH, NOOP), E(PRIME_HANDLE_TO_FD, CALL),
    E(PRIME_FD_TO_HANDLE, CALL), E(WAIT_VBLANK, CALL), E(UPDATE_DRAW, NOOP_ROOT), E(CRTC_GET_SEQUENCE, CALL),
    E(CRTC_QUEUE_SEQUENCE, CALL),
    E(MODE_GETRESOURCES, CALL), E(MODE_GETCRTC, CALL), E(MODE_SETCRTC, CALL), E(MODE_CURSOR, CALL),
    E(MODE_GETGAMMA, CALL), E(MODE_SETGAMMA, CALL), E(MODE_GETENCODER, CALL), E(MODE_GETCONNECTOR, CALL),
    E(MODE_ATTACHMODE, NOOP), E(MODE_DETACHMODE, NOOP), E(MODE_GETPROPERTY, CALL), E(MODE_SETPROPERTY, CALL),
    E(MODE_GETPROPBLOB, CALL), E(MODE_GETFB, CALL), E(MODE_ADDFB, CALL), E(MODE_RMFB, CALL),
    E(MODE_PAGE_FLIP, CALL), E(MODE_DIRTYFB, CALL), E(MODE_CREATE_DUMB, CALL), E(MODE_MAP_DUMB, CALL),
    E(MODE_DESTROY_DUMB, CALL), E(MODE_GETPLANERESOURCES, CALL), E(MODE_GETPLANE, CALL), E(MODE_SETPLANE, CALL),
    E(MODE_ADDFB2, CALL), E(MODE_OBJ_GETPROPERTIES, CALL), E(MODE_OBJ_SETPROPERTY, CALL), E(MODE_CURSOR2, CALL),
    E(MODE_ATOMIC, CALL), E(MODE_CREATEPROPBLOB, CALL), E(MODE_DESTROYPROPBLOB, CALL),
    /* no DRIVER_SYNCOBJ: the DRM core answers EOPNOTSUPP */
    E(SYNCOBJ_CREATE, NOTSUPP), E(SYNCOBJ_DESTROY, NOTSUPP), E(SYNCOBJ_HANDLE_TO_FD, NOTSUPP),
    E(SYNCOBJ_FD_TO_HANDLE, NOTSUPP), E(SYNCOBJ_WAIT, NOTSUPP), E(SYNCOBJ_RESET, NOTSUPP),
    E(SYNCOBJ_SIGNAL, NOTSUPP), E(SYNCOBJ_TIMELINE_WAIT, NOTSUPP), E(SYNCOBJ_QUERY, NOTSUPP),
    E(SYNCOBJ_TRANSFER, NOTSUPP), E(SYNCOBJ_TIMELINE_SIGNAL, NOTSUPP),
    /* leases are not offered (see docs/interposer.md) */
    E(MODE_CREATE_LEASE, NOTSUPP), E(MODE_LIST_LESSEES, NOTSUPP), E(MODE_GET_LEASE, NOTSUPP),
    E(MODE_REVOKE_LEASE, NOTSUPP), E(MODE_GETFB2, CALL),
#ifdef DRM_IOCTL_SYNCOBJ_EVENTFD
    E(SYNCOBJ_EVENTFD, NOTSUPP),
#endif
#ifdef DRM_IOCTL_MODE_CLOSEFB
    E(MODE_CLOSEFB, CALL),
#endif
};
#undef E

/* ---- helpers ---- */

int pvd_op_fds(struct pvd_card *c, const char *op, const mp_writer *args, const int *fds, int nfds, struct pvd_reply *r) {
  return pvd_call(c, op, args, fds, nfds, r);
}

int pvd_op(struct pvd_card *c, const char *op, const mp_writer *args, struct pvd_reply *r) { return pvd_call(c, op, args, NULL, 0, r); }

int pvd_op_void(struct pvd_card *c, const char *op) {
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, op, &a, &r);
  if (!e) pvd_reply_done(&r);
  return e;
}

uint64_t pvd_u(const struct pvd_reply *r, const char *key) {
  uint64_t v = 0;
  mp_field_uint(r->ok, key, &v);
  return v;
}

int64_t pvd_i(const struct pvd_reply *r, const char *key) {
  int64_t v = 0;
  mp_field_int(r->ok, key, &v);
  return v;
}

int pvd_array(mp_reader map, const char *key, mp_reader *it, uint32_t *n) {
  mp_item h;
  *n = 0;
  if (mp_find(map, key, it) || mp_next(it, &h) || h.type != MP_ARRAY) return -1;
  *n = h.n;
  return 0;
}

uint64_t pvd_next_u(mp_reader *it) {
  uint64_t v = 0;
  mp_get_uint(*it, &v);
  mp_skip(it);
  return v;
}

static int put_entries(mp_reader it, uint32_t n, uint64_t uptr, int width) {
  if (!n) return 0;
  uint8_t *b = malloc((size_t)n * (size_t)width);
  if (!b) return -ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t v = pvd_next_u(&it);
    if (width == 4) {
      uint32_t v32 = (uint32_t)v;
      memcpy(b + 4 * i, &v32, 4);
    } else {
      memcpy(b + 8 * i, &v, 8);
    }
  }
  int e = pvd_uwrite(uptr, b, (size_t)n * (size_t)width);
  free(b);
  return e;
}

int pvd_put_partial(mp_reader map, const char *key, uint64_t uptr, uint32_t *ucount, int width) {
  mp_reader it;
  uint32_t n;
  pvd_array(map, key, &it, &n);
  int e = put_entries(it, n < *ucount ? n : *ucount, uptr, width);
  if (!e) *ucount = n;
  return e;
}

int pvd_put_all(mp_reader map, const char *key, uint64_t uptr, uint32_t *ucount, int width) {
  mp_reader it;
  uint32_t n;
  pvd_array(map, key, &it, &n);
  int e = *ucount >= n ? put_entries(it, n, uptr, width) : 0;
  if (!e) *ucount = n;
  return e;
}

void pvd_strfield(mp_reader map, const char *key, char *out, size_t len) {
  mp_reader v;
  mp_item s;
  memset(out, 0, len);
  if (mp_find(map, key, &v) || mp_next(&v, &s) || s.type != MP_STR) return;
  memcpy(out, s.data, s.n < len - 1 ? s.n : len - 1);
}

#define MODE_FIELDS(X) \
  X(clock) X(hdisplay) X(hsync_start) X(hsync_end) X(htotal) X(hskew) X(vdisplay) X(vsync_start) X(vsync_end) \
  X(vtotal) X(vscan) X(vrefresh) X(flags) X(type)

void pvd_mode_in(mp_reader m, struct drm_mode_modeinfo *u) {
  memset(u, 0, sizeof *u);
  uint64_t v;
#define IN(f) if (!mp_field_uint(m, #f, &v)) u->f = (__typeof__(u->f))v;
  MODE_FIELDS(IN)
#undef IN
  pvd_strfield(m, "name", u->name, sizeof u->name);
}

void pvd_mode_out(mp_writer *w, const struct drm_mode_modeinfo *u) {
  mp_map(w, 15);
#define OUT(f) mp_kv_uint(w, #f, u->f);
  MODE_FIELDS(OUT)
#undef OUT
  mp_str(w, "name");
  mp_strn(w, u->name, strnlen(u->name, sizeof u->name));
}

/* ---- the core's own ioctls ---- */

/* drm_copy_field(): as much as fits, the full length back */
static int copy_field(mp_reader ok, const char *key, __kernel_size_t *len, char *uptr) {
  mp_reader v;
  mp_item s = {0};
  if (mp_find(ok, key, &v) || mp_next(&v, &s) || s.type != MP_STR) s.n = 0;
  size_t n = s.n < *len ? s.n : *len;
  *len = s.n;
  return n && uptr ? pvd_uwrite((uint64_t)(uintptr_t)uptr, s.data, n) : 0;
}

static int h_version(struct pvd_card *c, void *k) {
  struct drm_version *v = k;
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, "VERSION", &a, &r);
  if (e) return e;
  v->version_major = (int)pvd_i(&r, "major");
  v->version_minor = (int)pvd_i(&r, "minor");
  v->version_patchlevel = (int)pvd_i(&r, "patch");
  e = copy_field(r.ok, "name", &v->name_len, v->name);
  if (!e) e = copy_field(r.ok, "date", &v->date_len, v->date);
  if (!e) e = copy_field(r.ok, "desc", &v->desc_len, v->desc);
  pvd_reply_done(&r);
  return e;
}

static int h_get_unique(struct pvd_card *c, void *k) {
  struct drm_unique *u = k;
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, "GET_UNIQUE", &a, &r);
  if (e) return e;
  mp_reader v;
  mp_item s = {0};
  if (mp_find(r.ok, "unique", &v) || mp_next(&v, &s) || s.type != MP_STR) s.n = 0;
  if (u->unique_len >= s.n) e = pvd_uwrite((uint64_t)(uintptr_t)u->unique, s.data, s.n);
  if (!e) u->unique_len = s.n;
  pvd_reply_done(&r);
  return e;
}

static int h_set_version(struct pvd_card *c, void *k) {
  struct drm_set_version *sv = k;
  ARGS(a, 64);
  mp_map(&a, 4);
  mp_str(&a, "di_major"), mp_int(&a, sv->drm_di_major);
  mp_str(&a, "di_minor"), mp_int(&a, sv->drm_di_minor);
  mp_str(&a, "dd_major"), mp_int(&a, sv->drm_dd_major);
  mp_str(&a, "dd_minor"), mp_int(&a, sv->drm_dd_minor);
  struct pvd_reply r;
  int e = pvd_op(c, "SET_VERSION", &a, &r);
  if (e) return e;
  sv->drm_di_major = (int)pvd_i(&r, "di_major");
  sv->drm_di_minor = (int)pvd_i(&r, "di_minor");
  sv->drm_dd_major = (int)pvd_i(&r, "dd_major");
  sv->drm_dd_minor = (int)pvd_i(&r, "dd_minor");
  pvd_reply_done(&r);
  return 0;
}

static int h_get_cap(struct pvd_card *c, void *k) {
  struct drm_get_cap *g = k;
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "capability", g->capability);
  struct pvd_reply r;
  int e = pvd_op(c, "GET_CAP", &a, &r);
  if (e) return e;
  g->value = pvd_u(&r, "value");
  pvd_reply_done(&r);
  return 0;
}

static int h_set_client_cap(struct pvd_card *c, void *k) {
  struct drm_set_client_cap *s = k;
  ARGS(a, 48);
  mp_map(&a, 2);
  mp_kv_uint(&a, "capability", s->capability);
  mp_kv_uint(&a, "value", s->value);
  struct pvd_reply r;
  int e = pvd_op(c, "SET_CLIENT_CAP", &a, &r);
  if (e) return e;
  pvd_reply_done(&r);
  if (s->capability == DRM_CLIENT_CAP_ATOMIC) c->atomic = s->value != 0;
  return 0;
}

static int h_get_magic(struct pvd_card *c, void *k) {
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, "GET_MAGIC", &a, &r);
  if (e) return e;
  ((struct drm_auth *)k)->magic = (unsigned)pvd_u(&r, "magic");
  pvd_reply_done(&r);
  return 0;
}

static int h_auth_magic(struct pvd_card *c, void *k) {
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "magic", ((struct drm_auth *)k)->magic);
  struct pvd_reply r;
  int e = pvd_op(c, "AUTH_MAGIC", &a, &r);
  if (!e) pvd_reply_done(&r);
  return e;
}

static int h_set_master(struct pvd_card *c, void *k) { (void)k; return pvd_op_void(c, "SET_MASTER"); }
static int h_drop_master(struct pvd_card *c, void *k) { (void)k; return pvd_op_void(c, "DROP_MASTER"); }

/* drm_getclient(): only this file's own entry (idx 0) exists */
static int h_get_client(struct pvd_card *c, void *k) {
  (void)c;
  struct drm_client *cl = k;
  if (cl->idx != 0) return -EINVAL;
  cl->auth = 1;
  cl->pid = (unsigned long)getpid();
  cl->uid = (unsigned long)geteuid();
  cl->magic = 0;
  cl->iocs = 0;
  return 0;
}

static int h_get_stats(struct pvd_card *c, void *k) {
  (void)c;
  memset(k, 0, sizeof(struct drm_stats));
  return 0;
}

static pvd_handler core_handler(unsigned nr) {
  switch (nr) {
  case DRM_IOCTL_NR(DRM_IOCTL_VERSION): return h_version;
  case DRM_IOCTL_NR(DRM_IOCTL_GET_UNIQUE): return h_get_unique;
  case DRM_IOCTL_NR(DRM_IOCTL_SET_VERSION): return h_set_version;
  case DRM_IOCTL_NR(DRM_IOCTL_GET_CAP): return h_get_cap;
  case DRM_IOCTL_NR(DRM_IOCTL_SET_CLIENT_CAP): return h_set_client_cap;
  case DRM_IOCTL_NR(DRM_IOCTL_GET_MAGIC): return h_get_magic;
  case DRM_IOCTL_NR(DRM_IOCTL_AUTH_MAGIC): return h_auth_magic;
  case DRM_IOCTL_NR(DRM_IOCTL_SET_MASTER): return h_set_master;
  case DRM_IOCTL_NR(DRM_IOCTL_DROP_MASTER): return h_drop_master;
  case DRM_IOCTL_NR(DRM_IOCTL_GET_CLIENT): return h_get_client;
  case DRM_IOCTL_NR(DRM_IOCTL_GET_STATS): return h_get_stats;
  default: break;
  }
  pvd_handler h = pvd_mode_handler(nr);
  return h ? h : pvd_kms_handler(nr);
}

/* ---- dispatch, in drm_ioctl()'s order ---- */

int pvd_card_ioctl(struct pvd_card *c, unsigned long cmd, void *arg) {
  if (c->gone) return -ENODEV;
  if (_IOC_TYPE(cmd) != DRM_IOCTL_BASE) return -ENOTTY;
  unsigned nr = _IOC_NR(cmd);
  if (nr >= DRM_COMMAND_BASE && nr < DRM_COMMAND_END) return -EINVAL; /* the driver has no ioctls of its own */
  const struct entry *ent = &TABLE[nr];
  if (ent->kind == NONE) return -EINVAL;
  size_t drv = _IOC_SIZE(ent->cmd), in = _IOC_SIZE(cmd), out = in;
  if (!(cmd & ent->cmd & IOC_IN)) in = 0;
  if (!(cmd & ent->cmd & IOC_OUT)) out = 0;
  size_t ksize = drv > in ? drv : in;
  if (out > ksize) ksize = out;
  uint8_t kdata[16384] __attribute__((aligned(16)));
  memset(kdata, 0, ksize);
  if (pvd_uread(kdata, (uint64_t)(uintptr_t)arg, in)) return -EFAULT;
  int r = 0;
  if ((ent->kind == NOOP_ROOT || ent->kind == INVALID_ROOT) && geteuid() != 0) r = -EACCES;
  else if (ent->kind == INVALID_ROOT) r = -EINVAL;
  else if (ent->kind == NOTSUPP) r = -EOPNOTSUPP;
  else if (ent->kind == CALL) {
    pthread_mutex_lock(&c->lock);
    r = core_handler(nr)(c, kdata);
    pthread_mutex_unlock(&c->lock);
  }
  /* the kernel copies the argument back even when the ioctl failed */
  if (pvd_uwrite((uint64_t)(uintptr_t)arg, kdata, out)) r = -EFAULT;
  return r;
}
