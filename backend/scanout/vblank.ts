// Vblank pacing for one connector: the next vblank instant on a fixed grid of the refresh period, anchored when
// the pipeline was created. Timers are armed only when something waits for a vblank, so an idle display costs
// nothing. Each grid slot fires at most once: a timer that fires a little early (setTimeout rounds to whole
// milliseconds) must not make the next call land in the same refresh period.
export class VblankClock {
  private readonly periodNs: bigint;
  private readonly anchor = process.hrtime.bigint();
  private timer: NodeJS.Timeout | undefined;
  private lastSlot = 0n;

  constructor(refreshHz: number) {
    this.periodNs = BigInt(Math.round(1e9 / refreshHz));
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
