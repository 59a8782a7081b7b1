// A CRTC's vblank counter and timestamps. Each frame-done event from the backend is a vblank (the backend latched a
// frame) and advances the counter by the grid periods since the last counted vblank (at least one); while no flip
// is in flight, a local timer at the mode's refresh rate keeps counting, so waits complete on an idle display. While
// a flip is in flight the timer does not count: the frame done reports that vblank, and counting it twice would
// make sequences jump. Waiters (vblank waits, CRTC sequences, flips) fire when the counter reaches their target.
// Timestamps are those of the backend's vblank grid, not of the event's arrival, as hardware stamps vblanks from the
// scanout position rather than from interrupt latency. A backend that publishes its grid (feature-vblank-grid: same
// host, same CLOCK_MONOTONIC) is taken at its word: an event is stamped with the last grid point before it arrived
// and counts every grid point since the previous one, so a late event can neither shift the grid nor make the
// counter run ahead of time. Without a published grid, the earliest arrivals mark it: an event that lands just
// after a grid point is stamped with that point.
import type { VblankGrid } from '../../protocol/bus/vblank-grid-keys.js';
import { Deadline } from '../../shared/deadline.js';

export interface VblankWaiter {
  target: number;
  /** Called once with the vblank's sequence and timestamp; when the CRTC goes off, with the last ones. */
  fire(sequence: number, timestampNs: bigint): void;
  /** The open file that waits (its waiters go when it closes), any object that names it. */
  owner: object;
  /** Called instead of fire() when the waiter is dropped because its file closed. */
  cancel?(): void;
}

export class Vblank {
  count = 0;
  timestampNs = 0n;
  private periodNs = 16_666_667n;
  /** The local tick (a Deadline: setTimeout fired up to 1 ms early, stamping vblanks that had not yet come). */
  private readonly timer = new Deadline(() => this.tick());
  private nextTickNs = 0n;
  private enabled = false;
  private anchorNs: bigint | undefined;
  private waiters: VblankWaiter[] = [];
  private published: VblankGrid | undefined;

  /** `flipInFlight`: whether a frame-done event will report the coming vblank (the timer then does not count it). */
  constructor(private readonly flipInFlight: () => boolean = () => false) {}

  /** The backend's published grid, when it has one (a hotplug may bring a new period). */
  get grid(): VblankGrid | undefined {
    return this.published;
  }

  set grid(g: VblankGrid | undefined) {
    this.published = g;
    if (g) this.periodNs = g.periodNs;
  }

  get on(): boolean {
    return this.enabled;
  }

  /** The CRTC lit up (or changed mode): start counting at `refreshHz`. */
  enable(refreshHz: number): void {
    // The backend paces at its own grid's period, whatever the mode says.
    this.periodNs = this.grid?.periodNs ?? BigInt(Math.round(1e9 / Math.max(1, refreshHz)));
    this.enabled = true;
    this.anchorNs = undefined;
    this.schedule(this.grid ? this.gridFloor(now()) + this.periodNs : now() + this.periodNs);
  }

  /** The CRTC went off: stop counting; waiters are released with the last count, as drm_crtc_vblank_off does. */
  disable(): void {
    this.enabled = false;
    this.timer.cancel();
    for (const w of this.waiters.splice(0)) w.fire(this.count, this.timestampNs);
  }

  /** A frame-done event from the backend. */
  frameDone(): void {
    const at = this.stamp(now());
    const periods = this.timestampNs === 0n ? 1n : (at - this.timestampNs + this.periodNs / 2n) / this.periodNs;
    this.advance(at, periods > 1n ? Number(periods) : 1);
    if (this.enabled) this.schedule(this.timestampNs + this.periodNs);
  }

  /** The last point of the published grid at or before `t`. */
  private gridFloor(t: bigint): bigint {
    const { anchorNs, periodNs } = this.grid!;
    const k = (t - anchorNs) / periodNs - (t < anchorNs && (t - anchorNs) % periodNs !== 0n ? 1n : 0n);
    return anchorNs + k * periodNs;
  }

  /** The grid point an arrival at `t` belongs to (see the header); strictly after the previous timestamp. */
  private stamp(t: bigint): bigint {
    const p = this.periodNs;
    if (this.grid) {
      const at = this.gridFloor(t);
      return at > this.timestampNs ? at : this.timestampNs + p;
    }
    let at = t;
    if (this.anchorNs === undefined) this.anchorNs = t;
    else {
      // Within half a period after a grid point: that vblank, late by latency. Otherwise the grid we knew was
      // wrong (an earlier arrival than ever, or the backend re-anchored): lock onto this arrival.
      const r = (((t - this.anchorNs) % p) + p) % p;
      if (r <= p / 2n) at = t - r;
      else this.anchorNs = t;
    }
    return at > this.timestampNs ? at : this.timestampNs + 1000n;
  }

  add(w: VblankWaiter): void {
    if (((w.target - this.count) | 0) <= 0) return w.fire(this.count, this.timestampNs);
    this.waiters.push(w);
  }

  remove(w: VblankWaiter): void {
    this.waiters = this.waiters.filter((x) => x !== w);
  }

  /** Waits not yet at their target. */
  get pending(): number {
    return this.waiters.length;
  }

  /** A file closed: its waits and the events they owed go, as the kernel drops a closing file's vblank events. */
  dropOwner(owner: object): void {
    const gone = this.waiters.filter((w) => w.owner === owner);
    if (gone.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.owner !== owner);
    for (const w of gone) w.cancel?.();
  }

  private advance(at: bigint, by = 1): void {
    this.count = (this.count + by) >>> 0;
    this.timestampNs = at;
    const due = this.waiters.filter((w) => ((this.count - w.target) | 0) >= 0);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.fire(this.count, this.timestampNs);
  }

  private schedule(atNs: bigint): void {
    this.nextTickNs = atNs;
    this.timer.arm(atNs);
  }

  private tick(): void {
    if (!this.enabled) return;
    // On a published grid a tick that fired late still counts every vblank that passed, as a hardware counter does.
    const t = now();
    const at = this.grid && t >= this.nextTickNs + this.periodNs ? this.gridFloor(t) : this.nextTickNs;
    if (!this.flipInFlight() && at > this.timestampNs) {
      const periods = this.timestampNs === 0n ? 1n : (at - this.timestampNs + this.periodNs / 2n) / this.periodNs;
      this.advance(at, this.grid && periods > 1n ? Number(periods) : 1);
    }
    this.schedule(at + this.periodNs);
  }
}

function now(): bigint {
  return process.hrtime.bigint();
}
