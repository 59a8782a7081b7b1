// A message channel over a Unix SOCK_SEQPACKET socket: one msgpack-encoded map per packet, fds riding along
// with SCM_RIGHTS. Both the control channel (frontend ↔ backend) and the device node (client ↔ frontend) use it.
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { decodePacket, encodePacket } from './packet-codec.js';
import * as native from './native/index.js';
import { asErrno, pvError, type ErrnoLike } from './errors.js';

/** Largest packet either side accepts; bigger ones are a protocol error (EMSGSIZE). */
export const MAX_PACKET = 256 * 1024;

export type Message = Record<string, unknown>;

/**
 * Every channel's packets land here, one at a time: each is decoded (into values that do not refer to it) before
 * the next is received, so no packet costs a buffer of its own. Written through at once (a zeroed allocation of this
 * size is fresh mmapped pages, not yet resident), so that its pages are held from the start rather than added to
 * the process's RSS by the first big packet.
 */
const INBOX = Buffer.allocUnsafe(MAX_PACKET).fill(0);

/**
 * Bounds of the send queue (packets the peer's socket had no room for). Past `soft` the channel is backlogged:
 * a server stops reading that peer's requests (see `pauseReads`) and waits before answering more (`whenDrained`).
 * Past `hard` the peer is not reading at all and the channel is closed with ENOBUFS: what one peer makes this
 * process hold stays bounded (queued fds are duplicates, so they count against this process's fd table).
 */
export interface QueueLimits {
  soft: { packets: number; bytes: number; fds: number };
  hard: { packets: number; bytes: number; fds: number };
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  soft: { packets: 64, bytes: MAX_PACKET, fds: 8 },
  hard: { packets: 4096, bytes: 16 * MAX_PACKET, fds: 256 },
};

export interface ChannelOptions {
  limits?: QueueLimits;
  /** Stop reading the peer's packets while the send queue is backlogged (servers of untrusted clients). */
  pauseReads?: boolean;
}

interface Queued {
  data: Buffer;
  fds: number[]; // duplicates owned by the queue, closed once sent
  onSent: (() => void) | undefined;
}

export interface ChannelEvents {
  message: [msg: Message, fds: number[]];
  close: [err: ErrnoLike | undefined];
}

/**
 * Owns the socket fd. Received fds belong to the 'message' listener, which must close the ones it does not keep.
 * A peer that sends something undecodable gets the channel closed with EPROTO: it can never crash this process.
 */
export class Channel extends EventEmitter<ChannelEvents> {
  private readonly watcher: native.Watcher;
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private queuedFds = 0;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private readonly limits: QueueLimits;
  private readonly pauseReads: boolean;

  constructor(readonly fd: number, options: ChannelOptions = {}) {
    super();
    this.limits = options.limits ?? DEFAULT_QUEUE_LIMITS;
    this.pauseReads = options.pauseReads ?? false;
    this.watcher = native.watch(fd, 'r', (err, readable, writable) => {
      if (err) return this.close(err);
      if (writable) this.flush();
      if (readable && !this.readsPaused) this.drain();
    });
  }

  /** Packets, bytes and fds waiting for room in the peer's socket. */
  get queued(): { packets: number; bytes: number; fds: number } {
    return { packets: this.queue.length, bytes: this.queuedBytes, fds: this.queuedFds };
  }

  /** The send queue is past its soft bound: the peer reads slower than it is sent to. */
  get backlogged(): boolean {
    const s = this.limits.soft;
    return this.queue.length >= s.packets || this.queuedBytes >= s.bytes || this.queuedFds >= s.fds;
  }

  private get readsPaused(): boolean {
    return this.pauseReads && this.backlogged;
  }

