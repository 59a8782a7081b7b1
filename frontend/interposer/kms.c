/* The KMS and GEM ioctls that change state: modesets, flips, atomic commits (fences in and out), framebuffers,
 * dumb buffers (MAP_DUMB's fake offsets), planes, properties, blobs, vblank waits, PRIME, cursor and gamma. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ioctl.h"

#define PACKET_ARGS (256 * 1024)

/* An op with a single-map reply that the handler ignores. */
static int simple(struct pvd_card *c, const char *op, mp_writer *a) {
  struct pvd_reply r;
  int e = pvd_op(c, op, a, &r);
  if (!e) pvd_reply_done(&r);
  return e;
}

static int h_create_dumb(struct pvd_card *c, void *k) {
  struct drm_mode_create_dumb *d = k;
  ARGS(a, 96);
  mp_map(&a, 4);
  mp_kv_uint(&a, "width", d->width);
  mp_kv_uint(&a, "height", d->height);
  mp_kv_uint(&a, "bpp", d->bpp);
  mp_kv_uint(&a, "flags", d->flags);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_CREATE_DUMB", &a, &r);
  if (e) return e;
  d->handle = (uint32_t)pvd_u(&r, "handle");
  d->pitch = (uint32_t)pvd_u(&r, "pitch");
  d->size = pvd_u(&r, "size");
  pvd_reply_done(&r);
  return 0;
}

static int h_map_dumb(struct pvd_card *c, void *k) {
  struct drm_mode_map_dumb *m = k;
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "handle", m->handle);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_MAP_DUMB", &a, &r);
  if (e) return e;
  if (r.nfds < 1) e = -EPROTO;
  else {
    uint64_t off = 0;
    e = pvd_map_add(c, m->handle, pvd_u(&r, "size"), r.fds[0], &off);
    m->offset = off;
    r.fds[0] = -1;
  }
  pvd_reply_done(&r);
  return e;
}

static int close_handle(struct pvd_card *c, const char *op, uint32_t handle) {
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "handle", handle);
  int e = simple(c, op, &a);
  if (!e) pvd_map_drop(c, handle);
  return e;
}

static int h_destroy_dumb(struct pvd_card *c, void *k) { return close_handle(c, "MODE_DESTROY_DUMB", ((struct drm_mode_destroy_dumb *)k)->handle); }
static int h_gem_close(struct pvd_card *c, void *k) { return close_handle(c, "GEM_CLOSE", ((struct drm_gem_close *)k)->handle); }

static int h_addfb(struct pvd_card *c, void *k) {
  struct drm_mode_fb_cmd *f = k;
  ARGS(a, 128);
  mp_map(&a, 6);
  mp_kv_uint(&a, "width", f->width);
  mp_kv_uint(&a, "height", f->height);
  mp_kv_uint(&a, "pitch", f->pitch);
  mp_kv_uint(&a, "bpp", f->bpp);
  mp_kv_uint(&a, "depth", f->depth);
  mp_kv_uint(&a, "handle", f->handle);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_ADDFB", &a, &r);
  if (e) return e;
  f->fb_id = (uint32_t)pvd_u(&r, "fb_id");
  pvd_reply_done(&r);
  return 0;
}

static void u32_array(mp_writer *w, const char *key, const uint32_t *v, int n) {
  mp_str(w, key);
  mp_array(w, (uint32_t)n);
  for (int i = 0; i < n; i++) mp_uint(w, v[i]);
}

static int h_addfb2(struct pvd_card *c, void *k) {
  struct drm_mode_fb_cmd2 *f = k;
  int mods = !!(f->flags & DRM_MODE_FB_MODIFIERS);
  ARGS(a, 512);
  mp_map(&a, 7 + (uint32_t)mods);
  mp_kv_uint(&a, "width", f->width);
  mp_kv_uint(&a, "height", f->height);
  mp_kv_uint(&a, "pixel_format", f->pixel_format);
  mp_kv_uint(&a, "flags", f->flags);
  u32_array(&a, "handles", f->handles, 4);
  u32_array(&a, "pitches", f->pitches, 4);
  u32_array(&a, "offsets", f->offsets, 4);
  if (mods) {
    mp_str(&a, "modifier");
    mp_array(&a, 4);
    for (int i = 0; i < 4; i++) mp_uint(&a, f->modifier[i]);
  }
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_ADDFB2", &a, &r);
  if (e) return e;
  f->fb_id = (uint32_t)pvd_u(&r, "fb_id");
  pvd_reply_done(&r);
  return 0;
}

static int h_rmfb(struct pvd_card *c, void *k) {
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "fb_id", *(unsigned int *)k);
  return simple(c, "MODE_RMFB", &a);
}

