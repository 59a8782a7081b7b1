// The ioctls real programs call that the device had no op for (docs/device-node.md), answered as the kernel
// answers them for this device: GET_UNIQUE / SET_VERSION, GET_CAP for every cap the kernel knows, CURSOR(2),
// GET/SETGAMMA, DIRTYFB, CLOSEFB (RMFB-04), ADDFB2 with LINEAR modifiers (K-FB-04/12/14, ADDFB-04..07/15,
// GETFB-09), OBJ_GETPROPERTIES without the ATOMIC cap (K-OBJ-01).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDFB2, DRM_CAP, OBJECT_TYPE } from '../../protocol/kms/constants.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { fails, litRig, type Lit, type Rig } from './fixture.js';

describe('ioctls for unmodified programs', () => {
  let r: Rig;
  let lit: Lit;
  beforeAll(async () => ({ r, lit } = await litRig()));
  afterAll(async () => r?.stop());

  it('GET_UNIQUE is empty until SET_VERSION 1.1+ (drmOpenByName needs that); SET_VERSION checks versions, master only', async () => {
    expect(await r.master.call('GET_UNIQUE', {})).toEqual({ unique: '' });
    const v = { di_major: -1, di_minor: -1, dd_major: -1, dd_minor: -1 };
    expect(await r.master.call('SET_VERSION', v)).toEqual({ di_major: 1, di_minor: 4, dd_major: 1, dd_minor: 1 });
    expect(await r.master.call('GET_UNIQUE', {})).toEqual({ unique: '' });
    await fails(r.master.call('SET_VERSION', { ...v, di_major: 2, di_minor: 0 }), 'EINVAL');
    await fails(r.master.call('SET_VERSION', { ...v, di_major: 1, di_minor: 5 }), 'EINVAL');
    await fails(r.master.call('SET_VERSION', { ...v, dd_major: 1, dd_minor: 2 }), 'EINVAL');
    await r.master.call('SET_VERSION', { ...v, di_major: 1, di_minor: 4 });
    expect(await r.master.call('GET_UNIQUE', {})).toEqual({ unique: 'pvdisplay' });
    const plain = r.open();
    await fails(plain.call('SET_VERSION', v), 'EACCES');
    expect(await plain.call('GET_UNIQUE', {})).toEqual({ unique: '' });
    plain.close();
  });

  it('GET_CAP answers every cap drm_getcap knows, 0x13..0x15 with 0; others EINVAL', async () => {
    const caps: Record<number, number> = {};
    for (let c = 0; c <= 0x20; c++) {
      try {
        caps[c] = (await r.master.call('GET_CAP', { capability: c })).value;
      } catch (e) {
        expect((e as { code: string }).code).toBe('EINVAL');
      }
    }
    expect(caps).toEqual({ 1: 1, 2: 1, 3: 24, 4: 0, 5: 3, 6: 1, 7: 0, 8: 64, 9: 64, 0x10: 1, 0x11: 0, 0x12: 1, 0x13: 0, 0x14: 0, 0x15: 0 });
  });

  it('CURSOR / CURSOR2: master only, bad flags EINVAL, unknown CRTC ENOENT, BO ENXIO (no cursor), MOVE EFAULT', async () => {
    for (const op of ['MODE_CURSOR', 'MODE_CURSOR2'] as const) {
      const crtc_id = lit.out.crtcId;
      await fails(r.master.call(op, { flags: 0, crtc_id }), 'EINVAL');
      await fails(r.master.call(op, { flags: 4, crtc_id }), 'EINVAL');
      await fails(r.master.call(op, { flags: 1, crtc_id: 0xffff }), 'ENOENT');
      await fails(r.master.call(op, { flags: 1, crtc_id }), 'ENXIO');
      await fails(r.master.call(op, { flags: 3, crtc_id }), 'ENXIO');
      await fails(r.master.call(op, { flags: 2, crtc_id }), 'EFAULT');
      const plain = r.open();
      await fails(plain.call(op, { flags: 1, crtc_id }), 'EACCES');
      plain.close();
    }
  });

  it('GETGAMMA of size 0 reads nothing, other sizes EINVAL; SETGAMMA ENOSYS (no gamma_set), master only', async () => {
    const crtc_id = lit.out.crtcId;
    expect(await r.master.call('MODE_GETGAMMA', { crtc_id, gamma_size: 0 })).toEqual({});
    await fails(r.master.call('MODE_GETGAMMA', { crtc_id, gamma_size: 256 }), 'EINVAL');
    await fails(r.master.call('MODE_GETGAMMA', { crtc_id: 0xffff, gamma_size: 0 }), 'ENOENT');
    await fails(r.master.call('MODE_SETGAMMA', { crtc_id, gamma_size: 256 }), 'ENOSYS');
    await fails(r.master.call('MODE_SETGAMMA', { crtc_id: 0xffff, gamma_size: 256 }), 'ENOENT');
    const plain = r.open();
    expect(await plain.call('MODE_GETGAMMA', { crtc_id, gamma_size: 0 })).toEqual({});
    await fails(plain.call('MODE_SETGAMMA', { crtc_id, gamma_size: 0 }), 'EACCES');
    plain.close();
  });

  it('DIRTYFB: a hint on any fb; clip count and pointer must agree, pairs for ANNOTATE_COPY, at most 256', async () => {
    const fb_id = lit.fbs[0]!;
    const clip = new Uint8Array(8);
    const base = { fb_id, flags: 0, color: 0 };
    expect(await r.master.call('MODE_DIRTYFB', { ...base, num_clips: 0, clips: null })).toEqual({});
    expect(await r.master.call('MODE_DIRTYFB', { ...base, num_clips: 1, clips: clip })).toEqual({});
    await fails(r.master.call('MODE_DIRTYFB', { ...base, fb_id: 0xffff, num_clips: 0, clips: null }), 'ENOENT');
    await fails(r.master.call('MODE_DIRTYFB', { ...base, num_clips: 1, clips: null }), 'EINVAL');
    await fails(r.master.call('MODE_DIRTYFB', { ...base, num_clips: 0, clips: new Uint8Array(0) }), 'EINVAL');
    await fails(r.master.call('MODE_DIRTYFB', { ...base, flags: 1, num_clips: 1, clips: clip }), 'EINVAL');
    expect(await r.master.call('MODE_DIRTYFB', { ...base, flags: 1, num_clips: 2, clips: new Uint8Array(16) })).toEqual({});
    await fails(r.master.call('MODE_DIRTYFB', { ...base, num_clips: 257, clips: new Uint8Array(0) }), 'EINVAL');
    const plain = r.open();
    await fails(plain.call('MODE_DIRTYFB', { ...base, num_clips: 0, clips: null }), 'EACCES');
    plain.close();
  });

  it('RMFB-04: CLOSEFB keeps the fb on screen after the file lets go; pad EINVAL; another file or twice ENOENT', async () => {
    const d = await r.master.createDumb(lit.out.mode.hdisplay, lit.out.mode.vdisplay, 32);
    const fb = await r.master.addFb2(lit.out.mode.hdisplay, lit.out.mode.vdisplay, XRGB8888.fourcc, d.handle, d.pitch);
    await r.master.setCrtc(lit.out.crtcId, fb, 0, 0, [lit.out.connector.connector_id], lit.out.mode);
    await fails(r.master.call('MODE_CLOSEFB', { fb_id: fb, pad: 1 }), 'EINVAL');
    const plain = r.open();
    await fails(plain.call('MODE_CLOSEFB', { fb_id: fb }), 'ENOENT');
    plain.close();
    await r.master.call('MODE_CLOSEFB', { fb_id: fb });
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(fb);
    expect((await r.master.call('MODE_GETRESOURCES', {})).fbs).not.toContain(fb);
    await fails(r.master.call('MODE_CLOSEFB', { fb_id: fb }), 'ENOENT');
    await fails(r.master.call('MODE_RMFB', { fb_id: fb }), 'ENOENT');
    // Once something else is shown, the closed fb is gone.
    await r.master.setCrtc(lit.out.crtcId, lit.fbs[0]!, 0, 0, [lit.out.connector.connector_id], lit.out.mode);
    await fails(r.master.call('MODE_GETFB', { fb_id: fb }), 'ENOENT');
  });

  it('ADDFB2 with MODIFIERS takes LINEAR only, unused planes zero; GETFB2 reports the flag', async () => {
    const { hdisplay: w, vdisplay: h } = lit.out.mode;
    const d = await r.master.createDumb(w, h, 32);
    const args = { width: w, height: h, pixel_format: XRGB8888.fourcc, flags: ADDFB2.MODIFIERS, handles: [d.handle, 0, 0, 0], pitches: [d.pitch, 0, 0, 0], offsets: [0, 0, 0, 0], modifier: [0, 0, 0, 0] };
    const { fb_id } = await r.master.call('MODE_ADDFB2', args);
    expect((await r.master.call('MODE_GETFB2', { fb_id })).flags).toBe(ADDFB2.MODIFIERS);
    await fails(r.master.call('MODE_ADDFB2', { ...args, modifier: [1, 0, 0, 0] }), 'EINVAL');
    await fails(r.master.call('MODE_ADDFB2', { ...args, modifier: [0, 1, 0, 0] }), 'EINVAL');
    await fails(r.master.call('MODE_ADDFB2', { ...args, handles: [d.handle, d.handle, 0, 0] }), 'EINVAL');
    await fails(r.master.call('MODE_ADDFB2', { ...args, pitches: [d.pitch, 512, 0, 0] }), 'EINVAL');
    await fails(r.master.call('MODE_ADDFB2', { ...args, offsets: [0, 512, 0, 0] }), 'EINVAL');
    expect((await r.master.call('GET_CAP', { capability: DRM_CAP.ADDFB2_MODIFIERS })).value).toBe(1);
  });

  it('K-OBJ-01: without the ATOMIC cap a CRTC has no (non-atomic) properties, not EINVAL; encoders and fbs are EINVAL', async () => {
    const plain = r.open();
    expect(await plain.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.out.crtcId, obj_type: OBJECT_TYPE.CRTC })).toEqual({ props: [], prop_values: [] });
    expect((await plain.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.out.connector.connector_id, obj_type: 0 })).props.length).toBe(3);
    await fails(plain.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.out.connector.encoders[0]!, obj_type: 0 }), 'EINVAL');
    await fails(plain.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.fbs[0]!, obj_type: 0 }), 'EINVAL');
    plain.close();
  });

  it('SETPLANE: the primary plane takes another fb in one commit; lookups ENOENT, master only, bad source ENOSPC, off while lit EINVAL', async () => {
    const { hdisplay: w, vdisplay: h } = lit.out.mode;
    const base = { plane_id: lit.planeId, crtc_id: lit.out.crtcId, fb_id: lit.fbs[1]!, flags: 0, crtc_x: 0, crtc_y: 0, crtc_w: w, crtc_h: h, src_x: 0, src_y: 0, src_w: w << 16, src_h: h << 16 };
    await r.master.call('MODE_SETPLANE', base);
    expect((await r.master.call('MODE_GETPLANE', { plane_id: lit.planeId })).fb_id).toBe(lit.fbs[1]);
    await fails(r.master.call('MODE_SETPLANE', { ...base, plane_id: 0xffff }), 'ENOENT');
    await fails(r.master.call('MODE_SETPLANE', { ...base, fb_id: 0xffff }), 'ENOENT');
    await fails(r.master.call('MODE_SETPLANE', { ...base, src_x: 1 << 16 }), 'ENOSPC');
    await fails(r.master.call('MODE_SETPLANE', { ...base, fb_id: 0 }), 'EINVAL');
    const plain = r.open();
    await fails(plain.call('MODE_SETPLANE', base), 'EACCES');
    plain.close();
    await r.master.call('MODE_SETPLANE', { ...base, fb_id: lit.fbs[0]! });
  });
});
