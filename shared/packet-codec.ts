// The msgpack packets of a Channel. msgpack-lite allocates several objects per value it reads or writes (a decoder,
// token closures, a fresh string per map key), which made it most of what a page flip allocated and so most of the
// scavenges that held up the slowest flips. This is a hand-written encoder and decoder for the values packets
// carry (maps with string keys, arrays, strings, numbers, booleans, nil, bin, and the Uint8Array ext), byte for
// byte what msgpack-lite writes and reads; any other value or byte sequence goes through msgpack-lite itself, so
// what a peer sees (and what a hostile peer's bytes do) is exactly what it was.
import msgpack from 'msgpack-lite';

/** Thrown (never escapes) where the hand-written path leaves a value or byte string to msgpack-lite. */
const HAND_OVER = Symbol('hand over to msgpack-lite');

/** msgpack-lite's ext type for a Uint8Array that is not a Buffer. */
const EXT_UINT8ARRAY = 0x12;

// ---- encoding ----

/**
 * The encoder's scratch: the size of the largest packet a channel sends (channel.ts's MAX_PACKET); a value that
 * needs more goes through msgpack-lite, and the channel refuses the result. Allocated whole and written through on
 * first use, so a process holds it from its first packet on instead of growing by it later.
 */
const SCRATCH_BYTES = 256 * 1024;
let out = Buffer.alloc(0);
let at = 0;

function reserve(n: number): void {
  if (at + n > SCRATCH_BYTES) throw HAND_OVER;
}

function byte(b: number): void {
  out[at++] = b;
}

/** A type byte followed by a big-endian length of 1, 2 or 4 bytes. */
function head(type: number, len: number, width: 1 | 2 | 4): void {
  reserve(1 + width);
  out[at++] = type;
  if (width === 1) out[at++] = len;
  else if (width === 2) at = out.writeUInt16BE(len, at);
  else at = out.writeUInt32BE(len, at);
}

/** An array or map header: the fix form below 16 entries, then 16 and 32 bits. */
function container(len: number, fix: number, t16: number, t32: number): void {
  if (len < 16) {
    reserve(1);
    byte(fix + len);
  } else if (len <= 0xffff) head(t16, len, 2);
  else head(t32, len, 4);
}

function writeNumber(v: number): void {
  reserve(9);
  const i = v | 0;
  if (v !== i) {
    if (v >= 0 && v <= 0xffffffff && Math.floor(v) === v) {
      byte(0xce);
      at = out.writeUInt32BE(v, at);
    } else {
      byte(0xcb);
      at = out.writeDoubleBE(v, at);
    }
  } else if (i >= -0x20 && i <= 0x7f) byte(i & 0xff);
  else if (i >= 0 && i <= 0xff) {
    byte(0xcc);
    byte(i);
  } else if (i >= 0 && i <= 0xffff) {
    byte(0xcd);
    at = out.writeUInt16BE(i, at);
  } else if (i >= 0) {
    byte(0xce);
    at = out.writeUInt32BE(i, at);
  } else if (i >= -0x80) {
    byte(0xd0);
    at = out.writeInt8(i, at);
  } else if (i >= -0x8000) {
    byte(0xd1);
    at = out.writeInt16BE(i, at);
  } else {
    byte(0xd2);
    at = out.writeInt32BE(i, at);
  }
}

function strHeadSize(len: number): number {
  return len < 32 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 5;
}

function writeString(s: string): void {
  const n = s.length;
  if (n < 32) {
    reserve(1 + n);
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      out[at + 1 + i] = c;
    }
    if (ascii) {
      out[at] = 0xa0 + n;
      at += 1 + n;
      return;
    }
  }
  // As msgpack-lite: the UTF-8 goes after a header sized for the UTF-16 length, and moves if the byte length needs
  // another header size.
  reserve(5 + n * 3);
  const expected = strHeadSize(n);
  const len = out.write(s, at + expected, 'utf8');
  const actual = strHeadSize(len);
  if (actual !== expected) out.copy(out, at + actual, at + expected, at + expected + len);
  if (actual === 1) byte(0xa0 + len);
  else if (actual === 2) head(0xd9, len, 1);
  else if (actual === 3) head(0xda, len, 2);
  else head(0xdb, len, 4);
  at += len;
}

