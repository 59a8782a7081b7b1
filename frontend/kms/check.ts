// The atomic check (drm_atomic_check_only plus what a simple display pipe demands): every rule a commit must pass
// before anything changes, in the kernel's order, with its errno. It also works out which CRTCs the commit touches
// and which of them need a full modeset.
import { LINK_STATUS } from '../../protocol/kms/constants.js';
import { decodeRects } from '../../protocol/kms/blobs.js';
import { pvError } from '../../shared/errors.js';
import type { Crtc } from './crtc.js';
import type { KmsDevice } from './device.js';
import { validateMode } from './modes.js';
import type { KmsState } from './props.js';
import type { PlaneState } from './state.js';

const INT_MAX = 0x7fffffff;

export interface CheckedCommit {
  /** CRTCs in the commit: named directly, or reached through a plane or connector. */
  crtcs: Crtc[];
  modeset: Set<Crtc>;
}

function checkPlane(dev: KmsDevice, planeOld: PlaneState, s: PlaneState, possible: number, supports: (f: number) => boolean): void {
  if (s.crtcId && !s.fb) throw pvError('EINVAL', 'plane has a CRTC but no framebuffer');
  if (s.fb && !s.crtcId) throw pvError('EINVAL', 'plane has a framebuffer but no CRTC');
  if (planeOld.crtcId && s.crtcId && planeOld.crtcId !== s.crtcId) throw pvError('EINVAL', 'a plane cannot move between CRTCs in one commit');
  if (!s.fb) return;
  const crtc = dev.crtcById(s.crtcId);
  if (!(possible & (1 << crtc.index))) throw pvError('EINVAL', `plane cannot be used on CRTC ${crtc.id}`);
  if (!supports(s.fb.format.fourcc)) throw pvError('EINVAL', `plane cannot scan out ${s.fb.format.name}`);
  if (s.crtcX + s.crtcW > INT_MAX || s.crtcY + s.crtcH > INT_MAX) throw pvError('ERANGE', 'CRTC rectangle overflows');
  const fw = s.fb.width * 65536;
  const fh = s.fb.height * 65536;
  if (s.srcW > fw || s.srcX > fw - s.srcW || s.srcH > fh || s.srcY > fh - s.srcH) {
    throw pvError('ENOSPC', `source ${s.srcW / 65536}x${s.srcH / 65536}+${s.srcX / 65536}+${s.srcY / 65536} is outside the ${s.fb.width}x${s.fb.height} framebuffer`);
  }
  for (const r of (s.damage && decodeRects(s.damage.data)) || []) {
    if (r.x1 < 0 || r.y1 < 0 || r.x1 >= r.x2 || r.y1 >= r.y2 || r.x2 > s.fb.width || r.y2 > s.fb.height) {
      throw pvError('EINVAL', `damage clip ${r.x1},${r.y1}-${r.x2},${r.y2} is empty or outside the framebuffer`);
    }
  }
}

/** Every field of the two modes equal (ModeInfo is flat: numbers and the name). */
function sameMode(a: Crtc['state'], b: Crtc['state']): boolean {
  if (!a.mode || !b.mode) return a.mode === b.mode;
  if (a.mode === b.mode) return true;
  const x = a.mode as unknown as Record<string, unknown>;
  const y = b.mode as unknown as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

export function checkCommit(dev: KmsDevice, st: KmsState, opts: { allowModeset: boolean; event: boolean }): CheckedCommit {
  const touched = new Set<Crtc>(st.crtcs.keys());
  for (const [plane, s] of st.planes) {
    checkPlane(dev, plane.state, s, 1 << plane.crtcIndex, (f) => plane.supports(f));
    for (const id of [plane.state.crtcId, s.crtcId]) if (id) touched.add(dev.crtcById(id));
  }
  for (const [conn, s] of st.connectors) {
    const own = dev.crtcs[conn.index]!;
    if (s.crtcId && s.crtcId !== own.id) throw pvError('EINVAL', `connector ${conn.id} can only be driven by CRTC ${own.id}`);
    touched.add(own);
  }
  const crtcs = [...touched].sort((a, b) => a.index - b.index);
  const modeset = new Set<Crtc>();
  for (const crtc of crtcs) {
    const old = crtc.state;
    const s = st.crtc(crtc);
    const plane = st.planes.get(crtc.plane) ?? crtc.plane.state;
    const conn = dev.connectorOf(crtc);
    const connState = st.connectors.get(conn) ?? conn.state;
    if (s.active && !s.mode) throw pvError('EINVAL', `CRTC ${crtc.id} is ACTIVE without a mode`);
    if (s.mode) validateMode(s.mode, conn);
    if (opts.event && !s.active && !old.active) throw pvError('EINVAL', `event requested for CRTC ${crtc.id}, which is off`);
    const routed = connState.crtcId === crtc.id;
    if ((s.mode !== null) !== routed) throw pvError('EINVAL', `CRTC ${crtc.id} ${s.mode ? 'has a mode but no connector' : 'drives a connector without a mode'}`);
    const retrain = conn.state.linkStatus === LINK_STATUS.BAD && connState.linkStatus === LINK_STATUS.GOOD;
    if (old.active !== s.active || !sameMode(old, s) || (conn.state.crtcId === crtc.id) !== routed || retrain) modeset.add(crtc);
    if (s.active) {
      // A simple display pipe: the primary plane is on and covers the whole CRTC, unscaled.
      const m = s.mode!;
      if (plane.crtcId !== crtc.id || !plane.fb) throw pvError('EINVAL', `CRTC ${crtc.id} is active but its primary plane is off`);
      if (plane.crtcX !== 0 || plane.crtcY !== 0 || plane.crtcW !== m.hdisplay || plane.crtcH !== m.vdisplay) {
        throw pvError('EINVAL', `the primary plane must cover the whole ${m.hdisplay}x${m.vdisplay} CRTC`);
      }
      if (plane.srcW !== m.hdisplay * 65536 || plane.srcH !== m.vdisplay * 65536 || plane.srcX % 65536 || plane.srcY % 65536) {
        throw pvError('EINVAL', 'the primary plane cannot scale or use sub-pixel source positions');
      }
    }
  }
  if (modeset.size > 0 && !opts.allowModeset) throw pvError('EINVAL', 'the commit needs a full modeset but ALLOW_MODESET is not set');
  return { crtcs, modeset };
}
