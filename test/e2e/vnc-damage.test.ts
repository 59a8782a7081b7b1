// What VNC sends for a changing screen: after a 64x64 square moves on a static image, an incremental update carries
// exactly the 64x64 tiles the old and new squares touch (counted on the wire, Raw and Tight), and the client's
// image is then the backend's; a client that asks for full frames but never reads is bounded in what the backend
// holds for it and sent fewer updates than it asked for, while another client keeps up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../../cli/admin-client.js';
import type { VncScreenStats } from '../../backend/scanout/vnc/vnc-screen.js';
import { MAX_BUFFERED } from '../../backend/scanout/vnc/vnc-screen.js';
import { RfbClient, type RfbRect } from '../helpers/rfb-client.js';
import { SPRITE, SpriteClient } from '../../bench/sprite-client.js';
import { backendSnapshot, startVncPair, type VncPair } from '../helpers/vnc-pair.js';

const W = 640;
const H = 480;

/** The 64x64 tiles (as rectangles, row by row) that the squares of frames n-1 and n touch. */
function tilesOfMove(n: number): Omit<RfbRect, 'encoding'>[] {
  // Frame 0 is the image alone.
  const squares = n > 1 ? [SpriteClient.position(n - 1), SpriteClient.position(n)] : [SpriteClient.position(n)];
  const tiles: Omit<RfbRect, 'encoding'>[] = [];
  for (let y = 0; y < H; y += 64) {
    for (let x = 0; x < W; x += 64) {
      if (squares.some((s) => s.x < x + 64 && x < s.x + SPRITE && s.y < y + 64 && y < s.y + SPRITE)) tiles.push({ x, y, width: 64, height: 64 });
    }
  }
  return tiles;
}

describe('VNC damage', () => {
  let v: VncPair;
  let sprite: SpriteClient;
  /** Frames the sprite has moved. */
  let n = 0;
  const step = () => (n++, sprite.step());
  beforeAll(async () => {
    v = await startVncPair(`${W}x${H}`);
    sprite = await SpriteClient.open(v.pair.card, 5);
  });
  afterAll(async () => {
    sprite?.close();
    await v?.pair.stop();
  });

  it('an incremental update after the square moved carries only the tiles it touched, Raw and Tight', async () => {
    for (const encoding of [0, 7]) {
      const c = await RfbClient.connect(v.port);
      try {
        c.setEncodings([encoding]);
        c.request(false);
        const full = await c.update();
        expect(full.rects).toHaveLength((W / 64) * Math.ceil(H / 64));
        for (let i = 0; i < 3; i++) {
          c.request(true);
          await step();
          const u = await c.update();
          expect(u.rects).toEqual(tilesOfMove(n).map((t) => ({ ...t, encoding })));
          const raw = 4 + u.rects.length * (12 + 64 * 64 * 4);
          if (encoding === 0) expect(u.bytes).toBe(raw);
          else expect(u.bytes).toBeLessThan(raw);
          const snap = await backendSnapshot(v.pair);
          expect(Buffer.from(c.rgba).equals(Buffer.from(snap.rgba))).toBe(true);
        }
      } finally {
        c.close();
      }
    }
  });

  it('a client that never reads holds a bounded backlog and misses frames; another client keeps up', async () => {
    const slow = await RfbClient.connect(v.port);
    const fast = await RfbClient.connect(v.port);
    try {
      // Never read: stop taking data from the kernel.
      slow.socket.pause();
      fast.request(false);
      await fast.update();
      const rounds = 30;
      for (let i = 0; i < rounds; i++) {
        slow.request(false);
        fast.request(true);
        await step();
        await fast.update();
      }
      const stats = (await adminCall<{ screens: VncScreenStats[] }>(v.pair.admin, { cmd: 'vnc' })).screens[0]!;
      const s = stats.clients.find((c) => c.id === Math.min(...stats.clients.map((x) => x.id)))!;
      const fullFrame = W * H * 4 + 4 + 12 * 80;
      expect(s.buffered).toBeLessThan(MAX_BUFFERED + fullFrame);
      expect(s.updates).toBeLessThan(rounds);
      const snap = await backendSnapshot(v.pair);
      expect(Buffer.from(fast.rgba).equals(Buffer.from(snap.rgba))).toBe(true);
    } finally {
      slow.close();
      fast.close();
    }
    expect(v.pair.backend.child.exitCode).toBeNull();
  });
});
