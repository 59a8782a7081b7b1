/* Through the interposer: 1,000 rounds of bad-pointer and bad-argument ioctls (and reads and mmaps) on
 * /dev/dri/card0, each checked for the kernel's errno; the program must keep running, leak no fds, and the card
 * must still answer afterwards. Prints "rounds N fds A->B" and exits 0, or names the first mismatch and exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <drm.h>
#include <drm_mode.h>

#define BAD ((uint64_t)(uintptr_t)8) /* never mapped */

static int failures;

static void expect(const char *what, int ret, int err) {
  int got = ret < 0 ? errno : 0;
  if (got == err) return;
  if (failures++ < 10) fprintf(stderr, "%s: got %d (%s), want %d (%s)\n", what, got, strerror(got), err, strerror(err));
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void round_once(int fd) {
  expect("VERSION bad arg", ioctl(fd, DRM_IOCTL_VERSION, (void *)BAD), EFAULT);
  struct drm_version v = {.name_len = 64, .name = (char *)BAD};
  expect("VERSION bad name", ioctl(fd, DRM_IOCTL_VERSION, &v), EFAULT);

  struct drm_mode_card_res res = {0};
  expect("GETRESOURCES count", ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res), 0);
  res.crtc_id_ptr = BAD;
  expect("GETRESOURCES bad crtcs", ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res), res.count_crtcs ? EFAULT : 0);

  struct drm_mode_get_connector cn = {.connector_id = 0xdead};
  expect("GETCONNECTOR unknown", ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &cn), ENOENT);
  struct drm_mode_crtc cr = {.crtc_id = 0xdead};
  expect("GETCRTC unknown", ioctl(fd, DRM_IOCTL_MODE_GETCRTC, &cr), ENOENT);
  struct drm_mode_get_blob blob = {.blob_id = 0xdead};
  expect("GETPROPBLOB unknown", ioctl(fd, DRM_IOCTL_MODE_GETPROPBLOB, &blob), ENOENT);

  expect("non-DRM type", ioctl(fd, _IO('x', 1), 0), ENOTTY);
  expect("driver range", ioctl(fd, DRM_IO(DRM_COMMAND_BASE), 0), EINVAL);
  expect("beyond the core table", ioctl(fd, DRM_IO(0xff), 0), EINVAL);
  expect("SYNCOBJ without the feature", ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &(struct drm_syncobj_create){0}), EOPNOTSUPP);
  expect("SYNCOBJ bad arg", ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, (void *)BAD), EFAULT);

  struct drm_mode_map_dumb map = {.handle = 0xdead};
  expect("MAP_DUMB unknown", ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), ENOENT);
  expect("DESTROY_DUMB unknown", ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &(struct drm_mode_destroy_dumb){.handle = 0xdead}), EINVAL);
  expect("PRIME_FD_TO_HANDLE bad fd", ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &(struct drm_prime_handle){.fd = -1}), EBADF);

  struct drm_mode_create_blob cb = {.data = BAD, .length = 16};
  expect("CREATEPROPBLOB bad data", ioctl(fd, DRM_IOCTL_MODE_CREATEPROPBLOB, &cb), EFAULT);
  struct drm_mode_fb_dirty_cmd dirty = {.fb_id = 0xdead};
  expect("DIRTYFB unknown fb", ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty), ENOENT);

  /* a dumb buffer: mmap at its fake offset works, at any other offset EINVAL; then it goes away */
  struct drm_mode_create_dumb cd = {.width = 64, .height = 64, .bpp = 32};
  expect("CREATE_DUMB", ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
  map.handle = cd.handle;
  expect("MAP_DUMB", ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0);
  void *p = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
  expect("mmap fake offset", p == MAP_FAILED ? -1 : 0, 0);
  if (p != MAP_FAILED) {
    memset(p, 0x5a, cd.size);
    munmap(p, cd.size);
  }
  expect("mmap other offset", mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)map.offset + 4096) == MAP_FAILED ? -1 : 0, EINVAL);
  expect("mmap beyond the buffer", mmap(NULL, cd.size + 4096, PROT_READ, MAP_SHARED, fd, (off_t)map.offset) == MAP_FAILED ? -1 : 0, EINVAL);
  expect("DESTROY_DUMB", ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &(struct drm_mode_destroy_dumb){.handle = cd.handle}), 0);

  /* atomic: without the client cap EINVAL before any copy; with it, bad arrays EFAULT and bad flags EINVAL */
  struct drm_mode_atomic at = {.count_objs = 1, .objs_ptr = BAD, .count_props_ptr = BAD};
  expect("ATOMIC without the cap", ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &at), EINVAL);
  struct drm_set_client_cap cap = {.capability = DRM_CLIENT_CAP_ATOMIC, .value = 1};
  expect("SET_CLIENT_CAP ATOMIC", ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &cap), 0);
  expect("ATOMIC bad arrays", ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &at), EFAULT);
  at.flags = 0x80000000u;
  expect("ATOMIC bad flags", ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &at), EINVAL);
  cap.value = 0;
  expect("SET_CLIENT_CAP ATOMIC off", ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP, &cap), 0);

  /* no events queued on a non-blocking fd */
  char buf[64];
  expect("read without events", (int)read(fd, buf, sizeof buf), EAGAIN);
}

int main(void) {
  int before = count_fds();
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    perror("open /dev/dri/card0");
    return 1;
  }
  int rounds = 0;
  for (; rounds < 1000; rounds++) round_once(fd);
  struct drm_version v = {0};
  char name[32] = {0};
  v.name = name;
  v.name_len = sizeof name - 1;
  expect("VERSION after", ioctl(fd, DRM_IOCTL_VERSION, &v), 0);
  if (strcmp(name, "pvdisplay")) failures++;
  close(fd);
  int after = count_fds();
  printf("rounds %d fds %d->%d failures %d\n", rounds, before, after, failures);
  return failures || before != after;
}
