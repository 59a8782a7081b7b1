// One browser watching: its WebSocket, which tile versions of each screen it was sent, and what it cost. A browser
// that reads slowly (bytes pile up in the socket's buffer) is skipped until it catches up; the tiles it missed are
// still "changed" for it then, so it gets the current pixels in one message instead of every stale frame.
import { WebSocket } from 'ws';
import type { DamageTracker } from './damage.js';
import { TileLedger } from './tile-ledger.js';

/** Above this many unsent bytes a browser takes no new frames. */
export const MAX_BUFFERED = 4 * 1024 * 1024;

export interface ViewerClientStats {
  id: number;
  /** Bytes of binary frame messages sent. */
  frameBytes: number;
  frames: number;
  /** Screen updates skipped because the browser was behind. */
  skipped: number;
  buffered: number;
}

export class ViewerClient {
  private readonly seen = new Map<number, TileLedger>();
  frameBytes = 0;
  frames = 0;
  skipped = 0;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    private readonly maxBuffered = MAX_BUFFERED,
  ) {}

  get ready(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.ws.bufferedAmount < this.maxBuffered;
  }

  /** Tiles of `screen` whose pixels this browser has not been sent yet; they count as sent from now on. */
  takeDamage(screen: number, tracker: DamageTracker): number[] {
    let ledger = this.seen.get(screen);
    if (!ledger) this.seen.set(screen, (ledger = new TileLedger()));
    return ledger.take(tracker).tiles;
  }

  /** The screen is gone or blank: whatever comes next is sent whole. */
  forget(screen: number): void {
    this.seen.delete(screen);
  }

  sendFrame(message: Buffer): void {
    this.ws.send(message, { binary: true });
    this.frameBytes += message.length;
    this.frames++;
  }

  sendJson(value: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(value));
  }

  stats(): ViewerClientStats {
    return { id: this.id, frameBytes: this.frameBytes, frames: this.frames, skipped: this.skipped, buffered: this.ws.bufferedAmount };
  }
}
