// RFB pixel formats as a client may ask for them: what is refused (colour maps, odd sizes, channels that do not
// fit), and RGBA8 pixels turned into 16-bit big-endian RGB565, the server's own XRGB8888 and Tight's 3-byte TPIXEL.
import { describe, expect, it } from 'vitest';
import { convertPixels, decodePixelFormat, encodePixelFormat, SERVER_FORMAT, type RfbPixelFormat } from '../../backend/scanout/vnc/pixel-format.js';

const RGB565_BE: RfbPixelFormat = { bitsPerPixel: 16, depth: 16, bigEndian: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };
const RGBA = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 128, 64, 32, 255]);

describe('RFB pixel formats', () => {
  it('round-trips through the 16-byte structure', () => {
    expect(decodePixelFormat(encodePixelFormat(RGB565_BE), 0)).toEqual(RGB565_BE);
    expect(decodePixelFormat(encodePixelFormat(SERVER_FORMAT), 0)).toEqual(SERVER_FORMAT);
  });

  it('refuses colour maps, 24 bits per pixel and channels past the pixel, with EINVAL', () => {
    const colourMap = encodePixelFormat(SERVER_FORMAT);
    colourMap[3] = 0;
    const bpp24 = encodePixelFormat(SERVER_FORMAT);
    bpp24[0] = 24;
    const tooWide = encodePixelFormat({ ...RGB565_BE, redShift: 12 });
    for (const b of [colourMap, bpp24, tooWide]) expect(() => decodePixelFormat(b, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('converts RGBA8 to the client format, scaling each channel to its max', () => {
    expect(convertPixels(RGBA, RGB565_BE).toString('hex')).toBe('f800' + '07e0' + '8204');
    expect(convertPixels(RGBA, SERVER_FORMAT).toString('hex')).toBe('0000ff00' + '00ff0000' + '20408000');
    expect(convertPixels(RGBA, SERVER_FORMAT, true).toString('hex')).toBe('ff0000' + '00ff00' + '804020');
    expect(convertPixels(RGBA, RGB565_BE, true).toString('hex')).toBe('f800' + '07e0' + '8204');
  });
});
