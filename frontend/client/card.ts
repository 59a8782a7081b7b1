// The client library: opens a device node and drives it like libdrm drives /dev/dri/card0. Each call is one
// request on the connection; failures reject with errno-style errors (code, errno, message).
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import type { KmsArgs, KmsOp, KmsResult } from '../../protocol/kms/ops.js';
import { decodeEvents, type KmsEvent, type VblankEvent } from '../../protocol/kms/event.js';
import { PAGE_FLIP } from '../../protocol/kms/constants.js';
import type { ModeInfo } from '../../protocol/kms/mode-info.js';
import { connectChannel, type Channel, type Message } from '../../shared/channel.js';
import { fromErrno, pvError, type ErrnoLike } from '../../shared/errors.js';
import * as native from '../../shared/native/index.js';
import { BufferMapping } from './mapping.js';

interface Pending {
  resolve: (v: { ok: Record<string, unknown>; fds: number[] }) => void;
  reject: (e: ErrnoLike) => void;
}

/** Someone waiting in nextEvent() / nextAnyEvent(): takes an event (true) or refuses it and fails (false). */
interface EventWaiter {
  offer: (e: KmsEvent) => boolean;
  fail: (e: ErrnoLike) => void;
}

/**
 * Events kept for nextEvent() while nobody listens to 'event'; past it the oldest go (counted in droppedEvents).
 * The device holds at most 128 undelivered events per file (its 4096-byte budget), so only an app that never
 * pulls reaches this.
 */
export const MAX_QUEUED_EVENTS = 1024;

export interface CardEvents {
  event: [KmsEvent];
  /** Device add / remove / change announcements (hotplug, link-status, unplug), as on dri/uevent. */
  uevent: [Uevent];
  close: [];
}

export interface Uevent {
  action: 'add' | 'remove' | 'change';
  devname: string;
  hotplug?: 1;
  connector?: number;
}

