// The flip round trip the bench rows share: a fresh backend + frontend pair, one TypeScript client flipping between
// two full-screen XRGB8888 buffers, each sample the time from the flip call to its flip-complete event.
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import { adminCall } from '../cli/admin-client.js';
import { startPair, startRemotePair, type Pair, type PairOptions } from '../cli/processes.js';
import type { PeerStatus } from '../backend/server.js';
import { summarise, type Summary } from './stats.js';

/**
 * Flips before the measured ones, for every round-trip row and its reference alike. The three processes' JITs
 * take thousands of flips to settle: over the first 500 flips, 30-40 took more than 1 ms. By flips 4,000-6,000 it
 * was 2-3 per 500, at the same flip indices run after run, and not at GCs. The tail is measured once that is over.
 */
export const WARMUP = 5000;

export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export interface FlipLoopOptions extends PairOptions {
  width?: number;
  height?: number;
  /** Flips before the measured ones (WARMUP unless given). */
  warmup?: number;
  /** The frontend reaches the backend over ws:// on loopback (no shared memory). */
  remote?: boolean;
}

export interface FlipLoopResult extends Summary {
  /** Pixel bytes the backend copied per frame (0: zero copy). */
  copiedPerFrame: number;
  /** Flips per second over the measured flips. */
  flipsPerSecond: number;
}

/** Two full-screen buffers on connector 0, the first one shown; what a flipping client needs. */
export async function flipSetup(card: Card, width: number, height: number): Promise<{ crtcId: number; fbs: number[] }> {
  const out = await findOutput(card, 0);
  const fbs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(width, height, 32);
    const map = await card.mapDumb(d.handle);
    map.words.fill(0xff000000 | (i * 0x00ff00));
    map.unmap();
    fbs.push(await card.addFb2(width, height, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { crtcId: out.crtcId, fbs };
}

/** `count` measured flips (after `warmup`) of one client on a card that is set up already. */
export async function timeFlips(card: Card, setup: { crtcId: number; fbs: number[] }, count: number, warmup = WARMUP): Promise<{ rt: Summary; seconds: number }> {
  const samples: number[] = [];
  let start = nowUs();
  for (let i = 0; i < count + warmup; i++) {
    if (i === warmup) start = nowUs();
    const t0 = nowUs();
    await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
    await card.nextEvent();
    if (i >= warmup) samples.push(nowUs() - t0);
  }
  return { rt: summarise(samples), seconds: (nowUs() - start) / 1e6 };
}

/** Runs `fn` on a fresh pair (connector `width`x`height`) and stops the pair after. */
export async function withPair<T>(o: FlipLoopOptions, fn: (pair: Pair) => Promise<T>): Promise<T> {
  const width = o.width ?? 1920;
  const height = o.height ?? 1080;
  const pair = await (o.remote ? startRemotePair : startPair)({ connectors: `${width}x${height}`, ...o });
  try {
    return await fn(pair);
  } finally {
    await pair.stop();
  }
}

export async function flipLoop(count: number, o: FlipLoopOptions): Promise<FlipLoopResult> {
  const width = o.width ?? 1920;
  const height = o.height ?? 1080;
  return withPair(o, async (pair) => {
    const card = Card.open(pair.card);
    try {
      const setup = await flipSetup(card, width, height);
      const { rt, seconds } = await timeFlips(card, setup, count, o.warmup);
      const status = await adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
      const conn = status[0]!.connectors[0]!;
      return { ...rt, copiedPerFrame: conn.frames ? conn.pixelBytesCopied / conn.frames : 0, flipsPerSecond: count / seconds };
    } finally {
      card.close();
    }
  });
}
