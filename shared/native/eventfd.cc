// eventfd counters: the cheap "something changed" doorbell between frontend and backend (like Xen event
// channels). Non-blocking and counting (not semaphore mode): a read returns and clears the whole count.
// Eventfds come from the peer, which shares their open file description: it may clear O_NONBLOCK or park the
// counter at its maximum, so every read and write first checks the flag (a blocking call on a peer's fd would
// stall this whole process), and a full counter is reported as "a kick is already pending", not as an error.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>


#include "args.h"
#include "counter.h"
#include "errors.h"
#include "fd_link.h"
#include "register.h"

namespace {

// Leaves EINVAL pending unless fd is in non-blocking mode (the peer can clear the flag on its copy at any time).
bool CheckNonblocking(Napi::Env env, int fd, const char* syscall) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    ThrowErrno(env, errno, "fcntl", "F_GETFL eventfd " + std::to_string(fd));
    return false;
  }
  if ((flags & O_NONBLOCK) == 0) {
    ThrowErrno(env, EINVAL, syscall, "eventfd " + std::to_string(fd) + " is in blocking mode");
    return false;
  }
  return true;
}

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
  if (!CheckNonblocking(info.Env(), fd, "write")) return Napi::Value();
  const uint64_t v = static_cast<uint64_t>(value);
  ssize_t n;
  do {
    n = write(fd, &v, sizeof v);
  } while (n < 0 && errno == EINTR);
  // EAGAIN: the counter would overflow, so the reader has a kick it has not taken yet.
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Napi::Boolean::New(info.Env(), false);
  if (n != static_cast<ssize_t>(sizeof v)) {
    ThrowErrno(info.Env(), n < 0 ? errno : EIO, "write", "eventfd " + std::to_string(fd));
    return Napi::Value();
  }
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value EventfdRead(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "read", &fd)) return Napi::Value();
  if (!CheckNonblocking(info.Env(), fd, "read")) return Napi::Value();
  return ReadCounter(info.Env(), fd, "eventfd");
}

// True iff fd is an eventfd: an anonymous inode whose /proc/self/fd link reads "anon_inode:[eventfd]". A pipe,
// socket or file handed over in its place must be refused before anything reads, writes or polls it.
Napi::Value IsEventfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st;
  std::string link;
  if (!FdLink(info, 0, &st, &link)) return Napi::Value();
  const bool special = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
  return Napi::Boolean::New(env, !special && link == "anon_inode:[eventfd]");
}

}  // namespace

void RegisterEventfd(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfd", Napi::Function::New(env, EventfdCreate, "eventfd"));
  exports.Set("eventfdWrite", Napi::Function::New(env, EventfdWrite, "eventfdWrite"));
  exports.Set("eventfdRead", Napi::Function::New(env, EventfdRead, "eventfdRead"));
  exports.Set("isEventfd", Napi::Function::New(env, IsEventfd, "isEventfd"));
}
