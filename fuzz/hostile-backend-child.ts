// The hostile-backend surface's own process (see fuzz/hostile-backend-process.ts): makes inputs while told to run,
// and sends their descriptions to the fuzzer in small batches (a few per message, at least every 100 ms).
import { setImmediate as turn } from 'node:timers/promises';
import { Prng } from './prng.js';
import { HostileBackendSurface } from './hostile-backend.js';
import type { FromChild, ToChild } from './hostile-backend-process.js';
import { holdOnlyLiveMemory } from '../shared/memory-policy.js';
import { collectOwnGarbage } from '../cli/gc.js';

const BATCH = 16;
const FLUSH_MS = 100;

let surface: HostileBackendSurface | undefined;
let running = false;
let loop: Promise<void> = Promise.resolve();
const pending: string[] = [];

const tell = (m: FromChild) => process.send!(m);
const flush = () => {
  if (pending.length) tell({ t: 'inputs', list: pending.splice(0) });
};
holdOnlyLiveMemory();
setInterval(flush, FLUSH_MS);

async function run(s: HostileBackendSurface): Promise<void> {
  while (running) {
    pending.push(await s.step().catch((e: unknown) => `fuzzer error: ${(e as Error).stack ?? String(e)}`));
    if (pending.length >= BATCH) flush();
    await turn();
  }
  flush();
}

process.on('message', (m: ToChild) => {
  switch (m.t) {
    case 'start':
      surface = new HostileBackendSurface(new Prng(m.seed), m.dir);
      return tell({ t: 'ready' });
    case 'run':
      if (!surface || running) return;
      running = true;
      loop = run(surface);
      return;
    case 'pause':
      running = false;
      void loop.then(() => surface?.endBatch()).then(() => tell({ t: 'paused' }));
      return;
    case 'probe':
      void loop
        .then(() => surface?.probe())
        .then(
          () => tell({ t: 'probed' }),
          (e: unknown) => tell({ t: 'probed', error: (e as Error).message }),
        );
      return;
    case 'collect':
      void collectOwnGarbage().then((heapBytes) => tell({ t: 'collected', heapBytes }));
  }
});
// The fuzzer going away ends this process too.
process.on('disconnect', () => process.exit(0));
