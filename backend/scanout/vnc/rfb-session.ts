// One VNC client of one screen, RFB 3.3 / 3.7 / 3.8 (RFC 6143): the handshake (None security, or VNC
// authentication when the screen has a password), then the client's messages, parsed from a bounded buffer. The
// client is view-only: key, pointer and cut-text input is read and dropped. Anything malformed closes this client
// alone with an errno-style reason; nothing a client sends makes the backend hold more than a few KiB for it.
import type { Socket } from 'node:net';
import { pvError, type PvError } from '../../../shared/errors.js';
import { logger } from '../../../shared/log.js';
import { chooseEncoding, ENCODING, type Rect, type ServedEncoding } from './encodings.js';
import { decodePixelFormat, encodePixelFormat, SERVER_FORMAT, type RfbPixelFormat } from './pixel-format.js';
import { CHALLENGE_BYTES, checkResponse, newChallenge } from './vnc-auth.js';
import { TileLedger } from '../viewer/tile-ledger.js';
import type { TileRect } from '../viewer/damage.js';

const log = logger('vnc');

const SECURITY_NONE = 1;
const SECURITY_VNC = 2;
/** More encodings than any client lists: a longer SetEncodings is a hostile one. */
const MAX_ENCODINGS = 1024;
/** Cut text is dropped as it streams in; past this a client is closed rather than read forever. */
const MAX_CUT_TEXT = 1024 * 1024;
/** A client that has not finished the handshake by then is closed (it holds one of the screen's client slots). */
const HANDSHAKE_MS = 30_000;

type State = 'version' | 'security' | 'auth' | 'init' | 'normal' | 'closed';

export interface SessionScreen {
  /** The password of VNC authentication; None security when undefined. */
  readonly password: string | undefined;
  readonly name: string;
  /** The framebuffer size a client is told at ServerInit. */
  size(): { width: number; height: number };
}

export interface RfbSessionStats {
  id: number;
  peer: string;
  version: string;
  encoding: string;
  updates: number;
  rects: number;
  bytes: number;
  buffered: number;
}

