// Binary layouts that travel inside property blobs, as userspace builds them with libdrm: drm_mode_modeinfo (68
// bytes, MODE_ID), drm_mode_rect arrays (FB_DAMAGE_CLIPS) and drm_format_modifier_blob (IN_FORMATS).
import type { ModeInfo } from './mode-info.js';

export const MODEINFO_SIZE = 68;
const NAME_LEN = 32;

export function encodeModeInfo(m: ModeInfo): Uint8Array {
  const out = new Uint8Array(MODEINFO_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, m.clock, true);
  [m.hdisplay, m.hsync_start, m.hsync_end, m.htotal, m.hskew, m.vdisplay, m.vsync_start, m.vsync_end, m.vtotal, m.vscan].forEach((v, i) =>
    dv.setUint16(4 + 2 * i, v, true),
  );
  dv.setUint32(24, m.vrefresh, true);
  dv.setUint32(28, m.flags, true);
  dv.setUint32(32, m.type, true);
  out.set(new TextEncoder().encode(m.name).subarray(0, NAME_LEN - 1), 36);
  return out;
}

/** undefined unless `bytes` is exactly one drm_mode_modeinfo. */
export function decodeModeInfo(bytes: Uint8Array): ModeInfo | undefined {
  if (bytes.length !== MODEINFO_SIZE) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (i: number) => dv.getUint16(4 + 2 * i, true);
  const nameBytes = bytes.subarray(36, 36 + NAME_LEN);
  const end = nameBytes.indexOf(0);
  return {
    clock: dv.getUint32(0, true),
    hdisplay: u16(0),
    hsync_start: u16(1),
    hsync_end: u16(2),
    htotal: u16(3),
    hskew: u16(4),
    vdisplay: u16(5),
    vsync_start: u16(6),
    vsync_end: u16(7),
    vtotal: u16(8),
    vscan: u16(9),
    vrefresh: dv.getUint32(24, true),
    flags: dv.getUint32(28, true),
    type: dv.getUint32(32, true),
    name: new TextDecoder().decode(end < 0 ? nameBytes : nameBytes.subarray(0, end)),
  };
}

export interface Rect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const RECT_SIZE = 16;

export function encodeRects(rects: Rect[]): Uint8Array {
  const out = new Uint8Array(rects.length * RECT_SIZE);
  const dv = new DataView(out.buffer);
  rects.forEach((r, i) => [r.x1, r.y1, r.x2, r.y2].forEach((v, j) => dv.setInt32(i * RECT_SIZE + 4 * j, v, true)));
  return out;
}

/** undefined unless `bytes` is a whole number of drm_mode_rect. */
export function decodeRects(bytes: Uint8Array): Rect[] | undefined {
  if (bytes.length % RECT_SIZE !== 0) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Rect[] = [];
  for (let o = 0; o < bytes.length; o += RECT_SIZE) {
    out.push({ x1: dv.getInt32(o, true), y1: dv.getInt32(o + 4, true), x2: dv.getInt32(o + 8, true), y2: dv.getInt32(o + 12, true) });
  }
  return out;
}

/** IN_FORMATS: version 1 header, the formats, and one modifier (LINEAR) that applies to all of them (≤ 64). */
export function encodeInFormats(formats: readonly number[]): Uint8Array {
  const header = 24;
  const formatsOffset = header;
  const modifiersOffset = formatsOffset + 4 * formats.length;
  const out = new Uint8Array(modifiersOffset + 24);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 1, true); // version
  dv.setUint32(4, 0, true); // flags
  dv.setUint32(8, formats.length, true);
  dv.setUint32(12, formatsOffset, true);
  dv.setUint32(16, 1, true); // count_modifiers
  dv.setUint32(20, modifiersOffset, true);
  formats.forEach((f, i) => dv.setUint32(formatsOffset + 4 * i, f, true));
  dv.setBigUint64(modifiersOffset, (1n << BigInt(formats.length)) - 1n, true); // formats bitmask
  dv.setUint32(modifiersOffset + 8, 0, true); // offset into the format list
  dv.setBigUint64(modifiersOffset + 16, 0n, true); // DRM_FORMAT_MOD_LINEAR
  return out;
}

export interface InFormats {
  formats: number[];
  /** Each modifier with the formats it applies to. */
  modifiers: { modifier: bigint; formats: number[] }[];
}

/** Reads a drm_format_modifier_blob (any device's); undefined when its counts or offsets do not fit. */
export function decodeInFormats(bytes: Uint8Array): InFormats | undefined {
  if (bytes.length < 24) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [count, formatsOffset, modCount, modsOffset] = [8, 12, 16, 20].map((o) => dv.getUint32(o, true)) as [number, number, number, number];
  if (formatsOffset + 4 * count > bytes.length || modsOffset + 24 * modCount > bytes.length) return undefined;
  const formats = Array.from({ length: count }, (_, i) => dv.getUint32(formatsOffset + 4 * i, true));
  const modifiers = Array.from({ length: modCount }, (_, i) => {
    const at = modsOffset + 24 * i;
    const mask = dv.getBigUint64(at, true);
    const base = dv.getUint32(at + 8, true);
    const applies = formats.filter((_, f) => f >= base && f < base + 64 && ((mask >> BigInt(f - base)) & 1n) === 1n);
    return { modifier: dv.getBigUint64(at + 16, true), formats: applies };
  });
  return { formats, modifiers };
}
