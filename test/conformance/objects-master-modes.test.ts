// KMS.md 1.5 kms_prop_blob, 2.12 properties and objects, kms_properties, 2.7 link-status, 2.5 / core_auth /
// core_setmaster (master and magics), kms_invalid_mode and 2.6 user-supplied modes, 2.5 client caps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DPMS, DRM_CLIENT_CAP, LINK_STATUS, OBJECT_TYPE, PROP } from '../../protocol/kms/constants.js';
import { encodeModeInfo } from '../../protocol/kms/blobs.js';
import { fails, litRig, rig, type Lit, type Rig } from './fixture.js';
import { until } from '../helpers/until.js';

describe('property blobs', () => {
  let r: Rig;
  beforeAll(async () => (r = await rig()));
  afterAll(async () => r?.stop());
  const create = (card = r.master, n = 68) => card.call('MODE_CREATEPROPBLOB', { data: new Uint8Array(n).fill(7) });

  it('BLOB-01 / BLOB-02: create, read back, destroy; ids 0 and 0xffffffff are ENOENT', async () => {
    const { blob_id } = await create();
    expect(blob_id).toBeGreaterThan(0);
    const got = await r.master.call('MODE_GETPROPBLOB', { blob_id });
    expect(got.length).toBe(68);
    expect([...got.data!]).toEqual(Array(68).fill(7));
    await r.master.call('MODE_DESTROYPROPBLOB', { blob_id });
    await fails(r.master.call('MODE_GETPROPBLOB', { blob_id: 0 }), 'ENOENT');
    await fails(r.master.call('MODE_GETPROPBLOB', { blob_id: 0xffffffff }), 'ENOENT');
  });

  it('BLOB-04 / K-OBJ-04: a wrong length copies nothing and reports the size', async () => {
    const { blob_id } = await create();
    expect(await r.master.call('MODE_GETPROPBLOB', { blob_id, length: 4 })).toEqual({ length: 68 });
  });

  it('BLOB-05..08 / K-OBJ-05/06: any file reads a blob; only its creator destroys it (EPERM); it dies with its file', async () => {
    const a = r.master;
    const b = r.open();
    const mine = (await create(a)).blob_id;
    expect((await b.call('MODE_GETPROPBLOB', { blob_id: mine })).length).toBe(68);
    await fails(b.call('MODE_DESTROYPROPBLOB', { blob_id: mine }), 'EPERM');
    const theirs: number[] = [];
    for (let i = 0; i < 5; i++) theirs.push((await create(b)).blob_id);
    const gone = (await create(b)).blob_id;
    await b.call('MODE_DESTROYPROPBLOB', { blob_id: gone });
    await fails(a.call('MODE_GETPROPBLOB', { blob_id: gone }), 'ENOENT');
    b.close();
    // The frontend hears of b's close on b's socket, not a's: a's next request may come first, so ask until the
    // close has landed (ENOENT for one of them), then check every one.
    await until(() => a.call('MODE_GETPROPBLOB', { blob_id: theirs[0]! }).then(() => false, () => true));
    for (const id of theirs) await fails(a.call('MODE_GETPROPBLOB', { blob_id: id }), 'ENOENT');
    expect((await a.call('MODE_GETPROPBLOB', { blob_id: mine })).length).toBe(68);
  });

  it('BLOB-09 / BLOB-10: blobs have no properties (EINVAL)', async () => {
    const { blob_id } = await create();
    await fails(r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: blob_id, obj_type: 0 }), 'EINVAL');
    await fails(r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: blob_id, obj_type: OBJECT_TYPE.BLOB }), 'EINVAL');
    await fails(r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: blob_id, obj_type: 0, prop_id: 1, value: 0 }), 'EINVAL');
  });

  it('BLOB-11: an empty blob is EINVAL', async () => fails(create(r.master, 0), 'EINVAL'));

  it('K-OBJ-01 / K-OBJ-02: unknown objects are ENOENT', async () => {
    await fails(r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: 0xfffff, obj_type: 0 }), 'ENOENT');
    await fails(r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: 0xfffff, obj_type: 0, prop_id: 1, value: 0 }), 'ENOENT');
    await fails(r.master.call('MODE_GETPROPERTY', { prop_id: 0xfffff }), 'ENOENT');
  });
});

