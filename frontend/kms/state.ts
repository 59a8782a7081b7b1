// Atomic state: what each CRTC, plane and connector is set to. Objects hold their committed state; a commit works
// on copies of the states it touches and swaps them in only when every check passed (a failed check changes
// nothing).
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import type { Blob } from './blob.js';
import type { Framebuffer } from './framebuffer.js';

export interface CrtcState {
  active: boolean;
  /** The MODE_ID blob; null when no mode is set (the CRTC is disabled). */
  modeBlob: Blob | null;
  mode: ModeInfo | null;
}

export interface PlaneState {
  fb: Framebuffer | null;
  crtcId: number;
  /** Source rectangle in 16.16 fixed point. */
  srcX: number;
  srcY: number;
  srcW: number;
  srcH: number;
  crtcX: number;
  crtcY: number;
  crtcW: number;
  crtcH: number;
  damage: Blob | null;
}

export interface ConnectorState {
  crtcId: number;
  dpms: number;
  linkStatus: number;
}

export function emptyCrtcState(): CrtcState {
  return { active: false, modeBlob: null, mode: null };
}

export function emptyPlaneState(): PlaneState {
  return { fb: null, crtcId: 0, srcX: 0, srcY: 0, srcW: 0, srcH: 0, crtcX: 0, crtcY: 0, crtcW: 0, crtcH: 0, damage: null };
}

/** The state objects of one commit, copied from the committed ones on first touch. */
export class AtomicState<C extends { state: CrtcState }, P extends { state: PlaneState }, K extends { state: ConnectorState }> {
  readonly crtcs = new Map<C, CrtcState>();
  readonly planes = new Map<P, PlaneState>();
  readonly connectors = new Map<K, ConnectorState>();
  /** IN_FENCE_FD per plane: fds this commit owns (waited for, then closed). */
  readonly inFences = new Map<P, number>();
  /** CRTCs whose OUT_FENCE_PTR asked for a fence. */
  readonly outFences = new Set<C>();

  crtc(c: C): CrtcState {
    let s = this.crtcs.get(c);
    if (!s) this.crtcs.set(c, (s = { ...c.state }));
    return s;
  }

  plane(p: P): PlaneState {
    let s = this.planes.get(p);
    if (!s) this.planes.set(p, (s = { ...p.state }));
    return s;
  }

  connector(k: K): ConnectorState {
    let s = this.connectors.get(k);
    if (!s) this.connectors.set(k, (s = { ...k.state }));
    return s;
  }
}
