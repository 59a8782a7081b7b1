// inotify on memfds: the frontend learns when an open file description of a buffer's memfd (an exported dma-buf)
// is released anywhere, as IN_CLOSE_* on the memfd's inode, which a watch reaches through /proc/self/fd/<fd>. It
// also sees every open of that inode (IN_OPEN), so it can count the descriptions opened after the watch.
#include <errno.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

Napi::Value InotifyInit(const Napi::CallbackInfo& info) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(info.Env(), errno, "inotify_init1", "");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

// Watches the opens and closes of the file behind `fd`; returns the watch descriptor.
Napi::Value InotifyWatchFd(const Napi::CallbackInfo& info) {
  int ifd = 0;
  int fd = 0;
  if (!ArgFd(info, 0, "inotify_add_watch", &ifd) || !ArgFd(info, 1, "inotify_add_watch", &fd)) return Napi::Value();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const int wd = inotify_add_watch(ifd, path.c_str(), IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  if (wd < 0) {
    ThrowErrno(info.Env(), errno, "inotify_add_watch", path);
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), wd);
}

// Removes a watch; one the kernel already removed (its inode went) is no error.
Napi::Value InotifyUnwatch(const Napi::CallbackInfo& info) {
  int ifd = 0;
  int64_t wd = 0;
  if (!ArgFd(info, 0, "inotify_rm_watch", &ifd) || !ArgInt64(info, 1, "inotify_rm_watch", "wd", 0, INT32_MAX, &wd)) {
    return Napi::Value();
  }
  if (inotify_rm_watch(ifd, static_cast<int>(wd)) != 0 && errno != EINVAL) {
    ThrowErrno(info.Env(), errno, "inotify_rm_watch", "wd " + std::to_string(wd));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

// Every queued event as a flat [wd, mask, wd, mask, ...] (wd -1 with IN_Q_OVERFLOW when events were lost).
Napi::Value InotifyRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifd = 0;
  if (!ArgFd(info, 0, "read", &ifd)) return Napi::Value();
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  alignas(struct inotify_event) char buf[4096];
  for (;;) {
    const ssize_t n = read(ifd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      ThrowErrno(env, n < 0 ? errno : EIO, "read", "inotify fd " + std::to_string(ifd));
      return Napi::Value();
    }
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
      struct inotify_event ev;
      std::memcpy(&ev, buf + off, sizeof ev);
      out.Set(k++, Napi::Number::New(env, ev.wd));
      out.Set(k++, Napi::Number::New(env, ev.mask));
      off += static_cast<ssize_t>(sizeof ev + ev.len);
    }
  }
  return out;
}

}  // namespace

void RegisterInotify(Napi::Env env, Napi::Object exports) {
  exports.Set("inotifyInit", Napi::Function::New(env, InotifyInit, "inotifyInit"));
  exports.Set("inotifyWatchFd", Napi::Function::New(env, InotifyWatchFd, "inotifyWatchFd"));
  exports.Set("inotifyUnwatch", Napi::Function::New(env, InotifyUnwatch, "inotifyUnwatch"));
  exports.Set("inotifyRead", Napi::Function::New(env, InotifyRead, "inotifyRead"));
}
