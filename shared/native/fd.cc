// Generic descriptor operations (dup, close) shared by every kind of fd the addon hands out.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "register.h"

namespace {

Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "fcntl", &fd)) return Napi::Value();
  // F_DUPFD_CLOEXEC sets close-on-exec atomically; dup() + F_SETFD would race with a fork in another thread.
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    ThrowErrno(info.Env(), errno, "fcntl", "F_DUPFD_CLOEXEC fd " + std::to_string(fd));
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), copy);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "close", &fd)) return Napi::Value();
  // On Linux the fd is released even when close() reports EINTR, so retrying could close someone else's fd.
  if (close(fd) != 0 && errno != EINTR) {
    ThrowErrno(info.Env(), errno, "close", "fd " + std::to_string(fd));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterFd(Napi::Env env, Napi::Object exports) {
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
}
