// Owns the frame CRC: the CRC of the visible area's bytes in the buffer's own format, which both display
// ends compute to prove that what the frontend drew is what the backend scanned out.
import { crc32 } from 'node:zlib';
import { crc32Rows } from '../native/index.js';
import { rowStart, validateFrameView, type FrameView } from './frame.js';

/**
 * CRC-32 (zlib/IEEE) of the visible area's bytes in the buffer's own format: the visible part of each row,
 * top to bottom, as if copied out without padding. Reads subarray views; nothing is copied.
 */
export function frameCrc(view: FrameView): number {
  const format = validateFrameView(view);
  const rowBytes = view.width * format.cpp;
  const first = rowStart(view, format, 0);
  // A full-width area with no padding is one contiguous run, so one call covers it.
  if (view.pitch === rowBytes) return crc32(view.data.subarray(first, first + rowBytes * view.height));
  let crc = 0;
  for (let row = 0; row < view.height; row++) {
    const start = first + row * view.pitch;
    crc = crc32(view.data.subarray(start, start + rowBytes), crc);
  }
  return crc;
}

/**
 * frameCrc computed off the JS thread (libuv's pool), for scanouts that must not wait for 8 MB of reads; `bands`
 * (1 or 2) threads at once for a big frame. The caller keeps the view's memory mapped, and what it shows unchanged,
 * until the promise settles.
 */
export function frameCrcAsync(view: FrameView, bands = 2): Promise<number> {
  const format = validateFrameView(view);
  return crc32Rows(view.data, rowStart(view, format, 0), view.width * format.cpp, view.pitch, view.height, bands);
}

/** CRC-32 (zlib/IEEE) of a byte array, the same function frameCrc applies to the visible rows. */
export function bytesCrc(bytes: Uint8Array): number {
  return crc32(bytes);
}
