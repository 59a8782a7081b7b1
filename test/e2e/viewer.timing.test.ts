// A slow or vanished browser never slows the scanout: with one viewer that stops reading (its socket buffer fills
// with a 1080p frame) flips still run at the refresh rate, the viewer is skipped alone and another keeps up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pair } from '../../cli/processes.js';
import { SpriteClient } from '../helpers/sprite-client.js';
import { ViewerSocket, startViewerPair } from '../helpers/viewer-socket.js';

describe('a browser that stops reading (1920x1080 at 60 Hz)', () => {
  let pair: Pair;
  let url: string;
  let sprite: SpriteClient;
  beforeAll(async () => {
    ({ pair, url } = await startViewerPair('1920x1080'));
    sprite = await SpriteClient.open(pair.card, 9);
  });
  afterAll(async () => {
    sprite?.close();
    await pair?.stop();
  });

  async function fps(flips: number): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < flips; i++) await sprite.step();
    return (flips * 1000) / (performance.now() - t0);
  }

  it('is skipped alone; flips keep the refresh rate and another browser keeps getting frames', async () => {
    const alone = await fps(60);
    const slow = await ViewerSocket.open(url);
    const fast = await ViewerSocket.open(url);
    try {
      slow.ws.pause();
      await fast.until(() => fast.frames > 0);
      const withSlow = await fps(120);
      expect(alone).toBeGreaterThan(50);
      expect(withSlow).toBeGreaterThan(50);
      expect(withSlow).toBeGreaterThan(alone * 0.9);
      expect(fast.frames).toBeGreaterThan(40);
      const stats = (await (await fetch(url.replace('/?', '/api?'), { method: 'POST', body: '{"cmd":"viewer"}' })).json()) as {
        ok: { viewers: { frames: number; skipped: number; buffered: number }[] };
      };
      const behind = stats.ok.viewers.filter((v) => v.skipped > 0);
      expect(behind.length).toBe(1);
      expect(behind[0]!.frames).toBeLessThan(3);
      expect(behind[0]!.buffered).toBeGreaterThan(1024 * 1024);
      // A browser that vanishes is just forgotten.
      slow.ws.terminate();
      expect(await fps(30)).toBeGreaterThan(50);
    } finally {
      slow.ws.terminate();
      fast.close();
    }
  });
});
