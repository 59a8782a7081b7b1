// Owns the synthetic images drawn straight into mapped XRGB8888 buffers: the demo's animated test pattern
// (colour bars, a scrolling gradient, a moving square, a 7-segment frame counter) and a deterministic
// noise-plus-gradient image that end-to-end tests check pixel by pixel.
import { pvError } from '../errors.js';

/** An XRGB8888 framebuffer as mapped: `pitch` bytes per row, first pixel at byte 0 of `data` (subarray to offset). */
export interface DrawTarget {
  data: Uint8Array;
  pitch: number;
  width: number;
  height: number;
}

interface Words {
  px: Uint32Array;
  /** Pitch in 32-bit words. */
  stride: number;
  width: number;
  height: number;
}

function words(target: DrawTarget): Words {
  const { data, pitch, width, height } = target;
  if (![pitch, width, height].every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw pvError('EINVAL', `draw target needs positive integer pitch and size (pitch ${pitch}, ${width}x${height})`);
  }
  // Whole-word access needs 4-byte alignment; mapped buffers are page aligned and DRM pitches word aligned.
  if (data.byteOffset % 4 !== 0 || pitch % 4 !== 0) {
    throw pvError('EINVAL', `draw target must be 4-byte aligned (byteOffset ${data.byteOffset}, pitch ${pitch})`);
  }
  if (pitch < width * 4) throw pvError('EINVAL', `pitch ${pitch} is below ${width * 4} for width ${width}`);
  const end = (height - 1) * pitch + width * 4;
  if (end > data.length) throw pvError('EINVAL', `draw target needs ${end} bytes, buffer has ${data.length}`);
  return { px: new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2), stride: pitch / 4, width, height };
}

// XRGB8888 is little endian in memory (B, G, R, X); a big-endian host must store the word byte-swapped.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The Uint32 to store for a colour given as 0xRRGGBB; X is written as 0xff so the pixel is also opaque ARGB. */
function word(rgb: number): number {
  const v = (0xff000000 | rgb) >>> 0;
  return LITTLE_ENDIAN ? v : (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function fillRect(w: Words, x: number, y: number, width: number, height: number, rgb: number): void {
  const x0 = Math.max(0, x);
  const x1 = Math.min(w.width, x + width);
  const y0 = Math.max(0, y);
  const y1 = Math.min(w.height, y + height);
  if (x0 >= x1) return;
  const v = word(rgb);
  for (let row = y0; row < y1; row++) w.px.fill(v, row * w.stride + x0, row * w.stride + x1);
}

// 75% SMPTE bars: white, yellow, cyan, green, magenta, red, blue.
const BARS = [0xc0c0c0, 0xc0c000, 0x00c0c0, 0x00c000, 0xc000c0, 0xc00000, 0x0000c0];

// 7-segment digit masks, bit 0 = segment a ... bit 6 = segment g.
const DIGITS = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f];
const COUNTER_DIGITS = 8;

/** Position on a path that runs 0..span and back, so the square bounces instead of wrapping. */
function bounce(t: number, span: number): number {
  if (span <= 0) return 0;
  const p = t % (2 * span);
  return p <= span ? p : 2 * span - p;
}

function drawDigit(w: Words, x: number, y: number, dw: number, dh: number, digit: number): void {
  const t = Math.max(1, Math.floor(dw / 5));
  const half = Math.floor(dh / 2);
  const segments: readonly (readonly [number, number, number, number])[] = [
    [0, 0, dw, t], // a
    [dw - t, 0, t, half], // b
    [dw - t, half, t, dh - half], // c
    [0, dh - t, dw, t], // d
    [0, half, t, dh - half], // e
    [0, 0, t, half], // f
    [0, half - (t >> 1), dw, t], // g
  ];
  const mask = DIGITS[digit]!;
  // Unlit segments stay faintly visible, as on a real display, so the digit cell reads as one.
  segments.forEach(([sx, sy, sw, sh], i) => fillRect(w, x + sx, y + sy, sw, sh, mask & (1 << i) ? 0xffffff : 0x303030));
}

function drawCounter(w: Words, top: number, height: number, frame: number): void {
  const dh = Math.floor(height * 0.6);
  const dw = Math.min(Math.floor(dh / 2), Math.floor(w.width / (COUNTER_DIGITS * 1.5 + 1)));
  if (dw < 3) return; // too small to draw legibly
  const gap = Math.ceil(dw / 2);
  const y = top + Math.floor((height - dh) / 2);
  let n = frame % 10 ** COUNTER_DIGITS;
  for (let i = COUNTER_DIGITS - 1; i >= 0; i--, n = Math.floor(n / 10)) drawDigit(w, gap + i * (dw + gap), y, dw, dh, n % 10);
}

/**
 * Draws frame number `frame` of the demo pattern over the whole target. Stateless: each call redraws every
 * visible pixel, and consecutive frames differ (the counter and the square move every frame).
 */
export function drawPattern(target: DrawTarget, frame: number): void {
  if (!Number.isSafeInteger(frame) || frame < 0) throw pvError('EINVAL', `frame must be a non-negative integer, got ${frame}`);
  const w = words(target);
  const { width, height, stride, px } = w;
  const barsH = Math.ceil((height * 2) / 3);
  const bandH = Math.ceil(height / 12);
  const bottom = barsH + bandH;

  for (let i = 0; i < BARS.length; i++) {
    const x0 = Math.floor((i * width) / BARS.length);
    fillRect(w, x0, 0, Math.floor(((i + 1) * width) / BARS.length) - x0, barsH, BARS[i]!);
  }

  // Grey ramp scrolling with the frame: compute one row, then copy it down the band.
  if (barsH < height) {
    const first = barsH * stride;
    for (let x = 0; x < width; x++) {
      const v = (Math.floor((x * 256) / width) + frame * 4) & 0xff;
      px[first + x] = word(v * 0x010101);
    }
    for (let row = barsH + 1; row < Math.min(bottom, height); row++) px.copyWithin(row * stride, first, first + width);
  }

  fillRect(w, 0, bottom, width, height - bottom, 0x101010);
  drawCounter(w, bottom, height - bottom, frame);

  const side = Math.max(2, Math.floor(Math.min(width, height) / 10));
  const sx = bounce(frame * 4, width - side);
  const sy = bounce(frame * 3, height - side);
  fillRect(w, sx, sy, side, side, 0x000000);
  fillRect(w, sx + 1, sy + 1, side - 2, side - 2, 0xff8000);
}

function mix32(h: number): number {
  // lowbias32 finaliser: cheap and well distributed, so neighbouring pixels get unrelated noise.
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The colour (0xffRRGGBB) drawKnownImage puts at (x, y) for `seed`: noise seeded by (seed, x, y) on top
 * of an x/y gradient. Independent of the image size, so tests can check any pixel without a reference copy.
 */
export function knownImagePixel(seed: number, x: number, y: number): number {
  const n = mix32(mix32(mix32(seed ^ 0x9e3779b9) ^ x) ^ y);
  const r = (x + (n & 0x3f)) & 0xff;
  const g = (y + ((n >>> 8) & 0x3f)) & 0xff;
  const b = (n >>> 16) & 0xff;
  return (0xff000000 | (r << 16) | (g << 8) | b) >>> 0;
}

/** Fills the target with the deterministic image knownImagePixel describes. */
export function drawKnownImage(target: DrawTarget, seed: number): void {
  const w = words(target);
  for (let y = 0; y < w.height; y++) {
    const row = y * w.stride;
    for (let x = 0; x < w.width; x++) w.px[row + x] = word(knownImagePixel(seed, x, y) & 0xffffff);
  }
}
