// Where a framebuffer's damage lies in the bytes the remote transport mirrors: a dbuf's pages and geometry (as
// the backend reads them: rows a Linux dumb-buffer pitch apart from data_ofs), an fb's size and bytes per pixel,
// and rects (FB_DAMAGE_CLIPS, DIRTYFB clips) turned into merged byte ranges of the segment that holds the dbuf.
import type { Rect } from '../../protocol/kms/blobs.js';
import type { PageRun } from '../../shared/remote/mirror-table.js';

export interface Dbuf {
  runs: PageRun[];
  /** As Linux computes a dumb buffer's (the backend reads rows this far apart). */
  pitch: number;
  dataOfs: number;
}

export interface Fb {
  dbuf: bigint;
  width: number;
  height: number;
  /** Bytes per pixel; 0 for a format this side does not know (its clips are not used). */
  cpp: number;
}

export type ByteRange = [from: number, to: number];

/** The rows of each rect (clamped to the fb) as byte ranges of the segment holding the dbuf at `base`. */
export function rectRanges(rects: readonly Rect[], fb: Fb, dbuf: Dbuf, base: number): ByteRange[] | null {
  if (fb.cpp === 0) return null;
  const pitch = dbuf.pitch || fb.width * fb.cpp;
  const out: ByteRange[] = [];
  for (const r of rects) {
    const x1 = Math.max(0, r.x1);
    const x2 = Math.min(fb.width, r.x2);
    for (let y = Math.max(0, r.y1); y < Math.min(fb.height, r.y2) && x1 < x2; y++) {
      const at = base + dbuf.dataOfs + y * pitch;
      out.push([at + x1 * fb.cpp, at + x2 * fb.cpp]);
    }
  }
  return out;
}

/** Sorted, with overlapping and touching ranges joined (so no byte is looked at or sent twice). */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: ByteRange[] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}
