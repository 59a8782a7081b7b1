// The viewer's damage tracker: exactly the tiles whose pixels changed get a new version, the copy it encodes from
// always equals the screen, and a 64x64 sprite moving on a static 1080p screen touches a few tiles, not the frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIXEL_FORMATS, XRGB8888 } from '../../protocol/formats.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import { toRgba } from '../../shared/pixels/rgba.js';
import { DamageTracker, TILE } from '../../backend/scanout/viewer/damage.js';

function xrgbView(width: number, height: number, pitch = width * 4, offset = 0): FrameView {
  const data = new Uint8Array(offset + pitch * height);
  return { data, offset, pitch, width, height, x: 0, y: 0, fourcc: XRGB8888.fourcc };
}

function fillRect(v: FrameView, x: number, y: number, w: number, h: number, value: number): void {
  for (let row = y; row < y + h; row++) {
    for (let col = x; col < x + w; col++) new DataView(v.data.buffer).setUint32(v.offset + row * v.pitch + col * 4, value, true);
  }
}

/** Every tile's RGBA, reassembled into one image, equals the view's RGBA. */
function copyMatches(t: DamageTracker, v: FrameView): boolean {
  const want = toRgba(v);
  for (let tile = 0; tile < t.versions.length; tile++) {
    const r = t.rect(tile);
    const got = t.rgba(tile);
    for (let row = 0; row < r.height; row++) {
      const a = got.subarray(row * r.width * 4, (row + 1) * r.width * 4);
      const start = ((r.y + row) * v.width + r.x) * 4;
      if (!Buffer.from(a).equals(want.subarray(start, start + r.width * 4))) return false;
    }
  }
  return true;
}

function changedTiles(before: Uint32Array, after: Uint32Array): number[] {
  return [...after.keys()].filter((i) => after[i] !== before[i]);
}

describe('DamageTracker', () => {
  it('a static screen has no damage; one pixel damages exactly its tile', () => {
    const v = xrgbView(200, 130, 848, 64);
    fillRect(v, 0, 0, 200, 130, 0xff102030);
    const t = new DamageTracker(v);
    expect([t.cols, t.rows]).toEqual([4, 3]);
    expect(t.update(v)).toBe(0);
    const before = t.versions.slice();
    fillRect(v, 130, 70, 1, 1, 0xffffffff);
    expect(t.update(v)).toBe(1);
    expect(changedTiles(before, t.versions)).toEqual([1 * 4 + 2]);
    expect(t.rect(6)).toEqual({ x: 128, y: 64, width: 64, height: 64 });
    expect(t.rect(11)).toEqual({ x: 192, y: 128, width: 8, height: 2 });
    expect(copyMatches(t, v)).toBe(true);
  });

  it('in any format and geometry, the changed tiles are those with changed bytes, and the copy follows', () => {
    const arb = fc.record({
      format: fc.constantFrom(...PIXEL_FORMATS),
      width: fc.integer({ min: 1, max: 150 }),
      height: fc.integer({ min: 1, max: 150 }),
      x: fc.integer({ min: 0, max: 20 }),
      y: fc.integer({ min: 0, max: 5 }),
      pad: fc.integer({ min: 0, max: 9 }),
      offset: fc.integer({ min: 0, max: 64 }),
      seed: fc.integer(),
      edits: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const h = p.format.hsub;
        const width = Math.max(h, p.width - (p.width % h));
        const x = p.x - (p.x % h);
        const pitch = (x + width) * p.format.cpp + p.pad;
        const data = new Uint8Array(p.offset + (p.y + p.height) * pitch);
        for (let i = 0; i < data.length; i++) data[i] = (p.seed * 31 + i * 7) & 0xff;
        const v: FrameView = { data, offset: p.offset, pitch, width, height: p.height, x, y: p.y, fourcc: p.format.fourcc };
        const t = new DamageTracker(v);
        const before = t.versions.slice();
        const expected = new Set<number>();
        for (const [px, py, delta] of p.edits) {
          const col = px % width;
          const row = py % p.height;
          const byte = p.offset + (p.y + row) * pitch + (x + col) * p.format.cpp;
          data[byte] = (data[byte]! + delta) & 0xff;
          expected.add(Math.floor(row / TILE) * t.cols + Math.floor(col / TILE));
        }
        // Two edits of one byte may cancel out; a tile is damaged only if its bytes differ in the end.
        t.update(v);
        const got = new Set(changedTiles(before, t.versions));
        for (const tile of got) expect(expected.has(tile)).toBe(true);
        expect(copyMatches(t, v)).toBe(true);
        expect(t.update(v)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('a 64x64 sprite moving on a static 1080p screen damages at most 9 tiles: under 5% of the frame', () => {
    const v = xrgbView(1920, 1080);
    fillRect(v, 0, 0, 1920, 1080, 0xff336699);
    const t = new DamageTracker(v);
    const full = 1920 * 1080 * 4;
    let worst = 0;
    for (let step = 1; step < 40; step++) {
      fillRect(v, 100 + (step - 1) * 7, 200 + (step - 1) * 3, 64, 64, 0xff336699);
      fillRect(v, 100 + step * 7, 200 + step * 3, 64, 64, 0xffff8000);
      const before = t.versions.slice();
      t.update(v);
      const bytes = changedTiles(before, t.versions).reduce((n, i) => n + t.rect(i).width * t.rect(i).height * 4, 0);
      worst = Math.max(worst, bytes);
    }
    expect(worst).toBeLessThanOrEqual(9 * TILE * TILE * 4);
    expect(worst / full).toBeLessThan(0.05);
    expect(copyMatches(t, v)).toBe(true);
  });
});
