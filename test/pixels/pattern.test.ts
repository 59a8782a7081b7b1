// Checks the demo pattern animates, stays inside its rows, and that the known image is deterministic and
// reads back, through the XRGB8888 conversion, as knownImagePixel says.
import { describe, expect, it } from 'vitest';
import { XRGB8888 } from '../../protocol/formats.js';
import { toRgba } from '../../shared/pixels/rgba.js';
import { drawKnownImage, drawPattern, knownImagePixel, type DrawTarget } from '../../shared/pixels/pattern.js';

const SENTINEL = 0xa7;

function target(width: number, height: number, padding = 0, slack = 0): DrawTarget {
  const pitch = width * 4 + padding;
  return { data: new Uint8Array(pitch * height + slack).fill(SENTINEL), pitch, width, height };
}

function rgbaOf(t: DrawTarget): Uint8Array {
  return toRgba({ data: t.data, offset: 0, pitch: t.pitch, width: t.width, height: t.height, x: 0, y: 0, fourcc: XRGB8888.fourcc });
}

function drawn(width: number, height: number, frame: number): Uint8Array {
  const t = target(width, height);
  drawPattern(t, frame);
  return t.data;
}

describe('drawPattern', () => {
  it('differs between consecutive frames and repeats for the same frame', () => {
    for (const [w, h] of [[1920, 1080], [640, 480], [64, 48]] as const) {
      for (const frame of [0, 1, 99, 12345]) {
        const a = drawn(w, h, frame);
        expect(Buffer.from(a).equals(Buffer.from(drawn(w, h, frame + 1))), `${w}x${h} frame ${frame}`).toBe(false);
        expect(Buffer.from(a).equals(Buffer.from(drawn(w, h, frame))), `${w}x${h} frame ${frame}`).toBe(true);
      }
    }
  });

  it('writes every visible pixel and no byte of the row padding or beyond the last row', () => {
    const t = target(101, 37, 12, 9);
    drawPattern(t, 7);
    for (let y = 0; y < t.height; y++) {
      for (let i = t.width * 4; i < t.pitch; i++) expect(t.data[y * t.pitch + i], `row ${y} byte ${i}`).toBe(SENTINEL);
      for (let x = 0; x < t.width; x++) expect(t.data[y * t.pitch + x * 4 + 3], `X byte of ${x},${y}`).toBe(0xff);
    }
    expect(Array.from(t.data.subarray(t.pitch * t.height))).toEqual(new Array(9).fill(SENTINEL));
  });

  it('draws 75% colour bars', () => {
    const t = target(700, 300);
    drawPattern(t, 0);
    const rgba = rgbaOf(t);
    const at = (x: number, y: number) => Array.from(rgba.subarray((y * t.width + x) * 4, (y * t.width + x) * 4 + 4));
    expect(at(250, 100)).toEqual([0, 0xc0, 0xc0, 255]); // cyan, third bar
    expect(at(650, 100)).toEqual([0, 0, 0xc0, 255]); // blue, last bar
  });

  it('refuses misaligned or undersized targets with EINVAL', () => {
    const einval = expect.objectContaining({ code: 'EINVAL', errno: 22 });
    expect(() => drawPattern({ ...target(8, 8, 2), pitch: 34 }, 0)).toThrow(einval);
    expect(() => drawPattern({ ...target(8, 8), data: new Uint8Array(300).subarray(1, 257) }, 0)).toThrow(einval);
    expect(() => drawPattern({ ...target(8, 8), pitch: 28 }, 0)).toThrow(einval);
    expect(() => drawPattern({ ...target(8, 8), height: 9 }, 0)).toThrow(einval);
    expect(() => drawPattern(target(8, 8), -1)).toThrow(einval);
  });
});

describe('drawKnownImage', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = target(64, 40, 8);
    const b = target(64, 40, 8);
    const c = target(64, 40, 8);
    drawKnownImage(a, 42);
    drawKnownImage(b, 42);
    drawKnownImage(c, 43);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
  });

  it('reads back through toRgba as knownImagePixel describes', () => {
    const t = target(300, 20, 4);
    drawKnownImage(t, 7);
    const rgba = rgbaOf(t);
    for (const [x, y] of [[0, 0], [1, 0], [299, 19], [150, 7], [257, 3]] as const) {
      const p = knownImagePixel(7, x, y);
      const i = (y * t.width + x) * 4;
      expect(Array.from(rgba.subarray(i, i + 4)), `${x},${y}`).toEqual([(p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff, 255]);
    }
    // Noise plus a gradient: neighbours differ, and the picture is not flat.
    expect(knownImagePixel(7, 10, 10)).not.toBe(knownImagePixel(7, 11, 10));
    expect(new Set(Array.from({ length: 256 }, (_, x) => knownImagePixel(7, x, 0) & 0xff)).size).toBeGreaterThan(100);
  });
});
