// The legacy modeset calls, built on the commit engine as the kernel's atomic helpers build them: SETCRTC is a
// full modeset of one CRTC, PAGE_FLIP a non-blocking primary-plane update with an event, a property write a
// one-property commit, SETPLANE a one-plane commit, and DPMS switches the CRTC's ACTIVE.
import { DPMS, OBJECT_TYPE, PAGE_FLIP, PAGE_FLIP_FLAGS } from '../../protocol/kms/constants.js';
import { encodeModeInfo } from '../../protocol/kms/blobs.js';
import type { KmsArgs } from '../../protocol/kms/ops.js';
import { pvError } from '../../shared/errors.js';
import { checkCommit } from './check.js';
import { commit } from './commit.js';
import type { Connector } from './connector.js';
import type { Crtc } from './crtc.js';
import type { KmsDevice } from './device.js';
import type { DrmFile } from './file.js';
import type { Framebuffer } from './framebuffer.js';
import type { Plane } from './plane.js';
import { checkModeFlags } from './modes.js';
import { Property } from './property.js';
import type { KmsState } from './props.js';
import { AtomicState } from './state.js';
import type { Fence } from '../../shared/fence.js';

const NO_FB = 0xffffffff;

function newState(dev: KmsDevice): KmsState {
  return new AtomicState<(typeof dev.crtcs)[number], (typeof dev.planes)[number], (typeof dev.connectors)[number]>();
}

export async function setCrtc(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_SETCRTC'>): Promise<void> {
  dev.requireMaster(file);
  const crtc = dev.crtcById(a.crtc_id);
  const st = newState(dev);
  const cs = st.crtc(crtc);
  const ps = st.plane(crtc.plane);
  if (a.mode) {
    if (a.x >= 65536 || a.y >= 65536) throw pvError('ERANGE', `origin ${a.x},${a.y} out of range`);
    checkModeFlags(a.mode, file);
    let fb: Framebuffer | null;
    if (a.fb_id === NO_FB) {
      fb = crtc.plane.state.fb;
      if (!fb) throw pvError('EINVAL', 'fb_id -1 but no framebuffer is bound');
    } else fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
    if (a.connectors.length === 0) throw pvError('EINVAL', 'a mode needs at least one connector');
    if (a.connectors.length > dev.connectors.length) throw pvError('EINVAL', 'more connectors than the device has');
    const conns = a.connectors.map((id) => dev.objects.lookup<Connector>(id, OBJECT_TYPE.CONNECTOR, 'connector'));
    if (!crtc.plane.supports(fb.format.fourcc)) throw pvError('EINVAL', `the primary plane cannot scan out ${fb.format.name}`);
    if (a.x + a.mode.hdisplay > fb.width || a.y + a.mode.vdisplay > fb.height) {
      throw pvError('ENOSPC', `framebuffer ${fb.width}x${fb.height} too small for ${a.mode.hdisplay}x${a.mode.vdisplay}+${a.x}+${a.y}`);
    }
    const mode = { ...a.mode, type: a.mode.type & 0x7f };
    cs.active = true;
    cs.mode = mode;
    cs.modeBlob = dev.blobs.create(encodeModeInfo(mode), null);
    Object.assign(ps, { fb, crtcId: crtc.id, srcX: a.x * 65536, srcY: a.y * 65536, srcW: mode.hdisplay * 65536, srcH: mode.vdisplay * 65536, crtcX: 0, crtcY: 0, crtcW: mode.hdisplay, crtcH: mode.vdisplay });
    for (const c of dev.connectors) {
      const listed = conns.includes(c);
      if (listed || c.state.crtcId === crtc.id) st.connector(c).crtcId = listed ? crtc.id : 0;
      if (listed) st.connector(c).dpms = DPMS.ON;
    }
  } else {
    if (a.connectors.length > 0) throw pvError('EINVAL', 'connectors given without a mode');
    disableInto(dev, st, crtc);
  }
  const old = crtc.state.modeBlob;
  try {
    await commit(dev, st, checkCommit(dev, st, { allowModeset: true, event: false }), { nonblock: false });
  } catch (e) {
    dev.blobs.release(cs.modeBlob);
    throw e;
  }
  if (old !== crtc.state.modeBlob) dev.blobs.release(old);
}

