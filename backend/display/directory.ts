// Resolving a page directory the frontend wrote: the buffer's grant refs, each mapped to a page of a segment it
// shared. Unknown refs are EINVAL, like a failed grant map.
import { pagesForSize, readPageDirectory } from '../../protocol/displif/page-directory.js';
import { pvError } from '../../shared/errors.js';
import type { GrantMap } from '../../shared/grants.js';
import { PAGE } from '../../shared/shm.js';
import type { PageRef } from './dbuf.js';

export function readDirectoryPages(grants: GrantMap, firstGref: number, bufferSz: number): PageRef[] {
  const grefs = readPageDirectory((g) => grants.page(g), firstGref, pagesForSize(bufferSz));
  return grefs.map((gref) => {
    const ref = grants.resolve(gref);
    if (!ref) throw pvError('EINVAL', `buffer names unknown grant ref ${gref}`);
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