function writeBytes(b: Uint8Array): void {
  reserve(b.length);
  out.set(b, at);
  at += b.length;
}

function writeExt(type: number, b: Uint8Array): void {
  const n = b.length;
  const fixed = n === 1 ? 0xd4 : n === 2 ? 0xd5 : n === 4 ? 0xd6 : n === 8 ? 0xd7 : n === 16 ? 0xd8 : 0;
  if (fixed) {
    reserve(1);
    byte(fixed);
  } else if (n < 0xff) head(0xc7, n, 1);
  else if (n <= 0xffff) head(0xc8, n, 2);
  else head(0xc9, n, 4);
  reserve(1);
  byte(type);
  writeBytes(b);
}

function writeObject(v: object | null): void {
  if (v === null) {
    reserve(1);
    return byte(0xc0);
  }
  if (Buffer.isBuffer(v)) {
    // msgpack-lite's bin 8 stops at 254 bytes.
    const n = v.length;
    if (n < 0xff) head(0xc4, n, 1);
    else if (n <= 0xffff) head(0xc5, n, 2);
    else head(0xc6, n, 4);
    return writeBytes(v);
  }
  if (Array.isArray(v)) {
    container(v.length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < v.length; i++) writeValue(v[i]);
    return;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Uint8Array.prototype) return writeExt(EXT_UINT8ARRAY, v as Uint8Array);
  if (proto !== Object.prototype && proto !== null) throw HAND_OVER;
  const keys = Object.keys(v);
  container(keys.length, 0x80, 0xde, 0xdf);
  for (const k of keys) {
    writeString(k);
    writeValue((v as Record<string, unknown>)[k]);
  }
}

function writeValue(v: unknown): void {
  switch (typeof v) {
    case 'number':
      return writeNumber(v);
    case 'string':
      return writeString(v);
    case 'boolean':
      reserve(1);
      return byte(v ? 0xc3 : 0xc2);
    case 'undefined':
      reserve(1);
      return byte(0xc0);
    case 'object':
      return writeObject(v);
    default:
      throw HAND_OVER;
  }
}

export function encodePacket(msg: Record<string, unknown>): Buffer {
  if (out.length === 0) out = Buffer.allocUnsafe(SCRATCH_BYTES).fill(0);
  at = 0;
  try {
    writeValue(msg);
  } catch (e) {
    if (e !== HAND_OVER) throw e;
    return msgpack.encode(msg);
  }
  const packet = Buffer.allocUnsafe(at);
  out.copy(packet, 0, 0, at);
  return packet;
}

// ---- decoding ----
const EMPTY = Buffer.alloc(0);
let src: Buffer = EMPTY;
let pos = 0;
let end = 0;

/** `n` more bytes, or the packet is short and msgpack-lite says so. */
function need(n: number): number {
  const start = pos;
  if (start + n > end) throw HAND_OVER;
  pos = start + n;
  return start;
}

function u8(): number {
  return src[need(1)]!;
}
function u16(): number {
  return src.readUInt16BE(need(2));
}
function u32(): number {
  return src.readUInt32BE(need(4));
}

/**
 * Short ASCII strings (map keys, op names, codes) by their bytes: the same string object each time instead of a
 * fresh one. Bounded; a peer that fills it with junk only empties it for everyone.
 */
const INTERN_MAX_LEN = 32;
const INTERN_MAX_ENTRIES = 4096;
const interned = new Map<number, string>();

