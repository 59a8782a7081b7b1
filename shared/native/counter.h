// The 8-byte counter read that eventfds and timerfds share: a non-blocking read that returns the count and clears it.
#pragma once

#include <napi.h>

// The count as a number, 0 when there is none (EAGAIN); undefined with an errno error pending on failure. `kind`
// names the fd in the message ("eventfd", "timerfd").
Napi::Value ReadCounter(Napi::Env env, int fd, const char* kind);
