/* Through the interposer while the backend goes away: lights a CRTC and queues a flip with an event, says
 * "lit", waits for a line on stdin (the test kills the backend meanwhile), then checks what a kernel device
 * does after an unplug: ioctls fail with ENODEV, the events already owed are readable, and then the fd is quiet
 * (not readable, no EOF), a non-blocking read EAGAIN. Prints "enodev events N quiet" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

int main(void) {
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) return perror("open"), 1;
  drmModeRes *res = drmModeGetResources(fd);
  drmModeConnector *con = res ? drmModeGetConnector(fd, res->connectors[0]) : NULL;
  if (!con || !con->count_modes) return fprintf(stderr, "no connector\n"), 1;
  struct drm_mode_create_dumb cd = {.width = con->modes[0].hdisplay, .height = con->modes[0].vdisplay, .bpp = 32};
  uint32_t fb = 0;
  if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) || drmModeAddFB(fd, cd.width, cd.height, 24, 32, cd.pitch, cd.handle, &fb))
    return perror("framebuffer"), 1;
  if (drmModeSetCrtc(fd, res->crtcs[0], fb, 0, 0, &con->connector_id, 1, &con->modes[0])) return perror("setcrtc"), 1;
  printf("lit\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct drm_version v = {0};
  if (ioctl(fd, DRM_IOCTL_VERSION, &v) != -1 || errno != ENODEV) return fprintf(stderr, "VERSION after unplug: %s\n", strerror(errno)), 1;
  if (drmModePageFlip(fd, res->crtcs[0], fb, DRM_MODE_PAGE_FLIP_EVENT, NULL) != -ENODEV) return fprintf(stderr, "flip after unplug: %s\n", strerror(errno)), 1;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  char buf[256];
  ssize_t n;
  int events = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) events += (int)(n / 32);
  if (n != -1 || errno != EAGAIN) return fprintf(stderr, "read after the owed events: %zd %s\n", n, strerror(errno)), 1;
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 300);
  if (r != 0) return fprintf(stderr, "the fd is readable after the unplug (revents %x)\n", p.revents), 1;
  printf("enodev events %d quiet\n", events);
  close(fd);
  return 0;
}
