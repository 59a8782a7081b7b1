// Argument parsing shared by every binding: JS numbers become fds / int64 sizes, and anything that is not an
// exact integer in range is rejected with EINVAL (never silently truncated, which could map or send the wrong thing).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

// Each helper returns false after leaving an EINVAL error pending (syscall names the operation being attempted).
bool ArgFd(const Napi::CallbackInfo& info, size_t index, const char* syscall, int* out);
bool ArgInt64(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, int64_t min,
              int64_t max, int64_t* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, bool* out);
bool ArgString(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, std::string* out);

// Same integer rule applied to a value that is not a direct argument (e.g. an element of an fd array).
bool ValueToInt64(const Napi::Value& value, int64_t min, int64_t max, int64_t* out);

// Largest integer a JS number holds exactly (Number.MAX_SAFE_INTEGER).
constexpr int64_t kMaxSafeInteger = 9007199254740991LL;
