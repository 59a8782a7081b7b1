// A test's own VNC client, written from RFC 6143 and the Tight encoding's description independently of the
// server: the handshake at a chosen version and security type, SetEncodings / FramebufferUpdateRequest, and a
// decoder for Raw, Tight (fill and basic copy) and DesktopSize into an RGBA8 image in the server's default pixel
// format. It records each update's rectangles and wire bytes, so tests can check pixels and what was sent.
import { connect, type Socket } from 'node:net';
import { constants, inflateSync } from 'node:zlib';
import { vncResponse } from '../../backend/scanout/vnc/vnc-auth.js';

export interface RfbRect {
  x: number;
  y: number;
  width: number;
  height: number;
  encoding: number;
}

export interface RfbUpdate {
  rects: RfbRect[];
  /** Bytes of the FramebufferUpdate message on the wire. */
  bytes: number;
}

export interface Handshake {
  version?: '3.3' | '3.7' | '3.8';
  /** The security type to choose (3.7 and 3.8); the offered one by default. */
  security?: number;
  password?: string;
}

/** What the server said before ServerInit, or why it refused. */
export interface HandshakeResult {
  offered: number[];
  /** The SecurityResult (0 ok), undefined where the version has none. */
  result?: number;
  reason?: string;
}

export class RfbClient {
  width = 0;
  height = 0;
  name = '';
  rgba = new Uint8Array(0);
  readonly updates: RfbUpdate[] = [];
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RfbClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RfbClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and completes the handshake; rejects with the server's reason when it refuses. */
  static async connect(port: number, h: Handshake = {}, host = '127.0.0.1'): Promise<RfbClient> {
    const c = await RfbClient.open(port, host);
    const r = await c.handshake(h);
    if (r.result !== undefined && r.result !== 0) throw new Error(`refused: ${r.reason ?? '(no reason)'}`);
    await c.init();
    return c;
  }

  /** Bytes the server sends, in order; rejects if the connection closes first. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buf.length} of ${n} bytes read`);
      await new Promise<void>((r) => (this.wake = r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves once the server has closed the connection. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => (this.wake = r));
  }

  write(b: Buffer | string): void {
    this.socket.write(b);
  }

  async handshake(h: Handshake): Promise<HandshakeResult> {
    const version = h.version ?? '3.8';
    expectEqual((await this.read(12)).toString('latin1'), 'RFB 003.008\n', 'server version');
    this.write(`RFB 003.00${version.slice(2)}\n`);
    let offered: number[];
    if (version === '3.3') offered = [(await this.read(4)).readUInt32BE()];
    else {
      const n = (await this.read(1))[0]!;
      if (n === 0) return { offered: [], result: 1, reason: await this.reason() };
      offered = [...(await this.read(n))];
      this.write(Buffer.from([h.security ?? offered[0]!]));
    }
    const type = version === '3.3' ? offered[0] : (h.security ?? offered[0]);
    if (type === 2) {
      const challenge = await this.read(16);
      this.write(vncResponse(h.password ?? '', challenge));
    } else if (version !== '3.8') return { offered };
    const result = (await this.read(4)).readUInt32BE();
    return { offered, result, reason: result !== 0 && version === '3.8' ? await this.reason() : undefined };
  }

  /** ClientInit (shared) and ServerInit. */
  async init(): Promise<void> {
    this.write(Buffer.from([1]));
    const head = await this.read(24);
    this.resize(head.readUInt16BE(0), head.readUInt16BE(2));
    this.name = (await this.read(head.readUInt32BE(20))).toString('utf8');
  }

  setEncodings(list: number[]): void {
    const b = Buffer.alloc(4 + 4 * list.length);
    b[0] = 2;
    b.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    this.write(b);
  }

  request(incremental: boolean, x = 0, y = 0, width = this.width, height = this.height): void {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    b.writeUInt16BE(width, 6);
    b.writeUInt16BE(height, 8);
    this.write(b);
  }

  /** Reads one FramebufferUpdate and applies it. */
  async update(): Promise<RfbUpdate> {
    const head = await this.read(4);
    expectEqual(head[0], 0, 'server message type');
    let bytes = 4;
    const rects: RfbRect[] = [];
    for (let i = head.readUInt16BE(2); i > 0; i--) {
      const r = await this.read(12);
      const rect = { x: r.readUInt16BE(0), y: r.readUInt16BE(2), width: r.readUInt16BE(4), height: r.readUInt16BE(6), encoding: r.readInt32BE(8) };
      rects.push(rect);
      bytes += 12 + (await this.rect(rect));
    }
    const u = { rects, bytes };
    this.updates.push(u);
    return u;
  }

  close(): void {
    this.socket.destroy();
  }

  private async reason(): Promise<string> {
    return (await this.read((await this.read(4)).readUInt32BE())).toString('utf8');
  }

  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
  }

  /** Decodes one rectangle's data; returns its size on the wire. */
  private async rect(r: RfbRect): Promise<number> {
    if (r.encoding === -223) {
      this.resize(r.width, r.height);
      return 0;
    }
    if (r.encoding === 0) {
      // The server's default format: XRGB8888 little endian, bytes B G R X.
      const data = await this.read(r.width * r.height * 4);
      this.put(r, (i) => [data[i * 4 + 2]!, data[i * 4 + 1]!, data[i * 4]!]);
      return data.length;
    }
    if (r.encoding !== 7) throw new Error(`encoding ${r.encoding} not asked for`);
    const ctl = (await this.read(1))[0]!;
    if (ctl >> 4 === 8) {
      const p = await this.read(3);
      this.put(r, () => [p[0]!, p[1]!, p[2]!]);
      return 4;
    }
    if (ctl >> 4 !== 0) throw new Error(`Tight control 0x${ctl.toString(16)}: only fill and basic copy expected`);
    const raw = r.width * r.height * 3;
    let wire = 1;
    let pixels: Buffer;
    if (raw < 12) {
      pixels = await this.read(raw);
      wire += raw;
    } else {
      let len = 0;
      for (let shift = 0; ; shift += 7) {
        const b = (await this.read(1))[0]!;
        wire++;
        len |= (b & 0x7f) << shift;
        if (!(b & 0x80) || shift === 14) break;
      }
      // The server resets stream 0 for every rectangle, so each one inflates on its own.
      expectEqual(ctl & 1, 1, 'Tight stream 0 reset');
      pixels = inflateSync(await this.read(len), { finishFlush: constants.Z_SYNC_FLUSH });
      wire += len;
    }
    this.put(r, (i) => [pixels[i * 3]!, pixels[i * 3 + 1]!, pixels[i * 3 + 2]!]);
    return wire;
  }

  private put(r: RfbRect, rgb: (i: number) => [number, number, number]): void {
    for (let row = 0; row < r.height; row++) {
      for (let col = 0; col < r.width; col++) {
        const [red, green, blue] = rgb(row * r.width + col);
        const o = ((r.y + row) * this.width + r.x + col) * 4;
        this.rgba[o] = red;
        this.rgba[o + 1] = green;
        this.rgba[o + 2] = blue;
        this.rgba[o + 3] = 0xff;
      }
    }
  }
}

function expectEqual<T>(got: T, want: T, what: string): void {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
