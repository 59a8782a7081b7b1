// A screen that changes size (a hotplug with a new EDID, then the client sets the new mode): a VNC client that
// listed DesktopSize is told the new size and then gets the new framebuffer whole; one that did not keeps its
// framebuffer, with the new frame drawn where the two overlap.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { buildEdid } from '../../protocol/edid.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { run } from '../../cli/processes.js';
import { RfbClient } from '../helpers/rfb-client.js';
import { startVncPair } from '../helpers/vnc-pair.js';
import { until } from '../helpers/until.js';

/** Shows a `width` x `height` buffer filled with XRGB8888 `word` on connector 0 at its current mode. */
async function show(card: Card, width: number, height: number, word: number): Promise<void> {
  const out = await findOutput(card, 0);
  expect([out.mode.hdisplay, out.mode.vdisplay]).toEqual([width, height]);
  const d = await card.createDumb(width, height, 32);
  (await card.mapDumb(d.handle)).words.fill(word);
  await card.setCrtc(out.crtcId, await card.addFb2(width, height, XRGB8888.fourcc, d.handle, d.pitch), 0, 0, [out.connector.connector_id], out.mode);
}

function pixel(c: RfbClient, x: number, y: number): number[] {
  const i = (y * c.width + x) * 4;
  return [...c.rgba.subarray(i, i + 3)];
}

describe('VNC and a screen that changes size', () => {
  it('DesktopSize clients are resized; others keep their framebuffer', async () => {
    const v = await startVncPair('320x240');
    const card = Card.open(v.pair.card);
    try {
      await show(card, 320, 240, 0xff0000ff);
      const resizing = await RfbClient.connect(v.port);
      const fixed = await RfbClient.connect(v.port);
      resizing.setEncodings([0, -223]);
      for (const c of [resizing, fixed]) {
        c.request(false);
        await c.update();
        expect(pixel(c, 300, 200)).toEqual([0, 0, 0xff]);
      }
      const edid = join(v.pair.dir, 'edid.bin');
      writeFileSync(edid, buildEdid({ width: 640, height: 480, refresh: 60, name: 'bigger' }));
      expect((await run(['hotplug', '--runtime-dir', v.pair.dir, '--connector', '0', '--on', '--edid', edid]).exited()).code).toBe(0);
      await until(async () => (await findOutput(card, 0)).mode.hdisplay === 640);
      await show(card, 640, 480, 0xff00ff00);

      resizing.request(true);
      expect((await resizing.update()).rects).toEqual([{ x: 0, y: 0, width: 640, height: 480, encoding: -223 }]);
      expect([resizing.width, resizing.height]).toEqual([640, 480]);
      resizing.request(false);
      await resizing.update();
      expect([pixel(resizing, 0, 0), pixel(resizing, 639, 479)]).toEqual([[0, 0xff, 0], [0, 0xff, 0]]);

      fixed.request(true);
      const u = await fixed.update();
      expect([fixed.width, fixed.height]).toEqual([320, 240]);
      expect(u.rects.every((r) => r.x + r.width <= 320 && r.y + r.height <= 240)).toBe(true);
      expect([pixel(fixed, 0, 0), pixel(fixed, 319, 239)]).toEqual([[0, 0xff, 0], [0, 0xff, 0]]);
      resizing.close();
      fixed.close();
    } finally {
      card.close();
      await v.pair.stop();
    }
  });
});
