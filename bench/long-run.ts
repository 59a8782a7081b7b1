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

/** Flips with nothing kept per flip, so that the client's own growth is the library's. */
async function flipMany(card: Card, setup: { crtcId: number; fbs: number[] }, flips: number): Promise<void> {
  for (let i = 0; i < flips; i++) {
    await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
    await card.nextEvent();
  }
}

/** `nodeArgs` for the frontend and backend: a capped old space makes V8 collect as it goes instead of lazily. */
export async function longRun(flips: number, nodeArgs: string[] = []): Promise<LongRunResult> {
  return withPair({ width: 640, height: 480, unpaced: true, backendArgs: ['--no-crc'], nodeArgs }, async (pair) => {
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