/**
 * MODE_SETPLANE (drm_mode_setplane, master only): fb 0 turns the plane off; otherwise the plane is set on the CRTC
 * with the fb and rectangles given, as one blocking commit (the atomic helper's update_plane). The plane / CRTC /
 * fb lookups are ENOENT, a CRTC the plane cannot use or a format it cannot scan out EINVAL, a source rectangle
 * outside the fb ENOSPC; what the commit check refuses (a primary plane that does not cover its CRTC) EINVAL.
 */
export async function setPlane(dev: KmsDevice, file: DrmFile, a: KmsArgs<'MODE_SETPLANE'>): Promise<void> {
  dev.requireMaster(file);
  const plane = dev.objects.lookup<Plane>(a.plane_id, OBJECT_TYPE.PLANE, 'plane');
  const st = newState(dev);
  if (a.fb_id === 0) {
    Object.assign(st.plane(plane), { fb: null, crtcId: 0 });
  } else {
    const crtc = dev.crtcById(a.crtc_id);
    const fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
    if (crtc.plane !== plane) throw pvError('EINVAL', `plane ${a.plane_id} cannot be used on CRTC ${a.crtc_id}`);
    if (!plane.supports(fb.format.fourcc)) throw pvError('EINVAL', `plane ${a.plane_id} cannot scan out ${fb.format.name}`);
    const fw = fb.width * 65536;
    const fh = fb.height * 65536;
    if (a.src_w > fw || a.src_x > fw - a.src_w || a.src_h > fh || a.src_y > fh - a.src_h) throw pvError('ENOSPC', 'source rectangle outside the framebuffer');
    Object.assign(st.plane(plane), { fb, crtcId: crtc.id, srcX: a.src_x, srcY: a.src_y, srcW: a.src_w, srcH: a.src_h, crtcX: a.crtc_x, crtcY: a.crtc_y, crtcW: a.crtc_w, crtcH: a.crtc_h });
  }
  await commit(dev, st, checkCommit(dev, st, { allowModeset: false, event: false }), { nonblock: false });
}

/** The state that turns a CRTC off: no mode, primary plane off, its connectors detached. */
export function disableInto(dev: KmsDevice, st: KmsState, crtc: Crtc): void {
  Object.assign(st.crtc(crtc), { active: false, mode: null, modeBlob: null });
  Object.assign(st.plane(crtc.plane), { fb: null, crtcId: 0 });
  for (const c of dev.connectors) if (c.state.crtcId === crtc.id) st.connector(c).crtcId = 0;
}

