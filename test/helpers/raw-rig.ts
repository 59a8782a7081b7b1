// The fixture of the tests that script a frontend by hand: a backend + frontend pair, and a raw frontend connected
// to the same backend, started before a describe block's tests and stopped after them.
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { startPair, type Pair, type PairOptions } from '../../cli/processes.js';
import { RawFrontend } from './raw-frontend.js';

export interface RawRig {
  pair: Pair;
  fe: RawFrontend;
}

/** Registers the hooks; the returned object is filled in before the first test runs. */
export function rawRig(o: PairOptions): RawRig {
  const rig = {} as RawRig;
  beforeAll(async () => {
    rig.pair = await startPair(o);
    rig.fe = await RawFrontend.connect(join(rig.pair.dir, 'backend.sock'));
  });
  afterAll(async () => {
    rig.fe?.close();
    await rig.pair?.stop();
  });
  return rig;
}
