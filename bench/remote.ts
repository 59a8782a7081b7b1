// The remote transport's bytes: what the frontend sends per frame (counted on the wire by a proxy between it and
// the backend) for a 64x64 sprite moving on a static 1920x1080 XRGB8888 screen, double buffered as a compositor
// does, beside the bytes of one full frame (the reference: what a transport without damage tracking would send).
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import { FaultProxy } from '../cli/fault-proxy.js';
import { startRemotePair } from '../cli/processes.js';

const W = 1920;
const H = 1080;
const SPRITE = 64;
const WARMUP = 10;

export interface SpriteBytes {
  perFrame: number;
  fullFrame: number;
  frames: number;
}

export async function spriteBytes(frames: number): Promise<SpriteBytes> {
  let proxy: FaultProxy | undefined;
  const pair = await startRemotePair({
    connectors: `${W}x${H}`,
    unpaced: true,
    backendArgs: ['--no-crc'],
    route: async (url) => {
      proxy = new FaultProxy(Number(new URL(url).port));
      return `ws://127.0.0.1:${await proxy.listen()}`;
    },
  });
  const card = Card.open(pair.card);
  try {
    const out = await findOutput(card, 0);
    const bufs: { fb: number; words: Uint32Array; pitch: number; at: [number, number] | undefined }[] = [];
    // A static background with detail (so deflate cannot make a changed block free) and a sprite of its own.
    const background = (x: number, y: number) => 0xff000000 | (((x * 7) ^ (y * 13)) & 0xffffff);
    for (let i = 0; i < 2; i++) {
      const d = await card.createDumb(W, H, 32);
      const map = await card.mapDumb(d.handle);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) map.words[y * (d.pitch / 4) + x] = background(x, y);
      bufs.push({ fb: await card.addFb2(W, H, XRGB8888.fourcc, d.handle, d.pitch), words: map.words, pitch: d.pitch / 4, at: undefined });
    }
    await card.setCrtc(out.crtcId, bufs[0]!.fb, 0, 0, [out.connector.connector_id], out.mode);
    let before = 0;
    for (let n = 1; n <= WARMUP + frames; n++) {
      if (n === WARMUP + 1) before = proxy!.upstreamBytes;
      const b = bufs[n % 2]!;
      if (b.at) for (let y = 0; y < SPRITE; y++) for (let x = 0; x < SPRITE; x++) b.words[(b.at[1] + y) * b.pitch + b.at[0] + x] = background(b.at[0] + x, b.at[1] + y);
      b.at = [(n * 5) % (W - SPRITE), (n * 3) % (H - SPRITE)];
      for (let y = 0; y < SPRITE; y++) for (let x = 0; x < SPRITE; x++) b.words[(b.at[1] + y) * b.pitch + b.at[0] + x] = 0xff000000 | ((x * 4) << 16) | ((y * 4) << 8) | (n & 0xff);
      await card.pageFlip(out.crtcId, b.fb, BigInt(n));
      await card.nextEvent();
    }
    return { perFrame: (proxy!.upstreamBytes - before) / frames, fullFrame: W * H * 4, frames };
  } finally {
    card.close();
    proxy?.close();
    await pair.stop();
  }
}