/** Resolves with the out-fence when the flip asked for one (`out_fence`, our extension of the legacy call). */
export async function pageFlip(dev: KmsDevice, file: DrmFile, a: Omit<KmsArgs<'MODE_PAGE_FLIP'>, 'user_data'> & { userData: bigint }): Promise<Fence | undefined> {
  dev.requireMaster(file);
  if (a.flags & ~PAGE_FLIP_FLAGS) throw pvError('EINVAL', `bad page-flip flags 0x${a.flags.toString(16)}`);
  const target = a.flags & (PAGE_FLIP.TARGET_ABSOLUTE | PAGE_FLIP.TARGET_RELATIVE);
  if ((a.sequence ?? 0) !== 0 && !target) throw pvError('EINVAL', 'sequence given without a TARGET flag');
  if (target === (PAGE_FLIP.TARGET_ABSOLUTE | PAGE_FLIP.TARGET_RELATIVE)) throw pvError('EINVAL', 'both TARGET flags');
  if (a.flags & PAGE_FLIP.ASYNC) throw pvError('EINVAL', 'async flips are not supported (DRM_CAP_ASYNC_PAGE_FLIP is 0)');
  const crtc = dev.crtcById(a.crtc_id);
  if (target) throw pvError('EINVAL', 'targeted flips are not supported (DRM_CAP_PAGE_FLIP_TARGET is 0)');
  const cur = crtc.plane.state;
  if (!cur.fb || cur.crtcId !== crtc.id) throw pvError('EBUSY', `CRTC ${crtc.id} has no framebuffer`);
  const fb = dev.objects.lookup<Framebuffer>(a.fb_id, OBJECT_TYPE.FB, 'framebuffer');
  const m = crtc.state.mode;
  if (m && (fb.width < (cur.srcX >>> 16) + m.hdisplay || fb.height < (cur.srcY >>> 16) + m.vdisplay)) {
    throw pvError('ENOSPC', `framebuffer ${fb.width}x${fb.height} smaller than the CRTC viewport`);
  }
  if (fb.format.fourcc !== cur.fb.format.fourcc) throw pvError('EINVAL', 'a page flip cannot change the pixel format');
  const wantEvent = (a.flags & PAGE_FLIP.EVENT) !== 0;
  if (wantEvent) {
    file.reserveEvent(); // probe the budget in the kernel's order; commit() reserves for real
    file.unreserveEvent();
  }
  if (!crtc.state.active) throw pvError('EINVAL', `CRTC ${crtc.id} is not active`);
  if (crtc.flip) throw pvError('EBUSY', `a flip is already pending on CRTC ${crtc.id}`);
  const st = newState(dev);
  st.plane(crtc.plane).fb = fb;
  if (a.out_fence) st.outFences.add(crtc);
  const checked = checkCommit(dev, st, { allowModeset: false, event: wantEvent });
  const { outFences } = await commit(dev, st, checked, { event: wantEvent ? { file, userData: a.userData } : undefined, nonblock: true });
  return outFences.get(crtc);
}

/** OBJ_SETPROPERTY / SETPROPERTY: a one-property commit (no modeset allowed), or the DPMS helper. */
export async function setProperty(dev: KmsDevice, file: DrmFile, a: { obj_id: number; obj_type: number; prop_id: number; value: number }): Promise<void> {
  dev.requireMaster(file);
  const obj = dev.objects.find(a.obj_id);
  if (!obj || (a.obj_type !== 0 && obj.objectType !== a.obj_type)) throw pvError('ENOENT', `no object ${a.obj_id}${a.obj_type ? ' of that type' : ''}`);
  const attached = dev.props.list(obj, dev.inFormats).map(([p]) => p);
  if (attached.length === 0) throw pvError('EINVAL', `object ${a.obj_id} has no properties`);
  const prop = dev.objects.find(a.prop_id);
  if (!(prop instanceof Property) || !attached.includes(prop)) throw pvError('EINVAL', `object ${a.obj_id} has no property ${a.prop_id}`);
  if (prop === dev.props.dpms) return setDpms(dev, obj as Connector, a.value);
  const st = newState(dev);
  dev.props.set(dev, st, obj, prop, a.value);
  await commit(dev, st, checkCommit(dev, st, { allowModeset: false, event: false }), { nonblock: false });
}

/** drm_atomic_connector_commit_dpms: the CRTC is active while any of its connectors is On. */
async function setDpms(dev: KmsDevice, conn: Connector, value: number): Promise<void> {
  dev.props.dpms.check(value);
  const st = newState(dev);
  st.connector(conn).dpms = value;
  const crtcId = conn.state.crtcId;
  if (crtcId) {
    const crtc = dev.crtcById(crtcId);
    st.crtc(crtc).active = dev.connectors.some((c) => c.state.crtcId === crtcId && (c === conn ? value : c.state.dpms) === DPMS.ON);
  }
  await commit(dev, st, checkCommit(dev, st, { allowModeset: true, event: false }), { nonblock: false });
}
