// memfd-backed shared memory files: creation, size changes, hole punching and seals. These are the buffers the
// frontend and backend share; seals let a receiver know the sender can no longer shrink them under its feet.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "fd_link.h"
#include "register.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010  // Linux 5.1; older libc headers lack it.
#endif

namespace {

std::string FdDetail(int fd) { return "fd " + std::to_string(fd); }

Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  int64_t size = 0;
  bool allowSealing = false;
  if (!ArgString(info, 0, "memfd_create", "name", &name)) return Napi::Value();
  if (!ArgInt64(info, 1, "memfd_create", "size", 0, kMaxSafeInteger, &size)) return Napi::Value();
  if (!ArgBool(info, 2, "memfd_create", "allowSealing", &allowSealing)) return Napi::Value();

  const unsigned flags = MFD_CLOEXEC | (allowSealing ? MFD_ALLOW_SEALING : 0u);
  const int fd = memfd_create(name.c_str(), flags);
  if (fd < 0) {
    ThrowErrno(env, errno, "memfd_create", "name \"" + name + "\"");
    return Napi::Value();
  }
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int err = errno;
    close(fd);  // Do not leak the half-made fd: the caller never learns its number.
    ThrowErrno(env, err, "ftruncate", FdDetail(fd) + ", size " + std::to_string(size));
    return Napi::Value();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value AddSeals(const Napi::CallbackInfo& info) {
  int fd = 0;
  int64_t seals = 0;
  if (!ArgFd(info, 0, "fcntl", &fd)) return Napi::Value();
  if (!ArgInt64(info, 1, "fcntl", "seals", 0, INT_MAX, &seals)) return Napi::Value();
  if (fcntl(fd, F_ADD_SEALS, static_cast<int>(seals)) != 0) {
    ThrowErrno(info.Env(), errno, "fcntl", "F_ADD_SEALS " + FdDetail(fd));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

Napi::Value GetSeals(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "fcntl", &fd)) return Napi::Value();
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    ThrowErrno(info.Env(), errno, "fcntl", "F_GET_SEALS " + FdDetail(fd));
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), seals);
}

Napi::Value IsMemfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st;
  std::string link;
  if (!FdLink(info, 0, &st, &link)) return Napi::Value();
  // A memfd is a regular shmem file whose /proc link reads "/memfd:<name> (deleted)". Checking S_ISREG first keeps
  // sockets, pipes and directories out even if their link text were ever to look similar.
  return Napi::Boolean::New(env, S_ISREG(st.st_mode) && StartsWith(link, "/memfd:"));
}

Napi::Value Truncate(const Napi::CallbackInfo& info) {
  int fd = 0;
  int64_t size = 0;
  if (!ArgFd(info, 0, "ftruncate", &fd)) return Napi::Value();
  if (!ArgInt64(info, 1, "ftruncate", "size", 0, kMaxSafeInteger, &size)) return Napi::Value();
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    ThrowErrno(info.Env(), errno, "ftruncate", FdDetail(fd) + ", size " + std::to_string(size));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

Napi::Value PunchHole(const Napi::CallbackInfo& info) {
  int fd = 0;
  int64_t offset = 0;
  int64_t length = 0;
  if (!ArgFd(info, 0, "fallocate", &fd)) return Napi::Value();
  if (!ArgInt64(info, 1, "fallocate", "offset", 0, kMaxSafeInteger, &offset)) return Napi::Value();
  if (!ArgInt64(info, 2, "fallocate", "length", 1, kMaxSafeInteger, &length)) return Napi::Value();
  // KEEP_SIZE is mandatory with PUNCH_HOLE; the range then reads back as zeros and its pages are freed.
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                static_cast<off_t>(length)) != 0) {
    ThrowErrno(info.Env(), errno, "fallocate",
               FdDetail(fd) + ", offset " + std::to_string(offset) + ", length " + std::to_string(length));
    return Napi::Value();
  }
  return info.Env().Undefined();
}

Napi::Value FileSize(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "fstat", &fd)) return Napi::Value();
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ThrowErrno(info.Env(), errno, "fstat", FdDetail(fd));
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), static_cast<double>(st.st_size));
}

}  // namespace

void RegisterMemfd(Napi::Env env, Napi::Object exports) {
  Napi::Object seal = Napi::Object::New(env);
  seal.Set("SEAL", Napi::Number::New(env, F_SEAL_SEAL));
  seal.Set("SHRINK", Napi::Number::New(env, F_SEAL_SHRINK));
  seal.Set("GROW", Napi::Number::New(env, F_SEAL_GROW));
  seal.Set("WRITE", Napi::Number::New(env, F_SEAL_WRITE));
  seal.Set("FUTURE_WRITE", Napi::Number::New(env, F_SEAL_FUTURE_WRITE));
  seal.Freeze();
  exports.Set("SEAL", seal);
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("addSeals", Napi::Function::New(env, AddSeals, "addSeals"));
  exports.Set("getSeals", Napi::Function::New(env, GetSeals, "getSeals"));
  exports.Set("isMemfd", Napi::Function::New(env, IsMemfd, "isMemfd"));
  exports.Set("truncate", Napi::Function::New(env, Truncate, "truncate"));
  exports.Set("punchHole", Napi::Function::New(env, PunchHole, "punchHole"));
  exports.Set("fileSize", Napi::Function::New(env, FileSize, "fileSize"));
}