export class Card extends EventEmitter<CardEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queued: KmsEvent[] = [];
  private eventWaiters: EventWaiter[] = [];
  /** Why no event can come any more (the connection closed, the device was unplugged). */
  private ended: ErrnoLike | undefined;
  /** Events dropped from a full queue (see MAX_QUEUED_EVENTS). */
  droppedEvents = 0;
  private readonly userDataBytes = new Uint8Array(8);
  private readonly userData = new DataView(this.userDataBytes.buffer);

  private constructor(private readonly ch: Channel, private readonly devname: string) {
    super();
    ch.on('message', (m, fds) => this.onMessage(m, fds));
    ch.on('close', () => {
      const err = pvError('ENODEV', 'device connection closed');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.end(err);
      this.emit('close');
    });
  }

  /** Opens a device node (e.g. `$XDG_RUNTIME_DIR/pvdisplay/dri/card0`). ENOENT when there is none. */
  static open(path: string): Card {
    return new Card(connectChannel(path), basename(path));
  }

  /** Events waiting for nextEvent() / nextAnyEvent(). */
  get queuedEvents(): number {
    return this.queued.length;
  }

  /** No event will come any more: every waiter fails with `err`, and later waits once the queue is empty. */
  private end(err: ErrnoLike): void {
    this.ended ??= err;
    for (const w of this.eventWaiters.splice(0)) w.fail(this.ended);
  }

  /** An event goes to the first waiter that takes it; else it is kept for a later nextEvent(), unless an 'event' listener has it. */
  private dispatchEvent(e: KmsEvent): void {
    let taken = false;
    // A waiter that refuses the event has failed (EPROTO) and is done too; the event goes on to the next one.
    while (!taken && this.eventWaiters.length > 0) taken = this.eventWaiters.shift()!.offer(e);
    if (!taken && this.listenerCount('event') === 0) {
      if (this.queued.length >= MAX_QUEUED_EVENTS) {
        this.queued.shift();
        this.droppedEvents++;
      }
      this.queued.push(e);
    }
    this.emit('event', e);
  }

  close(): void {
    this.ch.close();
  }

  private onMessage(m: Message, fds: number[]): void {
    if (m.ev instanceof Uint8Array) {
      for (const fd of fds) native.close(fd);
      for (const e of decodeEvents(m.ev)) this.dispatchEvent(e);
      return;
    }
    if (typeof m.uevent === 'object' && m.uevent !== null) {
      for (const fd of fds) native.close(fd);
      const ev = m.uevent as Uevent;
      // The device went away: the events it still owed came before this, no other will come.
      if (ev.action === 'remove' && ev.devname === this.devname) this.end(pvError('ENODEV', `${this.devname} was unplugged`));
      this.emit('uevent', ev);
      return;
    }
    const p = typeof m.re === 'number' ? this.pending.get(m.re) : undefined;
    if (!p) {
      for (const fd of fds) native.close(fd);
      return;
    }
    this.pending.delete(m.re as number);
    const err = m.err as { errno?: unknown; message?: unknown } | undefined;
    if (err) {
      for (const fd of fds) native.close(fd);
      p.reject(fromErrno(Number(err.errno), String(err.message ?? 'request failed')));
    } else p.resolve({ ok: (m.ok ?? {}) as Record<string, unknown>, fds });
  }

  private request(op: KmsOp, args: object, fds: number[] = []): Promise<{ ok: Record<string, unknown>; fds: number[] }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.ch.send({ id, op, args: args as Record<string, unknown> }, fds);
      } catch (e) {
        this.pending.delete(id);
        reject(e as ErrnoLike);
      }
    });
  }

  /** Any operation of the device-node protocol, typed. */
  async call<O extends KmsOp>(op: O, args: KmsArgs<O>): Promise<KmsResult<O>> {
    const { ok, fds } = await this.request(op, args);
    for (const fd of fds) native.close(fd);
    return ok as KmsResult<O>;
  }

  /**
   * An operation whose request or reply carries fds (fences, PRIME): sends `fds` along and returns the result with
   * the fds of the reply, which the caller owns.
   */
  async callWithFds<O extends KmsOp>(op: O, args: KmsArgs<O>, fds: number[] = []): Promise<{ result: KmsResult<O>; fds: number[] }> {
    const { ok, fds: got } = await this.request(op, args, fds);
    return { result: ok as KmsResult<O>, fds: got };
  }

  /**
   * The next event of a flip or vblank wait. EPROTO if the next event is a CRTC sequence event, which stays queued
   * for nextAnyEvent(). ENODEV once no event can come (connection closed, device unplugged) and none is queued.
   */
  nextEvent(timeoutMs = 5000): Promise<VblankEvent> {
    return this.waitEvent(timeoutMs, (e): e is VblankEvent => e.type !== 3, 'next event is a CRTC_SEQUENCE event; use nextAnyEvent()');
  }

  /** The next event of any type (already queued, or the next to arrive). */
  nextAnyEvent(timeoutMs = 5000): Promise<KmsEvent> {
    return this.waitEvent(timeoutMs, (_e): _e is KmsEvent => true, '');
  }

  /** The next event if `wanted`; an unwanted one stays queued and the wait fails with EPROTO (`why`). */
  private waitEvent<E extends KmsEvent>(timeoutMs: number, wanted: (e: KmsEvent) => e is E, why: string): Promise<E> {
    const head = this.queued[0];
    if (head) {
      if (!wanted(head)) return Promise.reject(pvError('EPROTO', why));
      this.queued.shift();
      return Promise.resolve(head);
    }
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.eventWaiters = this.eventWaiters.filter((w) => w !== waiter);
        reject(pvError('ETIMEDOUT', `no event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: EventWaiter = {
        offer: (e) => {
          clearTimeout(timer);
          if (wanted(e)) {
            resolve(e);
            return true;
          }
          reject(pvError('EPROTO', why));
          return false;
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.eventWaiters.push(waiter);
    });
  }

  // ---- libdrm-style helpers ----

  createDumb(width: number, height: number, bpp: number): Promise<KmsResult<'MODE_CREATE_DUMB'>> {
    return this.call('MODE_CREATE_DUMB', { width, height, bpp, flags: 0 });
  }

  /** MAP_DUMB as it is on the wire: the buffer's memfd (the caller owns it), the offset and size to map. */
  async mapDumbFd(handle: number): Promise<KmsResult<'MODE_MAP_DUMB'> & { fd: number }> {
    const { ok, fds } = await this.request('MODE_MAP_DUMB', { handle });
    if (fds.length !== 1) {
      for (const fd of fds) native.close(fd);
      throw pvError('EPROTO', 'MAP_DUMB reply carried no fd');
    }
    return { ...(ok as KmsResult<'MODE_MAP_DUMB'>), fd: fds[0]! };
  }

  /** PRIME export: an fd for the buffer's memory (the caller owns it; it is close-on-exec). */
  async primeHandleToFd(handle: number, flags = 0o2000002): Promise<number> {
    const { fds } = await this.request('PRIME_HANDLE_TO_FD', { handle, flags });
    if (fds.length !== 1) {
      for (const fd of fds) native.close(fd);
      throw pvError('EPROTO', 'PRIME_HANDLE_TO_FD reply carried no fd');
    }
    return fds[0]!;
  }

  /** PRIME import: this file's handle for the buffer behind `fd` (the caller keeps its fd). */
  async primeFdToHandle(fd: number): Promise<number> {
    const { ok } = await this.request('PRIME_FD_TO_HANDLE', {}, [fd]);
    return (ok as KmsResult<'PRIME_FD_TO_HANDLE'>).handle;
  }

  /** Maps a dumb buffer: a typed array over the shared pages the backend scans out. */
  async mapDumb(handle: number): Promise<BufferMapping> {
    const { fd, offset, size } = await this.mapDumbFd(handle);
    return new BufferMapping(fd, offset, size);
  }

  destroyDumb(handle: number): Promise<KmsResult<'MODE_DESTROY_DUMB'>> {
    return this.call('MODE_DESTROY_DUMB', { handle });
  }

  async addFb2(width: number, height: number, pixelFormat: number, handle: number, pitch: number): Promise<number> {
    const r = await this.call('MODE_ADDFB2', { width, height, pixel_format: pixelFormat, flags: 0, handles: [handle, 0, 0, 0], pitches: [pitch, 0, 0, 0], offsets: [0, 0, 0, 0] });
    return r.fb_id;
  }

  rmFb(fbId: number): Promise<KmsResult<'MODE_RMFB'>> {
    return this.call('MODE_RMFB', { fb_id: fbId });
  }

  setCrtc(crtcId: number, fbId: number, x: number, y: number, connectors: number[], mode: ModeInfo | null): Promise<KmsResult<'MODE_SETCRTC'>> {
    return this.call('MODE_SETCRTC', { crtc_id: crtcId, fb_id: fbId, x, y, connectors, mode });
  }

  pageFlip(crtcId: number, fbId: number, userData: bigint, flags: number = PAGE_FLIP.EVENT): Promise<KmsResult<'MODE_PAGE_FLIP'>> {
    // The packet is encoded before call() returns, so one scratch array serves every flip.
    this.userData.setBigUint64(0, BigInt.asUintN(64, userData), true);
    return this.call('MODE_PAGE_FLIP', { crtc_id: crtcId, fb_id: fbId, flags, user_data: this.userDataBytes });
  }
}
