// Which bytes of a buffer changed since they were last sent: the buffer against the sender's shadow of what the
// peer's mirror holds, compared page by page and, inside a page that differs, in 256-byte blocks (a 64-pixel run
// of XRGB8888), so that a small sprite costs a few blocks per row and a static screen costs one memcmp per page.
import { PAGE } from '../shm.js';

const BLOCK = 256;

function buf(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const ZERO = Buffer.alloc(PAGE);

/**
 * Spans [offset, length, …] of `cur` within [from, to) that differ from `shadow` (undefined: from zeros, what a
 * fresh memfd holds on both ends, so a buffer that was never sent needs no shadow yet), adjacent ones merged.
 */
export function changedSpans(cur: Uint8Array, shadow: Uint8Array | undefined, from: number, to: number): number[] {
  const a = buf(cur);
  const b = shadow && buf(shadow);
  const same = (x: number, end: number) => (b ? a.compare(b, x, end, x, end) : a.compare(ZERO, 0, end - x, x, end)) === 0;
  const out: number[] = [];
  const add = (off: number, len: number) => {
    const n = out.length;
    if (n > 0 && out[n - 2]! + out[n - 1]! === off) out[n - 1]! += len;
    else out.push(off, len);
  };
  for (let p = from; p < to; p += PAGE) {
    const pEnd = Math.min(p + PAGE, to);
    if (same(p, pEnd)) continue;
    for (let x = p; x < pEnd; x += BLOCK) {
      const xEnd = Math.min(x + BLOCK, pEnd);
      if (!same(x, xEnd)) add(x, xEnd - x);
    }
  }
  return out;
}

/** Cuts spans into groups of at most `limit` bytes each, splitting a span that is longer. */
export function chunkSpans(spans: readonly number[], limit: number): number[][] {
  const chunks: number[][] = [];
  let cur: number[] = [];
  let size = 0;
  for (let i = 0; i < spans.length; i += 2) {
    let off = spans[i]!;
    let len = spans[i + 1]!;
    while (len > 0) {
      const take = Math.min(len, limit - size);
      cur.push(off, take);
      size += take;
      off += take;
      len -= take;
      if (size === limit) {
        chunks.push(cur);
        cur = [];
        size = 0;
      }
    }
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
