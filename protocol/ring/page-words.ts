// The u32 index words at the start of a shared ring or event page, read and written with Atomics: each access is a
// single fetch or store, ordered against the slot copies around it (what io/ring.h gets from its barriers).
// Atomics also works on non-shared buffers, so the same code runs over mmap'd shared memory and plain test pages.
import { PAGE_SIZE } from '../displif/constants.js';
import { ProtocolError } from '../errors.js';

/** Typed-array words use the host's byte order and the wire is little-endian, so big-endian hosts are refused. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class PageWords {
  private readonly words: Uint32Array;

  constructor(readonly page: Uint8Array) {
    if (!LITTLE_ENDIAN_HOST) throw new ProtocolError('EINVAL', 'shared pages need a little-endian host');
    if (page.length < PAGE_SIZE || page.byteOffset % 4 !== 0) {
      throw new ProtocolError('EINVAL', `need a 4-byte aligned ${PAGE_SIZE}-byte page, got ${page.length} bytes at offset ${page.byteOffset}`);
    }
    this.words = new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE / 4);
  }

  load(word: number): number {
    return Atomics.load(this.words, word);
  }

  store(word: number, value: number): void {
    Atomics.store(this.words, word, value >>> 0);
  }
}
