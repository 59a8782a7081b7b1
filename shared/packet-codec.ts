// The msgpack packets of a Channel, with the two that every page flip sends spelled out by hand: a device's event
// packet `{ev: <bin>}` and an empty reply `{re: <id>, ok: {}}`. msgpack-lite costs a few microseconds per packet
// either way, more than the rest of a flip's work in the frontend; these two are written and recognised byte for
// byte as msgpack-lite lays them out, and everything else (any other shape, any other byte) goes through it.
import msgpack from 'msgpack-lite';

const EV_HEAD = [0x81, 0xa2, 0x65, 0x76, 0xc4]; // fixmap 1, "ev", bin8
const RE_HEAD = [0x82, 0xa2, 0x72, 0x65]; // fixmap 2, "re"
const OK_EMPTY = [0xa2, 0x6f, 0x6b, 0x80]; // "ok", fixmap 0

function isEmptyObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const _ in v) return false;
  return true;
}

/** A uint as msgpack-lite writes it (the smallest of fixint, uint8, uint16, uint32); undefined past 32 bits. */
function uintBytes(n: number): number[] | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return undefined;
  if (n < 0x80) return [n];
  if (n <= 0xff) return [0xcc, n];
  if (n <= 0xffff) return [0xcd, n >>> 8, n & 0xff];
  return [0xce, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function encodePacket(msg: Record<string, unknown>): Buffer {
  const keys = Object.keys(msg);
  if (keys.length === 1 && keys[0] === 'ev' && Buffer.isBuffer(msg.ev) && msg.ev.length <= 0xff) {
    const out = Buffer.allocUnsafe(6 + msg.ev.length);
    out.set(EV_HEAD);
    out[5] = msg.ev.length;
    out.set(msg.ev, 6);
    return out;
  }
  if (keys.length === 2 && keys[0] === 're' && keys[1] === 'ok' && typeof msg.re === 'number' && isEmptyObject(msg.ok)) {
    const id = uintBytes(msg.re);
    if (id) return Buffer.from([...RE_HEAD, ...id, ...OK_EMPTY]);
  }
  return msgpack.encode(msg);
}

function startsWith(b: Uint8Array, head: number[], at = 0): boolean {
  if (b.length < at + head.length) return false;
  for (let i = 0; i < head.length; i++) if (b[at + i] !== head[i]) return false;
  return true;
}

/** Reads a uint the way uintBytes writes it at `at`; [value, next offset] or undefined for any other byte. */
function readUint(b: Buffer, at: number): [number, number] | undefined {
  const t = b[at];
  if (t === undefined) return undefined;
  if (t < 0x80) return [t, at + 1];
  if (t === 0xcc && b.length >= at + 2) return [b[at + 1]!, at + 2];
  if (t === 0xcd && b.length >= at + 3) return [b.readUInt16BE(at + 1), at + 3];
  if (t === 0xce && b.length >= at + 5) return [b.readUInt32BE(at + 1), at + 5];
  return undefined;
}

/** Throws as msgpack-lite does on bytes that are no msgpack value. */
export function decodePacket(data: Buffer): unknown {
  if (startsWith(data, EV_HEAD) && data.length === 6 + data[5]!) return { ev: data.subarray(6) };
  if (startsWith(data, RE_HEAD)) {
    const id = readUint(data, RE_HEAD.length);
    if (id && data.length === id[1] + OK_EMPTY.length && startsWith(data, OK_EMPTY, id[1])) return { re: id[0], ok: {} };
  }
  return msgpack.decode(data);
}
