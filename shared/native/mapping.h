// Bookkeeping of live mappings made by map(), as seen by other concepts (the SIGBUS guard registers them).
#pragma once

#include <cstddef>
#include <cstdint>

// Registers the live mapping viewed by an ArrayBuffer (data, byteLength) with the SIGBUS guard; idempotent.
// Returns 0, EINVAL when the buffer is not a live mapping, or ENOSPC when the guard table is full.
int GuardMapping(const void* data, size_t byteLength);

// Faults the guard absorbed in that mapping (0 when it was never guarded); false if it is not a live mapping.
bool MappingGuardFaults(const void* data, size_t byteLength, uint64_t* faults);
