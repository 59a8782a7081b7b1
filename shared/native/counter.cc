#include "counter.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <string>

#include "errors.h"

Napi::Value ReadCounter(Napi::Env env, int fd, const char* kind) {
  uint64_t v = 0;
  ssize_t n;
  do {
    n = read(fd, &v, sizeof v);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Napi::Number::New(env, 0);
  if (n != static_cast<ssize_t>(sizeof v)) {
    ThrowErrno(env, n < 0 ? errno : EIO, "read", std::string(kind) + " " + std::to_string(fd));
    return Napi::Value();
  }
  return Napi::Number::New(env, static_cast<double>(v));
}
