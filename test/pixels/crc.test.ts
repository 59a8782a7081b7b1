// Checks frameCrc against zlib.crc32 of the visible bytes copied out by a plain loop, and that only
// visible bytes count.
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIXEL_FORMATS, XRGB8888 } from '../../protocol/formats.js';
import { bytesCrc, frameCrc, frameCrcAsync } from '../../shared/pixels/crc.js';
import { crc32Rows } from '../../shared/native/index.js';
import type { FrameView } from '../../shared/pixels/frame.js';

/** The reference: copy every visible byte out, pixel by pixel, then CRC the copy. */
function referenceCrc(v: FrameView, cpp: number): number {
  const out: number[] = [];
  for (let row = 0; row < v.height; row++) {
    for (let col = 0; col < v.width; col++) {
      for (let k = 0; k < cpp; k++) out.push(v.data[v.offset + (v.y + row) * v.pitch + (v.x + col) * cpp + k]!);
    }
  }
  return crc32(Uint8Array.from(out));
}

function isVisible(v: FrameView, cpp: number, index: number): boolean {
  const rel = index - v.offset;
  if (rel < 0) return false;
  const row = Math.floor(rel / v.pitch);
  const col = Math.floor((rel % v.pitch) / cpp);
  return row >= v.y && row < v.y + v.height && col >= v.x && col < v.x + v.width;
}

/** Random geometry in any format, with padding on every side and random buffer contents. */
const arbView = fc
  .record({
    formatIndex: fc.nat(PIXEL_FORMATS.length - 1),
    units: fc.integer({ min: 1, max: 12 }),
    height: fc.integer({ min: 1, max: 9 }),
    xUnits: fc.nat(4),
    y: fc.nat(4),
    extraRows: fc.nat(3),
    padding: fc.nat(13),
    offset: fc.nat(50),
    slack: fc.nat(20),
    seed: fc.integer(),
  })
  .map((p) => {
    const format = PIXEL_FORMATS[p.formatIndex]!;
    // Widths and x origins count in whole macropixels so YUYV areas stay valid.
    const width = p.units * format.hsub;
    const x = p.xUnits * format.hsub;
    const pitch = (x + width) * format.cpp + p.padding;
    const rows = p.y + p.height + p.extraRows;
    const data = new Uint8Array(p.offset + rows * pitch + p.slack);
    let s = p.seed | 1;
    for (let i = 0; i < data.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      data[i] = s & 0xff;
    }
    const view: FrameView = { data, offset: p.offset, pitch, width, height: p.height, x, y: p.y, fourcc: format.fourcc };
    return { view, cpp: format.cpp };
  });

describe('frameCrc', () => {
  it('bytesCrc is the standard CRC-32', () => {
    expect(bytesCrc(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(bytesCrc(new Uint8Array(0))).toBe(0);
  });

  it('equals zlib.crc32 of the visible bytes copied out', () => {
    fc.assert(
      fc.property(arbView, ({ view, cpp }) => {
        expect(frameCrc(view)).toBe(referenceCrc(view, cpp));
      }),
      { numRuns: 300 },
    );
  });

  it('covers the contiguous case (pitch equal to the row size)', () => {
    const data = Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => (i * 37) & 0xff);
    const view: FrameView = { data, offset: 0, pitch: 20, width: 5, height: 3, x: 0, y: 0, fourcc: XRGB8888.fourcc };
    expect(frameCrc(view)).toBe(crc32(data));
  });

  it('changes with any visible byte and with no byte outside the visible area', () => {
    fc.assert(
      fc.property(arbView, fc.nat(), ({ view: generated, cpp }, pick) => {
        const view = { ...generated, data: generated.data.slice() }; // fast-check may hand the value out again
        const index = pick % view.data.length;
        const before = frameCrc(view);
        view.data[index] = view.data[index]! ^ 0x5a;
        if (isVisible(view, cpp, index)) expect(frameCrc(view)).not.toBe(before);
        else expect(frameCrc(view)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('changes when one pixel inside changes but not when its neighbour just outside does', () => {
    const data = new Uint8Array(8 * 4 * 6);
    const view: FrameView = { data, offset: 0, pitch: 32, width: 4, height: 3, x: 2, y: 1, fourcc: XRGB8888.fourcc };
    const crc = frameCrc(view);
    data[1 * 32 + 1 * 4] = 0xff; // (1,1): left of the area
    data[2 * 32 + 6 * 4 + 2] = 0xff; // (6,2): right of it
    data[4 * 32 + 3 * 4] = 0xff; // (3,4): below it
    expect(frameCrc(view)).toBe(crc);
    data[2 * 32 + 5 * 4 + 3] = 0x01; // (5,2): last visible column, X byte
    expect(frameCrc(view)).not.toBe(crc);
  });
});

describe('frameCrcAsync (thread pool)', () => {
  it('equals zlib.crc32 of the visible bytes copied out', async () => {
    await fc.assert(
      fc.asyncProperty(arbView, async ({ view, cpp }) => {
        expect(await frameCrcAsync(view)).toBe(referenceCrc(view, cpp));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses rows that leave the array (EINVAL), and a pitch shorter than a row', () => {
    const data = new Uint8Array(100);
    expect(() => crc32Rows(data, 0, 10, 10, 11)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(data, 91, 10, 10, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(data, 0, 10, 9, 2)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(data, 0, 10, 2 ** 52, 2)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(data, 0, 10, 10, 2, 3)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(data, 0, 10, 10, 2, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => crc32Rows(new Uint16Array(4) as unknown as Uint8Array, 0, 2, 2, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('a frame big enough for two bands at once (contiguous, padded, odd row counts) equals zlib.crc32', async () => {
    const data = Uint8Array.from({ length: 3840 * 4 * 301 + 64 }, (_, i) => (i * 2654435761) >>> 24);
    expect(await crc32Rows(data, 0, 3840 * 4, 3840 * 4, 301)).toBe(crc32(data.subarray(0, 3840 * 4 * 301)));
    expect(await crc32Rows(data, 0, 3840 * 4, 3840 * 4, 301, 1)).toBe(crc32(data.subarray(0, 3840 * 4 * 301)));
    const rows: Uint8Array[] = [];
    for (let r = 0; r < 299; r++) rows.push(data.subarray(16 + r * 3840 * 4, 16 + r * 3840 * 4 + 3000 * 4));
    expect(await crc32Rows(data, 16, 3000 * 4, 3840 * 4, 299)).toBe(crc32(Buffer.concat(rows)));
  });

  it('reads the last byte of the array and no further', async () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    expect(await crc32Rows(data, 90, 10, 10, 1)).toBe(crc32(data.subarray(90)));
    expect(await crc32Rows(data, 0, 10, 45, 3)).toBe(crc32(Buffer.concat([data.subarray(0, 10), data.subarray(45, 55), data.subarray(90, 100)])));
  });
});
