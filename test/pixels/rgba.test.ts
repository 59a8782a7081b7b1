// Checks toRgba against hand-worked pixels of every format.
import { describe, expect, it } from 'vitest';
import { PIXEL_FORMATS, fourccToString } from '../../protocol/formats.js';
import { toRgba } from '../../shared/pixels/rgba.js';
import { SAMPLES, sampleView } from './samples.js';

describe('toRgba', () => {
  it('has a sample for every format', () => {
    expect(SAMPLES.map((s) => s.fourcc).sort()).toEqual(PIXEL_FORMATS.map((f) => fourccToString(f.fourcc)).sort());
  });

  for (const sample of SAMPLES) {
    it(`converts ${sample.fourcc} exactly`, () => {
      const view = sampleView(sample);
      expect(Array.from(toRgba(view))).toEqual([...sample.rgba, ...sample.rgba]);
    });
  }

  it('refuses an invalid view with EINVAL', () => {
    const view = sampleView(SAMPLES[2]!);
    expect(() => toRgba({ ...view, height: 5 })).toThrow(expect.objectContaining({ code: 'EINVAL', errno: 22 }));
  });
});
