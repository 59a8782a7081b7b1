// Long runs: resident memory and open fds of the frontend, the backend and the client (this process) after a
// warm-up and again after many more flips. Growth is what a leak per flip would show; the warm-up lets each heap
// reach its working size first.
import { Card } from '../frontend/client/card.js';
import { flipSetup, withPair } from './flip-loop.js';
import { fdCount, rssBytes } from './proc-stats.js';

export interface ProcessGrowth {
  rssBefore: number;
  rssAfter: number;
  fdsBefore: number;
  fdsAfter: number;
}

export type LongRunResult = Record<'frontend' | 'backend' | 'client', ProcessGrowth>;

/** Live heap after each major GC (V8's --trace-gc "Mark-Compact A (B) -> C (D) MB" lines), MB. */
export function heapsAfterMajorGc(lines: string[]): number[] {
  return lines.flatMap((l) => {
    const m = /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

export interface HeapGrowth {
  /** Live heap after the first and the last major GC of the measured flips, MB. */
  first: number;
  last: number;
  collections: number;
}

/**
 * The frontend's and backend's live heap over `flips` flips, with the old space capped at `capMb` so that V8
 * collects as it goes (uncapped, it may not run one major GC in 100,000 flips): what a leak would grow.
 */
export async function liveHeapGrowth(flips: number, capMb: number): Promise<Record<'frontend' | 'backend', HeapGrowth | undefined>> {
  return withPair({ width: 640, height: 480, unpaced: true, backendArgs: ['--no-crc'], nodeArgs: ['--trace-gc', `--max-old-space-size=${capMb}`] }, async (pair) => {
    const card = Card.open(pair.card);
    try {
      const setup = await flipSetup(card, 640, 480);
      await flipMany(card, setup, 5000);
      const from = { frontend: pair.frontend.lines.length, backend: pair.backend.lines.length };
      await flipMany(card, setup, flips);
      const growth = (who: 'frontend' | 'backend'): HeapGrowth | undefined => {
        const heaps = heapsAfterMajorGc(pair[who].lines.slice(from[who]));
        return heaps.length < 2 ? undefined : { first: heaps[0]!, last: heaps[heaps.length - 1]!, collections: heaps.length };
      };
      return { frontend: growth('frontend'), backend: growth('backend') };
    } finally {
      card.close();
    }
  });
}

/** Flips with nothing kept per flip, so that the client's own growth is the library's. */
async function flipMany(card: Card, setup: { crtcId: number; fbs: number[] }, flips: number): Promise<void> {
  for (let i = 0; i < flips; i++) {
    await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
    await card.nextEvent();
  }
}

export async function longRun(flips: number): Promise<LongRunResult> {
  return withPair({ width: 640, height: 480, unpaced: true, backendArgs: ['--no-crc'] }, async (pair) => {
    const pids = { frontend: pair.frontend.child.pid!, backend: pair.backend.child.pid!, client: process.pid };
    const card = Card.open(pair.card);
    try {
      const setup = await flipSetup(card, 640, 480);
      await flipMany(card, setup, 5000);
      const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, { rss: rssBytes(pid), fds: fdCount(pid) }]));
      await flipMany(card, setup, flips);
      const out = {} as LongRunResult;
      for (const [k, pid] of Object.entries(pids) as [keyof LongRunResult, number][]) {
        out[k] = { rssBefore: before[k]!.rss, rssAfter: rssBytes(pid), fdsBefore: before[k]!.fds, fdsAfter: fdCount(pid) };
      }
      return out;
    } finally {
      card.close();
    }
  });
}
