/* The KMS query ioctls: resources, CRTCs, encoders, connectors, planes, properties, blobs, framebuffers, with
 * the kernel's two-call "count, then fill" rules (some lists partial, some all-or-nothing, as drm_mode_*). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ioctl.h"

#define ID_ARG(a, key, v) \
  ARGS(a, 48);            \
  mp_map(&a, 1);          \
  mp_kv_uint(&a, key, v)

static int h_getresources(struct pvd_card *c, void *k) {
  struct drm_mode_card_res *res = k;
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETRESOURCES", &a, &r);
  if (e) return e;
  e = pvd_put_partial(r.ok, "fbs", res->fb_id_ptr, &res->count_fbs, 4);
  if (!e) e = pvd_put_partial(r.ok, "crtcs", res->crtc_id_ptr, &res->count_crtcs, 4);
  if (!e) e = pvd_put_partial(r.ok, "encoders", res->encoder_id_ptr, &res->count_encoders, 4);
  if (!e) e = pvd_put_partial(r.ok, "connectors", res->connector_id_ptr, &res->count_connectors, 4);
  res->min_width = (uint32_t)pvd_u(&r, "min_width");
  res->max_width = (uint32_t)pvd_u(&r, "max_width");
  res->min_height = (uint32_t)pvd_u(&r, "min_height");
  res->max_height = (uint32_t)pvd_u(&r, "max_height");
  pvd_reply_done(&r);
  return e;
}

static int h_getcrtc(struct pvd_card *c, void *k) {
  struct drm_mode_crtc *cr = k;
  ID_ARG(a, "crtc_id", cr->crtc_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETCRTC", &a, &r);
  if (e) return e;
  cr->fb_id = (uint32_t)pvd_u(&r, "fb_id");
  cr->x = (uint32_t)pvd_u(&r, "x");
  cr->y = (uint32_t)pvd_u(&r, "y");
  cr->gamma_size = (uint32_t)pvd_u(&r, "gamma_size");
  cr->mode_valid = (uint32_t)pvd_u(&r, "mode_valid");
  mp_reader m;
  mp_item it;
  memset(&cr->mode, 0, sizeof cr->mode);
  if (!mp_find(r.ok, "mode", &m)) {
    mp_reader peek = m;
    if (!mp_next(&peek, &it) && it.type == MP_MAP) pvd_mode_in(m, &cr->mode);
  }
  pvd_reply_done(&r);
  return 0;
}

static int h_getencoder(struct pvd_card *c, void *k) {
  struct drm_mode_get_encoder *en = k;
  ID_ARG(a, "encoder_id", en->encoder_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETENCODER", &a, &r);
  if (e) return e;
  en->encoder_type = (uint32_t)pvd_u(&r, "encoder_type");
  en->crtc_id = (uint32_t)pvd_u(&r, "crtc_id");
  en->possible_crtcs = (uint32_t)pvd_u(&r, "possible_crtcs");
  en->possible_clones = (uint32_t)pvd_u(&r, "possible_clones");
  pvd_reply_done(&r);
  return 0;
}

/* drm_mode_object_get_properties(): a partial fill of ids and values */
static int get_props(struct pvd_card *c, uint32_t obj, uint32_t type, uint64_t ids, uint64_t vals, uint32_t *count) {
  ARGS(a, 64);
  mp_map(&a, 2);
  mp_kv_uint(&a, "obj_id", obj);
  mp_kv_uint(&a, "obj_type", type);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_OBJ_GETPROPERTIES", &a, &r);
  if (e) return e;
  uint32_t n = *count;
  e = pvd_put_partial(r.ok, "props", ids, &n, 4);
  if (!e) e = pvd_put_partial(r.ok, "prop_values", vals, count, 8);
  pvd_reply_done(&r);
  return e;
}

