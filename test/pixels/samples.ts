// Hand-worked pixels of every format (memory bytes -> RGBA8) shared by the RGBA and PNG tests.
import { PIXEL_FORMATS, fourccFromString } from '../../protocol/formats.js';
import type { FrameView } from '../../shared/pixels/frame.js';

export interface Sample {
  fourcc: string;
  /** Visible pixels of one row, in memory order. */
  bytes: number[];
  /** Expected RGBA8 of those pixels. */
  rgba: number[];
}

export const SAMPLES: Sample[] = [
  // [15:0] R:G:B 5:6:5; 0x8410 is mid grey: 5-bit 16 -> 132, 6-bit 32 -> 130 by bit replication.
  { fourcc: 'RG16', bytes: [0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00, 0x10, 0x84], rgba: [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 132, 130, 132, 255] },
  // [23:0] R:G:B little endian: memory is B, G, R.
  { fourcc: 'RG24', bytes: [0x11, 0x22, 0x33, 0xff, 0x00, 0x80], rgba: [0x33, 0x22, 0x11, 255, 0x80, 0x00, 0xff, 255] },
  { fourcc: 'XR24', bytes: [0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0xff, 0x00], rgba: [0x33, 0x22, 0x11, 255, 0xff, 0, 0, 255] },
  { fourcc: 'AR24', bytes: [0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0xff, 0x00], rgba: [0x33, 0x22, 0x11, 0x44, 0xff, 0, 0, 0] },
  // [15:0] x:R:G:B 4:4:4:4: nibble n -> n * 17.
  { fourcc: 'XR12', bytes: [0x23, 0xf1, 0x0f, 0x00], rgba: [17, 34, 51, 255, 0, 0, 255, 255] },
  { fourcc: 'AR12', bytes: [0x23, 0x81, 0x0f, 0xf0], rgba: [17, 34, 51, 136, 0, 0, 255, 255] },
  // [15:0] x:R:G:B 1:5:5:5: 5-bit 1 -> 8, 31 -> 255.
  { fourcc: 'XR15', bytes: [0x21, 0x84, 0x00, 0x7c], rgba: [8, 8, 8, 255, 255, 0, 0, 255] },
  { fourcc: 'AR15', bytes: [0x21, 0x84, 0x21, 0x04], rgba: [8, 8, 8, 255, 8, 8, 8, 0] },
  // Y0 Cb Y1 Cr; BT.601 limited: Y 16 black, 235 white, (81, 90, 240) pure red; out-of-range Y clamps.
  {
    fourcc: 'YUYV',
    bytes: [81, 90, 81, 240, 16, 128, 235, 128, 0, 128, 255, 128],
    rgba: [255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255],
  },
];

/**
 * A view showing the sample as two identical rows at origin (2, 1) of a larger framebuffer that starts
 * at a non-zero offset, with row padding; everything around the samples is 0xa5 filler.
 */
export function sampleView(sample: Sample): FrameView {
  const format = PIXEL_FORMATS.find((f) => f.fourcc === fourccFromString(sample.fourcc))!;
  const width = sample.bytes.length / format.cpp;
  const x = 2;
  const y = 1;
  const offset = 7;
  const pitch = (x + width + 1) * format.cpp + 3;
  const data = new Uint8Array(offset + (y + 3) * pitch).fill(0xa5);
  for (let row = 0; row < 2; row++) data.set(sample.bytes, offset + (y + row) * pitch + x * format.cpp);
  return { data, offset, pitch, width, height: 2, x, y, fourcc: format.fourcc };
}
