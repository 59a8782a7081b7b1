// RFB pixel formats (RFC 6143 §7.4): what the server offers in ServerInit, checking what a client asks for with
// SetPixelFormat, and turning RGBA8 tiles into the client's pixels. Only true-colour formats are served; a client
// that wants a colour map is refused with EINVAL (no current client needs one).
import { endianness } from 'node:os';
import { pvError } from '../../../shared/errors.js';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export interface RfbPixelFormat {
  bitsPerPixel: 8 | 16 | 32;
  depth: number;
  bigEndian: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** What the server offers: XRGB8888 little endian, the display's own common format. */
export const SERVER_FORMAT: RfbPixelFormat = { bitsPerPixel: 32, depth: 24, bigEndian: false, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 };

/** The 16 bytes of a PIXEL_FORMAT structure. */
export function encodePixelFormat(f: RfbPixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(f.bitsPerPixel, 0);
  b.writeUInt8(f.depth, 1);
  b.writeUInt8(f.bigEndian ? 1 : 0, 2);
  b.writeUInt8(1, 3);
  b.writeUInt16BE(f.redMax, 4);
  b.writeUInt16BE(f.greenMax, 6);
  b.writeUInt16BE(f.blueMax, 8);
  b.writeUInt8(f.redShift, 10);
  b.writeUInt8(f.greenShift, 11);
  b.writeUInt8(f.blueShift, 12);
  return b;
}

/** A client's PIXEL_FORMAT (16 bytes at `at`), checked so that every channel fits its pixel; EINVAL otherwise. */
export function decodePixelFormat(b: Buffer, at: number): RfbPixelFormat {
  const bpp = b.readUInt8(at);
  if (bpp !== 8 && bpp !== 16 && bpp !== 32) throw pvError('EINVAL', `bits-per-pixel ${bpp} is not 8, 16 or 32`);
  if (b.readUInt8(at + 3) === 0) throw pvError('EINVAL', 'colour-map pixel formats are not served; ask for true colour');
  const f: RfbPixelFormat = {
    bitsPerPixel: bpp,
    depth: b.readUInt8(at + 1),
    bigEndian: b.readUInt8(at + 2) !== 0,
    redMax: b.readUInt16BE(at + 4),
    greenMax: b.readUInt16BE(at + 6),
    blueMax: b.readUInt16BE(at + 8),
    redShift: b.readUInt8(at + 10),
    greenShift: b.readUInt8(at + 11),
    blueShift: b.readUInt8(at + 12),
  };
  for (const [name, max, shift] of [['red', f.redMax, f.redShift], ['green', f.greenMax, f.greenShift], ['blue', f.blueMax, f.blueShift]] as const) {
    if (max === 0 || shift + Math.ceil(Math.log2(max + 1)) > bpp) throw pvError('EINVAL', `${name} max ${max} at shift ${shift} does not fit ${bpp} bits per pixel`);
  }
  return f;
}

/**
 * True when Tight sends this format's pixels as 3 bytes R, G, B (its TPIXEL): 32 bits per pixel, depth 24, and
 * 8-bit channels.
 */
export function hasTightPixel(f: RfbPixelFormat): boolean {
  return f.bitsPerPixel === 32 && f.depth === 24 && f.redMax === 255 && f.greenMax === 255 && f.blueMax === 255;
}

/** `rgba` (width*height*4 bytes) as the client's pixels, row after row; `tight` gives TPIXELs where they apply. */
export function convertPixels(rgba: Uint8Array, f: RfbPixelFormat, tight = false): Buffer {
  const n = rgba.length / 4;
  if (tight && hasTightPixel(f)) {
    const out = Buffer.allocUnsafe(n * 3);
    for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
      out[o] = rgba[i]!;
      out[o + 1] = rgba[i + 1]!;
      out[o + 2] = rgba[i + 2]!;
    }
    return out;
  }
  if (f.bitsPerPixel === 32 && !f.bigEndian && f.redMax === 255 && f.greenMax === 255 && f.blueMax === 255 && LITTLE_ENDIAN_HOST) return convert32(rgba, f);
  const bytes = f.bitsPerPixel / 8;
  const out = Buffer.allocUnsafe(n * bytes);
  const scale = (v: number, max: number) => (max === 255 ? v : Math.round((v * max) / 255));
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += bytes) {
    const pixel = ((scale(rgba[i]!, f.redMax) << f.redShift) | (scale(rgba[i + 1]!, f.greenMax) << f.greenShift) | (scale(rgba[i + 2]!, f.blueMax) << f.blueShift)) >>> 0;
    if (bytes === 4) {
      if (f.bigEndian) out.writeUInt32BE(pixel, o);
      else out.writeUInt32LE(pixel, o);
    } else if (bytes === 2) {
      if (f.bigEndian) out.writeUInt16BE(pixel, o);
      else out.writeUInt16LE(pixel, o);
    } else out[o] = pixel;
  }
  return out;
}

/** The common case (8-bit channels in a little-endian 32-bit pixel, as most clients ask) a word at a time. */
function convert32(rgba: Uint8Array, f: RfbPixelFormat): Buffer {
  const n = rgba.length / 4;
  const src = rgba.byteOffset % 4 === 0 ? new Uint32Array(rgba.buffer, rgba.byteOffset, n) : new Uint32Array(rgba.slice().buffer);
  const out = Buffer.from(new ArrayBuffer(n * 4));
  const dst = new Uint32Array(out.buffer, 0, n);
  const { redShift: rs, greenShift: gs, blueShift: bs } = f;
  for (let i = 0; i < n; i++) {
    const w = src[i]!;
    dst[i] = (((w & 0xff) << rs) | (((w >>> 8) & 0xff) << gs) | (((w >>> 16) & 0xff) << bs)) >>> 0;
  }
  return out;
}