#ifdef DRM_IOCTL_MODE_CLOSEFB
static int h_closefb(struct pvd_card *c, void *k) {
  struct drm_mode_closefb *f = k;
  ARGS(a, 48);
  mp_map(&a, 2);
  mp_kv_uint(&a, "fb_id", f->fb_id);
  mp_kv_uint(&a, "pad", f->pad);
  return simple(c, "MODE_CLOSEFB", &a);
}
#endif

static int h_dirtyfb(struct pvd_card *c, void *k) {
  struct drm_mode_fb_dirty_cmd *d = k;
  /* the device node checks the count; clips are copied only while within its limit */
  size_t n = d->clips_ptr && d->num_clips <= DRM_MODE_FB_DIRTY_MAX_CLIPS ? d->num_clips : 0;
  struct drm_clip_rect *clips = n ? malloc(n * sizeof *clips) : NULL;
  if (n && !clips) return -ENOMEM;
  if (n && pvd_uread(clips, d->clips_ptr, n * sizeof *clips)) {
    free(clips);
    return -EFAULT;
  }
  ARGS(a, 128 + DRM_MODE_FB_DIRTY_MAX_CLIPS * sizeof(struct drm_clip_rect));
  mp_map(&a, 5);
  mp_kv_uint(&a, "fb_id", d->fb_id);
  mp_kv_uint(&a, "flags", d->flags);
  mp_kv_uint(&a, "color", d->color);
  mp_kv_uint(&a, "num_clips", d->num_clips);
  mp_str(&a, "clips");
  if (d->clips_ptr) mp_bin(&a, clips, n * sizeof *clips);
  else mp_nil(&a);
  free(clips);
  return simple(c, "MODE_DIRTYFB", &a);
}

static int h_setcrtc(struct pvd_card *c, void *k) {
  struct drm_mode_crtc *cr = k;
  uint32_t n = cr->count_connectors;
  if (n > 1024) n = 1024; /* the device node refuses more than it supports anyway */
  uint32_t *ids = n ? malloc(n * 4) : NULL;
  if (n && !ids) return -ENOMEM;
  if (n && pvd_uread(ids, cr->set_connectors_ptr, n * 4)) {
    free(ids);
    return -EFAULT;
  }
  mp_writer a = {malloc(1024 + n * 6), 1024 + n * 6, 0, 0};
  if (!a.buf) {
    free(ids);
    return -ENOMEM;
  }
  mp_map(&a, 6);
  mp_kv_uint(&a, "crtc_id", cr->crtc_id);
  mp_kv_uint(&a, "fb_id", cr->fb_id);
  mp_kv_uint(&a, "x", cr->x);
  mp_kv_uint(&a, "y", cr->y);
  mp_str(&a, "connectors");
  mp_array(&a, cr->count_connectors > n ? cr->count_connectors : n);
  for (uint32_t i = 0; i < n; i++) mp_uint(&a, ids[i]);
  for (uint32_t i = n; i < cr->count_connectors; i++) mp_uint(&a, 0);
  mp_str(&a, "mode");
  if (cr->mode_valid) pvd_mode_out(&a, &cr->mode);
  else mp_nil(&a);
  free(ids);
  int e = a.overflow ? -EINVAL : simple(c, "MODE_SETCRTC", &a);
  free(a.buf);
  return e;
}

static int cursor(struct pvd_card *c, const char *op, uint32_t flags, uint32_t crtc) {
  ARGS(a, 48);
  mp_map(&a, 2);
  mp_kv_uint(&a, "flags", flags);
  mp_kv_uint(&a, "crtc_id", crtc);
  return simple(c, op, &a);
}

static int h_cursor(struct pvd_card *c, void *k) {
  struct drm_mode_cursor *m = k;
  return cursor(c, "MODE_CURSOR", m->flags, m->crtc_id);
}

static int h_cursor2(struct pvd_card *c, void *k) {
  struct drm_mode_cursor2 *m = k;
  return cursor(c, "MODE_CURSOR2", m->flags, m->crtc_id);
}

static int gamma_op(struct pvd_card *c, const char *op, void *k) {
  struct drm_mode_crtc_lut *l = k;
  ARGS(a, 48);
  mp_map(&a, 2);
  mp_kv_uint(&a, "crtc_id", l->crtc_id);
  mp_kv_uint(&a, "gamma_size", l->gamma_size);
  return simple(c, op, &a);
}

static int h_getgamma(struct pvd_card *c, void *k) { return gamma_op(c, "MODE_GETGAMMA", k); }
static int h_setgamma(struct pvd_card *c, void *k) { return gamma_op(c, "MODE_SETGAMMA", k); }

