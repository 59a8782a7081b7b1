// Vblank pacing for one connector: the next vblank instant on a fixed grid of the refresh period, anchored at an
// instant the peer chose (and told the frontend through the vblank-grid key). Timers are armed only when something waits for a vblank, so an idle display costs
// nothing. Each grid slot fires at most once: a timer that fires a little early (setTimeout rounds to whole
// milliseconds) must not make the next call land in the same refresh period.
import { periodNsOf, type VblankGrid } from '../../protocol/bus/vblank-grid-keys.js';

export class VblankClock {
  private readonly periodNs: bigint;
  private timer: NodeJS.Timeout | undefined;
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

  /** Calls `fn` at the next vblank after now (once; a pending call is kept). */
  schedule(fn: () => void): void {
    if (this.timer) return;
    const now = process.hrtime.bigint();
    let slot = (now - this.anchor) / this.periodNs + 1n;
    if (slot <= this.lastSlot) slot = this.lastSlot + 1n;
    const delayMs = Number(this.anchor + slot * this.periodNs - now) / 1e6;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastSlot = slot;
      fn();
    }, Math.max(0, Math.floor(delayMs)));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
