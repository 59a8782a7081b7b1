// Resolving a page directory the frontend wrote: the buffer's grant refs, each mapped to a page of a segment it
// shared. Unknown refs are EINVAL, like a failed grant map, or the errno their grant was refused with (a segment
// that could not be mapped, a grant limit). A buffer must name each page once: a directory that repeats a page
// would make a large buffer out of one page, copied in full at every scanout.
import { pagesForSize, readPageDirectory } from '../../protocol/displif/page-directory.js';
import { pvError } from '../../shared/errors.js';
import type { GrantMap } from '../../shared/grants.js';
import { PAGE, type Segment } from '../../shared/shm.js';
import type { PageRef } from './dbuf.js';

export function readDirectoryPages(grants: GrantMap, firstGref: number, bufferSz: number): PageRef[] {
  const grefs = readPageDirectory((g) => grants.page(g), firstGref, pagesForSize(bufferSz));
  const seen = new Map<Segment, Set<number>>();
  return grefs.map((gref) => {
    const ref = grants.resolve(gref);
    if (!ref) throw grants.refusal(gref) ?? pvError('EINVAL', `buffer names unknown grant ref ${gref}`);
    let pages = seen.get(ref.seg);
    if (!pages) seen.set(ref.seg, (pages = new Set()));
    if (pages.has(ref.page)) throw pvError('EINVAL', `buffer names page ${ref.page} of segment ${ref.seg.id} twice (grant ref ${gref})`);
    pages.add(ref.page);
    return ref;
  });
}

/** Copies `bytes` into the buffer the directory describes (GET_EDID's answer). */
export function writeThroughDirectory(grants: GrantMap, firstGref: number, bufferSz: number, bytes: Uint8Array): void {
  const pages = readDirectoryPages(grants, firstGref, bufferSz);
  for (let off = 0, i = 0; off < bytes.length; off += PAGE, i++) {
    const ref = pages[i]!;
    ref.seg.page(ref.page).set(bytes.subarray(off, Math.min(off + PAGE, bytes.length)));
  }
}
