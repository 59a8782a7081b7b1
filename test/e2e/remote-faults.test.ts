// Faults of a real network between a remote frontend and its backend, through a userspace proxy: delay and a
// bandwidth cap (flips keep completing), a stall (frame-done timeouts and link-status Bad, never a hang; the link's
// backpressure keeps only a buffer's latest state), a cut (the device unplugged, the restored path brings card1).
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XRGB8888 } from '../../protocol/formats.js';
import { LINK_STATUS } from '../../protocol/kms/constants.js';
import { adminCall } from '../../cli/admin-client.js';
import { frameCrc } from '../../shared/pixels/crc.js';
import { FaultProxy } from '../../cli/fault-proxy.js';
import { flip, linkStatus, open, remotePair, shownCrc, timeouts, type Screen } from '../helpers/remote.js';

describe('faults of a real network, through a proxy', () => {
  let proxy: FaultProxy;
  let s: Screen;
  const r = remotePair({
    // Far beyond an honest frame's time on a loaded machine (a timer-released flip's frame may not be in place for
    // the CRC check); only the stall test waits for it, once.
    frontendArgs: ['--frame-done-timeout', '5000', '--response-timeout', '600000'],
    route: async (url) => {
      proxy = new FaultProxy(Number(new URL(url).port));
      return `ws://127.0.0.1:${await proxy.listen()}`;
    },
  });
  beforeAll(async () => {
    s = await open(r.p.card);
  });
  afterAll(() => {
    s?.card.close();
    proxy?.close();
  });

  it('with 50 ms per chunk and a 256 KiB/s cap, flips keep completing, each frame done only with its bytes in place', async () => {
    proxy.delayMs = 50;
    proxy.bytesPerSecond = 256 * 1024;
    const crc = async () => (await adminCall<{ crc: number }>(r.p.admin, { cmd: 'snapshot', connector: 0, path: join(r.p.backendDir, 'slow.png') })).crc;
    for (let i = 0; i < 5; i++) {
      // A new frame each time, with 16 KiB of incompressible bytes (well inside the frame-done timeout at this cap).
      await flip(s, (px) => {
        px.fill(i * 16);
        randomFillSync(px.subarray(4096, 4096 + 16 * 1024));
      });
      expect(await crc()).toBe(shownCrc(s));
    }
    proxy.delayMs = 0;
    proxy.bytesPerSecond = 0;
  });

  it('a stall: the flip is released by its frame-done timer, link-status goes Bad; after it, flips work', async () => {
    const before = await timeouts(s);
    proxy.stall();
    await flip(s);
    expect((await timeouts(s)) - before).toBe(1);
    expect(await linkStatus(s)).toBe(LINK_STATUS.BAD);
    proxy.resume();
    for (let i = 0; i < 3; i++) await flip(s);
  });

  it('backpressure: a stalled link carries the latest state of a buffer, not every stale one', async () => {
    // Twelve full redraws of a 1280x720 buffer with incompressible bytes while nothing moves: sending each would
    // be 12 frames; what is queued is the buffer's latest state, so after the stall far fewer cross the link.
    const d = await s.card.createDumb(1280, 720, 32);
    const map = await s.card.mapDumb(d.handle);
    const fb = await s.card.addFb2(1280, 720, XRGB8888.fourcc, d.handle, d.pitch);
    const frame = 1280 * 720 * 4;
    await flip(s);
    const before = proxy.upstreamBytes;
    proxy.stall();
    for (let i = 0; i < 12; i++) {
      randomFillSync(map.bytes);
      await s.card.call('MODE_DIRTYFB', { fb_id: fb, flags: 0, color: 0, num_clips: 0, clips: null });
    }
    proxy.resume();
    await flip(s); // its request leaves behind everything queued before it
    const sent = proxy.upstreamBytes - before;
    expect(sent).toBeGreaterThan(frame);
    expect(sent).toBeLessThan(6 * frame);
    // And what arrived is the latest state: showing the buffer now sends next to nothing, and its CRC is the client's.
    const beforeShow = proxy.upstreamBytes;
    await s.card.setCrtc(s.out.crtcId, fb, 0, 0, [s.out.connector.connector_id], s.out.mode);
    expect(proxy.upstreamBytes - beforeShow).toBeLessThan(frame / 10);
    const { hdisplay: w, vdisplay: h } = s.out.mode;
    const snap = await adminCall<{ crc: number }>(r.p.admin, { cmd: 'snapshot', connector: 0, path: join(r.p.backendDir, 'latest.png') });
    expect(snap.crc).toBe(frameCrc({ data: map.bytes, offset: 0, pitch: d.pitch, width: w, height: h, x: 0, y: 0, fourcc: XRGB8888.fourcc }));
    await s.card.setCrtc(s.out.crtcId, s.fbs[0]!, 0, 0, [s.out.connector.connector_id], s.out.mode);
  });

  it('a cut unplugs the device (ENODEV, a zombie card0); the restored path brings card1', async () => {
    proxy.cutLink();
    await r.p.frontend.waitLine(/backend lost .*card0 unplugged/);
    await expect(s.card.pageFlip(s.out.crtcId, s.fbs[0]!, 99n)).rejects.toMatchObject({ code: 'ENODEV' });
    proxy.restore();
    await r.p.frontend.waitLine(/frontend ready: .*card1/, 30_000);
    s.card.close();
    s = await open(join(r.p.dir, 'dri', 'card1'));
    await flip(s);
  });
});
