// Owns shared mappings of fds as external ArrayBuffers: map, explicit unmap, unmap-on-GC and the live count.
//
// Lifetime rule: every Record is freed by exactly one party, the ArrayBuffer's finalizer, which Node runs once
// (either some time after a detach or GC, or at environment teardown). unmap() never frees a Record; it marks it
// unmapped and removes it from the live registry *before* detaching, because detaching may let the finalizer run
// and free the Record at any point afterwards. Records are looked up by address only among live mappings, and an
// address is unique among those, so a stale finalizer can never unmap a newer mapping that reused its address.
#include "mapping.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

#include "args.h"
#include "errors.h"
#include "register.h"
#include "sigbus_guard.h"

namespace {

struct Record {
  uintptr_t addr;
  size_t length;        // ArrayBuffer byteLength, as requested.
  size_t mappedLength;  // Page-rounded length actually mapped (what munmap and the guard cover).
  int guardSlot;        // Slot in the SIGBUS guard table, -1 when not guarded.
  bool unmapped;        // Set once the memory is gone; the finalizer then only frees the Record.
};

// The mutex makes the registry safe when several environments (worker threads) share the loaded module.
std::mutex gMutex;
std::unordered_map<uintptr_t, Record*> gLive;

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// Caller holds gMutex. Returns the live Record viewed by (data, byteLength), or nullptr.
Record* FindLiveLocked(const void* data, size_t byteLength) {
  if (data == nullptr) return nullptr;  // Detached or empty buffers have no data pointer.
  auto it = gLive.find(reinterpret_cast<uintptr_t>(data));
  if (it == gLive.end() || it->second->length != byteLength) return nullptr;
  return it->second;
}

void FinalizeMapping(napi_env /*env*/, void* /*data*/, void* hint) {
  Record* record = static_cast<Record*>(hint);
  {
    std::lock_guard<std::mutex> lock(gMutex);
    if (!record->unmapped) {
      // Garbage collected without an explicit unmap: release the memory now.
      auto it = gLive.find(record->addr);
      if (it != gLive.end() && it->second == record) gLive.erase(it);
      if (record->guardSlot >= 0) GuardUnregister(record->guardSlot);
      munmap(reinterpret_cast<void*>(record->addr), record->mappedLength);
      record->unmapped = true;
    }
  }
  delete record;
}

bool GetArrayBuffer(const Napi::CallbackInfo& info, const char* syscall, void** data, size_t* length) {
  if (!info[0].IsArrayBuffer()) {
    ThrowErrno(info.Env(), EINVAL, syscall, "argument must be an ArrayBuffer returned by map()");
    return false;
  }
  if (napi_get_arraybuffer_info(info.Env(), info[0], data, length) != napi_ok) {
    ThrowErrno(info.Env(), EINVAL, syscall, "cannot read the ArrayBuffer");
    return false;
  }
  return true;
}

Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = 0;
  int64_t offset = 0;
  int64_t length = 0;
  bool writable = false;
  if (!ArgFd(info, 0, "mmap", &fd)) return Napi::Value();
  if (!ArgInt64(info, 1, "mmap", "offset", 0, kMaxSafeInteger, &offset)) return Napi::Value();
  // Node 20 caps an ArrayBuffer (built on a Buffer here) at 4 GiB; checking first avoids a failure after mmap.
  if (!ArgInt64(info, 2, "mmap", "length", 1, int64_t{1} << 32, &length)) return Napi::Value();
  if (!ArgBool(info, 3, "mmap", "writable", &writable)) return Napi::Value();
  if (static_cast<uint64_t>(offset) % PageSize() != 0) {
    ThrowErrno(env, EINVAL, "mmap", "offset " + std::to_string(offset) + " is not page aligned");
    return Napi::Value();
  }

  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = mmap(nullptr, static_cast<size_t>(length), prot, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (addr == MAP_FAILED) {
    ThrowErrno(env, errno, "mmap", "fd " + std::to_string(fd));
    return Napi::Value();
  }

  const size_t page = PageSize();
  Record* record = new Record{reinterpret_cast<uintptr_t>(addr), static_cast<size_t>(length),
                              (static_cast<size_t>(length) + page - 1) / page * page, -1, false};
  napi_value buffer = nullptr;
  if (napi_create_external_arraybuffer(env, addr, record->length, FinalizeMapping, record, &buffer) != napi_ok) {
    // We cannot tell whether a finalizer was registered, so the Record is deliberately not freed here (a finalizer
    // would free it; otherwise a few bytes leak), and marking it unmapped keeps a late finalizer from unmapping.
    {
      std::lock_guard<std::mutex> lock(gMutex);
      record->unmapped = true;
    }
    munmap(addr, static_cast<size_t>(length));
    if (!env.IsExceptionPending()) ThrowErrno(env, ENOMEM, "mmap", "cannot create an external ArrayBuffer");
    return Napi::Value();
  }
  {
    std::lock_guard<std::mutex> lock(gMutex);
    gLive[record->addr] = record;
  }
  return Napi::Value(env, buffer);
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t byteLength = 0;
  if (!GetArrayBuffer(info, "munmap", &data, &byteLength)) return Napi::Value();

  uintptr_t addr = 0;
  size_t mappedLength = 0;
  int guardSlot = -1;
  Record* record = nullptr;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    record = FindLiveLocked(data, byteLength);
    if (record == nullptr) {
      ThrowErrno(env, EINVAL, "munmap", "not a live mapping: already unmapped, or not from map()");
      return Napi::Value();
    }
    addr = record->addr;
    mappedLength = record->mappedLength;
    guardSlot = record->guardSlot;
    gLive.erase(addr);
    record->unmapped = true;
    record->guardSlot = -1;
  }

