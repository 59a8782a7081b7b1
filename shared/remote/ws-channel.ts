// The remote transport's link: control messages and ring packets as msgpack maps in binary WebSocket frames.
// Outgoing messages wait in one ordered queue; an entry may be a function that makes its messages only when the
// socket has room (a buffer's changed bytes), so a slow link holds the latest state of a buffer, never a pile of
// stale copies. Incoming messages are validated and handled one at a time, in order (a `data` message inflates
// before the ring packet behind it is looked at); past a few waiting, the socket is paused (TCP backpressure).
// A peer that sends a text frame, something undecodable or malformed, or more than a frame's bound is closed with
// EPROTO (ws closes an oversized frame with 1009); a link that answers no ping for a while is closed ETIMEDOUT.
import { EventEmitter } from 'node:events';
import msgpack from 'msgpack-lite';
import WebSocket from 'ws';
import type { ChannelEvents, Message } from '../channel.js';
import type { MessageChannel } from '../message-channel.js';
import { MAX_REMOTE_MESSAGE, parseRemote, type RemoteMessage } from '../../protocol/bus/remote.js';
import { asErrno, pvError, type ErrnoLike } from '../errors.js';
import * as native from '../native/index.js';
import { logger } from '../log.js';

const log = logger('remote');

type Outgoing = Buffer | (() => Promise<Buffer[]>);

/** Bytes handed to the socket and not yet written, past which the queue waits. */
const HIGH_WATER = 1024 * 1024;
/** Queued entries and bytes past which the peer is not reading at all: closed with ENOBUFS. */
const MAX_QUEUED = { entries: 4096, bytes: 64 * 1024 * 1024 };
/** Incoming messages waiting to be handled past which the socket is paused, and where it resumes. */
const IN_PAUSE = 8;
const IN_RESUME = 2;
/** A ping every this many ms; this many unanswered in a row close the link. */
const PING_MS = 10_000;
const PINGS_MISSED = 3;

export abstract class WsChannel extends EventEmitter<ChannelEvents> implements MessageChannel {
  private readonly out: Outgoing[] = [];
  private queuedBytes = 0;
  private pumping = false;
  private inbound: Promise<void> = Promise.resolve();
  private waiting = 0;
  private closed = false;
  private missed = 0;
  private readonly pinger: NodeJS.Timeout;

  constructor(protected readonly ws: WebSocket) {
    super();
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('open', () => void this.pump());
    ws.on('pong', () => (this.missed = 0));
    ws.on('close', (code, reason) => this.close(code === 1000 ? undefined : pvError(code === 1009 ? 'EMSGSIZE' : 'ECONNRESET', `link closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`)));
    ws.on('error', (e: NodeJS.ErrnoException) => this.close(this.linkError(e)));
    this.pinger = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      if (++this.missed > PINGS_MISSED) return this.close(pvError('ETIMEDOUT', `the peer answered no ping for ${PINGS_MISSED * PING_MS} ms`));
      this.ws.ping();
    }, PING_MS);
    this.pinger.unref();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** What a socket or handshake error means to the user. */
  protected linkError(e: NodeJS.ErrnoException): ErrnoLike {
    if (/Unexpected server response: 401/.test(e.message)) return pvError('EACCES', 'the backend refused this token');
    // ws's own codes: a frame over the bound, or one that breaks the WebSocket framing.
    if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return pvError('EMSGSIZE', `the peer sent a frame over ${MAX_REMOTE_MESSAGE} bytes`);
    if (e.code?.startsWith('WS_ERR_')) return pvError('EPROTO', `the peer broke the WebSocket framing: ${e.message}`);
    return pvError(e.code && /^E[A-Z]+$/.test(e.code) ? e.code : 'ECONNRESET', `link: ${e.message}`);
  }

  /** A message from this side's channel user (fds are the caller's; subclasses stand in for them). */
  abstract send(msg: Message, fds?: number[]): void;

  /** A validated message from the peer, handled before the next one is looked at. */
  protected abstract receive(msg: RemoteMessage): Promise<void> | void;

  /** Lets go of what the subclass holds for the link (mirrors, event channels); runs once, at close. */
  protected abstract teardown(): void;

  /** Queues one message for the peer. */
  protected post(msg: Record<string, unknown>): void {
    const data = msgpack.encode(msg);
    if (data.length > MAX_REMOTE_MESSAGE) throw pvError('EMSGSIZE', `message of ${data.length} bytes exceeds ${MAX_REMOTE_MESSAGE}`);
    this.enqueue(data);
  }

  /** Queues messages that are made when the socket has room, in their place in the order. */
  protected postLater(make: () => Promise<Buffer[]>): void {
    this.enqueue(make);
  }

  /** Hands a message to this side's channel user, as a Unix-socket Channel would. */
  protected deliver(msg: Record<string, unknown>, fds: number[] = []): void {
    if (this.closed) {
      for (const fd of fds) native.close(fd);
      return;
    }
    this.emit('message', msg as Message, fds);
  }

  private enqueue(item: Outgoing): void {
    if (this.closed) throw pvError('EPIPE', 'the link is closed');
    const bytes = Buffer.isBuffer(item) ? item.length : 0;
    if (this.out.length + 1 > MAX_QUEUED.entries || this.queuedBytes + bytes > MAX_QUEUED.bytes) {
      return this.close(pvError('ENOBUFS', `the peer does not read: ${this.out.length} messages, ${this.queuedBytes} bytes queued`));
    }
    this.out.push(item);
    this.queuedBytes += bytes;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.ws.readyState !== WebSocket.OPEN) return;
    this.pumping = true;
    try {
      while (!this.closed && this.out.length > 0 && this.ws.bufferedAmount < HIGH_WATER) {
        const item = this.out.shift()!;
        let bufs: Buffer[];
        if (Buffer.isBuffer(item)) {
          this.queuedBytes -= item.length;
          bufs = [item];
        } else bufs = await item();
        if (this.closed) return;
        for (const b of bufs) this.ws.send(b, (err) => void (err ? undefined : this.pump()));
      }
    } catch (e) {
      this.close(asErrno(e));
    } finally {
      this.pumping = false;
    }
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    let raw: unknown;
    try {
      raw = isBinary ? msgpack.decode(data) : undefined;
    } catch {
      raw = undefined;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Buffer.isBuffer(raw)) return this.close(pvError('EPROTO', 'the peer sent a frame that is not a msgpack map'));
    let msg: RemoteMessage;
    try {
      msg = parseRemote(raw as Record<string, unknown>);
    } catch (e) {
      return this.close(pvError('EPROTO', `the peer sent a malformed message: ${asErrno(e).message}`));
    }
    if (++this.waiting >= IN_PAUSE && !this.ws.isPaused) this.ws.pause();
    this.inbound = this.inbound.then(async () => {
      try {
        if (!this.closed) await this.receive(msg);
      } catch (e) {
        this.close(asErrno(e));
      } finally {
        if (--this.waiting <= IN_RESUME && this.ws.isPaused && !this.closed) this.ws.resume();
      }
    });
  }

  close(err?: ErrnoLike): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    this.out.length = 0;
    this.queuedBytes = 0;
    if (err) log.debug(`link closed: ${err.message}`);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(err ? (err.code === 'EPROTO' ? 1002 : 1011) : 1000, err && closeReason(err.message));
    else this.ws.terminate();
    this.teardown();
    this.emit('close', err);
  }
}

/** A close reason within the 123 bytes RFC 6455 allows (ws throws past that), cut at a character boundary. */
function closeReason(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= 123) return message;
  let end = 123;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
