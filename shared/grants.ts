// Grant references, the Xen way of naming a page to a peer: the granting side hands out u32 refs for pages of its
// segments; the mapping side resolves a ref to the page it names. Ref 0 is never used: in page directories it ends
// a chain. The mapping side keeps grants as ranges (one record per grant message, split only by a partial
// ungrant), so that a message costs the same for 1 or 1 M pages and memory does not grow with the page count.
import { PAGE, type Segment } from './shm.js';
import { Budget } from './budget.js';
import { pvError, type ErrnoLike } from './errors.js';

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

interface Range {
  gref: number;
  count: number;
  seg: Segment;
  page: number;
}

/** A grant this side refused, kept so that a request naming its refs fails with the same errno. */
interface Refusal {
  gref: number;
  count: number;
  err: ErrnoLike;
}

/** Default bounds of one peer's grants: pages (1 GiB of buffers) and grant records. */
export const GRANT_PAGES_PER_PEER = 1 << 18;
export const GRANT_RANGES_PER_PEER = 1 << 14;
/** Refusals remembered per peer; older ones are forgotten (their refs then read as unknown: EINVAL). */
const REFUSALS_KEPT = 64;

/** Mapper side: gref → (segment, page). Bounded so that a peer cannot make this process grow without limit. */
export class GrantMap {
  /** Disjoint, sorted by gref. */
  private ranges: Range[] = [];
  private readonly refusals: Refusal[] = [];

  constructor(
    private readonly pages = new Budget('grants', GRANT_PAGES_PER_PEER),
    private readonly maxRanges = GRANT_RANGES_PER_PEER,
  ) {}

  /** Pages granted. */
  get size(): number {
    return this.pages.inUse;
  }

  /** Index of the first range that ends after `gref`. */
  private find(gref: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (r.gref + r.count <= gref) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(range: GrantRange, seg: Segment): void {
    if (!(range.count > 0) || range.page < 0 || range.page + range.count > seg.pages) {
      throw pvError('EINVAL', `grant of pages ${range.page}+${range.count} outside segment ${range.seg} (${seg.pages} pages)`);
    }
    if (range.gref < 1 || range.gref + range.count > 0x100000000) throw pvError('EINVAL', `bad grant ref ${range.gref}`);
    const i = this.find(range.gref);
    const next = this.ranges[i];
    if (next && next.gref < range.gref + range.count) throw pvError('EEXIST', `grant ref ${Math.max(next.gref, range.gref)} is already in use`);
    if (this.ranges.length >= this.maxRanges) throw pvError('ENOSPC', `more than ${this.maxRanges} grants from this peer`);
    this.pages.take(range.count);
    this.ranges.splice(i, 0, { gref: range.gref, count: range.count, seg, page: range.page });
  }

  /** Revokes refs gref .. gref+count-1: ENOENT (and nothing revoked) unless every one of them is granted. */
  remove(gref: number, count: number): void {
    if (this.forgetRefusal(gref, count)) return;
    if (!(count > 0)) throw pvError('EINVAL', `ungrant of ${count} refs`);
    const end = gref + count;
    const first = this.find(gref);
    let last = first;
    for (let pos = gref; pos < end; last++) {
      const r = this.ranges[last];
      if (!r || r.gref > pos) throw pvError('ENOENT', `grant ref ${pos} (of ${gref}+${count}) is not granted`);
      pos = r.gref + r.count;
    }
    const head = this.ranges[first]!;
    const tail = this.ranges[last - 1]!;
    const keep: Range[] = [];
    if (head.gref < gref) keep.push({ ...head, count: gref - head.gref });
    if (tail.gref + tail.count > end) keep.push({ ...tail, gref: end, count: tail.gref + tail.count - end, page: tail.page + (end - tail.gref) });
    if (this.ranges.length - (last - first) + keep.length > this.maxRanges) throw pvError('ENOSPC', `splitting grants past ${this.maxRanges} records`);
    this.ranges.splice(first, last - first, ...keep);
    this.pages.give(count);
  }

  /** Drops every grant into a segment (when the peer closes it). */
  removeSegment(seg: Segment): void {
    const gone = this.ranges.filter((r) => r.seg === seg);
    if (gone.length === 0) return;
    this.ranges = this.ranges.filter((r) => r.seg !== seg);
    this.pages.give(gone.reduce((n, r) => n + r.count, 0));
  }

  resolve(gref: number): { seg: Segment; page: number } | undefined {
    const r = this.ranges[this.find(gref)];
    return r && r.gref <= gref ? { seg: r.seg, page: r.page + (gref - r.gref) } : undefined;
  }

  /** The 4096 bytes a ref names, or undefined for a ref that was never granted. */
  page(gref: number): Uint8Array | undefined {
    const e = this.resolve(gref);
    return e?.seg.bytes.subarray(e.page * PAGE, (e.page + 1) * PAGE);
  }

  /** Remembers that refs gref .. gref+count-1 were refused with `err` (a request naming them then fails so). */
  refused(gref: number, count: number, err: ErrnoLike): void {
    if (this.refusals.length >= REFUSALS_KEPT) this.refusals.shift();
    this.refusals.push({ gref, count, err });
  }

  /** Why a ref that is not granted was refused, if it was. */
  refusal(gref: number): ErrnoLike | undefined {
    return this.refusals.find((r) => gref >= r.gref && gref < r.gref + r.count)?.err;
  }

  /** The frontend ungrants what was refused as if it had been granted: that forgets the refusal. */
  private forgetRefusal(gref: number, count: number): boolean {
    const i = this.refusals.findIndex((r) => r.gref === gref && r.count === count);
    if (i < 0) return false;
    this.refusals.splice(i, 1);
    return true;
  }

  clear(): void {
    this.ranges = [];
    this.refusals.length = 0;
    this.pages.release();
  }
}
