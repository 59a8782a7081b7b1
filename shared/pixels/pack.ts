// Owns copying a visible area out of its buffer into tightly packed rows (no pitch padding), in the buffer's own
// format: what a recorder keeps of a frame before the client may draw over it again.
import { rowStart, validateFrameView, type FrameView } from './frame.js';

/** Bytes of the visible area packed without padding. */
export function packedSize(view: FrameView): number {
  return view.width * validateFrameView(view).cpp * view.height;
}

/** Copies the visible area into `out` (at least packedSize(view) bytes), rows top to bottom. */
export function packVisible(view: FrameView, out: Uint8Array): void {
  const format = validateFrameView(view);
  const rowBytes = view.width * format.cpp;
  if (out.length < rowBytes * view.height) throw new RangeError(`packVisible: ${out.length} bytes cannot hold ${rowBytes * view.height}`);
  const first = rowStart(view, format, 0);
  // A full-width area with no padding is one contiguous run, so one copy covers it.
  if (view.pitch === rowBytes) {
    out.set(view.data.subarray(first, first + rowBytes * view.height));
    return;
  }
  for (let row = 0; row < view.height; row++) {
    const start = first + row * view.pitch;
    out.set(view.data.subarray(start, start + rowBytes), row * rowBytes);
  }
}
