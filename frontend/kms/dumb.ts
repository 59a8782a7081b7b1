// Dumb-buffer geometry with the kernel's overflow rules (K-DUMB-02..06, 09): pitch = ceil(width × bpp / 8),
// size = pitch × height rounded up to a page.
import { pvError } from '../../shared/errors.js';
import { PAGE } from '../../shared/shm.js';

const U32 = 0xffffffff;

export interface DumbGeometry {
  pitch: number;
  size: number;
  /** size before page rounding, what DBUF_CREATE carries. */
  bytes: number;
}

export function dumbGeometry(width: number, height: number, bpp: number): DumbGeometry {
  if (width === 0 || height === 0 || bpp === 0) throw pvError('EINVAL', 'width, height and bpp must be non-zero');
  if (bpp > U32 - 8) throw pvError('EINVAL', `bpp ${bpp} too large`);
  const cpp = Math.ceil(bpp / 8);
  if (cpp * width > U32) throw pvError('EINVAL', `width ${width} × ${cpp} bytes overflows 32 bits`);
  const pitch = Math.ceil((width * bpp) / 8);
  if (pitch * height > U32) throw pvError('EINVAL', `height ${height} × pitch ${pitch} overflows 32 bits`);
  const bytes = pitch * height;
  const size = Math.ceil(bytes / PAGE) * PAGE;
  if (size === 0 || size > U32) throw pvError('EINVAL', `size ${bytes} wraps when page aligned`);
  return { pitch, size, bytes };
}
