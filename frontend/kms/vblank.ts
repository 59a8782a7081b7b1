// A CRTC's vblank counter and timestamps. Each frame-done event from the backend is a vblank (the backend latched a
// frame); while no flips flow, a local timer at the mode's refresh rate keeps counting, first firing 1.5 periods
// after the last frame done so that it never double-counts a vblank the backend is about to report. Waiters (vblank
// waits, CRTC sequences, flips) fire when the counter reaches their target.

export interface VblankWaiter {
  target: number;
  /** Called once with the vblank's sequence and timestamp; when the CRTC goes off, with the last ones. */
  fire(sequence: number, timestampNs: bigint): void;
}

export class Vblank {
  count = 0;
  timestampNs = 0n;
  private periodNs = 16_666_667n;
  private timer: NodeJS.Timeout | undefined;
  private nextTickNs = 0n;
  private enabled = false;
  private waiters: VblankWaiter[] = [];

  get on(): boolean {
    return this.enabled;
  }

  /** The CRTC lit up (or changed mode): start counting at `refreshHz`. */
  enable(refreshHz: number): void {
    this.periodNs = BigInt(Math.round(1e9 / Math.max(1, refreshHz)));
    this.enabled = true;
    this.schedule(now() + this.periodNs);
  }

  /** The CRTC went off: stop counting; waiters are released with the last count, as drm_crtc_vblank_off does. */
  disable(): void {
    this.enabled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.fire(this.count, this.timestampNs);
  }

  /** A frame-done event from the backend. */
  frameDone(): void {
    this.advance(now());
    if (this.enabled) this.schedule(this.timestampNs + (this.periodNs * 3n) / 2n);
  }

  add(w: VblankWaiter): void {
    if (((w.target - this.count) | 0) <= 0) return w.fire(this.count, this.timestampNs);
    this.waiters.push(w);
  }

  remove(w: VblankWaiter): void {
    this.waiters = this.waiters.filter((x) => x !== w);
  }

  get pendingWaiters(): number {
    return this.waiters.length;
  }

  private advance(at: bigint): void {
    this.count = (this.count + 1) >>> 0;
    this.timestampNs = at;
    const due = this.waiters.filter((w) => ((this.count - w.target) | 0) >= 0);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.fire(this.count, this.timestampNs);
  }

  private schedule(atNs: bigint): void {
    clearTimeout(this.timer);
    this.nextTickNs = atNs;
    const delayMs = Math.max(0, Number(atNs - now()) / 1e6);
    this.timer = setTimeout(() => this.tick(), Math.floor(delayMs));
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.enabled) return;
    this.advance(this.nextTickNs);
    this.schedule(this.nextTickNs + this.periodNs);
  }
}

function now(): bigint {
  return process.hrtime.bigint();
}