static int h_getconnector(struct pvd_card *c, void *k) {
  struct drm_mode_get_connector *cn = k;
  ID_ARG(a, "connector_id", cn->connector_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETCONNECTOR", &a, &r);
  if (e) return e;
  e = pvd_put_all(r.ok, "encoders", cn->encoders_ptr, &cn->count_encoders, 4);
  cn->connector_type = (uint32_t)pvd_u(&r, "connector_type");
  cn->connector_type_id = (uint32_t)pvd_u(&r, "connector_type_id");
  cn->mm_width = (uint32_t)pvd_u(&r, "mm_width");
  cn->mm_height = (uint32_t)pvd_u(&r, "mm_height");
  cn->subpixel = (uint32_t)pvd_u(&r, "subpixel");
  cn->connection = (uint32_t)pvd_u(&r, "connection");
  mp_reader it;
  uint32_t n;
  pvd_array(r.ok, "modes", &it, &n);
  if (!e && cn->count_modes >= n && n) {
    struct drm_mode_modeinfo *modes = calloc(n, sizeof *modes);
    if (!modes) e = -ENOMEM;
    for (uint32_t i = 0; modes && i < n; i++) {
      pvd_mode_in(it, &modes[i]);
      mp_skip(&it);
    }
    if (modes) e = pvd_uwrite(cn->modes_ptr, modes, n * sizeof *modes);
    free(modes);
  }
  if (!e) cn->count_modes = n;
  cn->encoder_id = (uint32_t)pvd_u(&r, "encoder_id");
  pvd_reply_done(&r);
  if (!e) e = get_props(c, cn->connector_id, DRM_MODE_OBJECT_CONNECTOR, cn->props_ptr, cn->prop_values_ptr, &cn->count_props);
  return e;
}

static int h_obj_getproperties(struct pvd_card *c, void *k) {
  struct drm_mode_obj_get_properties *o = k;
  return get_props(c, o->obj_id, o->obj_type, o->props_ptr, o->prop_values_ptr, &o->count_props);
}

static int h_getproperty(struct pvd_card *c, void *k) {
  struct drm_mode_get_property *p = k;
  ID_ARG(a, "prop_id", p->prop_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETPROPERTY", &a, &r);
  if (e) return e;
  pvd_strfield(r.ok, "name", p->name, sizeof p->name);
  p->flags = (uint32_t)pvd_u(&r, "flags");
  e = pvd_put_partial(r.ok, "values", p->values_ptr, &p->count_values, 8);
  if (!e && (p->flags & (DRM_MODE_PROP_ENUM | DRM_MODE_PROP_BITMASK))) {
    mp_reader it;
    uint32_t n;
    pvd_array(r.ok, "enums", &it, &n);
    uint32_t fill = n < p->count_enum_blobs ? n : p->count_enum_blobs;
    struct drm_mode_property_enum *en = fill ? calloc(fill, sizeof *en) : NULL;
    if (fill && !en) e = -ENOMEM;
    for (uint32_t i = 0; en && i < fill; i++) {
      uint64_t v = 0;
      mp_field_uint(it, "value", &v);
      en[i].value = v;
      pvd_strfield(it, "name", en[i].name, sizeof en[i].name);
      mp_skip(&it);
    }
    if (en) e = pvd_uwrite(p->enum_blob_ptr, en, fill * sizeof *en);
    free(en);
    if (!e) p->count_enum_blobs = n;
  }
  if (p->flags & DRM_MODE_PROP_BLOB) p->count_enum_blobs = 0;
  pvd_reply_done(&r);
  return e;
}

static int h_getpropblob(struct pvd_card *c, void *k) {
  struct drm_mode_get_blob *b = k;
  ARGS(a, 64);
  mp_map(&a, 2);
  mp_kv_uint(&a, "blob_id", b->blob_id);
  mp_kv_uint(&a, "length", b->length);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETPROPBLOB", &a, &r);
  if (e) return e;
  uint32_t len = (uint32_t)pvd_u(&r, "length");
  mp_reader v;
  mp_item d;
  if (len == b->length && !mp_find(r.ok, "data", &v) && !mp_next(&v, &d) && d.type == MP_BIN)
    e = pvd_uwrite(b->data, d.data, d.n);
  if (!e) b->length = len;
  pvd_reply_done(&r);
  return e;
}

static int h_getplaneresources(struct pvd_card *c, void *k) {
  struct drm_mode_get_plane_res *p = k;
  ARGS(a, 4);
  mp_map(&a, 0);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETPLANERESOURCES", &a, &r);
  if (e) return e;
  e = pvd_put_partial(r.ok, "planes", p->plane_id_ptr, &p->count_planes, 4);
  pvd_reply_done(&r);
  return e;
}

static int h_getplane(struct pvd_card *c, void *k) {
  struct drm_mode_get_plane *p = k;
  ID_ARG(a, "plane_id", p->plane_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETPLANE", &a, &r);
  if (e) return e;
  p->crtc_id = (uint32_t)pvd_u(&r, "crtc_id");
  p->fb_id = (uint32_t)pvd_u(&r, "fb_id");
  p->possible_crtcs = (uint32_t)pvd_u(&r, "possible_crtcs");
  p->gamma_size = (uint32_t)pvd_u(&r, "gamma_size");
  e = pvd_put_all(r.ok, "format_types", p->format_type_ptr, &p->count_format_types, 4);
  pvd_reply_done(&r);
  return e;
}

static int h_getfb(struct pvd_card *c, void *k) {
  struct drm_mode_fb_cmd *f = k;
  ID_ARG(a, "fb_id", f->fb_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETFB", &a, &r);
  if (e) return e;
  f->width = (uint32_t)pvd_u(&r, "width");
  f->height = (uint32_t)pvd_u(&r, "height");
  f->pitch = (uint32_t)pvd_u(&r, "pitch");
  f->bpp = (uint32_t)pvd_u(&r, "bpp");
  f->depth = (uint32_t)pvd_u(&r, "depth");
  f->handle = (uint32_t)pvd_u(&r, "handle");
  pvd_reply_done(&r);
  return 0;
}

static void u32s(mp_reader map, const char *key, uint32_t *out) {
  mp_reader it;
  uint32_t n;
  pvd_array(map, key, &it, &n);
  for (uint32_t i = 0; i < 4 && i < n; i++) out[i] = (uint32_t)pvd_next_u(&it);
}

static int h_getfb2(struct pvd_card *c, void *k) {
  struct drm_mode_fb_cmd2 *f = k;
  ID_ARG(a, "fb_id", f->fb_id);
  struct pvd_reply r;
  int e = pvd_op(c, "MODE_GETFB2", &a, &r);
  if (e) return e;
  f->width = (uint32_t)pvd_u(&r, "width");
  f->height = (uint32_t)pvd_u(&r, "height");
  f->pixel_format = (uint32_t)pvd_u(&r, "pixel_format");
  f->flags = (uint32_t)pvd_u(&r, "flags");
  u32s(r.ok, "handles", f->handles);
  u32s(r.ok, "pitches", f->pitches);
  u32s(r.ok, "offsets", f->offsets);
  mp_reader it;
  uint32_t n;
  pvd_array(r.ok, "modifier", &it, &n);
  for (uint32_t i = 0; i < 4 && i < n; i++) f->modifier[i] = pvd_next_u(&it);
  pvd_reply_done(&r);
  return 0;
}

pvd_handler pvd_mode_handler(unsigned nr) {
  switch (nr) {
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETRESOURCES): return h_getresources;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETCRTC): return h_getcrtc;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETENCODER): return h_getencoder;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETCONNECTOR): return h_getconnector;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_OBJ_GETPROPERTIES): return h_obj_getproperties;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETPROPERTY): return h_getproperty;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETPROPBLOB): return h_getpropblob;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETPLANERESOURCES): return h_getplaneresources;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETPLANE): return h_getplane;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETFB): return h_getfb;
  case DRM_IOCTL_NR(DRM_IOCTL_MODE_GETFB2): return h_getfb2;
  default: return NULL;
  }
}
