/* The msgpack subset of msgpack.h: big-endian headers as the spec defines them. */
#include "msgpack.h"
#include <string.h>

static void put(mp_writer *w, const void *p, size_t n) {
  if (w->overflow || w->cap - w->len < n) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void put_be(mp_writer *w, uint8_t tag, uint64_t v, int bytes) {
  uint8_t b[9];
  b[0] = tag;
  for (int i = 0; i < bytes; i++) b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
  put(w, b, (size_t)bytes + 1);
}

static void header(mp_writer *w, uint32_t n, uint8_t fix, uint32_t fixmax, uint8_t t16, uint8_t t32) {
  if (n <= fixmax) {
    uint8_t b = (uint8_t)(fix | n);
    put(w, &b, 1);
  } else if (n <= 0xffff) {
    put_be(w, t16, n, 2);
  } else {
    put_be(w, t32, n, 4);
  }
}

void mp_map(mp_writer *w, uint32_t n) { header(w, n, 0x80, 15, 0xde, 0xdf); }
void mp_array(mp_writer *w, uint32_t n) { header(w, n, 0x90, 15, 0xdc, 0xdd); }

void mp_uint(mp_writer *w, uint64_t v) {
  if (v < 0x80) {
    uint8_t b = (uint8_t)v;
    put(w, &b, 1);
  } else if (v <= 0xff) {
    put_be(w, 0xcc, v, 1);
  } else if (v <= 0xffff) {
    put_be(w, 0xcd, v, 2);
  } else if (v <= 0xffffffffu) {
    put_be(w, 0xce, v, 4);
  } else {
    put_be(w, 0xcf, v, 8);
  }
}

void mp_int(mp_writer *w, int64_t v) {
  if (v >= 0) return mp_uint(w, (uint64_t)v);
  if (v >= -32) {
    uint8_t b = (uint8_t)(int8_t)v;
    put(w, &b, 1);
  } else if (v >= INT8_MIN) {
    put_be(w, 0xd0, (uint8_t)(int8_t)v, 1);
  } else if (v >= INT16_MIN) {
    put_be(w, 0xd1, (uint16_t)(int16_t)v, 2);
  } else if (v >= INT32_MIN) {
    put_be(w, 0xd2, (uint32_t)(int32_t)v, 4);
  } else {
    put_be(w, 0xd3, (uint64_t)v, 8);
  }
}

void mp_bool(mp_writer *w, int v) {
  uint8_t b = v ? 0xc3 : 0xc2;
  put(w, &b, 1);
}

void mp_nil(mp_writer *w) {
  uint8_t b = 0xc0;
  put(w, &b, 1);
}

void mp_strn(mp_writer *w, const char *s, size_t n) {
  if (n <= 31) {
    uint8_t b = (uint8_t)(0xa0 | n);
    put(w, &b, 1);
  } else if (n <= 0xff) {
    put_be(w, 0xd9, n, 1);
  } else if (n <= 0xffff) {
    put_be(w, 0xda, n, 2);
  } else {
    put_be(w, 0xdb, n, 4);
  }
  put(w, s, n);
}

void mp_str(mp_writer *w, const char *s) { mp_strn(w, s, strlen(s)); }

void mp_bin(mp_writer *w, const void *p, size_t n) {
  if (n <= 0xff) put_be(w, 0xc4, n, 1);
  else if (n <= 0xffff) put_be(w, 0xc5, n, 2);
  else put_be(w, 0xc6, n, 4);
  put(w, p, n);
}

void mp_kv_uint(mp_writer *w, const char *key, uint64_t v) {
  mp_str(w, key);
  mp_uint(w, v);
}

static int take(mp_reader *r, size_t n, const uint8_t **at) {
  if ((size_t)(r->end - r->p) < n) return -1;
  *at = r->p;
  r->p += n;
  return 0;
}

static int be(mp_reader *r, int bytes, uint64_t *v) {
  const uint8_t *b;
  if (take(r, (size_t)bytes, &b)) return -1;
  *v = 0;
  for (int i = 0; i < bytes; i++) *v = (*v << 8) | b[i];
  return 0;
}

static int sized(mp_reader *r, mp_item *it, enum mp_type t, int lenbytes, uint32_t fixlen) {
  uint64_t n = fixlen;
  if (lenbytes && be(r, lenbytes, &n)) return -1;
  it->type = t;
  it->n = (uint32_t)n;
  if (t == MP_STR || t == MP_BIN) return take(r, (size_t)n, &it->data);
  return 0;
}

int mp_next(mp_reader *r, mp_item *it) {
  const uint8_t *b;
  uint64_t v;
  memset(it, 0, sizeof *it);
  if (take(r, 1, &b)) return -1;
  uint8_t t = *b;
  if (t <= 0x7f || t >= 0xe0) {
    it->type = MP_INT;
    it->i = t <= 0x7f ? t : (int8_t)t;
    it->u = (uint64_t)it->i;
    return 0;
  }
  if ((t & 0xf0) == 0x80) return sized(r, it, MP_MAP, 0, t & 0x0f);
  if ((t & 0xf0) == 0x90) return sized(r, it, MP_ARRAY, 0, t & 0x0f);
  if ((t & 0xe0) == 0xa0) return sized(r, it, MP_STR, 0, t & 0x1f);
  switch (t) {
  case 0xc0: it->type = MP_NIL; return 0;
  case 0xc2: case 0xc3: it->type = MP_BOOL; it->i = t == 0xc3; it->u = (uint64_t)it->i; return 0;
  case 0xc4: return sized(r, it, MP_BIN, 1, 0);
  case 0xc5: return sized(r, it, MP_BIN, 2, 0);
  case 0xc6: return sized(r, it, MP_BIN, 4, 0);
  case 0xd9: return sized(r, it, MP_STR, 1, 0);
  case 0xda: return sized(r, it, MP_STR, 2, 0);
  case 0xdb: return sized(r, it, MP_STR, 4, 0);
  case 0xdc: return sized(r, it, MP_ARRAY, 2, 0);
  case 0xdd: return sized(r, it, MP_ARRAY, 4, 0);
  case 0xde: return sized(r, it, MP_MAP, 2, 0);
  case 0xdf: return sized(r, it, MP_MAP, 4, 0);
  case 0xcc: case 0xcd: case 0xce: case 0xcf:
    if (be(r, 1 << (t - 0xcc), &v)) return -1;
    it->type = MP_INT;
    it->u = v;
    it->i = (int64_t)v;
    return 0;
  case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
    int bytes = 1 << (t - 0xd0);
    if (be(r, bytes, &v)) return -1;
    int shift = 64 - 8 * bytes;
    it->type = MP_INT;
    it->i = shift ? (int64_t)(v << shift) >> shift : (int64_t)v;
    it->u = (uint64_t)it->i;
    return 0;
  }
  case 0xca: {
    float f;
    uint32_t u32;
    if (be(r, 4, &v)) return -1;
    u32 = (uint32_t)v;
    memcpy(&f, &u32, 4);
    it->type = MP_FLOAT;
    it->f = f;
    return 0;
  }
  case 0xcb:
    if (be(r, 8, &v)) return -1;
    it->type = MP_FLOAT;
    memcpy(&it->f, &v, 8);
    return 0;
  /* ext types: msgpack-lite sends a Uint8Array (not a Buffer) as one; its payload is the bytes */
  case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
    if (take(r, 1, &b)) return -1;
    return sized(r, it, MP_BIN, 0, 1u << (t - 0xd4));
  case 0xc7: case 0xc8: case 0xc9: {
    int lenbytes = 1 << (t - 0xc7);
    uint64_t n;
    if (be(r, lenbytes, &n) || take(r, 1, &b)) return -1;
    return sized(r, it, MP_BIN, 0, (uint32_t)n);
  }
  default:
    return -1;
  }
}

