// Page directories (struct xendispl_page_directory): the chain of 4096-byte pages that lists a buffer's grant refs.
// Each page: gref_dir_next_page u32 @0 (0 on the last page), then up to 1023 buffer grefs u32 @4.
// Writers fill pages the caller owns; readers walk a chain the peer wrote, reading each word once, and reject an
// unknown gref, a loop, or a chain longer or shorter than the buffer needs with ProtocolError code 'EINVAL'.
import { PAGE_DIRECTORY_GREFS_PER_PAGE, PAGE_SIZE } from './constants.js';
import { ProtocolError, checkIntRange, U32_MAX } from '../errors.js';

/** Maps a grant ref to the 4096-byte page it names, or undefined when the ref is unknown / not granted. */
export type PageLookup = (gref: number) => Uint8Array | undefined;

const NEXT_OFFSET = 0;
const GREFS_OFFSET = 4;

/** Buffer pages needed for `bufferSz` bytes: ceil(bufferSz / 4096). */
export function pagesForSize(bufferSz: number): number {
  checkIntRange('buffer size', bufferSz, 0, U32_MAX);
  return Math.ceil(bufferSz / PAGE_SIZE);
}

/** Directory pages needed to list `grefCount` buffer grefs: ceil(grefCount / 1023). */
export function directoryPagesFor(grefCount: number): number {
  checkIntRange('gref count', grefCount, 0, U32_MAX);
  return Math.ceil(grefCount / PAGE_DIRECTORY_GREFS_PER_PAGE);
}

function pageView(page: Uint8Array, what: string): DataView {
  if (page.length < PAGE_SIZE) throw new ProtocolError('EINVAL', `${what} is ${page.length} bytes, not ${PAGE_SIZE}`);
  return new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
}

/**
 * Zeroes each directory page and links it to the next: `dirPages[i]` is granted as `dirGrefs[i]`, and its next-page
 * field gets `dirGrefs[i + 1]` (0 on the last). This alone is what a be-alloc frontend writes.
 */
export function writeDirectoryChain(dirPages: readonly Uint8Array[], dirGrefs: readonly number[]): void {
  if (dirPages.length === 0 || dirPages.length !== dirGrefs.length) {
    throw new ProtocolError('EINVAL', `need one gref per directory page (${dirPages.length} pages, ${dirGrefs.length} grefs)`);
  }
  dirGrefs.forEach((gref) => checkIntRange('directory gref', gref, 1, U32_MAX));
  const views = dirPages.map((page, i) => pageView(page, `directory page ${i}`)); // all checked before any write
  views.forEach((view, i) => {
    dirPages[i]!.fill(0, 0, PAGE_SIZE);
    view.setUint32(NEXT_OFFSET, dirGrefs[i + 1] ?? 0, true);
  });
}

/** Checks, before anything is written, that `grefs` are u32 values that exactly fill `pageCount` directory pages. */
function checkGrefsFit(pageCount: number, grefs: readonly number[]): void {
  const needed = directoryPagesFor(grefs.length);
  if (grefs.length === 0 || pageCount !== needed) {
    throw new ProtocolError('EINVAL', `${grefs.length} grefs need ${needed} directory pages, got ${pageCount}`);
  }
  grefs.forEach((gref) => checkIntRange('buffer gref', gref, 0, U32_MAX));
}

/** Writes `grefs` in order into the gref[] slots of `dirPages` (1023 per page); unused slots keep their value. */
function writeGrefs(dirPages: readonly Uint8Array[], grefs: readonly number[]): void {
  checkGrefsFit(dirPages.length, grefs);
  dirPages.forEach((page, p) => {
    const view = pageView(page, `directory page ${p}`);
    const first = p * PAGE_DIRECTORY_GREFS_PER_PAGE;
    const count = Math.min(PAGE_DIRECTORY_GREFS_PER_PAGE, grefs.length - first);
    for (let i = 0; i < count; i++) view.setUint32(GREFS_OFFSET + 4 * i, grefs[first + i]!, true);
  });
}

/**
 * Frontend-allocated buffer: writes the whole directory (the next-page chain and every buffer gref in page order).
 * `dirPages.length` must be directoryPagesFor(grefs.length).
 */
export function writePageDirectory(
  dirPages: readonly Uint8Array[],
  dirGrefs: readonly number[],
  grefs: readonly number[],
): void {
  checkGrefsFit(dirPages.length, grefs);
  writeDirectoryChain(dirPages, dirGrefs);
  writeGrefs(dirPages, grefs);
}

/**
 * Walks the chain that starts at `firstGref` and returns exactly the directory pages a buffer of `grefCount` pages
 * needs. Throws ProtocolError 'EINVAL' when a gref is 0 or unknown to `lookup`, when the chain loops, when it ends
 * early (fewer grefs than needed) or goes on past the last needed page (more than needed).
 */
export function walkDirectoryChain(lookup: PageLookup, firstGref: number, grefCount: number): Uint8Array[] {
  const needed = directoryPagesFor(grefCount);
  if (needed === 0) throw new ProtocolError('EINVAL', 'a buffer needs at least one page');
  const pages: Uint8Array[] = [];
  const seen = new Set<number>();
  let gref = firstGref >>> 0;
  for (;;) {
    if (gref === 0) {
      throw new ProtocolError('EINVAL', `page directory ends after ${pages.length} of ${needed} pages (fewer grefs than needed)`);
    }
    if (seen.has(gref)) throw new ProtocolError('EINVAL', `page directory loops back to gref ${gref}`);
    seen.add(gref);
    const page = lookup(gref);
    if (page === undefined) throw new ProtocolError('EINVAL', `page directory names unknown gref ${gref}`);
    const next = pageView(page, `directory page gref ${gref}`).getUint32(NEXT_OFFSET, true); // read once
    pages.push(page);
    if (pages.length === needed) {
      if (next !== 0) {
        throw new ProtocolError('EINVAL', `page directory continues past its ${needed} pages (more grefs than needed)`);
      }
      return pages;
    }
    gref = next;
  }
}

/** Reads the `grefCount` buffer grefs listed by the directory at `firstGref` (see walkDirectoryChain for errors). */
export function readPageDirectory(lookup: PageLookup, firstGref: number, grefCount: number): number[] {
  const pages = walkDirectoryChain(lookup, firstGref, grefCount);
  const grefs: number[] = [];
  pages.forEach((page, p) => {
    const view = pageView(page, `directory page ${p}`);
    const count = Math.min(PAGE_DIRECTORY_GREFS_PER_PAGE, grefCount - p * PAGE_DIRECTORY_GREFS_PER_PAGE);
    for (let i = 0; i < count; i++) grefs.push(view.getUint32(GREFS_OFFSET + 4 * i, true));
  });
  return grefs;
}

/**
 * Backend-allocated buffer: writes `grefs` (the backend's own grants, one per buffer page) into the directory
 * chain the frontend prepared at `firstGref`. Chain errors as for walkDirectoryChain.
 */
export function fillPageDirectory(lookup: PageLookup, firstGref: number, grefs: readonly number[]): void {
  writeGrefs(walkDirectoryChain(lookup, firstGref, grefs.length), grefs);
}
