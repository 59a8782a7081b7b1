// One screen served over VNC: a frontend's connector on its own TCP port. At the connector's refresh rate, when a
// client has asked for an update and has read what it was sent before, it samples what the connector shows, finds
// the 64x64 tiles that changed (the viewer's damage tracker) and sends each such client only the tiles it has not
// seen, one rectangle per tile. Before the first frame the screen is black; while its frontend is away it keeps the
// last frame. The timer runs only while clients are connected.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { XRGB8888 } from '../../../protocol/formats.js';
import { logger } from '../../../shared/log.js';
import type { FrameView } from '../../../shared/pixels/frame.js';
import { track, type DamageTracker, type TileRect } from '../viewer/damage.js';
import { encodeRect, ENCODING, framebufferUpdate } from './encodings.js';
import { RfbSession, type RfbSessionStats, type SessionScreen } from './rfb-session.js';

const log = logger('vnc');

/** Clients at once per screen; more are closed on connect. */
export const MAX_CLIENTS = 16;
/** Above this many unsent bytes a client gets no new update until it has read them. */
export const MAX_BUFFERED = 1024 * 1024;
/** Tiles encoded per update round across a screen's clients: 1 MiB of pixels at 32 bits. */
export const TILES_PER_ROUND = 64;

export interface VncScreenStats {
  host: string;
  port: number;
  slot: number;
  connector: number;
  domid: number | null;
  security: 'none' | 'vnc';
  clients: RfbSessionStats[];
  /** Clients closed for a protocol error, a failed authentication or a handshake not finished in time. */
  refused: number;
}

function intersects(a: TileRect, b: TileRect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Rows of an RGBA8 tile cut to `width` x `height` (a client that cannot resize sees its old framebuffer's area). */
function crop(rgba: Uint8Array, tileWidth: number, width: number, height: number): Uint8Array {
  if (width === tileWidth && rgba.length === width * height * 4) return rgba;
  const out = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) out.set(rgba.subarray(row * tileWidth * 4, (row * tileWidth + width) * 4), row * width * 4);
  return out;
}

export class VncScreen implements SessionScreen {
  /** The frontend shown here; undefined while the slot has none. */
  domid: number | undefined;
  private tracker: DamageTracker;
  private readonly server: Server;
  private readonly sessions = new Set<RfbSession>();
  private timer: NodeJS.Timeout | undefined;
  private nextSession = 1;
  private refused = 0;
  private round = 0;

  constructor(
    readonly slot: number,
    readonly connector: number,
    private readonly size0: { width: number; height: number; refreshHz: number },
    readonly password: string | undefined,
    private readonly sample: (domid: number, connector: number) => FrameView | null,
  ) {
    this.tracker = track(undefined, VncScreen.black(size0.width, size0.height)).tracker;
    this.server = createServer((socket) => this.accept(socket));
  }

  private static black(width: number, height: number): FrameView {
    return { data: new Uint8Array(width * height * 4), offset: 0, pitch: width * 4, width, height, x: 0, y: 0, fourcc: XRGB8888.fourcc };
  }

  get name(): string {
    return `pvdisplay ${this.domid === undefined ? `slot ${this.slot}` : `domain ${this.domid}`} connector ${this.connector}`;
  }

  size(): { width: number; height: number } {
    return { width: this.tracker.width, height: this.tracker.height };
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (e) => log.warn(`${this.name}: ${e.message}`));
        resolve();
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.sessions) s.close();
    this.server.close();
  }

  stats(): VncScreenStats {
    const { address: host, port } = this.address;
    const clients = [...this.sessions].map((s) => s.stats());
    return { host, port, slot: this.slot, connector: this.connector, domid: this.domid ?? null, security: this.password === undefined ? 'none' : 'vnc', clients, refused: this.refused };
  }

  private accept(socket: Socket): void {
    if (this.sessions.size >= MAX_CLIENTS) {
      log.info(`${this.name}: a client connected past the limit of ${MAX_CLIENTS}: closed`);
      socket.destroy();
      return;
    }
    const session = new RfbSession(this.nextSession++, socket, this, (s) => this.gone(s));
    this.sessions.add(session);
    this.timer ??= setInterval(() => this.tick(), 1000 / this.size0.refreshHz);
  }

  private gone(s: RfbSession): void {
    if (s.failure) this.refused++;
    this.sessions.delete(s);
    if (this.sessions.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One update round. It encodes at most TILES_PER_ROUND tiles in all, so that a full frame for a new client never
   * holds the backend's loop for long; who goes first rotates. A frame that cannot be read (torn down mid-sample)
   * is skipped, never fatal.
   */
  private tick(): void {
    const ready = [...this.sessions].filter((s) => s.wants(MAX_BUFFERED));
    if (ready.length === 0) return;
    try {
      const view = this.domid === undefined ? null : this.sample(this.domid, this.connector);
      if (view) this.tracker = track(this.tracker, view).tracker;
    } catch (e) {
      log.debug(`${this.name}: ${(e as Error).message}`);
      return;
    }
    // Each changed tile is converted to RGBA once per round, whoever takes it.
    const cache = new Map<number, Uint8Array>();
    const rgbaOf = (tile: number): Uint8Array => {
      let rgba = cache.get(tile);
      if (!rgba) cache.set(tile, (rgba = this.tracker.rgba(tile)));
      return rgba;
    };
    let budget = TILES_PER_ROUND;
    const first = this.round++ % ready.length;
    for (let i = 0; i < ready.length && budget > 0; i++) budget -= this.update(ready[(first + i) % ready.length]!, rgbaOf, budget);
  }

  /**
   * Works on the client's pending request with at most `budget` tiles; returns how many it encoded. An update
   * with more tiles than that is assembled over several rounds and sent as one message once whole (clients such
   * as vncsnapshot take the first update after a full request as the screen). Each tile is the pixels of the round
   * that encoded it; one that changed since is sent again with the next update.
   */
  private update(s: RfbSession, rgbaOf: (tile: number) => Uint8Array, budget: number): number {
    const tracker = this.tracker;
    const want = s.pending!;
    if ((tracker.width !== s.width || tracker.height !== s.height) && s.desktopSize) {
      // The client resizes and then asks for the new framebuffer whole.
      s.width = tracker.width;
      s.height = tracker.height;
      s.ledger.forget();
      s.pending = undefined;
      s.assembled = [];
      s.refreshing = false;
      s.send(framebufferUpdate([{ x: 0, y: 0, width: s.width, height: s.height, encoding: ENCODING.DESKTOP_SIZE, data: Buffer.alloc(0) }]), 1);
      return 0;
    }
    const known = { x: 0, y: 0, width: s.width, height: s.height };
    const { tiles, more } = s.ledger.take(
      tracker,
      (tile) => {
        const r = tracker.rect(tile);
        return intersects(r, want) && intersects(r, known);
      },
      budget,
    );
    for (const tile of tiles) {
      const r = tracker.rect(tile);
      const width = Math.min(r.width, s.width - r.x);
      const height = Math.min(r.height, s.height - r.y);
      s.assembled.push({ x: r.x, y: r.y, width, height, encoding: s.encoding, data: encodeRect(s.encoding, crop(rgbaOf(tile), r.width, width, height), s.format) });
    }
    // An incremental request waits for a change; a full one is answered even when there is nothing to send.
    if (more || (s.assembled.length === 0 && want.incremental)) return tiles.length;
    s.send(framebufferUpdate(s.assembled), s.assembled.length);
    s.assembled = [];
    s.pending = undefined;
    s.refreshing = false;
    return tiles.length;
  }
}
