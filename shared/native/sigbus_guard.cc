// Owns the process-wide SIGBUS handler that keeps a peer from killing us by truncating a file we have mapped.
//
// A shared mapping whose file shrinks raises SIGBUS on access to pages past the new end. For a registered mapping
// the handler replaces the *whole* mapping with private zero pages and returns, so the faulting access retries and
// reads zeros; the owner later sees a non-zero fault count and can drop the peer. Faults anywhere else keep their
// usual meaning: the previous handler runs, or the default action is restored so the fault kills the process.
//
// The handler must be async-signal-safe, so the table is a fixed array of lock-free atomics (no allocation, no
// locks), and the handler uses only mmap/sigaction/raise.
#include "sigbus_guard.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <mutex>

#include "errors.h"
#include "mapping.h"
#include "register.h"

namespace {

struct Slot {
  std::atomic<uintptr_t> start;   // 0 = free, kReserved = being filled in, otherwise the mapping's address.
  std::atomic<size_t> length;     // Page-rounded length of the mapping.
  std::atomic<uint64_t> faults;   // Faults absorbed since registration.
};

static_assert(std::atomic<uintptr_t>::is_always_lock_free, "guard table needs lock-free atomics");
static_assert(std::atomic<size_t>::is_always_lock_free, "guard table needs lock-free atomics");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "guard table needs lock-free atomics");

constexpr size_t kSlots = 65536;
constexpr uintptr_t kReserved = 1;  // Never a mapping address (mappings are page aligned).

// Static storage is zero-initialised: every slot starts free.
Slot gSlots[kSlots];
// Slots at or above this index have never been used; bounds the handler's scan.
std::atomic<size_t> gHighWater{0};

std::mutex gInstallMutex;
bool gInstalled = false;
struct sigaction gPrevious;  // Written once before the handler is installed, read-only afterwards.

bool IsUserSent(const siginfo_t* info) {
  // kill(), sigqueue(), tgkill() etc. use si_code <= 0; faults use positive BUS_* codes.
  return info->si_code <= 0;
}

// Hands a SIGBUS that is not ours to whoever had it before us.
void Chain(int sig, siginfo_t* info, void* context) {
  const bool siginfo = (gPrevious.sa_flags & SA_SIGINFO) != 0;
  const void* previous = siginfo ? reinterpret_cast<void*>(gPrevious.sa_sigaction)
                                 : reinterpret_cast<void*>(gPrevious.sa_handler);
  if (previous != reinterpret_cast<void*>(SIG_DFL) && previous != reinterpret_cast<void*>(SIG_IGN)) {
    if (siginfo) {
      gPrevious.sa_sigaction(sig, info, context);
    } else {
      gPrevious.sa_handler(sig);
    }
    return;
  }
  // Default (or ignored, which the kernel does not honour for faults): restore SIG_DFL. A real fault re-executes
  // the access on return and dies with SIGBUS; a signal sent by kill() has to be raised again (it stays blocked
  // until this handler returns, then kills the process).
  struct sigaction dfl;
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  dfl.sa_flags = 0;
  sigaction(SIGBUS, &dfl, nullptr);
  if (IsUserSent(info)) raise(SIGBUS);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const int savedErrno = errno;
  if (!IsUserSent(info)) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    const size_t used = gHighWater.load(std::memory_order_acquire);
    for (size_t i = 0; i < used; ++i) {
      const uintptr_t start = gSlots[i].start.load(std::memory_order_acquire);
      if (start == 0 || start == kReserved) continue;
      const size_t length = gSlots[i].length.load(std::memory_order_acquire);
      if (addr < start || addr - start >= length) continue;
      void* zero = mmap(reinterpret_cast<void*>(start), length, PROT_READ | PROT_WRITE,
                        MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (zero != MAP_FAILED) {
        gSlots[i].faults.fetch_add(1, std::memory_order_relaxed);
        errno = savedErrno;
        return;
      }
      break;  // Could not repair the mapping: treat the fault as unguarded rather than loop on it forever.
    }
  }
  Chain(sig, info, context);
  errno = savedErrno;
}

// Returns 0 or an errno.
int InstallOnce() {
  std::lock_guard<std::mutex> lock(gInstallMutex);
  if (gInstalled) return 0;
  // Read the previous disposition before installing, so the handler never sees gPrevious half written.
  if (sigaction(SIGBUS, nullptr, &gPrevious) != 0) return errno;
  struct sigaction action;
  action.sa_sigaction = OnSigbus;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  if (sigaction(SIGBUS, &action, nullptr) != 0) return errno;
  gInstalled = true;
  return 0;
}

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
  int err = InstallOnce();
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

int GuardRegister(uintptr_t start, size_t length) {
  for (size_t i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (!gSlots[i].start.compare_exchange_strong(expected, kReserved, std::memory_order_acq_rel)) continue;
    gSlots[i].length.store(length, std::memory_order_relaxed);
    gSlots[i].faults.store(0, std::memory_order_relaxed);
    size_t high = gHighWater.load(std::memory_order_relaxed);
    while (high < i + 1 && !gHighWater.compare_exchange_weak(high, i + 1, std::memory_order_acq_rel)) {
    }
    // Publishing the address last makes the slot visible to the handler only once it is complete.
    gSlots[i].start.store(start, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void GuardUnregister(int slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= kSlots) return;
  // Zero the length first: a handler racing with us then sees an empty range instead of a stale one.
  gSlots[slot].length.store(0, std::memory_order_release);
  gSlots[slot].start.store(0, std::memory_order_release);
}

uint64_t GuardFaults(int slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= kSlots) return 0;
  return gSlots[slot].faults.load(std::memory_order_relaxed);
}

void RegisterSigbusGuard(Napi::Env env, Napi::Object exports) {
  exports.Set("guard", Napi::Function::New(env, Guard, "guard"));
  exports.Set("guardFaults", Napi::Function::New(env, GuardFaultsOf, "guardFaults"));
}
