// A per-second rate of events (flips) over whole one-second windows: cheap enough to tick on every flip in
// unpaced mode (one clock read and a counter), and idle displays decay to 0 instead of showing a stale rate.
import { performance } from 'node:perf_hooks';

const WINDOW_MS = 1000;

export class RateMeter {
  private windowStart = performance.now();
  private count = 0;
  private last = 0;

  tick(): void {
    this.roll(performance.now());
    this.count++;
  }

  /** Events per second in the last whole window; 0 once a whole window passed without any. */
  rate(): number {
    this.roll(performance.now());
    return this.last;
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    // A gap of more than one window means the window before now saw nothing.
    this.last = elapsed < 2 * WINDOW_MS ? (this.count * 1000) / elapsed : 0;
    this.windowStart = now;
    this.count = 0;
  }
}