static int h_setproperty(struct pvd_card *c, void *k) {
  struct drm_mode_connector_set_property *p = k;
  ARGS(a, 96);
  mp_map(&a, 3);
  mp_kv_uint(&a, "connector_id", p->connector_id);
  mp_kv_uint(&a, "prop_id", p->prop_id);
  mp_str(&a, "value");
  mp_int(&a, (int64_t)p->value);
  return simple(c, "MODE_SETPROPERTY", &a);
}

static int h_obj_setproperty(struct pvd_card *c, void *k) {
  struct drm_mode_obj_set_property *p = k;
  ARGS(a, 128);
  mp_map(&a, 4);
  mp_kv_uint(&a, "obj_id", p->obj_id);
  mp_kv_uint(&a, "obj_type", p->obj_type);
  mp_kv_uint(&a, "prop_id", p->prop_id);
  mp_str(&a, "value");
  mp_int(&a, (int64_t)p->value);
  return simple(c, "MODE_OBJ_SETPROPERTY", &a);
}

static int h_page_flip(struct pvd_card *c, void *k) {
  struct drm_mode_crtc_page_flip_target *f = k;
  int target = !!(f->flags & DRM_MODE_PAGE_FLIP_TARGET);
  ARGS(a, 128);
  mp_map(&a, 4 + (uint32_t)target);
  mp_kv_uint(&a, "crtc_id", f->crtc_id);
  mp_kv_uint(&a, "fb_id", f->fb_id);
  mp_kv_uint(&a, "flags", f->flags);
  mp_str(&a, "user_data");
  mp_bin(&a, &f->user_data, 8);
  if (target) mp_kv_uint(&a, "sequence", f->sequence);
  return simple(c, "MODE_PAGE_FLIP", &a);
}

static int h_createpropblob(struct pvd_card *c, void *k) {
  struct drm_mode_create_blob *b = k;
  if (b->length > PACKET_ARGS - 64) return -ENOMEM;
  uint8_t *data = b->length ? malloc(b->length) : NULL;
  if (b->length && !data) return -ENOMEM;
  if (b->length && pvd_uread(data, b->data, b->length)) {
    free(data);
    return -EFAULT;
  }
  mp_writer a = {malloc(b->length + 64), b->length + 64, 0, 0};
  int e = -ENOMEM;
  if (a.buf) {
    mp_map(&a, 1);
    mp_str(&a, "data");
    mp_bin(&a, data, b->length);
    struct pvd_reply r;
    e = pvd_op(c, "MODE_CREATEPROPBLOB", &a, &r);
    if (!e) {
      b->blob_id = (uint32_t)pvd_u(&r, "blob_id");
      pvd_reply_done(&r);
    }
  }
  free(a.buf);
  free(data);
  return e;
}

static int h_destroypropblob(struct pvd_card *c, void *k) {
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "blob_id", ((struct drm_mode_destroy_blob *)k)->blob_id);
  return simple(c, "MODE_DESTROYPROPBLOB", &a);
}

static int h_wait_vblank(struct pvd_card *c, void *k) {
  union drm_wait_vblank *v = k;
  ARGS(a, 96);
  mp_map(&a, 3);
  mp_kv_uint(&a, "type", v->request.type);
  mp_kv_uint(&a, "sequence", v->request.sequence);
  mp_kv_uint(&a, "signal", v->request.signal);
  struct pvd_reply r;
  int e = pvd_op(c, "WAIT_VBLANK", &a, &r);
  if (e) return e;
  v->reply.type = (enum drm_vblank_seq_type)pvd_u(&r, "type");
  v->reply.sequence = (unsigned)pvd_u(&r, "sequence");
  v->reply.tval_sec = (long)pvd_i(&r, "tval_sec");
  v->reply.tval_usec = (long)pvd_i(&r, "tval_usec");
  pvd_reply_done(&r);
  return 0;
}

static int h_get_sequence(struct pvd_card *c, void *k) {
  struct drm_crtc_get_sequence *s = k;
  ARGS(a, 32);
  mp_map(&a, 1);
  mp_kv_uint(&a, "crtc_id", s->crtc_id);
  struct pvd_reply r;
  int e = pvd_op(c, "CRTC_GET_SEQUENCE", &a, &r);
  if (e) return e;
  s->active = (uint32_t)pvd_u(&r, "active");
  s->sequence = pvd_u(&r, "sequence");
  s->sequence_ns = pvd_i(&r, "sequence_ns");
  pvd_reply_done(&r);
  return 0;
}

