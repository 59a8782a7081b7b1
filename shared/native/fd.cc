// Generic descriptor operations shared by every kind of fd the addon hands out (dup, close), the identity of the
// file behind an fd (to recognise an object handed back by a peer), and pipes (fences are pipes whose write end
// closing is the signal).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "fd_link.h"
#include "register.h"

bool FdLink(const Napi::CallbackInfo& info, size_t index, struct stat* st, std::string* link) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, index, "readlink", &fd)) return false;
  if (fstat(fd, st) != 0) {
    ThrowErrno(env, errno, "fstat", "fd " + std::to_string(fd));
    return false;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  char target[PATH_MAX];
  const ssize_t n = readlink(path.c_str(), target, sizeof target);
  if (n < 0) {
    ThrowErrno(env, errno, "readlink", path);
    return false;
  }
  link->assign(target, static_cast<size_t>(n));
  return true;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

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

// {dev, ino} of the open file behind fd: two fds name the same file exactly when these match (while both are open).
Napi::Value FileId(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "fstat", &fd)) return Napi::Value();
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ThrowErrno(info.Env(), errno, "fstat", "fd " + std::to_string(fd));
    return Napi::Value();
  }
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("dev", Napi::Number::New(info.Env(), static_cast<double>(st.st_dev)));
  out.Set("ino", Napi::Number::New(info.Env(), static_cast<double>(st.st_ino)));
  return out;
}

// [read end, write end], both close-on-exec and non-blocking.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ThrowErrno(info.Env(), errno, "pipe2", "pipe");
    return Napi::Value();
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t{0}, Napi::Number::New(info.Env(), fds[0]));
  out.Set(uint32_t{1}, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

}  // namespace

void RegisterFd(Napi::Env env, Napi::Object exports) {
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("fileId", Napi::Function::New(env, FileId, "fileId"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
}
