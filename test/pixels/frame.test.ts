// Checks that validateFrameView accepts areas that fit exactly and refuses everything else with EINVAL.
import { describe, expect, it } from 'vitest';
import { XRGB8888, YUYV } from '../../protocol/formats.js';
import { rowStart, validateFrameView, type FrameView } from '../../shared/pixels/frame.js';

const base: FrameView = { data: new Uint8Array(16 + 3 * 40), offset: 16, pitch: 40, width: 8, height: 3, x: 2, y: 0, fourcc: XRGB8888.fourcc };

function expectEinval(patch: Partial<FrameView>): void {
  let caught: unknown;
  try {
    validateFrameView({ ...base, ...patch });
  } catch (e) {
    caught = e;
  }
  expect(caught, JSON.stringify(Object.keys(patch))).toMatchObject({ code: 'EINVAL', errno: 22 });
}

describe('validateFrameView', () => {
  it('accepts an area ending exactly at the end of the buffer and returns its format', () => {
    expect(validateFrameView(base)).toBe(XRGB8888);
    expect(rowStart(base, XRGB8888, 2)).toBe(16 + 2 * 40 + 8);
  });

  it('refuses areas outside the buffer or the pitch', () => {
    expectEinval({ data: new Uint8Array(16 + 3 * 40 - 1) });
    expectEinval({ y: 1 });
    expectEinval({ offset: 17 });
    expectEinval({ x: 3 });
    expectEinval({ pitch: 39, data: new Uint8Array(1000) });
  });

  it('refuses bad numbers, empty areas and unknown formats', () => {
    expectEinval({ width: 0 });
    expectEinval({ height: 0 });
    expectEinval({ x: -1 });
    expectEinval({ offset: 0.5 });
    expectEinval({ pitch: Number.NaN });
    expectEinval({ fourcc: 0x3231564e }); // NV12
  });

  it('refuses YUYV areas that split a macropixel', () => {
    const yuyv = { fourcc: YUYV.fourcc, x: 0, width: 8, data: new Uint8Array(1000) };
    expect(validateFrameView({ ...base, ...yuyv })).toBe(YUYV);
    expectEinval({ ...yuyv, x: 1 });
    expectEinval({ ...yuyv, width: 7 });
  });
});