static int h_queue_sequence(struct pvd_card *c, void *k) {
  struct drm_crtc_queue_sequence *s = k;
  ARGS(a, 128);
  mp_map(&a, 4);
  mp_kv_uint(&a, "crtc_id", s->crtc_id);
  mp_kv_uint(&a, "flags", s->flags);
  mp_kv_uint(&a, "sequence", s->sequence);
  mp_kv_uint(&a, "user_data", s->user_data);
  struct pvd_reply r;
  int e = pvd_op(c, "CRTC_QUEUE_SEQUENCE", &a, &r);
  if (e) return e;
  s->sequence = pvd_u(&r, "sequence");
  pvd_reply_done(&r);
  return 0;
}

static int h_handle_to_fd(struct pvd_card *c, void *k) {
  struct drm_prime_handle *p = k;
  ARGS(a, 48);
  mp_map(&a, 2);
  mp_kv_uint(&a, "handle", p->handle);
  mp_kv_uint(&a, "flags", p->flags);
  struct pvd_reply r;
  int e = pvd_op(c, "PRIME_HANDLE_TO_FD", &a, &r);
  if (e) return e;
  if (r.nfds < 1) e = -EPROTO;
  else {
    /* fds arrive close-on-exec: keep that only if asked */
    if (!(p->flags & DRM_CLOEXEC)) syscall(SYS_fcntl, r.fds[0], F_SETFD, 0);
    p->fd = r.fds[0];
    r.fds[0] = -1;
  }
  pvd_reply_done(&r);
  return e;
}

static int h_fd_to_handle(struct pvd_card *c, void *k) {
  struct drm_prime_handle *p = k;
  if (syscall(SYS_fcntl, p->fd, F_GETFD) < 0) return -EBADF;
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op_fds(c, "PRIME_FD_TO_HANDLE", &a, &p->fd, 1, &r);
  if (e) return e;
  p->handle = (uint32_t)pvd_u(&r, "handle");
  pvd_reply_done(&r);
  return 0;
}

static int h_setplane(struct pvd_card *c, void *k) {
  struct drm_mode_set_plane *p = k;
  ARGS(a, 256);
  mp_map(&a, 12);
  mp_kv_uint(&a, "plane_id", p->plane_id);
  mp_kv_uint(&a, "crtc_id", p->crtc_id);
  mp_kv_uint(&a, "fb_id", p->fb_id);
  mp_kv_uint(&a, "flags", p->flags);
  mp_str(&a, "crtc_x"), mp_int(&a, p->crtc_x);
  mp_str(&a, "crtc_y"), mp_int(&a, p->crtc_y);
  mp_kv_uint(&a, "crtc_w", p->crtc_w);
  mp_kv_uint(&a, "crtc_h", p->crtc_h);
  mp_kv_uint(&a, "src_x", p->src_x);
  mp_kv_uint(&a, "src_y", p->src_y);
  mp_kv_uint(&a, "src_w", p->src_w);
  mp_kv_uint(&a, "src_h", p->src_h);
  return simple(c, "MODE_SETPLANE", &a);
}

pvd_handler pvd_atomic_handler(void);

pvd_handler pvd_kms_handler(unsigned nr) {
  switch (nr) {
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_CREATE_DUMB): return h_create_dumb;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_MAP_DUMB): return h_map_dumb;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_DESTROY_DUMB): return h_destroy_dumb;
  case DRM_IOCTL_NR(DRM_IOCTL_GEM_CLOSE): return h_gem_close;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_ADDFB): return h_addfb;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_ADDFB2): return h_addfb2;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_RMFB): return h_rmfb;
#ifdef DRM_IOCTL_MODE_CLOSEFB
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_CLOSEFB): return h_closefb;
#endif
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_DIRTYFB): return h_dirtyfb;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_SETCRTC): return h_setcrtc;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_CURSOR): return h_cursor;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_CURSOR2): return h_cursor2;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETGAMMA): return h_getgamma;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_SETGAMMA): return h_setgamma;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_SETPROPERTY): return h_setproperty;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_OBJ_SETPROPERTY): return h_obj_setproperty;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_PAGE_FLIP): return h_page_flip;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_CREATEPROPBLOB): return h_createpropblob;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_DESTROYPROPBLOB): return h_destroypropblob;
  case DRM_IOCTL_NR(DRM_IOCTL_WAIT_VBLANK): return h_wait_vblank;
  case DRM_IOCTL_NR(DRM_IOCTL_CRTC_GET_SEQUENCE): return h_get_sequence;
  case DRM_IOCTL_NR(DRM_IOCTL_CRTC_QUEUE_SEQUENCE): return h_queue_sequence;
  case DRM_IOCTL_NR(DRM_IOCTL_PRIME_HANDLE_TO_FD): return h_handle_to_fd;
  case DRM_IOCTL_NR(DRM_IOCTL_PRIME_FD_TO_HANDLE): return h_fd_to_handle;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_ATOMIC): return pvd_atomic_handler();
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_SETPLANE): return h_setplane;
  default: return NULL;
  }
}
