// eventfd counters: the cheap "something changed" doorbell between frontend and backend (like Xen event
// channels). Non-blocking and counting (not semaphore mode): a read returns and clears the whole count.
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

Napi::Value EventfdCreate(const Napi::CallbackInfo& info) {
  int64_t initial = 0;
  if (!ArgInt64(info, 0, "eventfd", "initial", 0, UINT32_MAX, &initial)) return Napi::Value();
  const int fd = eventfd(static_cast<unsigned>(initial), EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(info.Env(), errno, "eventfd", "initial " + std::to_string(initial));
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value EventfdWrite(const Napi::CallbackInfo& info) {
  int fd = 0;
  int64_t value = 0;
  if (!ArgFd(info, 0, "write", &fd)) return Napi::Value();
  // The kernel takes up to 2^64-2, but only values a JS number holds exactly are accepted.
  if (!ArgInt64(info, 1, "write", "value", 0, kMaxSafeInteger, &value)) return Napi::Value();
  const uint64_t v = static_cast<uint64_t>(value);
  ssize_t n;
  do {
    n = write(fd, &v, sizeof v);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof v)) {
    // EAGAIN here means the counter would overflow; that is an error for the caller, not a retry later.
    ThrowErrno(info.Env(), n < 0 ? errno : EIO, "write", "eventfd " + std::to_string(fd));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

Napi::Value EventfdRead(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "read", &fd)) return Napi::Value();
  uint64_t v = 0;
  ssize_t n;
  do {
    n = read(fd, &v, sizeof v);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Napi::Number::New(info.Env(), 0);
  if (n != static_cast<ssize_t>(sizeof v)) {
    ThrowErrno(info.Env(), n < 0 ? errno : EIO, "read", "eventfd " + std::to_string(fd));
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

}  // namespace

void RegisterEventfd(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfd", Napi::Function::New(env, EventfdCreate, "eventfd"));
  exports.Set("eventfdWrite", Napi::Function::New(env, EventfdWrite, "eventfdWrite"));
  exports.Set("eventfdRead", Napi::Function::New(env, EventfdRead, "eventfdRead"));
}
