/* Through the interposer with libdrm: a modeset on the first connected connector, then N page flips with
 * DRM_MODE_PAGE_FLIP_EVENT, each completion read by drmHandleEvent after a poll(). Checks that the events come
 * in order (user_data 1..N, rising sequence and timestamps) and prints "flips N in order". With a second argument
 * W (npm run bench), it also prints the round trip of each flip after the first W, drmModePageFlip to its
 * handler, in microseconds, one per line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

struct state {
  unsigned done, last_seq, bad;
  uint64_t last_us;
  int pending;
};

static struct state st;

static void on_flip(int fd, unsigned seq, unsigned sec, unsigned usec, void *data) {
  (void)fd;
  uint64_t us = (uint64_t)sec * 1000000u + usec;
  if ((uintptr_t)data != st.done + 1 || (st.done && (seq <= st.last_seq || us <= st.last_us))) st.bad++;
  st.done++;
  st.last_seq = seq;
  st.last_us = us;
  st.pending = 0;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint32_t dumb_fb(int fd, uint32_t w, uint32_t h, uint32_t color) {
  struct drm_mode_create_dumb cd = {.width = w, .height = h, .bpp = 32};
  struct drm_mode_map_dumb md = {0};
  if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) return 0;
  md.handle = cd.handle;
  if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) return 0;
  uint32_t *px = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)md.offset);
  if (px == MAP_FAILED) return 0;
  for (size_t i = 0; i < cd.size / 4; i++) px[i] = color;
  munmap(px, cd.size);
  uint32_t fb = 0;
  if (drmModeAddFB(fd, w, h, 24, 32, cd.pitch, cd.handle, &fb)) return 0;
  return fb;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 30;
  int timed = argc > 2;
  unsigned warmup = timed ? (unsigned)atoi(argv[2]) : 0;
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) return perror("open"), 1;
  drmModeRes *res = drmModeGetResources(fd);
  if (!res) return perror("drmModeGetResources"), 1;
  drmModeConnector *con = NULL;
  for (int i = 0; i < res->count_connectors && !con; i++) {
    con = drmModeGetConnector(fd, res->connectors[i]);
    if (con && (con->connection != DRM_MODE_CONNECTED || !con->count_modes)) drmModeFreeConnector(con), con = NULL;
  }
  if (!con) return fprintf(stderr, "no connected connector\n"), 1;
  drmModeModeInfo mode = con->modes[0];
  uint32_t crtc = res->crtcs[0];
  uint32_t fbs[2] = {dumb_fb(fd, mode.hdisplay, mode.vdisplay, 0xff0000), dumb_fb(fd, mode.hdisplay, mode.vdisplay, 0x00ff00)};
  if (!fbs[0] || !fbs[1]) return perror("dumb framebuffer"), 1;
  if (drmModeSetCrtc(fd, crtc, fbs[0], 0, 0, &con->connector_id, 1, &mode)) return perror("drmModeSetCrtc"), 1;
  drmEventContext ev = {.version = 2, .page_flip_handler = on_flip};
  for (unsigned i = 1; i <= n; i++) {
    double t0 = now_us();
    if (drmModePageFlip(fd, crtc, fbs[i % 2], DRM_MODE_PAGE_FLIP_EVENT, (void *)(uintptr_t)i)) return fprintf(stderr, "flip %u: %s\n", i, strerror(errno)), 1;
    st.pending = 1;
    while (st.pending) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 10000) != 1) return fprintf(stderr, "flip %u: no event\n", i), 1;
      if (drmHandleEvent(fd, &ev)) return fprintf(stderr, "drmHandleEvent failed\n"), 1;
    }
    if (timed && i > warmup) printf("%.1f\n", now_us() - t0);
  }
  printf("flips %u %s\n", st.done, st.bad ? "OUT OF ORDER" : "in order");
  drmModeFreeConnector(con);
  drmModeFreeResources(res);
  close(fd);
  return st.bad || st.done != n;
}
