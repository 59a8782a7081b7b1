// Grant references, the Xen way of naming a page to a peer: the granting side hands out u32 refs for pages of its
// segments; the mapping side resolves a ref to the page it names. Ref 0 is never used: in page directories it ends
// a chain.
import { PAGE, type Segment } from './shm.js';
import { pvError } from './errors.js';

export interface GrantRange {
  gref: number;
  seg: number;
  page: number;
  count: number;
}

/** Granter side: allocates refs for consecutive pages. */
export class GrantAllocator {
  private next = 1;

  /** Refs for `count` pages; consecutive so that one control message can describe them. */
  allocate(count: number): number {
    const gref = this.next;
    if (gref + count > 0xffffffff) throw pvError('ENOSPC', 'grant references exhausted');
    this.next += count;
    return gref;
  }
}

/** Mapper side: gref → (segment, page). Bounded so that a peer cannot make this process grow without limit. */
export class GrantMap {
  private readonly entries = new Map<number, { seg: Segment; page: number }>();

  constructor(private readonly limit = 1 << 22) {}

  get size(): number {
    return this.entries.size;
  }

  add(range: GrantRange, seg: Segment): void {
    if (!(range.count > 0) || range.page < 0 || range.page + range.count > seg.pages) {
      throw pvError('EINVAL', `grant of pages ${range.page}+${range.count} outside segment ${range.seg} (${seg.pages} pages)`);
    }
    if (range.gref < 1 || range.gref + range.count > 0x100000000) throw pvError('EINVAL', `bad grant ref ${range.gref}`);
    if (this.entries.size + range.count > this.limit) throw pvError('ENOSPC', 'too many grants from this peer');
    for (let i = 0; i < range.count; i++) {
      if (this.entries.has(range.gref + i)) throw pvError('EEXIST', `grant ref ${range.gref + i} is already in use`);
    }
    for (let i = 0; i < range.count; i++) this.entries.set(range.gref + i, { seg, page: range.page + i });
  }

  remove(gref: number, count: number): void {
    for (let i = 0; i < count; i++) this.entries.delete(gref + i);
  }

  /** Drops every grant into a segment (when the peer closes it). */
  removeSegment(seg: Segment): void {
    for (const [gref, e] of this.entries) if (e.seg === seg) this.entries.delete(gref);
  }

  resolve(gref: number): { seg: Segment; page: number } | undefined {
    return this.entries.get(gref);
  }

  /** The 4096 bytes a ref names, or undefined for a ref that was never granted. */
  page(gref: number): Uint8Array | undefined {
    const e = this.entries.get(gref);
    return e?.seg.bytes.subarray(e.page * PAGE, (e.page + 1) * PAGE);
  }

  clear(): void {
    this.entries.clear();
  }
}