function readString(len: number): string {
  const start = need(len);
  if (len > INTERN_MAX_LEN) return src.toString('utf8', start, start + len);
  let h = 0x811c9dc5 ^ len;
  for (let i = start; i < start + len; i++) {
    const c = src[i]!;
    if (c >= 0x80) return src.toString('utf8', start, start + len);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const known = interned.get(h);
  if (known !== undefined && known.length === len) {
    let same = true;
    for (let i = 0; i < len && same; i++) same = known.charCodeAt(i) === src[start + i];
    if (same) return known;
  }
  const fresh = src.toString('latin1', start, start + len);
  if (interned.size >= INTERN_MAX_ENTRIES) interned.clear();
  interned.set(h, fresh);
  return fresh;
}

function readKey(): string {
  const t = u8();
  const len = t >= 0xa0 && t <= 0xbf ? t - 0xa0 : t === 0xd9 ? u8() : t === 0xda ? u16() : t === 0xdb ? u32() : -1;
  if (len < 0) throw HAND_OVER; // a non-string key: msgpack-lite turns it into one
  return readString(len);
}

function readMap(len: number): Record<string, unknown> {
  if (2 * len > end - pos) throw HAND_OVER;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < len; i++) {
    const k = readKey();
    o[k] = readValue();
  }
  return o;
}

function readArray(len: number): unknown[] {
  if (len > end - pos) throw HAND_OVER;
  const a: unknown[] = new Array<unknown>(len);
  for (let i = 0; i < len; i++) a[i] = readValue();
  return a;
}

/** Copies, as msgpack-lite does: a kept value never pins the packet it came in. */
function readBin(len: number): Buffer {
  const start = need(len);
  return Buffer.from(src.subarray(start, start + len));
}

function readExt(len: number): Uint8Array {
  if (u8() !== EXT_UINT8ARRAY) throw HAND_OVER;
  const start = need(len);
  return new Uint8Array(src.subarray(start, start + len));
}

/** A 64-bit integer as msgpack-lite reads it (int64-buffer's toNumber): high × 2^32 + low, rounded as a double. */
function read64(signed: boolean): number {
  const start = need(8);
  const high = signed ? src.readInt32BE(start) : src.readUInt32BE(start);
  const low = src.readUInt32BE(start + 4);
  return high ? high * 0x100000000 + low : low;
}

function readValue(): unknown {
  const t = u8();
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t <= 0x8f) return readMap(t - 0x80);
  if (t <= 0x9f) return readArray(t - 0x90);
  if (t <= 0xbf) return readString(t - 0xa0);
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(u8());
    case 0xc5:
      return readBin(u16());
    case 0xc6:
      return readBin(u32());
    case 0xc7:
      return readExt(u8());
    case 0xc8:
      return readExt(u16());
    case 0xc9:
      return readExt(u32());
    case 0xca:
      return src.readFloatBE(need(4));
    case 0xcb:
      return src.readDoubleBE(need(8));
    case 0xcc:
      return u8();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xcf:
      return read64(false);
    case 0xd0:
      return src.readInt8(need(1));
    case 0xd1:
      return src.readInt16BE(need(2));
    case 0xd2:
      return src.readInt32BE(need(4));
    case 0xd3:
      return read64(true);
    case 0xd4:
      return readExt(1);
    case 0xd5:
      return readExt(2);
    case 0xd6:
      return readExt(4);
    case 0xd7:
      return readExt(8);
    case 0xd8:
      return readExt(16);
    case 0xd9:
      return readString(u8());
    case 0xda:
      return readString(u16());
    case 0xdb:
      return readString(u32());
    case 0xdc:
      return readArray(u16());
    case 0xdd:
      return readArray(u32());
    case 0xde:
      return readMap(u16());
    case 0xdf:
      return readMap(u32());
    default:
      throw HAND_OVER; // other ext types, 0xc1
  }
}

/**
 * The first value of the packet in `data`'s first `length` bytes, as msgpack-lite reads it (which ignores what
 * follows); throws as it does on bytes that are no msgpack value. Nothing it returns refers to `data`, so a caller
 * may receive the next packet into the same buffer.
 */
export function decodePacket(data: Buffer, length = data.length): unknown {
  src = data;
  pos = 0;
  end = Math.min(length, data.length);
  try {
    return readValue();
  } catch (e) {
    if (e !== HAND_OVER) throw e;
    // A copy: msgpack-lite keeps a view of the input for ext types it does not know.
    return msgpack.decode(Buffer.from(data.subarray(0, end)));
  } finally {
    src = EMPTY;
  }
}
