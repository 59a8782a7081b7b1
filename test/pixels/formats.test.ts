// Checks the format table against the fourcc values in Linux's drm_fourcc.h and the legacy ADDFB mapping.
import { describe, expect, it } from 'vitest';
import {
  PIXEL_FORMATS,
  formatByFourcc,
  formatForBppDepth,
  fourccFromString,
  fourccToString,
  minPitch,
  XRGB8888,
  YUYV,
} from '../../protocol/formats.js';

// Written out as hex (not derived from the strings) so an encoding bug cannot hide.
const SPEC: Record<string, [string, number, number, boolean]> = {
  RGB565: ['RG16', 0x36314752, 2, false],
  RGB888: ['RG24', 0x34324752, 3, false],
  XRGB8888: ['XR24', 0x34325258, 4, false],
  ARGB8888: ['AR24', 0x34325241, 4, true],
  XRGB4444: ['XR12', 0x32315258, 2, false],
  ARGB4444: ['AR12', 0x32315241, 2, true],
  XRGB1555: ['XR15', 0x35315258, 2, false],
  ARGB1555: ['AR15', 0x35315241, 2, true],
  YUYV: ['YUYV', 0x56595559, 2, false],
};

describe('pixel formats', () => {
  it('has exactly the nine formats of the Linux Xen frontend with spec fourcc codes', () => {
    expect(PIXEL_FORMATS.map((f) => f.name).sort()).toEqual(Object.keys(SPEC).sort());
    for (const f of PIXEL_FORMATS) {
      const [str, code, cpp, alpha] = SPEC[f.name]!;
      expect(f.fourcc, f.name).toBe(code);
      expect(fourccToString(f.fourcc)).toBe(str);
      expect(fourccFromString(str)).toBe(code);
      expect(formatByFourcc(code)).toBe(f);
      expect(f.cpp).toBe(cpp);
      expect(f.bpp).toBe(cpp * 8);
      expect(f.hasAlpha).toBe(alpha);
    }
  });

  it('gives DRM depths and maps legacy bpp/depth pairs', () => {
    const depths = Object.fromEntries(PIXEL_FORMATS.map((f) => [f.name, f.depth]));
    expect(depths).toMatchObject({ XRGB8888: 24, ARGB8888: 32, RGB888: 24, RGB565: 16, XRGB1555: 15 });
    expect(formatForBppDepth(16, 15)?.name).toBe('XRGB1555');
    expect(formatForBppDepth(16, 16)?.name).toBe('RGB565');
    expect(formatForBppDepth(24, 24)?.name).toBe('RGB888');
    expect(formatForBppDepth(32, 24)?.name).toBe('XRGB8888');
    expect(formatForBppDepth(32, 32)?.name).toBe('ARGB8888');
    for (const [bpp, depth] of [[8, 8], [32, 30], [16, 12], [16, 0], [32, 0], [0, 0]] as const) {
      expect(formatForBppDepth(bpp, depth), `${bpp}/${depth}`).toBeUndefined();
    }
  });

  it('rejects unknown codes and malformed strings', () => {
    expect(formatByFourcc(0)).toBeUndefined();
    expect(formatByFourcc(fourccFromString('NV12'))).toBeUndefined();
    expect(fourccToString(0x00325258)).toBe('XR2?');
    expect(() => fourccFromString('XR2')).toThrow(RangeError);
    expect(() => fourccFromString('XR245')).toThrow(RangeError);
    expect(() => fourccFromString('XR2\u00e9')).toThrow(RangeError);
  });

  it('computes minimum pitches, whole YUYV macropixels included', () => {
    expect(minPitch(XRGB8888, 1920)).toBe(7680);
    expect(minPitch(formatByFourcc(0x34324752)!, 5)).toBe(15);
    expect(minPitch(YUYV, 4)).toBe(8);
    expect(minPitch(YUYV, 5)).toBe(12);
  });
});
