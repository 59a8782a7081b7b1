// KMS.md 2.1 (dumb buffers), 1.12 dumb_buffer, 1.6 kms_getfb, 1.7 kms_addfb_basic, 1.8 kms_rmfb, 2.2 framebuffers,
// 2.10 GEM handles: each rule with the errno the kernel returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { fails, rig, type Rig } from './fixture.js';

const XR24 = XRGB8888.fourcc;

describe('dumb buffers', () => {
  let r: Rig;
  beforeAll(async () => (r = await rig()));
  afterAll(async () => r?.stop());

  it('K-DUMB-02 / DUMB-01: zero width, height or bpp is EINVAL', async () => {
    await fails(r.master.createDumb(0, 2016, 32), 'EINVAL');
    await fails(r.master.createDumb(4032, 0, 32), 'EINVAL');
    await fails(r.master.createDumb(4032, 2016, 0), 'EINVAL');
  });

  it('K-DUMB-03..06: bpp and size overflows are EINVAL', async () => {
    await fails(r.master.createDumb(1, 1, 0xfffffff8), 'EINVAL');
    await fails(r.master.createDumb(0x40000000, 1, 32), 'EINVAL');
    await fails(r.master.createDumb(0x10000, 0x10000, 32), 'EINVAL');
  });

  it('K-DUMB-09 / DUMB-07 / K-DUMB-11: pitch, page-rounded size, handles from 1', async () => {
    const a = await r.master.createDumb(1, 1, 32);
    expect(a).toMatchObject({ pitch: 4, size: 4096 });
    expect(a.handle).toBeGreaterThanOrEqual(1);
    const b = await r.master.createDumb(33, 10, 24);
    expect(b).toMatchObject({ pitch: 99, size: 4096 });
    await r.master.destroyDumb(a.handle);
    await r.master.destroyDumb(b.handle);
  });

  it('DUMB-02 / DUMB-06: a large buffer is created cleared and destroyed', async () => {
    const d = await r.master.createDumb(4032, 2016, 32);
    const m = await r.master.mapDumb(d.handle);
    let nonzero = 0;
    for (let off = 0; off < m.size; off += 4096) nonzero += m.bytes[off]!;
    expect(nonzero).toBe(0);
    m.unmap();
    await r.master.destroyDumb(d.handle);
  });

  it('K-DUMB-12 / K-DUMB-18 / K-GEM-01: MAP of an unknown handle ENOENT, DESTROY and GEM_CLOSE EINVAL', async () => {
    await fails(r.master.call('MODE_MAP_DUMB', { handle: 4242 }), 'ENOENT');
    await fails(r.master.destroyDumb(4242), 'EINVAL');
    await fails(r.master.call('GEM_CLOSE', { handle: 4242 }), 'EINVAL');
  });

  it('DUMB-04 / K-DUMB-17: a mapping outlives DESTROY_DUMB and keeps its pages', async () => {
    const d = await r.master.createDumb(64, 64, 32);
    const m = await r.master.mapDumb(d.handle);
    m.words[10] = 0x12345678;
    await r.master.destroyDumb(d.handle);
    expect(m.words[10]).toBe(0x12345678);
    m.unmap();
  });

  it('K-DUMB-11: handles are per file', async () => {
    const other = r.open();
    const d = await r.master.createDumb(8, 8, 32);
    await fails(other.call('MODE_MAP_DUMB', { handle: d.handle + 100 }), 'ENOENT');
    const mine = await other.createDumb(8, 8, 32);
    expect(mine.handle).toBe(1);
    other.close();
  });
});

