// Property-blob layouts: IN_FORMATS (drm_format_modifier_blob) as the device writes it and as any device may,
// read back by the decoder `pvdisplay info` uses.
import { describe, expect, it } from 'vitest';
import { decodeInFormats, encodeInFormats } from '../../protocol/kms/blobs.js';
import { XRGB8888, ARGB8888 } from '../../protocol/formats.js';

describe('IN_FORMATS', () => {
  it('our blob reads back as every format with LINEAR', () => {
    const formats = [XRGB8888.fourcc, ARGB8888.fourcc];
    expect(decodeInFormats(encodeInFormats(formats))).toEqual({ formats, modifiers: [{ modifier: 0n, formats }] });
  });

  it("another device's blob: a modifier that applies to some formats from an offset", () => {
    const blob = new Uint8Array(24 + 3 * 4 + 24);
    const dv = new DataView(blob.buffer);
    [1, 0, 3, 24, 1, 36].forEach((v, i) => dv.setUint32(i * 4, v, true));
    [10, 20, 30].forEach((f, i) => dv.setUint32(24 + 4 * i, f, true));
    dv.setBigUint64(36, 0b11n, true); // formats 1 and 2 counted from offset 1
    dv.setUint32(44, 1, true);
    dv.setBigUint64(52, 0x0100000000000001n, true);
    expect(decodeInFormats(blob)).toEqual({ formats: [10, 20, 30], modifiers: [{ modifier: 0x0100000000000001n, formats: [20, 30] }] });
  });

  it('counts or offsets past the end are refused, not read', () => {
    const blob = encodeInFormats([XRGB8888.fourcc]);
    new DataView(blob.buffer).setUint32(8, 1000, true);
    expect(decodeInFormats(blob)).toBeUndefined();
    expect(decodeInFormats(new Uint8Array(10))).toBeUndefined();
  });
});