  // Detach first so no JS view can reach the memory once it is unmapped. From here on `record` may be freed at
  // any time by the finalizer, so only the copies above are used.
  if (napi_detach_arraybuffer(env, info[0]) != napi_ok) {
    // Nothing was detached, so the finalizer cannot have run and the Record is still ours to restore.
    std::lock_guard<std::mutex> lock(gMutex);
    record->unmapped = false;
    record->guardSlot = guardSlot;
    gLive[addr] = record;
    if (!env.IsExceptionPending()) ThrowErrno(env, EINVAL, "munmap", "the ArrayBuffer cannot be detached");
    return Napi::Value();
  }
  if (guardSlot >= 0) {
    // Unregister before munmap so the guard never covers an address range that someone else may map next.
    std::lock_guard<std::mutex> lock(gMutex);
    GuardUnregister(guardSlot);
  }
  if (munmap(reinterpret_cast<void*>(addr), mappedLength) != 0) {
    ThrowErrno(env, errno, "munmap", "length " + std::to_string(mappedLength));
    return Napi::Value();
  }
  return env.Undefined();
}

Napi::Value LiveMappings(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(gMutex);
  return Napi::Number::New(info.Env(), static_cast<double>(gLive.size()));
}

}  // namespace

int GuardMapping(const void* data, size_t byteLength) {
  std::lock_guard<std::mutex> lock(gMutex);
  Record* record = FindLiveLocked(data, byteLength);
  if (record == nullptr) return EINVAL;
  if (record->guardSlot >= 0) return 0;
  const int slot = GuardRegister(record->addr, record->mappedLength);
  if (slot < 0) return ENOSPC;
  record->guardSlot = slot;
  return 0;
}

bool MappingGuardFaults(const void* data, size_t byteLength, uint64_t* faults) {
  std::lock_guard<std::mutex> lock(gMutex);
  Record* record = FindLiveLocked(data, byteLength);
  if (record == nullptr) return false;
  *faults = record->guardSlot >= 0 ? GuardFaults(record->guardSlot) : 0;
  return true;
}

void RegisterMapping(Napi::Env env, Napi::Object exports) {
  exports.Set("PAGE_SIZE", Napi::Number::New(env, static_cast<double>(PageSize())));
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("liveMappings", Napi::Function::New(env, LiveMappings, "liveMappings"));
}