describe('properties', () => {
  let r: Rig;
  let lit: Lit;
  beforeAll(async () => ({ r, lit } = await litRig()));
  afterAll(async () => r?.stop());

  it('the kernel property set with types: connector EDID/DPMS/link-status/CRTC_ID, CRTC ACTIVE/MODE_ID/OUT_FENCE_PTR, plane type/FB_ID/IN_FENCE_FD/…/IN_FORMATS', async () => {
    const names = (id: number) => [...lit.names.get(id)!.keys()];
    expect(names(lit.out.connector.connector_id)).toEqual(['EDID', 'DPMS', 'link-status', 'CRTC_ID']);
    expect(names(lit.out.crtcId)).toEqual(['ACTIVE', 'MODE_ID', 'OUT_FENCE_PTR']);
    expect(names(lit.planeId)).toEqual(['type', 'FB_ID', 'IN_FENCE_FD', 'CRTC_ID', 'SRC_X', 'SRC_Y', 'SRC_W', 'SRC_H', 'CRTC_X', 'CRTC_Y', 'CRTC_W', 'CRTC_H', 'IN_FORMATS', 'FB_DAMAGE_CLIPS']);
    const ls = await r.master.call('MODE_GETPROPERTY', { prop_id: lit.names.get(lit.out.connector.connector_id)!.get('link-status')! });
    expect(ls.flags & PROP.ENUM).toBeTruthy();
    expect(ls.enums).toEqual([{ name: 'Good', value: 0 }, { name: 'Bad', value: 1 }]);
    const fbId = await r.master.call('MODE_GETPROPERTY', { prop_id: lit.names.get(lit.planeId)!.get('FB_ID')! });
    expect(fbId).toMatchObject({ flags: (PROP.OBJECT | PROP.ATOMIC) >>> 0, values: [OBJECT_TYPE.FB] });
  });

  it('K-MA-15 / client caps: atomic properties and primary planes are hidden from a plain client', async () => {
    const plain = r.open();
    expect((await plain.call('MODE_GETPLANERESOURCES', {})).planes).toEqual([]);
    const p = await plain.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.out.connector.connector_id, obj_type: 0 });
    expect(p.props.length).toBe(3);
    await plain.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.UNIVERSAL_PLANES, value: 1 });
    expect((await plain.call('MODE_GETPLANERESOURCES', {})).planes).toEqual([lit.planeId]);
    await fails(plain.call('SET_CLIENT_CAP', { capability: 99, value: 1 }), 'EINVAL');
    await fails(plain.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.UNIVERSAL_PLANES, value: 2 }), 'EINVAL');
    await fails(plain.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.WRITEBACK_CONNECTORS, value: 1 }), 'EINVAL');
    plain.close();
  });

  it('PROP-01: a plane property set on a CRTC is EINVAL; PROP-02: the same through atomic is ENOENT', async () => {
    const fbId = lit.names.get(lit.planeId)!.get('FB_ID')!;
    await fails(r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: lit.out.crtcId, obj_type: OBJECT_TYPE.CRTC, prop_id: fbId, value: 0 }), 'EINVAL');
    await fails(lit.commit(lit.req().setId(lit.out.crtcId, fbId, 0), 0x400), 'ENOENT');
  });

  it('PROP-03: every writable property set to its current value succeeds (legacy and atomic)', async () => {
    for (const obj of [lit.out.crtcId, lit.planeId, lit.out.connector.connector_id]) {
      const { props, prop_values } = await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: obj, obj_type: 0 });
      for (let i = 0; i < props.length; i++) {
        const info = await r.master.call('MODE_GETPROPERTY', { prop_id: props[i]! });
        if (info.flags & PROP.IMMUTABLE) continue;
        await r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: obj, obj_type: 0, prop_id: props[i]!, value: prop_values[i]! });
        if (info.name !== 'DPMS') await lit.commit(lit.req().setId(obj, props[i]!, prop_values[i]!), 0);
      }
    }
  });

  it('immutable properties cannot be set (EINVAL); DPMS is not settable through atomic (EINVAL)', async () => {
    const edid = lit.names.get(lit.out.connector.connector_id)!.get('EDID')!;
    await fails(r.master.call('MODE_OBJ_SETPROPERTY', { obj_id: lit.out.connector.connector_id, obj_type: 0, prop_id: edid, value: 0 }), 'EINVAL');
    await fails(lit.commit(lit.req().set(lit.out.connector.connector_id, 'DPMS', DPMS.OFF), 0x400), 'EINVAL');
  });

  it('K-LS-01 / K-LS-05: link-status defaults to Good; a userspace write of Bad is accepted and ignored', async () => {
    const conn = lit.out.connector.connector_id;
    const ls = lit.names.get(conn)!.get('link-status')!;
    await lit.commit(lit.req().setId(conn, ls, LINK_STATUS.BAD), 0);
    const { props, prop_values } = await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: conn, obj_type: 0 });
    expect(prop_values[props.indexOf(ls)]).toBe(LINK_STATUS.GOOD);
  });

  it('the EDID blob matches the connector mode and IN_FORMATS lists the plane formats', async () => {
    const conn = lit.out.connector.connector_id;
    const { props, prop_values } = await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: conn, obj_type: 0 });
    const edid = await r.master.call('MODE_GETPROPBLOB', { blob_id: prop_values[props.indexOf(lit.names.get(conn)!.get('EDID')!)]! });
    expect([...edid.data!.subarray(0, 8)]).toEqual([0, 255, 255, 255, 255, 255, 255, 0]);
    const pl = await r.master.call('MODE_OBJ_GETPROPERTIES', { obj_id: lit.planeId, obj_type: 0 });
    const blob = await r.master.call('MODE_GETPROPBLOB', { blob_id: pl.prop_values[pl.props.indexOf(lit.names.get(lit.planeId)!.get('IN_FORMATS')!)]! });
    const dv = new DataView(blob.data!.buffer, blob.data!.byteOffset);
    expect(dv.getUint32(8, true)).toBe(9);
  });
});