describe('framebuffers', () => {
  let r: Rig;
  let bo: number;
  let boSmall: number;
  beforeAll(async () => {
    r = await rig();
    bo = (await r.master.createDumb(1024, 1024, 32)).handle;
    boSmall = (await r.master.createDumb(1024, 1023, 32)).handle;
  });
  afterAll(async () => r?.stop());

  const add = (w: number, h: number, handle: number, pitch = 4096, extra: Record<string, unknown> = {}) =>
    r.master.call('MODE_ADDFB2', { width: w, height: h, pixel_format: XR24, flags: 0, handles: [handle, 0, 0, 0], pitches: [pitch, 0, 0, 0], offsets: [0, 0, 0, 0], ...extra });

  it('ADDFB-01 / K-FB-17: a framebuffer, then RMFB', async () => {
    const { fb_id } = await add(1024, 1024, bo);
    expect(fb_id).toBeGreaterThan(0);
    await r.master.rmFb(fb_id);
  });

  it('ADDFB-02 / K-FB-08: no handle is EINVAL', async () => fails(add(512, 512, 0), 'EINVAL'));

  it('ADDFB-03 / K-FB-10: pitch below the minimum is EINVAL', async () => {
    for (const pitch of [0, 32, 63, 128, 256, 1024, 999]) await fails(add(512, 512, bo, pitch), 'EINVAL');
  });

  it('K-FB-02 / ADDFB-04..07 / ADDFB-15: unknown flags and modifiers are EINVAL', async () => {
    await fails(add(512, 512, bo, 4096, { flags: 4 }), 'EINVAL');
    await fails(add(512, 512, bo, 4096, { flags: 2, handles: [bo, bo, 0, 0] }), 'EINVAL');
    await fails(add(512, 512, bo, 4096, { flags: 2, pitches: [4096, 512, 0, 0] }), 'EINVAL');
    await fails(add(512, 512, bo, 4096, { flags: 2, modifier: [0, 1, 0, 0] }), 'EINVAL');
  });

  it('ADDFB-14 / K-FB-11: a modifier without the MODIFIERS flag is EINVAL', async () => fails(add(512, 512, bo, 4096, { modifier: [1, 0, 0, 0] }), 'EINVAL'));

  it('K-FB-05 / K-FB-06 / K-FB-03: unknown fourcc, zero size, beyond max size are EINVAL', async () => {
    await fails(r.master.call('MODE_ADDFB2', { width: 64, height: 64, pixel_format: 0x20202020, flags: 0, handles: [bo, 0, 0, 0], pitches: [4096, 0, 0, 0], offsets: [0, 0, 0, 0] }), 'EINVAL');
    await fails(add(0, 64, bo), 'EINVAL');
    await fails(add(4096, 1, bo, 16384), 'EINVAL');
  });

  it('K-FB-15: a handle this file does not hold is ENOENT', async () => fails(add(64, 64, 999), 'ENOENT'));

  it('ADDFB-09..13 / K-FB-16: size-max fits, too wide / too high / bo too small are EINVAL, small-bo fits', async () => {
    await r.master.rmFb((await add(1024, 1024, bo)).fb_id);
    await fails(add(1025, 1024, bo), 'EINVAL');
    await fails(add(1024, 1025, bo), 'EINVAL');
    await fails(add(1024, 1024, boSmall), 'EINVAL');
    await r.master.rmFb((await add(1024, 1020, boSmall)).fb_id);
  });

  it('ADDFB-08 / K-FB-18: legacy ADDFB maps {bpp, depth}; answers are stable and unknown combinations EINVAL', async () => {
    const legacy = (bpp: number, depth: number) =>
      r.master.call('MODE_ADDFB', { width: 64, height: 64, pitch: 4096, bpp, depth, handle: bo }).then(
        async (x) => (await r.master.rmFb(x.fb_id), 'ok'),
        (e: { code: string }) => e.code,
      );
    const known = [[8, 8], [16, 15], [16, 16], [24, 24], [32, 24], [32, 30], [32, 32]] as const;
    const first = [];
    for (const [b, d] of known) first.push(await legacy(b, d));
    expect(first).toEqual(['EINVAL', 'ok', 'ok', 'ok', 'ok', 'EINVAL', 'ok']);
    for (const [b, d] of known) expect(await legacy(b, d)).toBe(first[known.findIndex(([x, y]) => x === b && y === d)]);
    for (let i = 0; i < 200; i++) {
      const b = (i * 7919) % 97;
      const d = (i * 104729) % 61;
      if (known.some(([x, y]) => x === b && y === d)) continue;
      expect(await legacy(b, d)).toBe('EINVAL');
    }
  });

  it('K-FB-20 / ADDFB-19: RMFB of an unknown fb or another file\'s fb is ENOENT, even for the master', async () => {
    await fails(r.master.rmFb(0xfffffff0), 'ENOENT');
    const other = r.open();
    const d = await other.createDumb(64, 64, 32);
    const fb = await other.addFb2(64, 64, XR24, d.handle, d.pitch);
    await fails(r.master.rmFb(fb), 'ENOENT');
    await other.rmFb(fb);
    other.close();
  });

  it('GETFB-01..06 / K-OBJ-03: GETFB of 0, of a removed fb, of a property is ENOENT; a new handle each call', async () => {
    await fails(r.master.call('MODE_GETFB', { fb_id: 0 }), 'ENOENT');
    const { fb_id } = await add(1024, 1024, bo);
    const a = await r.master.call('MODE_GETFB', { fb_id });
    const b = await r.master.call('MODE_GETFB', { fb_id });
    expect(a).toMatchObject({ width: 1024, height: 1024, pitch: 4096, bpp: 32, depth: 24 });
    expect(a.handle).not.toBe(0);
    expect(a.handle).not.toBe(bo);
    expect(b.handle).not.toBe(a.handle);
    await r.master.call('GEM_CLOSE', { handle: a.handle });
    await r.master.call('GEM_CLOSE', { handle: b.handle });
    const dpms = [...(await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: (await r.master.call('MODE_GETRESOURCES', {})).connectors[0]!, obj_type: OBJECT_TYPE.CONNECTOR })).props][1]!;
    await fails(r.master.call('MODE_GETFB', { fb_id: dpms }), 'ENOENT');
    await r.master.rmFb(fb_id);
    await fails(r.master.call('MODE_GETFB', { fb_id }), 'ENOENT');
    await fails(r.master.call('MODE_GETFB2', { fb_id }), 'ENOENT');
  });

  it('GETFB-10: GETFB2 output feeds ADDFB2', async () => {
    const { fb_id } = await add(1024, 1024, bo);
    const g = await r.master.call('MODE_GETFB2', { fb_id });
    expect(g).toMatchObject({ width: 1024, height: 1024, pixel_format: XR24, pitches: [4096, 0, 0, 0] });
    const again = await r.master.call('MODE_ADDFB2', { width: g.width, height: g.height, pixel_format: g.pixel_format, flags: g.flags, handles: g.handles, pitches: g.pitches, offsets: g.offsets });
    await r.master.rmFb(again.fb_id);
    await r.master.rmFb(fb_id);
  });

  it('GETFB-11 / K-FB-24: a non-master gets handle 0', async () => {
    const other = r.open();
    const { fb_id } = await add(1024, 1024, bo);
    expect((await other.call('MODE_GETFB', { fb_id })).handle).toBe(0);
    expect((await other.call('MODE_GETFB2', { fb_id })).handles).toEqual([0, 0, 0, 0]);
    await r.master.rmFb(fb_id);
    other.close();
  });

  it('ADDFB-17 / ADDFB-18 / K-OBJ-01: framebuffers have no properties (EINVAL)', async () => {
    const { fb_id } = await add(1024, 1024, bo);
    await fails(r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: fb_id, obj_type: 0 }), 'EINVAL');
    await fails(r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: fb_id, obj_type: OBJECT_TYPE.FB }), 'EINVAL');
    await fails(r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: fb_id, obj_type: 0, prop_id: 1, value: 0 }), 'EINVAL');
    await r.master.rmFb(fb_id);
  });

  it('K-FB-26 / K-GEM-02: a framebuffer keeps its buffer after GEM_CLOSE of the handle', async () => {
    const d = await r.master.createDumb(64, 64, 32);
    const fb = await r.master.addFb2(64, 64, XR24, d.handle, d.pitch);
    await r.master.call('GEM_CLOSE', { handle: d.handle });
    const g = await r.master.call('MODE_GETFB', { fb_id: fb });
    expect(g.handle).not.toBe(0);
    await r.master.rmFb(fb);
  });

  it('RMFB-01 / K-FB-21: RMFB of the scanned-out fb turns the CRTC and plane off', async () => {
    const lit = await r.light();
    await r.master.rmFb(lit.fbs[0]!);
    expect(await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).toMatchObject({ fb_id: 0, mode_valid: 0 });
    expect((await r.master.call('MODE_GETPLANE', { plane_id: lit.planeId })).fb_id).toBe(0);
  });

  it('RMFB-02 / K-FB-22: closing the file that made the fbs turns their planes and CRTC off', async () => {
    const r2 = await rig();
    try {
      const lit = await r2.light();
      const watcher = r2.open();
      expect((await watcher.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(lit.fbs[0]);
      r2.master.close();
      let crtc = await watcher.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId });
      for (let i = 0; i < 50 && crtc.fb_id !== 0; i++) crtc = await watcher.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId });
      expect(crtc).toMatchObject({ fb_id: 0, mode_valid: 0 });
    } finally {
      await r2.stop();
    }
  });
});
