// Vblank pacing for one connector: the next vblank instant on a fixed grid of the refresh period, anchored when
// the connector was configured. Timers are armed only when something waits for a vblank, so an idle display
// costs nothing.
export class VblankClock {
  private readonly periodNs: bigint;
  private readonly anchor = process.hrtime.bigint();
  private timer: NodeJS.Timeout | undefined;

  constructor(refreshHz: number) {
    this.periodNs = BigInt(Math.round(1e9 / refreshHz));
  }

  /** Calls `fn` at the next vblank after now (once; a pending call is kept). */
  schedule(fn: () => void): void {
    if (this.timer) return;
    const now = process.hrtime.bigint();
    const next = this.anchor + ((now - this.anchor) / this.periodNs + 1n) * this.periodNs;
    const delayMs = Number(next - now) / 1e6;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, Math.max(0, Math.floor(delayMs)));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
