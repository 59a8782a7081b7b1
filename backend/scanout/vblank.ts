// Vblank pacing for one connector: the next vblank instant on a fixed grid of the refresh period, anchored at an
// instant the peer chose (and told the frontend through the vblank-grid key). The wake-up is a Deadline at the
// vblank's own instant (never before it: setTimeout rounded to whole milliseconds and fired up to one early, so an
// event could leave before the vblank it is stamped with). It is armed only when something waits for a vblank, so
// an idle display costs nothing, and each grid slot fires at most once.
import { periodNsOf, type VblankGrid } from '../../protocol/bus/vblank-grid-keys.js';
import { Deadline } from '../../shared/deadline.js';

export class VblankClock {
  private readonly periodNs: bigint;
  private readonly deadline = new Deadline(() => this.expired());
  private pending: { slot: bigint; fn: () => void } | undefined;
  private lastSlot = 0n;

  constructor(
    refreshHz: number,
    private readonly anchor: bigint = process.hrtime.bigint(),
  ) {
    this.periodNs = periodNsOf(refreshHz);
  }

  /** Where this clock's vblanks fall. */
  get grid(): VblankGrid {
    return { anchorNs: this.anchor, periodNs: this.periodNs };
  }

  /** The instant of grid slot `slot`, on process.hrtime.bigint()'s clock. */
  private instantOf(slot: bigint): bigint {
    return this.anchor + slot * this.periodNs;
  }

  /** Calls `fn` at the next vblank after now (once; a pending call is kept). */
  schedule(fn: () => void): void {
    if (this.pending) return;
    let slot = (process.hrtime.bigint() - this.anchor) / this.periodNs + 1n;
    if (slot <= this.lastSlot) slot = this.lastSlot + 1n;
    this.pending = { slot, fn };
    this.deadline.arm(this.instantOf(slot));
  }

  private expired(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.lastSlot = p.slot;
    p.fn();
  }

  stop(): void {
    this.pending = undefined;
    this.deadline.cancel();
  }
}
