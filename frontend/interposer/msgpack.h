/* A minimal msgpack writer and reader: the subset the device node speaks (maps, arrays, ints, bools, nil, str,
 * bin; floats only as the reader's input, since msgpack-lite sends integers beyond 32 bits as float64). */
#ifndef PVD_MSGPACK_H
#define PVD_MSGPACK_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint8_t *buf;
  size_t cap, len;
  int overflow; /* set once a write did not fit; the packet is then unusable */
} mp_writer;

void mp_map(mp_writer *w, uint32_t n);
void mp_array(mp_writer *w, uint32_t n);
void mp_uint(mp_writer *w, uint64_t v);
void mp_int(mp_writer *w, int64_t v);
void mp_bool(mp_writer *w, int v);
void mp_nil(mp_writer *w);
void mp_str(mp_writer *w, const char *s);
void mp_strn(mp_writer *w, const char *s, size_t n);
void mp_bin(mp_writer *w, const void *p, size_t n);
/* A key followed by an unsigned value: the common case of an args map. */
void mp_kv_uint(mp_writer *w, const char *key, uint64_t v);

typedef struct {
  const uint8_t *p, *end;
} mp_reader;

enum mp_type { MP_NONE, MP_NIL, MP_BOOL, MP_INT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP };

typedef struct {
  enum mp_type type;
  int64_t i;       /* MP_INT / MP_BOOL (negative ints; also non-negative ones up to INT64_MAX) */
  uint64_t u;      /* MP_INT as unsigned (same bits as i) */
  double f;        /* MP_FLOAT */
  const uint8_t *data; /* MP_STR / MP_BIN */
  uint32_t n;      /* length of str/bin, entries of array/map */
} mp_item;

/* Reads one item header (containers: just the count; their entries follow). 0 on success, -1 when malformed. */
int mp_next(mp_reader *r, mp_item *it);
/* Skips one whole item with its contents. */
int mp_skip(mp_reader *r);
/* Within the map whose header starts at r, finds key: on success *val is positioned at its value. */
int mp_find(mp_reader map, const char *key, mp_reader *val);
/* Reads an integer (ints, or floats that hold an integer). */
int mp_get_int(mp_reader r, int64_t *out);
int mp_get_uint(mp_reader r, uint64_t *out);
/* mp_find + mp_get_(u)int; -1 if missing or not an integer. */
int mp_field_int(mp_reader map, const char *key, int64_t *out);
int mp_field_uint(mp_reader map, const char *key, uint64_t *out);
#endif
