// Owns FrameView, the description of a visible area inside a mapped buffer, and its validation: every pixel
// helper (CRC, RGBA conversion, PNG) takes one and relies on validateFrameView to keep its reads in bounds.
import { formatByFourcc, fourccToString, type PixelFormat } from '../../protocol/formats.js';
import { pvError } from '../errors.js';

export interface FrameView {
  /** The whole mapped buffer. */
  data: Uint8Array;
  /** Byte offset of the framebuffer's first pixel inside `data`. */
  offset: number;
  /** Bytes from one framebuffer row to the next. */
  pitch: number;
  /** Visible area size in pixels. */
  width: number;
  height: number;
  /** Visible origin inside the framebuffer, in pixels. */
  x: number;
  y: number;
  fourcc: number;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Checks that the visible area is a sane, non-empty rectangle in a known format whose rows stay within one
 * pitch and whose bytes all lie inside `data`; returns its format. Throws EINVAL (errno 22) otherwise.
 */
export function validateFrameView(view: FrameView): PixelFormat {
  const { data, offset, pitch, width, height, x, y, fourcc } = view;
  const format = formatByFourcc(fourcc);
  if (!format) throw pvError('EINVAL', `unsupported pixel format ${fourccToString(fourcc)} (0x${(fourcc >>> 0).toString(16)})`);
  if (![offset, pitch, width, height, x, y].every(isCount)) {
    throw pvError('EINVAL', `frame geometry must be non-negative integers (offset ${offset}, pitch ${pitch}, ${width}x${height}+${x}+${y})`);
  }
  if (width === 0 || height === 0) throw pvError('EINVAL', `empty visible area ${width}x${height}`);
  // YUYV pairs share chroma, so an area must not split a macropixel.
  if (x % format.hsub !== 0 || width % format.hsub !== 0) {
    throw pvError('EINVAL', `${format.name} needs x and width to be multiples of ${format.hsub} (x ${x}, width ${width})`);
  }
  const rowEnd = (x + width) * format.cpp;
  if (rowEnd > pitch) throw pvError('EINVAL', `visible row ends at byte ${rowEnd}, beyond pitch ${pitch}`);
  const end = offset + (y + height - 1) * pitch + rowEnd;
  if (end > data.length) throw pvError('EINVAL', `visible area ends at byte ${end}, beyond buffer of ${data.length} bytes`);
  return format;
}

/** Byte index in `view.data` of the first visible pixel of visible row `row`. */
export function rowStart(view: FrameView, format: PixelFormat, row: number): number {
  return view.offset + (view.y + row) * view.pitch + view.x * format.cpp;
}
