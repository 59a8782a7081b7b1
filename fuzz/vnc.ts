// Attack surface 4, the backend's VNC screens: hostile RFB clients on loopback. Each connection sends a good
// handshake (at 3.3, 3.7 or 3.8) or a broken one, then client messages built from valid ones — pixel formats with
// random fields, encoding lists of random length, update requests for random areas, key, pointer and cut-text
// events — sent whole, cut short, with a byte flipped or a random type, or plain random bytes; some connections
// stop reading (slow clients) and some close mid-stream. The probe is an honest client that gets a whole Raw
// update of the screen.
import { connect, type Socket } from 'node:net';
import type { Prng } from './prng.js';
import type { Surface } from './surface.js';

const MAX_CONNS = 4;

interface Conn {
  socket: Socket;
  /** Past ClientInit (a good handshake was sent). */
  ready: boolean;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export class VncSurface implements Surface {
  readonly name = 'vnc';
  readonly targets = ['backend'];
  private readonly conns: Conn[] = [];

  constructor(
    private readonly r: Prng,
    private readonly port: number,
  ) {}

  async step(): Promise<string> {
    const r = this.r;
    for (const c of [...this.conns]) if (c.socket.destroyed) this.drop(c);
    if (this.conns.length < MAX_CONNS && (this.conns.length === 0 || r.chance(0.05))) return this.open();
    const conn = r.pick(this.conns);
    if (r.chance(0.02)) {
      this.drop(conn);
      return 'close a connection abruptly';
    }
    if (r.chance(0.01)) {
      conn.socket.pause();
      return 'stop reading';
    }
    const msg = conn.ready && r.chance(0.9) ? this.message() : r.bytes(r.range(1, 64));
    const sent = this.damage(msg);
    conn.socket.write(sent);
    return `send ${sent.toString('hex').slice(0, 64)}${sent.length > 32 ? '…' : ''} (${sent.length} bytes)`;
  }

  async probe(): Promise<void> {
    const s = connect(this.port, '127.0.0.1');
    try {
      const read = reader(s);
      await read(12);
      s.write('RFB 003.008\n');
      await read(2);
      s.write(Buffer.from([1]));
      if ((await read(4)).readUInt32BE() !== 0) throw new Error('None security refused');
      s.write(Buffer.from([1]));
      const init = await read(24);
      await read(init.readUInt32BE(20));
      const [width, height] = [init.readUInt16BE(0), init.readUInt16BE(2)];
      s.write(Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0]), u16(width), u16(height)]));
      const head = await read(4);
      for (let n = head.readUInt16BE(2); n > 0; n--) {
        const rect = await read(12);
        if (rect.readInt32BE(8) !== 0) throw new Error(`unasked-for encoding ${rect.readInt32BE(8)}`);
        await read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
      }
    } finally {
      s.destroy();
    }
  }

  async endBatch(): Promise<void> {
    for (const c of [...this.conns]) this.drop(c);
  }

  private open(): string {
    const r = this.r;
    const socket = connect(this.port, '127.0.0.1');
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
    const good = r.chance(0.9);
    const version = r.pick(['3', '7', '8']);
    if (good) {
      // The whole handshake at once: the server parses it in order (None on loopback; 3.3 sends no choice).
      socket.write(Buffer.concat([Buffer.from(`RFB 003.00${version}\n`), Buffer.from(version === '3' ? [1] : [1, 1])]));
    } else socket.write(this.r.chance(0.5) ? `RFB ${r.range(0, 999)}.${r.range(0, 999)}\n` : r.bytes(r.range(1, 40)));
    this.conns.push({ socket, ready: good });
    return good ? `open a connection (RFB 3.${version}, None)` : 'open a connection with a broken handshake';
  }

  /** A client message from a valid template, with random fields. */
  private message(): Buffer {
    const r = this.r;
    switch (r.int(6)) {
      case 0: {
        const format = r.chance(0.5) ? Buffer.from([r.pick([8, 16, 32]), 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]) : r.bytes(16);
        return Buffer.concat([Buffer.from([0, 0, 0, 0]), format]);
      }
      case 1: {
        const n = r.chance(0.9) ? r.range(0, 16) : r.range(0, 2000);
        const list = Array.from({ length: n }, () => u32(r.pick([0, 7, -223, 1, 2, 5, 16, r.u32()])));
        return Buffer.concat([Buffer.from([2, 0]), u16(n), ...list]);
      }
      case 2:
        return Buffer.concat([Buffer.from([3, r.int(2)]), ...[0, 0, 0, 0].map(() => u16(r.chance(0.7) ? r.range(0, 700) : r.u32()))]);
      case 3:
        return Buffer.concat([Buffer.from([4, r.int(2), 0, 0]), u32(r.u32())]);
      case 4:
        return Buffer.concat([Buffer.from([5, r.int(256)]), u16(r.u32()), u16(r.u32())]);
      default: {
        const len = r.chance(0.9) ? r.range(0, 300) : r.u32();
        return Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(len), r.bytes(Math.min(len, 300))]);
      }
    }
  }

  /** The message whole mostly, else cut short, with a byte flipped, or with a random type. */
  private damage(msg: Buffer): Buffer {
    const r = this.r;
    if (msg.length === 0 || r.chance(0.7)) return msg;
    const out = Buffer.from(msg);
    const how = r.int(3);
    if (how === 0) return out.subarray(0, r.int(out.length));
    if (how === 1) out[r.int(out.length)] = r.int(256);
    else out[0] = r.int(256);
    return out;
  }

  private drop(c: Conn): void {
    c.socket.destroy();
    this.conns.splice(this.conns.indexOf(c), 1);
  }
}

/** Exact reads from a socket, in order; rejects once it closes short. */
function reader(s: Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let wake: () => void = () => undefined;
  let ended = false;
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  s.on('close', () => {
    ended = true;
    wake();
  });
  s.on('error', () => undefined);
  return async (n) => {
    while (buf.length < n) {
      if (ended) throw new Error(`closed with ${buf.length} of ${n} bytes`);
      await new Promise<void>((r) => (wake = r));
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}
