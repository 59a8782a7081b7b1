// The SIGBUS guard's table, as used by mapping.cc. Register/unregister calls must be serialised by the caller
// (mapping.cc holds its registry mutex); the signal handler itself only reads the table and bumps counters.
#pragma once

#include <cstddef>
#include <cstdint>

// Claims a slot covering [start, start + length); returns its index, or -1 when the table is full.
int GuardRegister(uintptr_t start, size_t length);
void GuardUnregister(int slot);
uint64_t GuardFaults(int slot);
