// Owns strict JS-to-C argument conversion (see args.h for the rules).
#include "args.h"

#include <climits>
#include <cmath>

#include "errors.h"

bool ValueToInt64(const Napi::Value& value, int64_t min, int64_t max, int64_t* out) {
  if (!value.IsNumber()) return false;
  const double d = value.As<Napi::Number>().DoubleValue();
  // Reject NaN, infinities and fractions before converting: a cast of those is undefined or lossy.
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ArgInt64(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, int64_t min,
              int64_t max, int64_t* out) {
  if (ValueToInt64(info[index], min, max, out)) return true;
  ThrowErrno(info.Env(), EINVAL, syscall,
             std::string(what) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return false;
}

bool ArgFd(const Napi::CallbackInfo& info, size_t index, const char* syscall, int* out) {
  int64_t v = 0;
  if (!ArgInt64(info, index, syscall, "fd", 0, INT_MAX, &v)) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, bool* out) {
  if (!info[index].IsBoolean()) {
    ThrowErrno(info.Env(), EINVAL, syscall, std::string(what) + " must be a boolean");
    return false;
  }
  *out = info[index].As<Napi::Boolean>().Value();
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t index, const char* syscall, const char* what, std::string* out) {
  if (!info[index].IsString()) {
    ThrowErrno(info.Env(), EINVAL, syscall, std::string(what) + " must be a string");
    return false;
  }
  *out = info[index].As<Napi::String>().Utf8Value();
  // An embedded NUL would silently shorten the name or path the kernel sees.
  if (out->find('\0') != std::string::npos) {
    ThrowErrno(info.Env(), EINVAL, syscall, std::string(what) + " must not contain NUL");
    return false;
  }
  return true;
}
