// timerfd on CLOCK_MONOTONIC (the clock of process.hrtime): a deadline to the nanosecond, armed as an absolute
// instant. setTimeout rounds to whole milliseconds of a cached loop clock, so a vblank grid paced with it fired up
// to a millisecond early or late, by an offset that stayed the same for a whole run.
#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "args.h"
#include "counter.h"
#include "errors.h"
#include "register.h"

namespace {

Napi::Value TimerfdCreate(const Napi::CallbackInfo& info) {
  const int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(info.Env(), errno, "timerfd_create", "CLOCK_MONOTONIC");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

// timerfdArm(fd, deadlineNs: bigint): expires once at that CLOCK_MONOTONIC instant (at once if it has passed).
Napi::Value TimerfdArm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  if (!ArgFd(info, 0, "timerfd_settime", &fd)) return Napi::Value();
  bool lossless = false;
  const uint64_t ns = info[1].IsBigInt() ? info[1].As<Napi::BigInt>().Uint64Value(&lossless) : 0;
  // 0 would disarm the timer instead: a deadline that has passed is any instant after the clock's start.
  if (!lossless || ns == 0) {
    ThrowErrno(env, EINVAL, "timerfd_settime", "deadline must be a positive bigint of nanoseconds");
    return Napi::Value();
  }
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000u);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000u);
  if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    ThrowErrno(env, errno, "timerfd_settime", "fd " + std::to_string(fd));
    return Napi::Value();
  }
  return env.Undefined();
}

// timerfdRead(fd) → expirations since the last read; 0 when none (a wake-up that was not the timer's).
Napi::Value TimerfdRead(const Napi::CallbackInfo& info) {
  int fd = 0;
  if (!ArgFd(info, 0, "read", &fd)) return Napi::Value();
  return ReadCounter(info.Env(), fd, "timerfd");
}

}  // namespace

void RegisterTimerfd(Napi::Env env, Napi::Object exports) {
  exports.Set("timerfdCreate", Napi::Function::New(env, TimerfdCreate, "timerfdCreate"));
  exports.Set("timerfdArm", Napi::Function::New(env, TimerfdArm, "timerfdArm"));
  exports.Set("timerfdRead", Napi::Function::New(env, TimerfdRead, "timerfdRead"));
}
