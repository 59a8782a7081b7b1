// The bar: a client that does everything through atomic commits — modeset, 600 flips at 60 Hz with
// PAGE_FLIP_EVENT, TEST_ONLY probes between them, disable — gets exactly one event per flip, rising sequences, and
// sequences that follow the vblank counter (paced backend). How evenly the events are spaced in time is a figure of
// `npm run bench` (row "paced flip period"), not a bar here: a loaded machine may delay any of them.
import { describe, expect, it } from 'vitest';
import { ATOMIC_FLAGS } from '../../protocol/kms/constants.js';
import { encodeModeInfo } from '../../protocol/kms/blobs.js';
import { rig } from './fixture.js';

const FLIPS = 600;

describe('an all-atomic client', () => {
  it('600 paced flips: one event each, in order, with rising sequences', async () => {
    const r = await rig({ connectors: '640x480' });
    try {
      const lit = await r.light();
      const { crtcId: crtc } = lit.out;
      const conn = lit.out.connector.connector_id;
      const plane = lit.planeId;
      const { EVENT, TEST_ONLY, ALLOW_MODESET, NONBLOCK } = { EVENT: ATOMIC_FLAGS.PAGE_FLIP_EVENT, TEST_ONLY: ATOMIC_FLAGS.TEST_ONLY, ALLOW_MODESET: ATOMIC_FLAGS.ALLOW_MODESET, NONBLOCK: ATOMIC_FLAGS.NONBLOCK };
      // Start from off, then a full atomic modeset.
      await lit.commit(lit.req().set(crtc, 'ACTIVE', 0).set(crtc, 'MODE_ID', 0).set(conn, 'CRTC_ID', 0).set(plane, 'FB_ID', 0).set(plane, 'CRTC_ID', 0), ALLOW_MODESET);
      const { blob_id } = await r.master.call('MODE_CREATEPROPBLOB', { data: encodeModeInfo(lit.out.mode) });
      const on = lit.req().set(crtc, 'ACTIVE', 1).set(crtc, 'MODE_ID', blob_id).set(conn, 'CRTC_ID', crtc).set(plane, 'FB_ID', lit.fbs[0]!).set(plane, 'CRTC_ID', crtc);
      on.set(plane, 'SRC_W', 640 << 16).set(plane, 'SRC_H', 480 << 16).set(plane, 'CRTC_W', 640).set(plane, 'CRTC_H', 480);
      await lit.commit(on, ALLOW_MODESET);
      const events: { seq: number; us: number; user: bigint }[] = [];
      for (let i = 0; i < FLIPS; i++) {
        if (i % 50 === 0) await lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[(i + 1) % 2]!), TEST_ONLY);
        await lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[(i + 1) % 2]!), EVENT | NONBLOCK, BigInt(i));
        const ev = await r.master.nextEvent(3000);
        events.push({ seq: ev.sequence, us: ev.tvSec * 1e6 + ev.tvUsec, user: ev.userData });
      }
      await lit.commit(lit.req().set(crtc, 'ACTIVE', 0).set(crtc, 'MODE_ID', 0).set(conn, 'CRTC_ID', 0).set(plane, 'FB_ID', 0).set(plane, 'CRTC_ID', 0), ALLOW_MODESET);
      await expect(r.master.nextEvent(200)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(events.map((e) => e.user)).toEqual(Array.from({ length: FLIPS }, (_, i) => BigInt(i)));
      // IGT's rule: sequences only go up, and so do the timestamps; a flip that misses a vblank (a busy machine)
      // shows as a step of 2, which is right.
      for (let i = 1; i < FLIPS; i++) {
        expect(events[i]!.seq - events[i - 1]!.seq).toBeGreaterThanOrEqual(1);
        expect(events[i]!.us).toBeGreaterThan(events[i - 1]!.us);
      }
    } finally {
      await r.stop();
    }
  }, 60_000);
});
