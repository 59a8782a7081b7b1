// One screen (a frontend's connector) as the viewer streams it: at the connector's refresh rate it samples what
// the connector shows, updates the damage tracker and sends each ready browser the tiles it has not seen. It runs
// on its own timer, never inside the scanout, and does nothing while no browser can take a frame.
import { logger } from '../../../shared/log.js';
import type { FrameView } from '../../../shared/pixels/frame.js';
import type { ViewerClient } from './client.js';
import { track, type DamageTracker } from './damage.js';
import { encodeFrame, type EncodedTile } from './wire.js';

const log = logger('viewer');

/** What the viewer needs from the backend for one screen. */
export type Sampler = () => FrameView | null;

export class ScreenFeed {
  private tracker: DamageTracker | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    private readonly refreshHz: number,
    private readonly sample: Sampler,
    private readonly clients: () => readonly ViewerClient[],
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000 / this.refreshHz);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.tracker = undefined;
    for (const c of this.clients()) c.forget(this.id);
  }

  tick(): void {
    const clients = this.clients();
    if (!clients.some((c) => c.ready)) return;
    try {
      this.send(clients);
    } catch (e) {
      // A frame the viewer cannot read (a buffer the frontend tore down mid-sample) is skipped, never fatal.
      log.debug(`screen ${this.id}: ${(e as Error).message}`);
    }
  }

  private send(clients: readonly ViewerClient[]): void {
    const view = this.sample();
    if (!view) {
      if (this.tracker) for (const c of clients) c.forget(this.id);
      this.tracker = undefined;
      return;
    }
    const { tracker, changed } = track(this.tracker, view);
    this.tracker = tracker;
    const encoded = new Map<number, EncodedTile>();
    const encode = (tile: number): EncodedTile => {
      let t = encoded.get(tile);
      if (!t) encoded.set(tile, (t = { ...tracker.rect(tile), rgba: tracker.rgba(tile) }));
      return t;
    };
    for (const c of clients) {
      if (!c.ready) {
        if (changed > 0) c.skipped++;
        continue;
      }
      const tiles = c.takeDamage(this.id, tracker);
      if (tiles.length > 0) c.sendFrame(encodeFrame(this.id, tracker.width, tracker.height, tiles.map(encode)));
    }
  }
}
