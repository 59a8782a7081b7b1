// A CRTC per connector: its committed state (ACTIVE, MODE_ID), its vblank counter, the commit still waiting for
// flip-done (its pending-flip record), and the count of frame-done timeouts.
import { OBJECT_TYPE } from '../../protocol/kms/constants.js';
import type { CrtcInfo } from '../../protocol/kms/ops.js';
import type { ModeObject } from './mode-objects.js';
import type { Framebuffer } from './framebuffer.js';
import type { PendingFlip } from './pending-flip.js';
import type { Plane } from './plane.js';
import { emptyCrtcState, type CrtcState } from './state.js';
import { Vblank } from './vblank.js';

/** Frame dones still owed for flips that timed out, at most this many (the oldest are forgotten). */
const MAX_OWED = 8;

export class Crtc implements ModeObject {
  readonly objectType = OBJECT_TYPE.CRTC;
  state: CrtcState = emptyCrtcState();
  /** The commit on this CRTC that has not completed; null when the CRTC is free. */
  flip: PendingFlip | null = null;
  /** While a PG_FLIP is in flight its frame done reports the coming vblank: the idle counter does not count it. */
  readonly vblank = new Vblank(() => this.flip?.target != null);
  /** What the backend shows now (what a flip in flight will show is its target): their buffers are not released. */
  scanout: Framebuffer | null = null;
  /** Cookies of timed-out flips whose frame done has not come, oldest first. */
  private readonly owed: bigint[] = [];
  frameDoneTimeouts = 0;
  /** Commits dropped because a fence never signalled. */
  fenceTimeouts = 0;

  constructor(
    readonly id: number,
    readonly index: number,
    readonly plane: Plane,
  ) {}

  /** The flip in flight timed out: its frame done may still come, and must not complete a later flip. */
  owe(fbCookie: bigint): void {
    if (this.owed.push(fbCookie) > MAX_OWED) this.owed.shift();
  }

  /**
   * Whether a frame done reporting `fbCookie` is the one of the flip in flight. The backend answers flips in order,
   * so a cookie still owed is a late one (even when the next flip shows the same buffer), and the flip in flight's
   * own frame done means the ones still owed before it will never come.
   */
  claimFrameDone(fbCookie: bigint): boolean {
    const late = this.owed.indexOf(fbCookie);
    if (late >= 0) {
      this.owed.splice(0, late + 1);
      return false;
    }
    if (this.flip?.target?.cookie !== fbCookie) return false;
    this.owed.length = 0;
    return true;
  }

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
