// Owns the DRM pixel formats the Linux Xen display frontend offers (fourcc codes and their sizes) and the
// legacy ADDFB (bpp, depth) mapping. Pure: no Node APIs, so both ends and the browser viewer can use it.

export interface PixelFormat {
  /** DRM name without the DRM_FORMAT_ prefix, e.g. 'XRGB8888'. */
  readonly name: string;
  /** Little-endian fourcc code: a | b<<8 | c<<16 | d<<24, as an unsigned 32-bit number. */
  readonly fourcc: number;
  /** Bits per pixel (cpp * 8). */
  readonly bpp: number;
  /** Bytes per pixel. */
  readonly cpp: number;
  /**
   * Colour depth as DRM's drm_format_info has it, which is what legacy ADDFB matches on; 0 for formats
   * DRM never reaches through ADDFB (XRGB4444, ARGB4444, ARGB1555, YUYV).
   */
  readonly depth: number;
  readonly hasAlpha: boolean;
  /** Horizontal chroma subsampling: 2 for YUYV (widths and x origins must be even), else 1. */
  readonly hsub: number;
}

function code(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

function format(name: string, fourcc: string, cpp: number, depth: number, hasAlpha: boolean, hsub = 1): PixelFormat {
  return Object.freeze({ name, fourcc: code(fourcc), bpp: cpp * 8, cpp, depth, hasAlpha, hsub });
}

export const RGB565 = format('RGB565', 'RG16', 2, 16, false);
export const RGB888 = format('RGB888', 'RG24', 3, 24, false);
export const XRGB8888 = format('XRGB8888', 'XR24', 4, 24, false);
export const ARGB8888 = format('ARGB8888', 'AR24', 4, 32, true);
export const XRGB4444 = format('XRGB4444', 'XR12', 2, 0, false);
export const ARGB4444 = format('ARGB4444', 'AR12', 2, 0, true);
export const XRGB1555 = format('XRGB1555', 'XR15', 2, 15, false);
export const ARGB1555 = format('ARGB1555', 'AR15', 2, 0, true);
export const YUYV = format('YUYV', 'YUYV', 2, 0, false, 2);

/** Every supported format, in the order the Linux frontend lists them. */
export const PIXEL_FORMATS: readonly PixelFormat[] = Object.freeze([
  RGB565, RGB888, XRGB8888, ARGB8888, XRGB4444, ARGB4444, XRGB1555, ARGB1555, YUYV,
]);

const BY_FOURCC = new Map<number, PixelFormat>(PIXEL_FORMATS.map((f) => [f.fourcc, f]));

export function formatByFourcc(fourcc: number): PixelFormat | undefined {
  return BY_FOURCC.get(fourcc >>> 0);
}

/** 'XR24' for XRGB8888; bytes outside printable ASCII show as '?' since this is meant for messages. */
export function fourccToString(fourcc: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = (fourcc >>> (8 * i)) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

/** Code for a four-character ASCII string such as 'XR24'; throws RangeError for anything else. */
export function fourccFromString(s: string): number {
  if (!/^[\x20-\x7e]{4}$/.test(s)) throw new RangeError(`fourcc must be 4 printable ASCII characters, got ${JSON.stringify(s)}`);
  return code(s);
}

/**
 * The format legacy ADDFB (which only gives bpp and depth) means, restricted to the formats we support:
 * {16,15} XRGB1555, {16,16} RGB565, {24,24} RGB888, {32,24} XRGB8888, {32,32} ARGB8888.
 * Derived from the table: depth 0 marks formats ADDFB cannot name.
 */
export function formatForBppDepth(bpp: number, depth: number): PixelFormat | undefined {
  return PIXEL_FORMATS.find((f) => f.depth !== 0 && f.bpp === bpp && f.depth === depth);
}

/** Smallest pitch in bytes for a row of `width` pixels; an odd YUYV width rounds up to a whole macropixel. */
export function minPitch(format: PixelFormat, width: number): number {
  return Math.ceil(width / format.hsub) * format.hsub * format.cpp;
}
