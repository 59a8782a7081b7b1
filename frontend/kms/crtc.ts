// A CRTC per connector: its committed state (ACTIVE, MODE_ID), its vblank counter, the commit still waiting for
// flip-done, and the count of frame-done timeouts.
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { CrtcInfo } from '../../protocol/kms/ops.js';
import type { ModeObject } from './mode-objects.js';
import type { Framebuffer } from './framebuffer.js';
import type { Plane } from './plane.js';
import { emptyCrtcState, type CrtcState } from './state.js';
import { Vblank } from './vblank.js';

/** A commit whose flip the backend has not reported done yet. */
export interface PendingFlip {
  /** Delivers its events; called once, at frame done or when the frame-done timer fires. */
  complete(sequence: number, timestampNs: bigint): void;
  /** Resolves when complete() ran (blocking commits wait on it). */
  done: Promise<void>;
}

export class Crtc implements ModeObject {
  readonly objectType = OBJECT_TYPE.CRTC;
  state: CrtcState = emptyCrtcState();
  readonly vblank = new Vblank();
  pending: PendingFlip | null = null;
  /** What the backend shows now, and what a flip in flight will show: their buffers are not released. */
  scanout: Framebuffer | null = null;
  flipTarget: Framebuffer | null = null;
  frameDoneTimeouts = 0;
  /** Commits dropped because a fence never signalled. */
  fenceTimeouts = 0;

  constructor(
    readonly id: number,
    readonly index: number,
    readonly plane: Plane,
  ) {}

  info(): CrtcInfo {
    const p = this.plane.state;
    const shown = this.state.active && p.crtcId === this.id;
    return {
      crtc_id: this.id,
      fb_id: p.crtcId === this.id ? (p.fb?.id ?? 0) : 0,
      x: shown ? p.srcX >>> 16 : 0,
      y: shown ? p.srcY >>> 16 : 0,
      gamma_size: 0,
      mode_valid: this.state.mode ? 1 : 0,
      mode: this.state.mode,
    };
  }
}
