// Owns conversion of a visible area in any supported format to tightly packed RGBA8 (what PNG and canvases
// take). X formats get alpha 255, narrow channels widen by bit replication, YUYV uses BT.601 limited range.
import { YUYV, type PixelFormat } from '../../protocol/formats.js';
import { rowStart, validateFrameView, type FrameView } from './frame.js';

/** Where a channel sits in a pixel read as a little-endian integer of cpp bytes. */
interface Channel {
  readonly shift: number;
  readonly bits: number;
}

interface PackedLayout {
  readonly r: Channel;
  readonly g: Channel;
  readonly b: Channel;
  readonly a?: Channel;
}

const ch = (shift: number, bits: number): Channel => ({ shift, bits });
const c8888: PackedLayout = { r: ch(16, 8), g: ch(8, 8), b: ch(0, 8) };
const c4444: PackedLayout = { r: ch(8, 4), g: ch(4, 4), b: ch(0, 4) };
const c1555: PackedLayout = { r: ch(10, 5), g: ch(5, 5), b: ch(0, 5) };

// Keyed by format name so the table reads like DRM's comments ([15:0] A:R:G:B 1:5:5:5 and so on).
const LAYOUTS: Readonly<Record<string, PackedLayout>> = {
  RGB565: { r: ch(11, 5), g: ch(5, 6), b: ch(0, 5) },
  RGB888: c8888,
  XRGB8888: c8888,
  ARGB8888: { ...c8888, a: ch(24, 8) },
  XRGB4444: c4444,
  ARGB4444: { ...c4444, a: ch(12, 4) },
  XRGB1555: c1555,
  ARGB1555: { ...c1555, a: ch(15, 1) },
};

/** Widens a `bits`-wide value to 8 bits by repeating its bit pattern, so full scale maps to 255 and 0 to 0. */
function replicate(value: number, bits: number): number {
  let out = 0;
  let filled = 0;
  while (filled < 8) {
    out = (out << bits) | value;
    filled += bits;
  }
  return out >> (filled - 8);
}

interface ChannelDecoder {
  readonly shift: number;
  readonly mask: number;
  readonly table: Uint8Array;
}

function decoder(c: Channel): ChannelDecoder {
  const table = new Uint8Array(1 << c.bits);
  for (let v = 0; v < table.length; v++) table[v] = replicate(v, c.bits);
  return { shift: c.shift, mask: table.length - 1, table };
}

function readLe(src: Uint8Array, i: number, cpp: number): number {
  switch (cpp) {
    case 2:
      return src[i]! | (src[i + 1]! << 8);
    case 3:
      return src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16);
    default:
      return (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> 0;
  }
}

function packedToRgba(view: FrameView, format: PixelFormat, layout: PackedLayout, out: Uint8Array): void {
  const { data, width, height } = view;
  const cpp = format.cpp;
  const r = decoder(layout.r);
  const g = decoder(layout.g);
  const b = decoder(layout.b);
  const a = layout.a ? decoder(layout.a) : undefined;
  let o = 0;
  for (let row = 0; row < height; row++) {
    let i = rowStart(view, format, row);
    for (let col = 0; col < width; col++, i += cpp, o += 4) {
      const w = readLe(data, i, cpp);
      out[o] = r.table[(w >>> r.shift) & r.mask]!;
      out[o + 1] = g.table[(w >>> g.shift) & g.mask]!;
      out[o + 2] = b.table[(w >>> b.shift) & b.mask]!;
      out[o + 3] = a ? a.table[(w >>> a.shift) & a.mask]! : 255;
    }
  }
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** BT.601 limited range (Y 16..235, Cb/Cr 16..240) to full-range RGB, in the usual 8.8 fixed point. */
function yuvToRgba(y: number, d: number, e: number, out: Uint8Array, o: number): void {
  const luma = 298 * (y - 16) + 128;
  out[o] = clamp8((luma + 409 * e) >> 8);
  out[o + 1] = clamp8((luma - 100 * d - 208 * e) >> 8);
  out[o + 2] = clamp8((luma + 516 * d) >> 8);
  out[o + 3] = 255;
}

/** YUYV memory order per two pixels: Y0 Cb Y1 Cr (DRM: [31:0] Cr0:Y1:Cb0:Y0 little endian). */
function yuyvToRgba(view: FrameView, out: Uint8Array): void {
  const { data, width, height } = view;
  let o = 0;
  for (let row = 0; row < height; row++) {
    let i = rowStart(view, YUYV, row);
    for (let col = 0; col < width; col += 2, i += 4, o += 8) {
      const d = data[i + 1]! - 128;
      const e = data[i + 3]! - 128;
      yuvToRgba(data[i]!, d, e, out, o);
      yuvToRgba(data[i + 2]!, d, e, out, o + 4);
    }
  }
}

/** The visible area as width*height*4 bytes of RGBA8, rows top to bottom with no padding. */
export function toRgba(view: FrameView): Uint8Array {
  const format = validateFrameView(view);
  const out = new Uint8Array(view.width * view.height * 4);
  const layout = LAYOUTS[format.name];
  if (layout) packedToRgba(view, format, layout, out);
  else if (format === YUYV) yuyvToRgba(view, out);
  else throw new Error(`toRgba: no conversion for ${format.name}`); // a format added without one here
  return out;
}