export class RfbSession {
  // What the screen's update rounds read and write.
  format: RfbPixelFormat = SERVER_FORMAT;
  encoding: ServedEncoding = ENCODING.RAW;
  desktopSize = false;
  /** The framebuffer size this client knows. */
  width = 0;
  height = 0;
  /** The area asked for by FramebufferUpdateRequests not yet answered; `incremental` false when any one was not. */
  pending: (TileRect & { incremental: boolean }) | undefined;
  readonly ledger = new TileLedger();
  /** A full refresh asked for and not yet sent: asking again meanwhile does not restart it. */
  refreshing = false;
  /** Rectangles of the update being assembled (over several rounds when it has many tiles). */
  assembled: Rect[] = [];
  /** Why this client was closed, when it was for something it did. */
  failure: string | undefined;
  updates = 0;
  rects = 0;
  bytes = 0;
  // The protocol's own state.
  private state: State = 'version';
  private input: Buffer = Buffer.alloc(0);
  private minor = 8;
  private challenge: Buffer | undefined;
  private refused = false;
  private cutTextLeft = 0;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly screen: SessionScreen,
    private readonly onClose: (s: RfbSession) => void,
  ) {
    this.deadline = setTimeout(() => this.fail(pvError('ETIMEDOUT', `no complete handshake within ${HANDSHAKE_MS / 1000} s`)), HANDSHAKE_MS);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed());
    socket.write('RFB 003.008\n');
  }

  get peer(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** Ready for a FramebufferUpdate: asked for one, and what was sent before has left (a slow reader gets the latest state later). */
  wants(maxBuffered: number): boolean {
    return this.state === 'normal' && this.pending !== undefined && this.socket.writableLength < maxBuffered;
  }

  send(message: Buffer, rects: number): void {
    if (this.state === 'closed') return;
    this.socket.write(message);
    this.updates++;
    this.rects += rects;
    this.bytes += message.length;
  }

  close(): void {
    this.socket.destroy();
  }

  stats(): RfbSessionStats {
    const encoding = this.encoding === ENCODING.TIGHT ? 'tight' : 'raw';
    return { id: this.id, peer: this.peer, version: `3.${this.minor}`, encoding, updates: this.updates, rects: this.rects, bytes: this.bytes, buffered: this.socket.writableLength };
  }

  private closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.deadline);
    this.onClose(this);
  }

  private fail(e: PvError): void {
    this.failure = e.message;
    log.info(`client ${this.peer} of ${this.screen.name} closed: ${e.message}`);
    // A refusal still has its SecurityResult to deliver: refuse() ends the socket and destroys it once written.
    if (!this.refused) this.socket.destroy();
    this.closed();
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    try {
      for (;;) {
        if (this.cutTextLeft > 0) {
          const skip = Math.min(this.cutTextLeft, this.input.length);
          this.cutTextLeft -= skip;
          this.input = this.input.subarray(skip);
        }
        const used = this.step(this.input);
        if (used === 0) break;
        this.input = this.input.subarray(used);
      }
    } catch (e) {
      this.fail(e as PvError);
      return;
    }
    // Every message is parsed as soon as it is whole and none is longer than a SetEncodings of MAX_ENCODINGS.
    if (this.input.length > 4 + 4 * MAX_ENCODINGS) this.fail(pvError('EMSGSIZE', 'unparsed input over its bound'));
    // A copy, so that a small remainder does not pin a large chunk.
    else if (this.input.length > 0) this.input = Buffer.from(this.input);
  }

  /** Handles one whole message at the start of `b`; returns the bytes it used, 0 when more must arrive first. */
  private step(b: Buffer): number {
    switch (this.state) {
      case 'version':
        return b.length < 12 ? 0 : this.version(b);
      case 'security':
        return b.length < 1 ? 0 : this.security(b[0]!);
      case 'auth':
        return b.length < CHALLENGE_BYTES ? 0 : this.auth(b.subarray(0, CHALLENGE_BYTES));
      case 'init':
        return b.length < 1 ? 0 : this.init();
      case 'normal':
        return b.length < 1 ? 0 : this.message(b);
      case 'closed':
        return 0;
    }
  }

  private version(b: Buffer): number {
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(b.toString('latin1', 0, 12));
    if (!m || Number(m[1]) !== 3) throw pvError('EPROTO', `not an RFB 3.x version: ${JSON.stringify(b.toString('latin1', 0, 12))}`);
    // RFC 6143 §7.1.1: a server treats any other 3.x as 3.3.
    const minor = Number(m[2]);
    this.minor = minor >= 8 ? 8 : minor === 7 ? 7 : 3;
    const type = this.screen.password === undefined ? SECURITY_NONE : SECURITY_VNC;
    if (this.minor === 3) {
      // 3.3: the server decides, and sends the type as a u32.
      const w = Buffer.alloc(4);
      w.writeUInt32BE(type);
      this.socket.write(w);
      this.afterSecurity(type);
    } else {
      this.socket.write(Buffer.from([1, type]));
      this.state = 'security';
    }
    return 12;
  }

  private security(chosen: number): number {
    const offered = this.screen.password === undefined ? SECURITY_NONE : SECURITY_VNC;
    if (chosen !== offered) {
      const why = offered === SECURITY_VNC ? 'this screen needs VNC authentication (None is offered on loopback only)' : `security type ${chosen} was not offered`;
      this.refuse(why);
      throw pvError('EACCES', `chose security type ${chosen}: ${why}`);
    }
    this.afterSecurity(chosen);
    return 1;
  }

  private afterSecurity(type: number): void {
    if (type === SECURITY_VNC) {
      this.challenge = newChallenge();
      this.socket.write(this.challenge);
      this.state = 'auth';
      return;
    }
    // 3.8 confirms None with a SecurityResult; 3.3 and 3.7 go straight to ClientInit.
    if (this.minor === 8) this.socket.write(Buffer.alloc(4));
    this.state = 'init';
  }

  private auth(answer: Buffer): number {
    if (!checkResponse(this.screen.password!, this.challenge!, answer)) {
      this.refuse('authentication failed');
      throw pvError('EACCES', 'wrong VNC password');
    }
    this.socket.write(Buffer.alloc(4));
    this.state = 'init';
    return CHALLENGE_BYTES;
  }

  /** SecurityResult "failed", with a reason from 3.8 on. */
  private refuse(reason: string): void {
    const result = Buffer.alloc(4);
    result.writeUInt32BE(1);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(reason));
    this.refused = true;
    this.socket.end(this.minor < 8 ? result : Buffer.concat([result, len, Buffer.from(reason)]), () => this.socket.destroy());
  }

  private init(): number {
    // The shared flag is ignored: every screen takes many watchers.
    const { width, height } = this.screen.size();
    this.width = width;
    this.height = height;
    const name = Buffer.from(this.screen.name);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(width, 0);
    head.writeUInt16BE(height, 2);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length);
    this.socket.write(Buffer.concat([head, encodePixelFormat(SERVER_FORMAT), len, name]));
    this.state = 'normal';
    clearTimeout(this.deadline);
    return 1;
  }

  private message(b: Buffer): number {
    switch (b[0]) {
      case 0: // SetPixelFormat
        if (b.length < 20) return 0;
        this.format = decodePixelFormat(b, 4);
        this.restart();
        return 20;
      case 2: {
        // SetEncodings
        if (b.length < 4) return 0;
        const n = b.readUInt16BE(2);
        if (n > MAX_ENCODINGS) throw pvError('EMSGSIZE', `SetEncodings lists ${n} encodings (at most ${MAX_ENCODINGS})`);
        if (b.length < 4 + 4 * n) return 0;
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(b.readInt32BE(4 + 4 * i));
        this.encoding = chooseEncoding(list);
        this.desktopSize = list.includes(ENCODING.DESKTOP_SIZE);
        this.restart();
        return 4 + 4 * n;
      }
      case 3:
        if (b.length < 10) return 0;
        this.request(b[1] !== 0, { x: b.readUInt16BE(2), y: b.readUInt16BE(4), width: b.readUInt16BE(6), height: b.readUInt16BE(8) });
        return 10;
      case 4: // KeyEvent: view only
        return b.length < 8 ? 0 : 8;
      case 5: // PointerEvent: view only
        return b.length < 6 ? 0 : 6;
      case 6: {
        // ClientCutText: dropped as it arrives
        if (b.length < 8) return 0;
        const len = b.readUInt32BE(4);
        if (len > MAX_CUT_TEXT) throw pvError('EMSGSIZE', `ClientCutText of ${len} bytes (at most ${MAX_CUT_TEXT})`);
        this.cutTextLeft = len;
        return 8;
      }
      default:
        throw pvError('EPROTO', `unknown client message type ${b[0]}`);
    }
  }

  /** What was sent or assembled is in the old format or encoding: the next update is whole. */
  private restart(): void {
    this.ledger.forget();
    this.assembled = [];
  }

  private request(incremental: boolean, r: TileRect): void {
    // A full refresh starts from nothing sent, once per update.
    if (!incremental && !this.refreshing) {
      this.ledger.forget();
      this.refreshing = true;
    }
    const p = this.pending;
    if (!p) {
      this.pending = { ...r, incremental };
      return;
    }
    const x = Math.min(p.x, r.x);
    const y = Math.min(p.y, r.y);
    const right = Math.max(p.x + p.width, r.x + r.width);
    const bottom = Math.max(p.y + p.height, r.y + r.height);
    this.pending = { x, y, width: right - x, height: bottom - y, incremental: p.incremental && incremental };
  }
}