  /** Resolves once the channel is no longer backlogged (or is closed). */
  whenDrained(): Promise<void> {
    if (!this.backlogged || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Sends one message; fds are duplicated if the packet has to wait, so the caller may close its own at once.
   * `onSent` runs once the packet has left for the peer's socket (never if the channel closes first).
   */
  send(msg: Message, fds: number[] = [], onSent?: () => void): void {
    if (this.closed) throw pvError('EPIPE', 'channel is closed');
    const data = encodePacket(msg);
    if (data.length > MAX_PACKET) throw pvError('EMSGSIZE', `message of ${data.length} bytes exceeds ${MAX_PACKET}`);
    if (this.queue.length === 0 && this.trySend(data, fds)) {
      if (!this.closed) onSent?.();
      return;
    }
    const h = this.limits.hard;
    if (this.queue.length + 1 > h.packets || this.queuedBytes + data.length > h.bytes || this.queuedFds + fds.length > h.fds) {
      return this.close(pvError('ENOBUFS', `the peer does not read: ${this.queue.length} packets, ${this.queuedBytes} bytes, ${this.queuedFds} fds queued`));
    }
    this.queue.push({ data, fds: fds.map((fd) => native.dup(fd)), onSent });
    this.queuedBytes += data.length;
    this.queuedFds += fds.length;
    this.watcher.set(this.readsPaused ? 'w' : 'rw');
  }

  /**
   * Sends like send(), but a message that cannot be sent (too big, channel gone) closes this channel with that
   * error instead of throwing: for servers answering a peer, where a failed reply must cost that peer only.
   */
  post(msg: Message, fds: number[] = [], onSent?: () => void): boolean {
    if (this.closed) return false;
    try {
      this.send(msg, fds, onSent);
      return this.isOpen;
    } catch (e) {
      this.close(asErrno(e));
      return false;
    }
  }

  close(err?: ErrnoLike): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    for (const q of this.queue.splice(0)) for (const fd of q.fds) native.close(fd);
    this.queuedBytes = 0;
    this.queuedFds = 0;
    native.close(this.fd);
    this.wakeDrainWaiters();
    this.emit('close', err);
  }

  private trySend(data: Buffer, fds: number[]): boolean {
    try {
      return native.send(this.fd, data, fds);
    } catch (e) {
      this.close(e as ErrnoLike);
      return true; // nothing more can be sent; the close event tells the owner
    }
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      if (!this.trySend(head.data, head.fds)) break;
      // A failed send closed the channel, and with it every queued fd: the head's must not be closed again.
      if (this.closed) return;
      this.queue.shift();
      this.queuedBytes -= head.data.length;
      this.queuedFds -= head.fds.length;
      for (const fd of head.fds) native.close(fd);
      if (!this.closed) head.onSent?.();
    }
    if (this.closed) return;
    if (this.queue.length === 0) this.watcher.set('r');
    else if (!this.readsPaused) this.watcher.set('rw');
    if (!this.backlogged) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private drain(): void {
    // Bounded so that one chatty peer cannot starve the rest of the event loop.
    for (let n = 0; n < 64 && !this.closed && !this.readsPaused; n++) {
      const fds: number[] = [];
      let length: number | null;
      try {
        length = native.recvInto(this.fd, INBOX, fds);
      } catch (e) {
        return this.close(e as ErrnoLike);
      }
      if (length === null) return;
      if (length === 0) {
        for (const fd of fds) native.close(fd); // an empty packet can still carry fds
        return this.close();
      }
      let msg: unknown;
      try {
        msg = decodePacket(INBOX, length);
      } catch {
        msg = undefined;
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        for (const fd of fds) native.close(fd);
        return this.close(pvError('EPROTO', 'peer sent a packet that is not a msgpack map'));
      }
      this.emit('message', msg as Message, fds);
    }
  }
}

/** Connects to a listening SEQPACKET socket and wraps it. */
export function connectChannel(path: string): Channel {
  return new Channel(native.connect(path));
}

/**
 * A socket path left behind by a process that died (SIGKILL leaves no chance to unlink) is removed; a path with
 * a live listener is EADDRINUSE, so two servers never share one path. The probe is a connect and a close, which
 * a server must not count as a peer.
 */
export function reclaimStale(path: string): void {
  let fd: number;
  try {
    fd = native.connect(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ECONNREFUSED') rmSync(path, { force: true });
    return; // ENOENT: nothing there; anything else: listen() will say what is wrong
  }
  native.close(fd);
  throw pvError('EADDRINUSE', `${path} is served by a running process`);
}

/** Accepts connections on a listening socket until closed; each becomes a Channel. */
export class Listener {
  private readonly watcher: native.Watcher;
  private readonly fd: number;
  private closed = false;

  constructor(readonly path: string, onChannel: (ch: Channel) => void, backlog = 64, options: ChannelOptions = {}) {
    reclaimStale(path);
    this.fd = native.listen(path, backlog);
    this.watcher = native.watch(this.fd, 'r', (err) => {
      if (err || this.closed) return;
      for (;;) {
        let fd: number | null;
        try {
          fd = native.accept(this.fd);
        } catch {
          return; // e.g. ECONNABORTED or EMFILE: the next readiness tries again
        }
        if (fd === null) return;
        onChannel(new Channel(fd, options));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    native.close(this.fd);
    rmSync(this.path, { force: true });
  }
}
