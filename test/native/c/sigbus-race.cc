// The SIGBUS guard's table under a writer that changes slots while the handler reads them. The writer runs in a
// SIGALRM handler on the faulting thread itself, fired by a timer, so it lands at arbitrary instructions of the
// SIGBUS handler too (as another thread's registration can, between any two of its loads). It flips 256 slots
// between X = [R, R + 4 KiB) and Y = [R + 48 MiB, R + 80 MiB + 4 KiB): neither contains the guarded page A at
// R + 32 MiB (the slot after them), but X's start with Y's length does. Each round maps A over an empty memfd and
// touches it: the fault must be absorbed by A's slot. A handler that paired X's start with Y's length instead
// zeroes [R, R + 32 MiB + 4 KiB) and counts the fault on a flipping slot: A's count does not move.
// Prints "rounds N mismatches M alarms K"; exits 0 when M is 0.
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sigbus_guard.h"

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = 1024 * 1024;
constexpr int kFlipping = 256;
uintptr_t gRegion = 0;
timer_t gTimer;
// One-shot, re-armed at the end of each flip: a periodic timer whose period the flip itself outlasts on a loaded
// machine keeps a SIGALRM always pending and the rounds never advance (a livelock seen under a parallel test run).
const struct itimerspec kNext = {{0, 0}, {0, 50000}};
volatile sig_atomic_t gOnY = 0;
volatile sig_atomic_t gAlarms = 0;
volatile sig_atomic_t gLost = 0;

// Unregisters the flipping slots and registers them again with the other range: they come back at the same
// indices, the lowest free ones.
void Flip(int) {
  const int saved = errno;
  for (int k = 0; k < kFlipping; ++k) GuardUnregister(k);
  gOnY = !gOnY;
  for (int k = 0; k < kFlipping; ++k) {
    const int slot = gOnY ? GuardRegister(gRegion + 48 * kMiB, 32 * kMiB + kPage) : GuardRegister(gRegion, kPage);
    if (slot != k) gLost = 1;
  }
  gAlarms = gAlarms + 1;
  timer_settime(gTimer, 0, &kNext, nullptr);  // async-signal-safe
  errno = saved;
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 200000;
  void* region = mmap(nullptr, 96 * kMiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) Fail("mmap region");
  gRegion = reinterpret_cast<uintptr_t>(region);
  const int memfd = memfd_create("sigbus-race", MFD_CLOEXEC);  // size 0: every touch of a mapping of it faults
  if (memfd < 0) Fail("memfd_create");
  if (GuardInstall() != 0) Fail("GuardInstall");
  for (int k = 0; k < kFlipping; ++k) GuardRegister(gRegion, kPage);
  void* const a = reinterpret_cast<void*>(gRegion + 32 * kMiB);
  const int slotA = GuardRegister(reinterpret_cast<uintptr_t>(a), kPage);
  if (slotA != kFlipping) Fail("slots");

  struct sigaction flip;
  std::memset(&flip, 0, sizeof flip);
  flip.sa_handler = Flip;
  sigemptyset(&flip.sa_mask);
  flip.sa_flags = SA_RESTART;
  if (sigaction(SIGALRM, &flip, nullptr) != 0) Fail("sigaction");
  struct sigevent sev;
  std::memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  if (timer_create(CLOCK_MONOTONIC, &sev, &gTimer) != 0) Fail("timer_create");
  if (timer_settime(gTimer, 0, &kNext, nullptr) != 0) Fail("timer_settime");

  long mismatches = 0;
  for (long i = 0; i < rounds; ++i) {
    if (mmap(a, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED) Fail("mmap A");
    const uint64_t before = GuardFaults(slotA);
    const uint8_t got = *static_cast<volatile uint8_t*>(a);
    if (got != 0 || GuardFaults(slotA) != before + 1) ++mismatches;
  }
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alarm, nullptr);  // the handler re-arms the timer: block it rather than race a disarm
  timer_delete(gTimer);
  if (gLost) Fail("a flipped slot came back elsewhere");
  std::printf("rounds %ld mismatches %ld alarms %ld\n", rounds, mismatches, static_cast<long>(gAlarms));
  return mismatches == 0 ? 0 : 1;
}
