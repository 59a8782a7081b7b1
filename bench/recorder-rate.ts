// The raw recorder under an unpaced 1080p client: frames per second it gets onto disk (written, not dropped),
// beside the rate at which this process writes the same frame size into the same directory through the same kind
// of async file handle (the disk's own rate in this run).
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Card } from '../frontend/client/card.js';
import { adminCall } from '../cli/admin-client.js';
import type { RecorderStats } from '../backend/scanout/recorder/recorder.js';
import { flipSetup, nowUs, withPair } from './flip-loop.js';

const W = 1920;
const H = 1080;

export interface RecorderRateResult {
  fps: number;
  dropped: number;
  diskFps: number;
}

async function diskFps(dir: string, frames: number): Promise<number> {
  const frame = new Uint8Array(W * H * 4).fill(0x33);
  const fh = await open(join(dir, 'reference.raw'), 'w');
  const t0 = nowUs();
  try {
    for (let i = 0; i < frames; i++) await fh.write(frame);
  } finally {
    await fh.close();
  }
  return frames / ((nowUs() - t0) / 1e6);
}

export async function recorderRate(flips: number): Promise<RecorderRateResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-bench-rec-'));
  try {
    const rec = await withPair({ width: W, height: H, unpaced: true, backendArgs: ['--no-crc'] }, async (pair) => {
      const card = Card.open(pair.card);
      try {
        const setup = await flipSetup(card, W, H);
        await adminCall(pair.admin, { cmd: 'record-start', connector: 0, path: join(dir, 'rec'), format: 'raw' });
        const t0 = nowUs();
        for (let i = 0; i < flips; i++) {
          await card.pageFlip(setup.crtcId, setup.fbs[(i + 1) % 2]!, BigInt(i));
          await card.nextEvent();
        }
        const stats = await adminCall<RecorderStats>(pair.admin, { cmd: 'record-stop', connector: 0 });
        return { fps: stats.written / ((nowUs() - t0) / 1e6), dropped: stats.dropped };
      } finally {
        card.close();
      }
    });
    rmSync(join(dir, 'rec'), { recursive: true, force: true });
    return { ...rec, diskFps: await diskFps(dir, Math.max(30, Math.round(flips / 2))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
