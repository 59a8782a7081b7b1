// glibc's malloc raises its mmap threshold to the size of the largest mmapped block freed so far (up to 32 MiB on
// 64-bit) and its trim threshold to twice that. So one peer's big message (a 3 MB bogus frame) makes every later
// block below that size come from the heap, and up to twice that much freed heap stays in the process for good.
// Fixed thresholds keep the process's RSS where its live memory is once a hostile peer's burst is over.
#include <malloc.h>

#include <cstdint>

#include "args.h"
#include "register.h"

namespace {

Napi::Value FixMallocThresholds(const Napi::CallbackInfo& info) {
  int64_t bytes = 0;
  if (!ArgInt64(info, 0, "mallopt", "bytes", 0, INT32_MAX, &bytes)) return Napi::Value();
#ifdef __GLIBC__
  const bool fixed = mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes)) == 1 && mallopt(M_TRIM_THRESHOLD, static_cast<int>(bytes)) == 1;
#else
  const bool fixed = false;  // other C libraries have neither the dynamic thresholds nor mallopt's knobs for them
#endif
  return Napi::Boolean::New(info.Env(), fixed);
}

// malloc_trim(0): gives back every whole free page of every arena, not only the top of each heap (a live block
// above freed ones pins them otherwise). True when something was released.
Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterMallocPolicy(Napi::Env env, Napi::Object exports) {
  exports.Set("fixMallocThresholds", Napi::Function::New(env, FixMallocThresholds, "fixMallocThresholds"));
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim, "mallocTrim"));
}
