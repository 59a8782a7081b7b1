// A CRTC per connector: what it scans out (fb, mode, origin), its vblank counter and timestamp (advanced by the
// backend's frame-done events), and the one flip that may be pending on it.
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import type { CrtcInfo } from '../../protocol/kms/ops.js';
import type { Framebuffer } from './framebuffer.js';
import type { ModeObject } from './mode-objects.js';
import type { Plane } from './plane.js';

export interface PendingFlip {
  /** Delivers the completion (or nothing when no event was asked for). */
  complete(sequence: number, timestampNs: bigint): void;
  timer: NodeJS.Timeout;
}

export class Crtc implements ModeObject {
  readonly objectType = OBJECT_TYPE.CRTC;
  fb: Framebuffer | null = null;
  mode: ModeInfo | null = null;
  x = 0;
  y = 0;
  pending: PendingFlip | null = null;
  vblankCount = 0;
  vblankTimestampNs = 0n;
  frameDoneTimeouts = 0;

  constructor(
    readonly id: number,
    readonly index: number,
    readonly plane: Plane,
  ) {}

  get active(): boolean {
    return this.mode !== null;
  }

  info(): CrtcInfo {
    return {
      crtc_id: this.id,
      fb_id: this.fb?.id ?? 0,
      x: this.x,
      y: this.y,
      gamma_size: 0,
      mode_valid: this.mode ? 1 : 0,
      mode: this.mode,
    };
  }
}
