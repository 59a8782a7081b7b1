/* What the ioctl translators share: building an op's args, calling it, reading its result map, and copying
 * lists out with the kernel's "count, then fill" rules. */
#ifndef PVD_IOCTL_H
#define PVD_IOCTL_H
#include <sys/ioctl.h>
#define DRM_IOCTL_NR(cmd) _IOC_NR(cmd)
#include <drm.h>
#include <drm_mode.h>
#include "interposer.h"

typedef int (*pvd_handler)(struct pvd_card *c, void *k);

/* An args writer on the caller's stack (small requests) */
#define ARGS(w, n)     \
  uint8_t w##_buf[n];  \
  mp_writer w = {w##_buf, sizeof w##_buf, 0, 0}

int pvd_op(struct pvd_card *c, const char *op, const mp_writer *args, struct pvd_reply *r);
int pvd_op_fds(struct pvd_card *c, const char *op, const mp_writer *args, const int *fds, int nfds, struct pvd_reply *r);
/* An op with no args whose result is ignored. */
int pvd_op_void(struct pvd_card *c, const char *op);

uint64_t pvd_u(const struct pvd_reply *r, const char *key);
int64_t pvd_i(const struct pvd_reply *r, const char *key);
/* The array at key: *it at its first element, *n its length (0 and -1 when missing). */
int pvd_array(mp_reader map, const char *key, mp_reader *it, uint32_t *n);
uint64_t pvd_next_u(mp_reader *it);
/* Writes min(*ucount, n) entries of the array at key (4- or 8-byte each) to uptr; sets *ucount = n. */
int pvd_put_partial(mp_reader map, const char *key, uint64_t uptr, uint32_t *ucount, int width);
/* Writes all n entries only if *ucount >= n (and n > 0); sets *ucount = n. */
int pvd_put_all(mp_reader map, const char *key, uint64_t uptr, uint32_t *ucount, int width);
/* A string field into a fixed NUL-padded buffer. */
void pvd_strfield(mp_reader map, const char *key, char *out, size_t len);

void pvd_mode_in(mp_reader m, struct drm_mode_modeinfo *u);
void pvd_mode_out(mp_writer *w, const struct drm_mode_modeinfo *u);

/* mode.c / kms.c: the translators, by ioctl nr */
pvd_handler pvd_mode_handler(unsigned nr);
pvd_handler pvd_kms_handler(unsigned nr);
#endif
