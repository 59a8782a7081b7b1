// Scale: many flip streams at once against one backend, each stream a client flipping one CRTC unpaced and waiting
// for its event. Aggregate flips per second and the worst stream's p99, beside one stream alone on a pair of its
// own in the same run. A device has one DRM master, so the streams of one device share its master connection.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import type { VblankEvent } from '../protocol/kms/event.js';
import { run, type Proc } from '../cli/processes.js';
import { nowUs } from './flip-loop.js';
import { summarise } from './stats.js';

const W = 320;
const H = 240;

export interface ScaleResult {
  streams: number;
  flipsPerSecond: number;
  worstP99: number;
}

/** Sets up one stream per connector of the card (its own two buffers; events told apart by CRTC); returns the run. */
async function deviceStreams(card: Card, connectors: number, flips: number, samples: number[][]): Promise<() => Promise<void>> {
  const waiting = new Map<number, (e: VblankEvent) => void>();
  card.on('event', (e) => {
    if (e.type !== 3) waiting.get(e.crtcId)?.(e);
  });
  const outs: { crtcId: number; fbs: number[] }[] = [];
  for (let c = 0; c < connectors; c++) {
    const out = await findOutput(card, c);
    const fbs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await card.createDumb(W, H, 32);
      fbs.push(await card.addFb2(W, H, XRGB8888.fourcc, d.handle, d.pitch));
    }
    await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
    outs.push({ crtcId: out.crtcId, fbs });
  }
  return async () => {
    await Promise.all(outs.map(async ({ crtcId, fbs }) => {
      const mine: number[] = [];
      samples.push(mine);
      for (let i = 0; i < flips; i++) {
        const t0 = nowUs();
        const ev = new Promise<VblankEvent>((r) => waiting.set(crtcId, r));
        await card.pageFlip(crtcId, fbs[(i + 1) % 2]!, BigInt(i));
        await ev;
        mine.push(nowUs() - t0);
      }
    }));
  };
}

/** `frontends` frontends on one backend with `connectors` connectors; every connector of every device flips. */
export async function scale(frontends: number, connectors: number, flips: number): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-bench-scale-'));
  const procs: Proc[] = [];
  try {
    const backend = run(['backend', '--runtime-dir', dir, '--unpaced', '--no-crc', '--connectors', Array(connectors).fill(`${W}x${H}`).join(',')]);
    procs.push(backend);
    await backend.waitLine(/backend listening/);
    // Each frontend in a runtime dir of its own that links to the one backend.sock: frontends sharing a dri/ probe
    // each other's nodes when they pick a card number, and a probe is an open that could take DRM master.
    const feDirs = Array.from({ length: frontends }, (_, k) => {
      const d = join(dir, `fe${k}`);
      mkdirSync(d, { mode: 0o700 });
      symlinkSync(join(dir, 'backend.sock'), join(d, 'backend.sock'));
      return d;
    });
    const fes = feDirs.map((d) => run(['frontend', '--runtime-dir', d]));
    procs.push(...fes);
    await Promise.all(fes.map((f) => f.waitLine(/frontend ready/, 120_000)));
    const cards = feDirs.map((d) => Card.open(join(d, 'dri', 'card0')));
    const samples: number[][] = [];
    let t0 = 0;
    try {
      const runs = await Promise.all(cards.map((card) => deviceStreams(card, connectors, flips, samples)));
      t0 = nowUs();
      await Promise.all(runs.map((go) => go()));
    } finally {
      for (const c of cards) c.close();
    }
    const seconds = (nowUs() - t0) / 1e6;
    return {
      streams: samples.length,
      flipsPerSecond: (samples.length * flips) / seconds,
      worstP99: Math.max(...samples.map((s) => summarise(s).p99)),
    };
  } finally {
    await Promise.all(procs.reverse().map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
