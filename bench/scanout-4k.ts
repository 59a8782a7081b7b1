// 4K-wide scanout with the CRC sink on: flips per second of one unpaced client (each frame's CRC must be in before
// the next frame done, so this is the CRC's own rate once the IPC is out of the way), beside what crc32 of the same
// bytes reaches in this process. xen-drm-front's mode limit is 4095x2047, so the 4K row is 3840x2047.
import { crc32 } from 'node:zlib';
import { flipLoop, nowUs } from './flip-loop.js';

export const W4K = 3840;
export const H4K = 2047;

export interface Scanout4kResult {
  fps: number;
  crc32Fps: number;
}

export async function scanout4k(flips: number): Promise<Scanout4kResult> {
  const run = await flipLoop(flips, { width: W4K, height: H4K, unpaced: true, warmup: 10 });
  const frame = new Uint8Array(W4K * H4K * 4).fill(0x5a);
  const t0 = nowUs();
  for (let i = 0; i < flips; i++) crc32(frame);
  return { fps: run.flipsPerSecond, crc32Fps: flips / ((nowUs() - t0) / 1e6) };
}
