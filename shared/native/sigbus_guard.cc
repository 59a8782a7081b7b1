// The SIGBUS guard's N-API binding: guard(buffer) registers a live mapping from map() with the guard table
// (sigbus_table.cc), installing the handler on first use; guardFaults(buffer) reads how many faults it absorbed.
#include <errno.h>

#include "errors.h"
#include "mapping.h"
#include "register.h"
#include "sigbus_guard.h"

namespace {

bool GetArrayBuffer(const Napi::CallbackInfo& info, const char* what, void** data, size_t* length) {
  if (!info[0].IsArrayBuffer()) {
    ThrowErrno(info.Env(), EINVAL, what, "argument must be an ArrayBuffer returned by map()");
    return false;
  }
  if (napi_get_arraybuffer_info(info.Env(), info[0], data, length) != napi_ok) {
    ThrowErrno(info.Env(), EINVAL, what, "cannot read the ArrayBuffer");
    return false;
  }
  return true;
}

Napi::Value Guard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!GetArrayBuffer(info, "guard", &data, &length)) return Napi::Value();
  int err = GuardInstall();
  if (err != 0) {
    ThrowErrno(env, err, "sigaction", "SIGBUS");
    return Napi::Value();
  }
  err = GuardMapping(data, length);
  if (err != 0) {
    ThrowErrno(env, err, "guard", err == EINVAL ? "not a live mapping" : "guard table is full");
    return Napi::Value();
  }
  return env.Undefined();
}

Napi::Value GuardFaultsOf(const Napi::CallbackInfo& info) {
  void* data = nullptr;
  size_t length = 0;
  if (!GetArrayBuffer(info, "guardFaults", &data, &length)) return Napi::Value();
  uint64_t faults = 0;
  if (!MappingGuardFaults(data, length, &faults)) {
    ThrowErrno(info.Env(), EINVAL, "guardFaults", "not a live mapping");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), static_cast<double>(faults));
}

}  // namespace

void RegisterSigbusGuard(Napi::Env env, Napi::Object exports) {
  exports.Set("guard", Napi::Function::New(env, Guard, "guard"));
  exports.Set("guardFaults", Napi::Function::New(env, GuardFaultsOf, "guardFaults"));
}
