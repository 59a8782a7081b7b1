// The rectangle encodings served (RFC 6143 §7.7 and the Tight encoding of the RFB community spec): Raw, and Tight
// with its fill (one colour) and basic (zlib, copy filter) modes. Each Tight rectangle resets zlib stream 0, so it
// is compressed on its own, synchronously, and a client that drops an update mid-way costs nothing to recover.
import { constants, deflateSync } from 'node:zlib';
import { convertPixels, type RfbPixelFormat } from './pixel-format.js';

export const ENCODING = {
  RAW: 0,
  TIGHT: 7,
  /** Pseudo-encoding: the client follows a change of framebuffer size. */
  DESKTOP_SIZE: -223,
} as const;

/** The real encodings served, in the server's preference when a client lists none of them first. */
export const SERVED = [ENCODING.TIGHT, ENCODING.RAW] as const;
export type ServedEncoding = (typeof SERVED)[number];

/** Tight sends pixel data under this many bytes as is. */
const TIGHT_MIN_TO_COMPRESS = 12;
const TIGHT_FILL = 0x80;
const TIGHT_RESET_STREAM0_BASIC = 0x01;

/** The first served encoding in the client's list (its order is its preference); Raw when it lists none. */
export function chooseEncoding(list: readonly number[]): ServedEncoding {
  for (const e of list) if ((SERVED as readonly number[]).includes(e)) return e as ServedEncoding;
  return ENCODING.RAW;
}

function isSolid(rgba: Uint8Array): boolean {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.byteLength / 4);
  const first = words[0];
  for (let i = 1; i < words.length; i++) if (words[i] !== first) return false;
  return true;
}

/** Tight's compact length: 7 bits per byte, low bits first, the top bit saying another byte follows. */
function compactLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([(n & 0x7f) | 0x80, n >> 7]);
  return Buffer.from([(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14]);
}

function tight(rgba: Uint8Array, format: RfbPixelFormat): Buffer {
  if (isSolid(rgba)) return Buffer.concat([Buffer.from([TIGHT_FILL]), convertPixels(rgba.subarray(0, 4), format, true)]);
  const pixels = convertPixels(rgba, format, true);
  if (pixels.length < TIGHT_MIN_TO_COMPRESS) return Buffer.concat([Buffer.from([TIGHT_RESET_STREAM0_BASIC]), pixels]);
  // A sync flush, not a finish: the client inflates with Z_SYNC_FLUSH and expects a stream it could continue.
  const z = deflateSync(pixels, { level: constants.Z_BEST_SPEED, finishFlush: constants.Z_SYNC_FLUSH });
  return Buffer.concat([Buffer.from([TIGHT_RESET_STREAM0_BASIC]), compactLength(z.length), z]);
}

/** One rectangle's pixel data (no header) from its RGBA8 pixels. */
export function encodeRect(encoding: ServedEncoding, rgba: Uint8Array, format: RfbPixelFormat): Buffer {
  return encoding === ENCODING.TIGHT ? tight(rgba, format) : convertPixels(rgba, format);
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  encoding: number;
  data: Buffer;
}

/** A FramebufferUpdate message carrying `rects` (at most 65535). */
export function framebufferUpdate(rects: readonly Rect[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeUInt16BE(rects.length, 2);
  parts.push(head);
  for (const r of rects) {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(r.x, 0);
    h.writeUInt16BE(r.y, 2);
    h.writeUInt16BE(r.width, 4);
    h.writeUInt16BE(r.height, 6);
    h.writeInt32BE(r.encoding, 8);
    parts.push(h, r.data);
  }
  return Buffer.concat(parts);
}
