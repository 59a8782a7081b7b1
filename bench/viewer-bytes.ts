// Viewer cost of a small change: a 64x64 sprite moving a few pixels per paced flip over a static 1080p screen.
// What a WebSocket viewer receives per frame message, beside the first message it got, which carries the full
// frame (the reference, in the same run).
import { WebSocket } from 'ws';
import { Card } from '../frontend/client/card.js';
import { findOutput } from '../frontend/client/output.js';
import { XRGB8888 } from '../protocol/formats.js';
import type { BufferMapping } from '../frontend/client/mapping.js';
import { withPair } from './flip-loop.js';

const W = 1920;
const H = 1080;
const SPRITE = 64;

export interface ViewerBytesResult {
  fullFrameBytes: number;
  /** Mean bytes of each later frame message while the sprite moves. */
  spriteFrameBytes: number;
  messages: number;
}

function drawSprite(map: BufferMapping, x: number, y: number, colour: number): void {
  const words = map.words;
  for (let row = y; row < y + SPRITE; row++) words.fill(colour, row * W + x, row * W + x + SPRITE);
}

export async function viewerBytes(flips: number): Promise<ViewerBytesResult> {
  return withPair({ width: W, height: H, backendArgs: ['--no-crc', '--viewer', '127.0.0.1:0'] }, async (pair) => {
    const url = new URL((await pair.backend.waitLine(/^viewer: /)).slice('viewer: '.length));
    const card = Card.open(pair.card);
    const ws = new WebSocket(`ws://${url.host}/ws${url.search}`);
    const sizes: number[] = [];
    let first: () => void = () => undefined;
    const gotFirst = new Promise<void>((r) => (first = r));
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return;
      sizes.push(data.length);
      if (sizes.length === 1) first();
    });
    try {
      const out = await findOutput(card, 0);
      const fbs: number[] = [];
      const maps: BufferMapping[] = [];
      const background = 0xff204060;
      for (let i = 0; i < 2; i++) {
        const d = await card.createDumb(W, H, 32);
        const map = await card.mapDumb(d.handle);
        map.words.fill(background);
        maps.push(map);
        fbs.push(await card.addFb2(W, H, XRGB8888.fourcc, d.handle, d.pitch));
      }
      await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
      await gotFirst;
      const at = (i: number) => ({ x: 100 + ((i * 5) % (W - 300)), y: 100 + ((i * 3) % (H - 300)) });
      const drawn: ({ x: number; y: number } | undefined)[] = [undefined, undefined];
      for (let i = 1; i <= flips; i++) {
        const b = i % 2;
        const old = drawn[b];
        if (old) drawSprite(maps[b]!, old.x, old.y, background);
        const p = at(i);
        drawSprite(maps[b]!, p.x, p.y, 0xffffcc00);
        drawn[b] = p;
        await card.pageFlip(out.crtcId, fbs[b]!, BigInt(i));
        await card.nextEvent();
      }
      await new Promise((r) => setTimeout(r, 200)); // the viewer's last tick
      for (const m of maps) m.unmap();
      const later = sizes.slice(1);
      return {
        fullFrameBytes: sizes[0]!,
        spriteFrameBytes: later.reduce((a, b) => a + b, 0) / Math.max(1, later.length),
        messages: later.length,
      };
    } finally {
      ws.close();
      card.close();
    }
  });
}
