// Every screen of the backend over VNC, one TCP port each. Frontends take slots in the order they connect (the
// lowest free slot first, so a frontend that reconnects gets the ports it had); connector c of the frontend in
// slot s is served on base port + s * (connectors per frontend) + c, and with base port 0 each screen gets a free
// port of its own. Slot 0's ports are bound at start and stay bound (showing the last frame while no frontend
// has the slot), so a port in use fails the backend's start and a client can connect before any frontend does.
// Any other slot's ports close when its frontend leaves: what the backend holds follows the frontends it has.
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { ConnectorSpec } from '../../display/pipeline.js';
import type { PeerStatus } from '../../server.js';
import { LIMITS } from '../../limits.js';
import { pvError } from '../../../shared/errors.js';
import { logger } from '../../../shared/log.js';
import type { FrameView } from '../../../shared/pixels/frame.js';
import { VncScreen, type VncScreenStats } from './vnc-screen.js';

const log = logger('vnc');

/** What the VNC server reads from the backend. */
export interface VncSource {
  readonly config: { readonly connectors: readonly ConnectorSpec[] };
  status(): PeerStatus[];
  sample(domid: number, connector: number): FrameView | null;
}

export interface VncOptions {
  host: string;
  port: number;
  /** VNC authentication with this password; required off loopback. */
  password: string | undefined;
}

export interface VncHubEvents {
  /** A screen is listening, or its slot was given to a frontend. */
  screen: [screen: VncScreenStats];
}

const RECONCILE_MS = 1000;

/** 127.0.0.0/8, ::1 and "localhost": where None security is allowed. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export class VncHub extends EventEmitter<VncHubEvents> {
  /** Per slot, its screens (one per connector); undefined for a slot closed since. */
  private readonly slots: (VncScreen[] | undefined)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private closed = false;
  private again = false;
  /** Frontends that got no screens (ports past 65535, in use, or past the slot limit): warned about once. */
  private readonly unplaced = new Set<number>();

  constructor(
    private readonly source: VncSource,
    private readonly options: VncOptions,
  ) {
    super();
    if (options.password === undefined && !isLoopback(options.host)) {
      throw pvError('EACCES', `--vnc ${options.host}: off loopback VNC needs a password (None security is loopback only)`);
    }
  }

  /** Binds slot 0's ports, then follows the backend's frontends; rejects (nothing left bound) when one cannot be bound. */
  async listen(): Promise<void> {
    await this.open(0);
    this.timer = setInterval(() => this.reconcile(), RECONCILE_MS);
    this.timer.unref();
  }

  /** Gives each frontend without a slot the lowest free one, and frees the slots of frontends that left. */
  reconcile(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.settle().finally(() => {
      this.busy = false;
      if (!this.again) return;
      this.again = false;
      this.reconcile();
    });
  }

  stats(): { screens: VncScreenStats[] } {
    return { screens: this.slots.flatMap((screens) => screens?.map((s) => s.stats()) ?? []) };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const screens of this.slots) for (const s of screens ?? []) s.close();
  }

  /** One pass of reconcile(); passes never overlap, so two frontends never get one slot. */
  private async settle(): Promise<void> {
    const live = new Set(this.source.status().map((p) => p.domid));
    for (const [slot, screens] of this.slots.entries()) {
      if (!screens) continue;
      for (const s of screens) if (s.domid !== undefined && !live.has(s.domid)) s.domid = undefined;
      if (slot === 0 || screens.some((s) => s.domid !== undefined)) continue;
      for (const s of screens) s.close();
      this.slots[slot] = undefined;
    }
    const placed = new Set(this.slots.flatMap((screens) => screens?.map((s) => s.domid) ?? []));
    for (const domid of live) {
      if (placed.has(domid) || this.unplaced.has(domid)) continue;
      let slot = this.slots.findIndex((screens) => !screens || screens.every((s) => s.domid === undefined));
      if (slot < 0) slot = this.slots.length;
      try {
        if (slot >= LIMITS.frontends) throw pvError('ENOSPC', `all ${LIMITS.frontends} slots are taken`);
        const screens = this.slots[slot] ?? (await this.open(slot));
        for (const s of screens) {
          s.domid = domid;
          this.emit('screen', s.stats());
        }
      } catch (e) {
        this.unplaced.add(domid);
        log.warn(`no VNC screens for domain ${domid}: ${(e as Error).message}`);
      }
    }
    for (const domid of this.unplaced) if (!live.has(domid)) this.unplaced.delete(domid);
  }

  /** Listens on every connector's port of slot `slot` (a closed or a new one); all or none. */
  private async open(slot: number): Promise<VncScreen[]> {
    const connectors = this.source.config.connectors;
    const base = this.options.port === 0 ? 0 : this.options.port + slot * connectors.length;
    if (base !== 0 && base + connectors.length - 1 > 65535) throw pvError('EINVAL', `port ${base + connectors.length - 1} would be past 65535`);
    const screens = connectors.map((c, i) => new VncScreen(slot, i, c, this.options.password, (d, n) => this.source.sample(d, n)));
    try {
      for (const [i, s] of screens.entries()) await s.listen(this.options.host, base === 0 ? 0 : base + i);
      if (this.closed) throw pvError('ECANCELED', 'the VNC server closed meanwhile');
    } catch (e) {
      for (const s of screens) s.close();
      throw e;
    }
    this.slots[slot] = screens;
    for (const s of screens) this.emit('screen', s.stats());
    return screens;
  }
}
