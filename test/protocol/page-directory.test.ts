// Page directories: sizes, frontend- and backend-allocated chains written and walked back, and every chain error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_DIRECTORY_GREFS_PER_PAGE, PAGE_SIZE } from '../../protocol/displif/constants.js';
import {
  directoryPagesFor,
  fillPageDirectory,
  pagesForSize,
  readPageDirectory,
  walkDirectoryChain,
  writeDirectoryChain,
  writePageDirectory,
  type PageLookup,
} from '../../protocol/displif/page-directory.js';
import { ProtocolError } from '../../protocol/errors.js';
import { expectProtocolError } from './expect-error.js';

/** A directory of `count` grefs in pages granted as 1000, 1001, ...; buffer grefs are 5000 + i. */
function directory(count: number): { pages: Uint8Array[]; dirGrefs: number[]; grefs: number[]; lookup: PageLookup; store: Map<number, Uint8Array> } {
  const n = directoryPagesFor(count);
  const pages = Array.from({ length: n }, () => new Uint8Array(PAGE_SIZE).fill(0xcc));
  const dirGrefs = pages.map((_, i) => 1000 + i);
  const grefs = Array.from({ length: count }, (_, i) => 5000 + i);
  const store = new Map(dirGrefs.map((g, i) => [g, pages[i]!]));
  return { pages, dirGrefs, grefs, lookup: (g) => store.get(g), store };
}

function setNext(page: Uint8Array, gref: number): void {
  new DataView(page.buffer, page.byteOffset).setUint32(0, gref, true);
}

describe('page directory', () => {
  it('sizes: pages for bytes and directory pages for grefs', () => {
    expect(pagesForSize(0)).toBe(0);
    expect(pagesForSize(1)).toBe(1);
    expect(pagesForSize(4096)).toBe(1);
    expect(pagesForSize(4097)).toBe(2);
    expect(pagesForSize(0xffffffff)).toBe(1048576);
    expect(PAGE_DIRECTORY_GREFS_PER_PAGE).toBe(1023);
    expect(directoryPagesFor(1)).toBe(1);
    expect(directoryPagesFor(1023)).toBe(1);
    expect(directoryPagesFor(1024)).toBe(2);
    expect(directoryPagesFor(2047)).toBe(3);
    expectProtocolError(() => pagesForSize(-1), 'EINVAL', /buffer size/);
    expectProtocolError(() => pagesForSize(2 ** 32), 'EINVAL', /buffer size/);
  });

  it('frontend-allocated: written then read back, for any count (multi-page chains)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * 1023 + 5 }), (count) => {
        const d = directory(count);
        writePageDirectory(d.pages, d.dirGrefs, d.grefs);
        expect(readPageDirectory(d.lookup, d.dirGrefs[0]!, count)).toEqual(d.grefs);
        const view = new DataView(d.pages.at(-1)!.buffer);
        expect(view.getUint32(0, true)).toBe(0); // last page ends the chain
        const used = count - (d.pages.length - 1) * 1023;
        for (let i = used; i < 1023; i++) expect(view.getUint32(4 + 4 * i, true)).toBe(0); // rest zeroed
      }),
      { numRuns: 40 },
    );
  });

  it('backend-allocated: the frontend writes only the chain, the backend fills the grefs', () => {
    for (const count of [1, 3, 1023, 1024, 2500]) {
      const d = directory(count);
      writeDirectoryChain(d.pages, d.dirGrefs);
      d.pages.forEach((p, i) => {
        expect(new DataView(p.buffer).getUint32(0, true)).toBe(d.dirGrefs[i + 1] ?? 0);
        expect(p.subarray(4).every((b) => b === 0)).toBe(true);
      });
      fillPageDirectory(d.lookup, d.dirGrefs[0]!, d.grefs);
      expect(readPageDirectory(d.lookup, d.dirGrefs[0]!, count)).toEqual(d.grefs);
    }
  });

  it('rejects an unknown gref, a zero first gref, a loop, too long and too short chains', () => {
    const d = directory(2500); // 3 directory pages
    writePageDirectory(d.pages, d.dirGrefs, d.grefs);
    expectProtocolError(() => readPageDirectory(d.lookup, 999, 2500), 'EINVAL', /unknown gref 999/);
    expectProtocolError(() => readPageDirectory(d.lookup, 0, 2500), 'EINVAL', /fewer grefs than needed/);
    expectProtocolError(() => readPageDirectory(d.lookup, 1000, 0), 'EINVAL', /at least one page/);
    // fewer: the chain holds 3 pages but 4 are needed
    expectProtocolError(() => readPageDirectory(d.lookup, 1000, 3 * 1023 + 1), 'EINVAL', /ends after 3 of 4 pages/);
    // more: the chain has 3 pages but the buffer needs only 2
    expectProtocolError(() => readPageDirectory(d.lookup, 1000, 2 * 1023), 'EINVAL', /more grefs than needed/);
    expectProtocolError(() => fillPageDirectory(d.lookup, 1000, d.grefs.slice(0, 1)), 'EINVAL', /more grefs than needed/);
    // a middle page names an ungranted page
    setNext(d.pages[1]!, 4242);
    expectProtocolError(() => walkDirectoryChain(d.lookup, 1000, 2500), 'EINVAL', /unknown gref 4242/);
    // loop back to the first page
    setNext(d.pages[1]!, 1000);
    expectProtocolError(() => walkDirectoryChain(d.lookup, 1000, 2500), 'EINVAL', /loops back to gref 1000/);
    // a page that loops to itself, also where the chain would be long enough only by looping
    setNext(d.pages[0]!, 1000);
    expectProtocolError(() => walkDirectoryChain(d.lookup, 1000, 3000), 'EINVAL', /loops/);
  });

  it('a lying chain never makes the walk read more pages than the buffer needs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat(20), { minLength: 8, maxLength: 8 }), (count, nexts) => {
        const pages = nexts.map(() => new Uint8Array(PAGE_SIZE));
        nexts.forEach((n, i) => setNext(pages[i]!, n)); // grefs 1..8 name pages; 0 ends; 9..20 are unknown
        let lookups = 0;
        const lookup: PageLookup = (g) => {
          lookups++;
          return pages[g - 1];
        };
        try {
          expect(walkDirectoryChain(lookup, 1, count)).toHaveLength(directoryPagesFor(count));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect((e as ProtocolError).code).toBe('EINVAL');
        }
        expect(lookups).toBeLessThanOrEqual(directoryPagesFor(count));
      }),
    );
  });

  it('writers refuse mismatched sizes before touching any page', () => {
    const d = directory(1024); // needs 2 pages
    const before = d.pages.map((p) => p.slice());
    expectProtocolError(() => writePageDirectory(d.pages.slice(0, 1), d.dirGrefs.slice(0, 1), d.grefs), 'EINVAL', /need 2 directory pages/);
    expectProtocolError(() => writePageDirectory(d.pages, d.dirGrefs, [...d.grefs.slice(0, 1023), -1]), 'EINVAL', /buffer gref/);
    expectProtocolError(() => writeDirectoryChain(d.pages, d.dirGrefs.slice(0, 1)), 'EINVAL', /one gref per directory page/);
    expectProtocolError(() => writeDirectoryChain(d.pages, [1000, 0]), 'EINVAL', /directory gref/);
    expectProtocolError(() => writeDirectoryChain([d.pages[0]!, new Uint8Array(100)], d.dirGrefs), 'EINVAL', /not 4096/);
    expectProtocolError(() => writePageDirectory([], [], []), 'EINVAL', /0 grefs/);
    d.pages.forEach((p, i) => expect(p).toEqual(before[i]));
  });
});
