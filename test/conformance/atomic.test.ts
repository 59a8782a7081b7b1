// KMS.md 1.4 kms_atomic and 2.4 the atomic ioctl: flag and object checks, plane and CRTC rules, TEST_ONLY changes
// nothing, a failed commit changes nothing, legacy and atomic views agree, one event per CRTC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATOMIC_FLAGS, DRM_CLIENT_CAP, EVENT_TYPE } from '../../protocol/kms/constants.js';
import { encodeModeInfo, encodeRects } from '../../protocol/kms/blobs.js';
import { fails, rig, type Lit, type Rig } from './fixture.js';
import { adminCall } from '../../cli/admin-client.js';

const { PAGE_FLIP_EVENT: EVENT, TEST_ONLY, NONBLOCK, ALLOW_MODESET } = ATOMIC_FLAGS;

describe('atomic commits', () => {
  let r: Rig;
  let lit: Lit;
  let crtc: number;
  let plane: number;
  let conn: number;
  beforeAll(async () => {
    r = await rig();
    lit = await r.light();
    crtc = lit.out.crtcId;
    plane = lit.planeId;
    conn = lit.out.connector.connector_id;
  });
  afterAll(async () => r?.stop());

  /** The CRTC and plane as both the atomic properties and the legacy calls see them. */
  async function views() {
    const props = async (id: number) => {
      const p = await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: id, obj_type: 0 });
      return Object.fromEntries(p.props.map((pid, i) => [pid, p.prop_values[i]]));
    };
    return { crtc: await props(crtc), plane: await props(plane), conn: await props(conn), legacy: await r.master.call('MODE_GETCRTC', { crtc_id: crtc }), legacyPlane: await r.master.call('MODE_GETPLANE', { plane_id: plane }) };
  }
  const prop = (obj: number, name: string) => lit.names.get(obj)!.get(name)!;

  it('K-AT-01: non-master is EACCES; K-AT-03: without the ATOMIC cap EINVAL', async () => {
    const other = r.open();
    await other.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 1 });
    await fails(other.call('MODE_ATOMIC', { flags: 0, objs: [], count_props: [], props: [], prop_values: [] }), 'EACCES');
    other.close();
    await r.master.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 0 });
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: [], count_props: [], props: [], prop_values: [] }), 'EINVAL');
    await r.master.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 1 });
  });

  it('ATOM-17/18/20/21 / K-AT-04/05/06/07: empty commits are no-ops; bad flags, reserved, async, TEST_ONLY+EVENT are EINVAL', async () => {
    const empty = { objs: [], count_props: [], props: [], prop_values: [] };
    await r.master.call('MODE_ATOMIC', { flags: 0, ...empty });
    await fails(r.master.call('MODE_ATOMIC', { flags: 0xdeadbeef, ...empty }), 'EINVAL');
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, reserved: 1, ...empty }), 'EINVAL');
    await r.master.call('MODE_ATOMIC', { flags: 0, reserved: 0, ...empty });
    await fails(r.master.call('MODE_ATOMIC', { flags: ATOMIC_FLAGS.PAGE_FLIP_ASYNC, ...empty }), 'EINVAL');
    await fails(r.master.call('MODE_ATOMIC', { flags: TEST_ONLY | EVENT, ...empty }), 'EINVAL');
  });

  it('ATOM-19 / K-AT-16: an event with no CRTC in the commit is EINVAL', async () => {
    await fails(r.master.call('MODE_ATOMIC', { flags: EVENT, objs: [], count_props: [], props: [], prop_values: [] }), 'EINVAL');
  });

  it('ATOM-22/23/25 / K-AT-09/10: unknown objects, objects without properties, foreign properties are ENOENT', async () => {
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: Array(16).fill(0), count_props: Array(16).fill(0), props: [], prop_values: [] }), 'ENOENT');
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: [lit.fbs[0]!], count_props: [0], props: [], prop_values: [] }), 'ENOENT');
    for (const bad of [0, crtc, plane, conn]) await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: [crtc], count_props: [1], props: [bad], prop_values: [0] }), 'ENOENT');
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: [crtc], count_props: [1], props: [prop(plane, 'FB_ID')], prop_values: [0] }), 'ENOENT');
  });

  it('ATOM-27 / K-AT-08: arrays that do not line up are EFAULT', async () => {
    await fails(r.master.call('MODE_ATOMIC', { flags: 0, objs: [crtc], count_props: [2], props: [prop(crtc, 'ACTIVE')], prop_values: [1] }), 'EFAULT');
  });

  it('ATOM-24 / ATOM-26: CRTC ×16 with no properties, and MODE_ID repeated with its value, are fine', async () => {
    await r.master.call('MODE_ATOMIC', { flags: 0, objs: Array(16).fill(crtc), count_props: Array(16).fill(0), props: [], prop_values: [] });
    const modeId = (await views()).crtc[prop(crtc, 'MODE_ID')]!;
    await r.master.call('MODE_ATOMIC', { flags: 0, objs: [crtc], count_props: [8], props: Array(8).fill(prop(crtc, 'MODE_ID')), prop_values: Array(8).fill(modeId) });
  });

  it('ATOM-01 / K-AT-27: TEST_ONLY runs every check and changes nothing', async () => {
    const before = await views();
    await lit.commit(lit.req().set(crtc, 'ACTIVE', 0).set(crtc, 'MODE_ID', 0).set(conn, 'CRTC_ID', 0).set(plane, 'FB_ID', 0).set(plane, 'CRTC_ID', 0), TEST_ONLY | ALLOW_MODESET);
    expect(await views()).toEqual(before);
  });

  it('ATOM-02/04 / K-AT-11: FB_ID or CRTC_ID naming an object of another type is EINVAL, nothing changes', async () => {
    const before = await views();
    for (const bad of [plane, crtc, conn]) await fails(lit.commit(lit.req().set(plane, 'FB_ID', bad), 0), 'EINVAL');
    for (const bad of [plane, lit.fbs[0]!, conn]) await fails(lit.commit(lit.req().set(plane, 'CRTC_ID', bad), 0), 'EINVAL');
    expect(await views()).toEqual(before);
  });

  it('ATOM-03/05 / K-AT-18: a plane with a CRTC but no fb, or an fb but no CRTC, is EINVAL', async () => {
    await fails(lit.commit(lit.req().set(plane, 'FB_ID', 0), 0), 'EINVAL');
    await fails(lit.commit(lit.req().set(plane, 'CRTC_ID', 0), 0), 'EINVAL');
  });

  it('ATOM-06 / K-AT-21: a source rectangle outside the fb is ENOSPC', async () => {
    const d = await r.master.createDumb(319, 239, 32);
    const small = await r.master.addFb2(319, 239, 0x34325258, d.handle, d.pitch);
    await fails(lit.commit(lit.req().set(plane, 'FB_ID', small), 0), 'ENOSPC');
  });

  it('ATOM-08 / ATOM-11 / K-AT-12: MODE_ID of a non-blob, or a blob of the wrong size, is EINVAL; the exact size works', async () => {
    for (const bad of [plane, crtc, lit.fbs[0]!]) await fails(lit.commit(lit.req().set(crtc, 'MODE_ID', bad), ALLOW_MODESET), 'EINVAL');
    const full = encodeModeInfo(lit.out.mode);
    for (const len of [67, 69]) {
      const data = new Uint8Array(len);
      data.set(full.subarray(0, Math.min(len, 68)));
      const { blob_id } = await r.master.call('MODE_CREATEPROPBLOB', { data });
      await fails(lit.commit(lit.req().set(crtc, 'MODE_ID', blob_id), ALLOW_MODESET), 'EINVAL');
    }
    const { blob_id } = await r.master.call('MODE_CREATEPROPBLOB', { data: full });
    await lit.commit(lit.req().set(crtc, 'MODE_ID', blob_id), ALLOW_MODESET | TEST_ONLY);
  });

  it('ATOM-13 / K-AT-26: a change that needs a modeset without ALLOW_MODESET is EINVAL', async () => {
    await fails(lit.commit(lit.req().set(crtc, 'ACTIVE', 0), 0), 'EINVAL');
    await fails(lit.commit(lit.req().set(crtc, 'ACTIVE', 0), EVENT), 'EINVAL');
  });

  it('K-AT-24: ACTIVE without a mode is EINVAL', async () => {
    await fails(lit.commit(lit.req().set(crtc, 'MODE_ID', 0).set(conn, 'CRTC_ID', 0), ALLOW_MODESET | TEST_ONLY), 'EINVAL');
  });

  it('K-AT-25: an event for a CRTC that stays off is EINVAL', async () => {
    await lit.commit(lit.req().set(crtc, 'ACTIVE', 0), ALLOW_MODESET);
    await fails(lit.commit(lit.req().touch(crtc), EVENT), 'EINVAL');
    await lit.commit(lit.req().set(crtc, 'ACTIVE', 1), ALLOW_MODESET);
  });

  it('K-AT-22 / ATOM-32: damage clips inside the fb are accepted, empty or outside ones EINVAL', async () => {
    const ok = await r.master.call('MODE_CREATEPROPBLOB', { data: encodeRects([{ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 100, y1: 100, x2: 320, y2: 240 }]) });
    await lit.commit(lit.req().set(plane, 'FB_DAMAGE_CLIPS', ok.blob_id), 0);
    for (const bad of [{ x1: 5, y1: 0, x2: 5, y2: 10 }, { x1: -1, y1: 0, x2: 5, y2: 10 }, { x1: 0, y1: 0, x2: 321, y2: 10 }]) {
      const b = await r.master.call('MODE_CREATEPROPBLOB', { data: encodeRects([bad]) });
      await fails(lit.commit(lit.req().set(plane, 'FB_DAMAGE_CLIPS', b.blob_id), 0), 'EINVAL');
    }
  });

  it('ATOM-29 / K-AT-29: a plane flip through atomic: one event per CRTC, legacy views agree', async () => {
    await lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[1]!), EVENT | NONBLOCK, 31n);
    const ev = await r.master.nextEvent(3000);
    expect(ev).toMatchObject({ type: EVENT_TYPE.FLIP_COMPLETE, userData: 31n, crtcId: crtc });
    const v = await views();
    expect(v.legacy.fb_id).toBe(lit.fbs[1]);
    expect(v.legacyPlane.fb_id).toBe(lit.fbs[1]);
    expect(v.plane[prop(plane, 'FB_ID')]).toBe(lit.fbs[1]);
    expect(v.legacy.mode).toMatchObject({ hdisplay: 320, vdisplay: 240 });
    const blob = await r.master.call('MODE_GETPROPBLOB', { blob_id: v.crtc[prop(crtc, 'MODE_ID')]! });
    expect(blob.length).toBe(68);
  });

  it('K-AT-28: NONBLOCK while a flip is in flight is EBUSY; a blocking commit waits', async () => {
    // The backend drops this flip's frame-done, so it stays in flight (until the frontend's timer releases it)
    // however slowly this test runs.
    await adminCall(r.pair.admin, { cmd: 'fault', kind: 'drop-frame-done', count: 1 });
    await lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[0]!), EVENT | NONBLOCK, 1n);
    await fails(lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[1]!), NONBLOCK), 'EBUSY');
    await lit.commit(lit.req().set(plane, 'FB_ID', lit.fbs[1]!), 0);
    expect((await r.master.nextEvent(3000)).userData).toBe(1n);
  });

  it('a full modeset through atomic: off, then on again with a new mode blob', async () => {
    await lit.commit(lit.req().set(crtc, 'ACTIVE', 0).set(crtc, 'MODE_ID', 0).set(conn, 'CRTC_ID', 0).set(plane, 'FB_ID', 0).set(plane, 'CRTC_ID', 0), ALLOW_MODESET);
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: crtc })).mode_valid).toBe(0);
    const { blob_id } = await r.master.call('MODE_CREATEPROPBLOB', { data: encodeModeInfo(lit.out.mode) });
    const on = lit
      .req()
      .set(crtc, 'ACTIVE', 1)
      .set(crtc, 'MODE_ID', blob_id)
      .set(conn, 'CRTC_ID', crtc)
      .set(plane, 'FB_ID', lit.fbs[0]!)
      .set(plane, 'CRTC_ID', crtc)
      .set(plane, 'SRC_W', 320 << 16)
      .set(plane, 'SRC_H', 240 << 16)
      .set(plane, 'CRTC_W', 320)
      .set(plane, 'CRTC_H', 240);
    await lit.commit(on, ALLOW_MODESET | EVENT, 9n);
    expect((await r.master.nextEvent(3000)).userData).toBe(9n);
    expect(await r.master.call('MODE_GETCRTC', { crtc_id: crtc })).toMatchObject({ mode_valid: 1, fb_id: lit.fbs[0] });
  });
});
