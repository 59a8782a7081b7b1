/* Dumb-buffer mappings of one card file: MAP_DUMB gives the program a fake offset (page aligned, unique per
 * buffer, as the kernel's); mmap of the card fd at that offset maps the buffer's memfd. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "interposer.h"

int pvd_map_find(struct pvd_card *c, uint64_t offset, struct pvd_map **out) {
  for (struct pvd_map *m = c->maps; m; m = m->next)
    if (m->offset == offset) {
      *out = m;
      return 0;
    }
  return -EINVAL;
}

void pvd_map_drop(struct pvd_card *c, uint32_t handle) {
  for (struct pvd_map **p = &c->maps; *p; p = &(*p)->next) {
    struct pvd_map *m = *p;
    if (m->handle != handle) continue;
    *p = m->next;
    pvd_set_private(m->memfd, 0);
    sys_close(m->memfd);
    free(m);
    return;
  }
}

/* The offset for handle's buffer: the one it has, or a new one; takes memfd (closed if not kept). */
int pvd_map_add(struct pvd_card *c, uint32_t handle, uint64_t size, int memfd, uint64_t *offset) {
  for (struct pvd_map *m = c->maps; m; m = m->next)
    if (m->handle == handle) {
      sys_close(memfd);
      *offset = m->offset;
      return 0;
    }
  struct pvd_map *m = calloc(1, sizeof *m);
  int hi = m ? pvd_move_high(memfd) : (sys_close(memfd), -1);
  if (hi < 0) {
    free(m);
    return -ENOMEM;
  }
  long page = sysconf(_SC_PAGESIZE);
  m->handle = handle;
  m->size = size;
  m->memfd = hi;
  m->offset = c->next_offset;
  c->next_offset += (size + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page + (uint64_t)page;
  m->next = c->maps;
  c->maps = m;
  *offset = m->offset;
  return 0;
}
