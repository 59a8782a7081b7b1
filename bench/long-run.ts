// Long runs: resident memory, open fds and live JS heap of the frontend, the backend and the client (this process)
// over many flips, measured after a warm-up long enough for each heap to reach its working size. V8 grows its
// young generation from 1 to 16 MiB semi-spaces in the first ~40,000 flips (the pages it commits, not what it
// holds: the live heap stays flat), so a short warm-up would count that once-only growth as a leak. The live heap
// is what a full collection leaves, read through each process's inspector before and after.
import { Card } from '../frontend/client/card.js';
import { INSPECTABLE, collectGarbage } from '../cli/gc.js';
import { flipSetup, withPair } from './flip-loop.js';
import { fdCount, rssBytes } from './proc-stats.js';

export interface ProcessGrowth {
  rssBefore: number;
  rssAfter: number;
  fdsBefore: number;
  fdsAfter: number;
}

/** JS heap in use after a full collection before and after the measured flips, bytes. */
export interface HeapGrowth {
  before: number;
  after: number;
}

export interface LongRunResult {
  usage: Record<'frontend' | 'backend' | 'client', ProcessGrowth>;
  heap: Record<'frontend' | 'backend', HeapGrowth | undefined>;
}

/** Flips with nothing kept per flip, so that the client's own growth is the library's. */
async function flipMany(card: Card, setup: { crtcId: number; fbs: number[] }, flips: number): Promise<void> {
  for (let i = 0; i < flips; i++) {
    await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
    await card.nextEvent();
  }
}

export async function longRun(flips: number, warmup: number): Promise<LongRunResult> {
  return withPair({ width: 640, height: 480, unpaced: true, backendArgs: ['--no-crc'], env: INSPECTABLE }, async (pair) => {
    const pids = { frontend: pair.frontend.child.pid!, backend: pair.backend.child.pid!, client: process.pid };
    const heaps = async () => ({ frontend: await collectGarbage(pair.frontend.lines), backend: await collectGarbage(pair.backend.lines) });
    const card = Card.open(pair.card);
    try {
      const setup = await flipSetup(card, 640, 480);
      await flipMany(card, setup, warmup);
      const heapBefore = await heaps();
      const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, { rss: rssBytes(pid), fds: fdCount(pid) }]));
      await flipMany(card, setup, flips);
      const heapAfter = await heaps();
      const usage = {} as LongRunResult['usage'];
      for (const [k, pid] of Object.entries(pids) as [keyof LongRunResult['usage'], number][]) {
        usage[k] = { rssBefore: before[k]!.rss, rssAfter: rssBytes(pid), fdsBefore: before[k]!.fds, fdsAfter: fdCount(pid) };
      }
      const heap = (who: 'frontend' | 'backend'): HeapGrowth | undefined => {
        const [b, a] = [heapBefore[who], heapAfter[who]];
        return b === undefined || a === undefined ? undefined : { before: b, after: a };
      };
      return { usage, heap: { frontend: heap('frontend'), backend: heap('backend') } };
    } finally {
      card.close();
    }
  });
}
