// The SIGBUS guard's table (sigbus_table.cc), as used by mapping.cc and its binding. Register/unregister calls must
// be serialised by the caller (mapping.cc holds its registry mutex); the signal handler, on any thread, only reads
// the table and bumps counters.
#pragma once

#include <cstddef>
#include <cstdint>

// Installs the process-wide handler (once; later calls do nothing); returns 0 or an errno.
int GuardInstall();
// Claims a slot covering [start, start + length); returns its index, or -1 when the table is full.
int GuardRegister(uintptr_t start, size_t length);
void GuardUnregister(int slot);
uint64_t GuardFaults(int slot);