describe('DRM master and authentication', () => {
  let r: Rig;
  beforeAll(async () => (r = await rig()));
  afterAll(async () => r?.stop());

  it('K-MA-01 / MASTER-02 / K-MA-07: the first opener is master; DROP then SET works; SET when master is a no-op', async () => {
    await r.master.call('SET_MASTER', {});
    await r.master.call('DROP_MASTER', {});
    await r.master.call('SET_MASTER', {});
  });

  it('K-MA-08 / K-MA-10 / K-MA-06: SET while another is master EBUSY; DROP when not master EINVAL; never-master EACCES', async () => {
    const s = r.open();
    await fails(s.call('SET_MASTER', {}), 'EBUSY');
    await fails(s.call('DROP_MASTER', {}), 'EINVAL');
    await r.master.call('DROP_MASTER', {});
    await fails(s.call('SET_MASTER', {}), 'EACCES');
    await r.master.call('SET_MASTER', {});
    s.close();
  });

  it('AUTH-03 / K-MA-11 / K-MA-12: magics are stable and non-zero; only the master authenticates, once', async () => {
    const s = r.open();
    const m1 = (await s.call('GET_MAGIC', {})).magic;
    expect(m1).not.toBe(0);
    expect((await s.call('GET_MAGIC', {})).magic).toBe(m1);
    await fails(s.call('AUTH_MAGIC', { magic: m1 }), 'EACCES');
    await r.master.call('AUTH_MAGIC', { magic: m1 });
    await fails(r.master.call('AUTH_MAGIC', { magic: m1 }), 'EINVAL');
    await fails(r.master.call('AUTH_MAGIC', { magic: 12345 }), 'EINVAL');
    expect((await s.call('GET_MAGIC', {})).magic).toBe(m1);
    s.close();
  });

  it('AUTH-04: many clients get unique magics', async () => {
    const cards = Array.from({ length: 40 }, () => r.open());
    const magics = await Promise.all(cards.map((c) => c.call('GET_MAGIC', {}).then((m) => m.magic)));
    expect(new Set(magics).size).toBe(40);
    for (const c of cards) c.close();
  });

  it('K-MA-03: modesetting calls from a non-master are EACCES', async () => {
    const s = r.open();
    const res = await s.call('MODE_GETRESOURCES', {});
    await fails(s.setCrtc(res.crtcs[0]!, 0, 0, 0, [], null), 'EACCES');
    await fails(s.call('MODE_OBJ_SETPROPERTY', { obj_id: res.crtcs[0]!, obj_type: 0, prop_id: 1, value: 0 }), 'EACCES');
    s.close();
  });
});

