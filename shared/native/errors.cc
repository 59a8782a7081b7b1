// Owns the conversion of a positive errno value into the JS error shape described in errors.h.
#include "errors.h"

#include <string.h>

namespace {

std::string CodeOf(int err) {
  // strerrorname_np (glibc >= 2.32) gives the symbolic name ("EINVAL") without a hand-kept table.
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "E" + std::to_string(err);
}

}  // namespace

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail) {
  const std::string code = CodeOf(err);
  std::string message = code + ": " + syscall + " failed";
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& detail) {
  ErrnoError(env, err, syscall, detail).ThrowAsJavaScriptException();
}