int mp_skip(mp_reader *r) {
  mp_item it;
  if (mp_next(r, &it)) return -1;
  if (it.type == MP_ARRAY || it.type == MP_MAP) {
    uint64_t n = it.type == MP_MAP ? 2ull * it.n : it.n;
    for (uint64_t i = 0; i < n; i++)
      if (mp_skip(r)) return -1;
  }
  return 0;
}

int mp_find(mp_reader map, const char *key, mp_reader *val) {
  mp_item it;
  size_t klen = strlen(key);
  if (mp_next(&map, &it) || it.type != MP_MAP) return -1;
  for (uint32_t i = 0; i < it.n; i++) {
    mp_item k;
    if (mp_next(&map, &k)) return -1;
    if (k.type == MP_STR && k.n == klen && !memcmp(k.data, key, klen)) {
      *val = map;
      return 0;
    }
    if ((k.type == MP_ARRAY || k.type == MP_MAP) && k.n) return -1; /* keys are strings */
    if (mp_skip(&map)) return -1;
  }
  return -1;
}

int mp_get_int(mp_reader r, int64_t *out) {
  mp_item it;
  if (mp_next(&r, &it)) return -1;
  if (it.type == MP_INT || it.type == MP_BOOL) {
    *out = it.i;
    return 0;
  }
  if (it.type == MP_FLOAT && it.f == (double)(int64_t)it.f) {
    *out = (int64_t)it.f;
    return 0;
  }
  return -1;
}

int mp_get_uint(mp_reader r, uint64_t *out) {
  mp_item it;
  if (mp_next(&r, &it)) return -1;
  if (it.type == MP_INT || it.type == MP_BOOL) {
    *out = it.u;
    return 0;
  }
  /* doubles up to 2^64 (msgpack-lite sends every integer beyond int32 as one) */
  if (it.type == MP_FLOAT && it.f >= 0 && it.f < 18446744073709551616.0 && it.f == (double)(uint64_t)it.f) {
    *out = (uint64_t)it.f;
    return 0;
  }
  if (it.type == MP_FLOAT && it.f < 0 && it.f == (double)(int64_t)it.f) {
    *out = (uint64_t)(int64_t)it.f;
    return 0;
  }
  return -1;
}

int mp_field_int(mp_reader map, const char *key, int64_t *out) {
  mp_reader v;
  return mp_find(map, key, &v) ? -1 : mp_get_int(v, out);
}

int mp_field_uint(mp_reader map, const char *key, uint64_t *out) {
  mp_reader v;
  return mp_find(map, key, &v) ? -1 : mp_get_uint(v, out);
}