describe('user-supplied modes', () => {
  let r: Rig;
  let lit: Lit;
  beforeAll(async () => ({ r, lit } = await litRig()));
  afterAll(async () => r?.stop());
  const set = (mode: object, x = 0, y = 0) => r.master.setCrtc(lit.out.crtcId, lit.fbs[0]!, x, y, [lit.out.connector.connector_id], { ...lit.out.mode, ...mode });

  it('MODE-01..09 / K-MODE-06/07/08: every corrupted mode fails', async () => {
    const m = lit.out.mode;
    await fails(set({ clock: 655_351 }), 'EINVAL');
    await fails(set({ clock: 0 }), 'EINVAL');
    await fails(set({ clock: 0x7fffffff }), 'EINVAL');
    await fails(set({ clock: 0xffffffff }), 'ERANGE');
    await fails(set({ hdisplay: 0 }), 'EINVAL');
    await fails(set({ vdisplay: 0 }), 'EINVAL');
    await fails(set({ hsync_start: m.hdisplay - 1 }), 'EINVAL');
    await fails(set({ vsync_start: m.vdisplay - 1 }), 'EINVAL');
    await fails(set({ hsync_end: m.hsync_start - 1 }), 'EINVAL');
    await fails(set({ vsync_end: m.vsync_start - 1 }), 'EINVAL');
    await fails(set({ htotal: m.hsync_end - 1 }), 'EINVAL');
    await fails(set({ vtotal: m.vsync_end - 1 }), 'EINVAL');
    await fails(set({ htotal: 32768, vtotal: 32768, vscan: 4 }), 'EINVAL');
  });

  it('a mode the connector cannot show is EINVAL, from the list or not; the connector mode works', async () => {
    await fails(set({ hdisplay: 300, hsync_start: 310, hsync_end: 320, htotal: 330 }), 'EINVAL');
    await fails(set({ clock: Math.round(lit.out.mode.clock / 2) }), 'EINVAL');
    await set({});
  });

  it('K-MODE-02/05: aspect-ratio bits without the cap and unknown flags are EINVAL; unknown type bits are masked', async () => {
    const plain = await rig();
    try {
      const l2 = await plain.light();
      await plain.master.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 0 });
      const plainSet = (mode: object) => plain.master.setCrtc(l2.out.crtcId, l2.fbs[0]!, 0, 0, [l2.out.connector.connector_id], { ...l2.out.mode, ...mode });
      await plain.master.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ASPECT_RATIO, value: 0 });
      await fails(plainSet({ flags: l2.out.mode.flags | (1 << 19) }), 'EINVAL');
      await fails(plainSet({ flags: l2.out.mode.flags | (1 << 11) }), 'EINVAL');
      await plainSet({ type: l2.out.mode.type | 0x80000 });
    } finally {
      await plain.stop();
    }
  });

  it('K-MODE-09..14: origin ≥ 65536 ERANGE, fb -1 reuses the fb, no connectors / too many EINVAL, fb too small ENOSPC', async () => {
    await fails(set({}, 65536, 0), 'ERANGE');
    await r.master.setCrtc(lit.out.crtcId, 0xffffffff, 0, 0, [lit.out.connector.connector_id], lit.out.mode);
    expect((await r.master.call('MODE_GETCRTC', { crtc_id: lit.out.crtcId })).fb_id).toBe(lit.fbs[0]);
    await fails(r.master.setCrtc(lit.out.crtcId, lit.fbs[0]!, 0, 0, [], lit.out.mode), 'EINVAL');
    await fails(r.master.setCrtc(lit.out.crtcId, lit.fbs[0]!, 0, 0, [lit.out.connector.connector_id, lit.out.connector.connector_id], lit.out.mode), 'EINVAL');
    await fails(r.master.setCrtc(lit.out.crtcId, 0, 0, 0, [lit.out.connector.connector_id], null), 'EINVAL');
    await fails(set({}, 1, 0), 'ENOSPC');
  });

  it('MODE_ID blob of a corrupted mode is EINVAL through atomic too', async () => {
    const bad = encodeModeInfo({ ...lit.out.mode, clock: 0 });
    const { blob_id } = await r.master.call('MODE_CREATEPROPBLOB', { data: bad });
    await fails(lit.commit(lit.req().set(lit.out.crtcId, 'MODE_ID', blob_id), 0x400 | 0x100), 'EINVAL');
  });
});
