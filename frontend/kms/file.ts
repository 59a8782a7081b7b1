// One open file of the device (one client connection): its GEM handles, framebuffers, client caps, DRM-master
// bookkeeping, the budget of its event queue and where its events go (its connection, or an event sink).
import { DRM_CLIENT_CAP, EVENT_SPACE } from '../../protocol/kms/constants.js';
import { EVENT_SIZE } from '../../protocol/kms/event.js';
import { pvError } from '../../shared/errors.js';
import type { GemObject } from './gem.js';
import type { Framebuffer } from './framebuffer.js';
import type { Account, Budget } from './budget.js';
import type { EventOut } from './event-sink.js';

export class DrmFile implements Account {
  readonly handles = new Map<number, GemObject>();
  readonly fbs = new Set<Framebuffer>();
  readonly clientCaps = new Map<number, number>();
  /** What this file holds of each of the device's budgets. */
  readonly usage = new Map<Budget, number>();
  /** PRIME import cache: the handle this file got for an object through export or import. */
  readonly primeCache = new Map<GemObject, number>();
  /** Ever been DRM master: only such a file may take master again (non-root rule, K-MA-06). */
  wasMaster = false;
  authenticated = false;
  /** Set by SET_VERSION 1.1+: GET_UNIQUE then answers the device's bus id (drm_set_busid). */
  busidSet = false;
  /** Whether uevent packets go on the connection (PVD_EVENT_FD may opt out). */
  uevents = true;
  private eventBytes = 0;
  private out: EventOut;
  private redirected = false;

  constructor(
    readonly id: number,
    /** Unique non-zero number handed out by GET_MAGIC. */
    readonly magic: number,
    /** Sends an event record on the connection; `onSent` runs once it has left for the client's socket. */
    sendEvent: (record: Uint8Array, onSent: () => void) => void,
  ) {
    this.out = { push: sendEvent, end: () => undefined };
  }

  cap(c: number): boolean {
    return (this.clientCaps.get(c) ?? 0) !== 0;
  }

  get atomic(): boolean {
    return this.cap(DRM_CLIENT_CAP.ATOMIC);
  }

  /** The lowest free handle ≥ 1, as the kernel's idr hands them out. */
  newHandle(obj: GemObject): number {
    let h = 1;
    while (this.handles.has(h)) h++;
    this.handles.set(h, obj);
    return h;
  }

  /** Reserves room for one event, or ENOMEM past the kernel's 4096-byte budget (K-EV-07). */
  reserveEvent(): void {
    if (this.eventBytes + EVENT_SIZE > EVENT_SPACE) throw pvError('ENOMEM', 'event queue budget exhausted');
    this.eventBytes += EVENT_SIZE;
  }

  /** Gives back a reservation whose event will never be sent (a failed or cancelled request). */
  unreserveEvent(): void {
    this.eventBytes -= EVENT_SIZE;
  }

  /** Sends a reserved event; its room is freed once it has left. */
  deliver(record: Uint8Array): void {
    this.out.push(record, () => {
      this.eventBytes -= EVENT_SIZE;
    });
  }

  /** From now on events go to `out` (once per file: EBUSY after that). */
  redirectEvents(out: EventOut): void {
    if (this.redirected) throw pvError('EBUSY', 'this file already has an event sink');
    this.redirected = true;
    this.out = out;
  }

  /** The file is closed (queued events dropped) or its device unplugged (queued events still written). */
  endEvents(drain: boolean): void {
    this.out.end(drain);
  }
}
