// What one watcher (a browser, a VNC client) was sent of one screen: the version of each tile of the screen's
// damage tracker as last sent. A new tracker (the screen changed size or format) means nothing was sent yet.
import type { DamageTracker } from './damage.js';

export class TileLedger {
  private tracker: DamageTracker | undefined;
  private versions = new Uint32Array(0);

  /**
   * Tiles whose pixels this watcher has not been sent (and that `include` accepts), at most `max` of them; they
   * count as sent from now on, the rest stay unsent. Tracker versions start at 1, so a fresh ledger's zeros make
   * every tile unsent. `more` says whether `max` left some out.
   */
  take(tracker: DamageTracker, include?: (tile: number) => boolean, max = Infinity): { tiles: number[]; more: boolean } {
    if (this.tracker !== tracker) {
      this.tracker = tracker;
      this.versions = new Uint32Array(tracker.versions.length);
    }
    const tiles: number[] = [];
    for (let i = 0; i < tracker.versions.length; i++) {
      if (this.versions[i] === tracker.versions[i] || (include && !include(i))) continue;
      if (tiles.length === max) return { tiles, more: true };
      tiles.push(i);
      this.versions[i] = tracker.versions[i]!;
    }
    return { tiles, more: false };
  }

  /** Whatever comes next is sent whole. */
  forget(): void {
    this.tracker = undefined;
  }
}
