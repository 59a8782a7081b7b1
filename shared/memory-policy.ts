// What a long-running process of ours (the daemons, the fuzzer's processes) does so that its RSS follows the memory
// it really holds once a peer's burst is over: fixed malloc thresholds (shared/native/malloc_policy.cc says why),
// and after every full garbage collection, which is when the backing stores of collected buffers are freed, the
// free pages of every malloc arena go back to the system. A client library must not change its host's malloc, so
// only a process's entry point calls this.
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { fixMallocThresholds, mallocTrim } from './native/index.js';

let installed = false;

function isFullCollection(e: PerformanceEntry): boolean {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

export function holdOnlyLiveMemory(): void {
  if (installed) return;
  installed = true;
  fixMallocThresholds();
  let pending = false;
  // Full collections come seconds to minutes apart; a trim costs well under a millisecond on heaps of this size.
  new PerformanceObserver((list) => {
    if (pending || !list.getEntries().some(isFullCollection)) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      mallocTrim();
    }).unref();
  }).observe({ entryTypes: ['gc'] });
}
