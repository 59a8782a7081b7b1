// The SIGBUS guard's table and handler: keeps a peer from killing this process by truncating a file it has mapped.
//
// A shared mapping whose file shrinks raises SIGBUS on access to pages past the new end. For a registered mapping
// the handler replaces the *whole* mapping with private zero pages and returns, so the faulting access retries and
// reads zeros; the owner later sees a non-zero fault count and can drop the peer. Faults anywhere else keep their
// usual meaning: the previous handler runs, or the default action is restored so the fault kills the process.
//
// The handler must be async-signal-safe, so the table is a fixed array of lock-free atomics (no allocation, no
// locks), and the handler uses only mmap/sigaction/raise. Each slot is a seqlock: a writer (on any thread) makes
// its sequence odd while it changes the slot, and the handler takes a slot's start and length only when the same
// even sequence stands before and after reading both, so it can never pair one registration's start with
// another's length (which would zero memory outside any guarded mapping). Pure C++ (no N-API), so that a native
// test can drive it directly (test/native/c/sigbus-race.cc).
#include "sigbus_guard.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <mutex>

namespace {

struct Slot {
  std::atomic<uint32_t> seq;      // Odd while a writer changes start / length.
  std::atomic<uintptr_t> start;   // 0 = free, kReserved = being filled in, otherwise the mapping's address.
  std::atomic<size_t> length;     // Page-rounded length of the mapping.
  std::atomic<uint64_t> faults;   // Faults absorbed since registration.
};

static_assert(std::atomic<uint32_t>::is_always_lock_free, "guard table needs lock-free atomics");
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

// A slot's range as one writer left it: false while a writer is changing it, or when one changed it during the
// read three times in a row. Such a slot is being registered or unregistered, so it names no mapping a fault can
// legitimately hit yet (or any more).
bool ReadSlot(const Slot& slot, uintptr_t* start, size_t* length) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const uint32_t before = slot.seq.load(std::memory_order_acquire);
    if (before & 1U) return false;
    *start = slot.start.load(std::memory_order_relaxed);
    *length = slot.length.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.seq.load(std::memory_order_relaxed) == before) return true;
  }
  return false;
}

// Writers (serialised by the caller) bracket every change of a slot's range with these.
void BeginWrite(Slot& slot) {
  slot.seq.store(slot.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void EndWrite(Slot& slot) { slot.seq.store(slot.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

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
      uintptr_t start = 0;
      size_t length = 0;
      if (!ReadSlot(gSlots[i], &start, &length) || start == 0 || start == kReserved) continue;
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

}  // namespace

int GuardInstall() {
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

int GuardRegister(uintptr_t start, size_t length) {
  for (size_t i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (!gSlots[i].start.compare_exchange_strong(expected, kReserved, std::memory_order_acq_rel)) continue;
    BeginWrite(gSlots[i]);
    gSlots[i].length.store(length, std::memory_order_relaxed);
    gSlots[i].faults.store(0, std::memory_order_relaxed);
    gSlots[i].start.store(start, std::memory_order_relaxed);
    EndWrite(gSlots[i]);
    size_t high = gHighWater.load(std::memory_order_relaxed);
    while (high < i + 1 && !gHighWater.compare_exchange_weak(high, i + 1, std::memory_order_acq_rel)) {
    }
    return static_cast<int>(i);
  }
  return -1;
}

void GuardUnregister(int slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= kSlots) return;
  BeginWrite(gSlots[slot]);
  gSlots[slot].length.store(0, std::memory_order_relaxed);
  gSlots[slot].start.store(0, std::memory_order_relaxed);
  EndWrite(gSlots[slot]);
}

uint64_t GuardFaults(int slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= kSlots) return 0;
  return gSlots[slot].faults.load(std::memory_order_relaxed);
}

