// A display buffer as the backend sees it: the frontend's pages, found through the page directory, viewed as one
// byte range. Pages that lie consecutively in one shared segment are viewed in place (zero copy); scattered pages
// are gathered into a private copy at each scanout, and the bytes copied are counted.
import type { Segment } from '../../shared/shm.js';
import { PAGE } from '../../shared/shm.js';

export interface PageRef {
  seg: Segment;
  page: number;
}

/** True when the pages lie in order in one segment, so that the dbuf is viewed in place. */
export function inPlace(pages: readonly PageRef[]): boolean {
  const first = pages[0]!;
  return pages.every((p, i) => p.seg === first.seg && p.page === first.page + i);
}

export class Dbuf {
  /** The buffer's bytes from its first page (pixel data starts at `dataOfs`). */
  readonly bytes: Uint8Array;
  private readonly segments: Segment[];
  private readonly scattered: PageRef[] | undefined;

  constructor(
    readonly cookie: bigint,
    readonly width: number,
    readonly height: number,
    readonly bpp: number,
    readonly size: number,
    readonly dataOfs: number,
    pages: PageRef[],
  ) {
    const first = pages[0]!;
    this.segments = [...new Set(pages.map((p) => p.seg))].map((s) => s.retain());
    if (inPlace(pages)) {
      this.bytes = first.seg.bytes.subarray(first.page * PAGE, (first.page + pages.length) * PAGE);
      this.scattered = undefined;
    } else {
      this.bytes = new Uint8Array(pages.length * PAGE);
      this.scattered = pages;
    }
  }

  /** Row pitch as Linux computes it for a dumb buffer; 0 for PRIME imports (no geometry). */
  get pitch(): number {
    return Math.ceil((this.width * this.bpp) / 8);
  }

  /** Pages of the private copy (0 for in-place buffers). */
  get gatheredPages(): number {
    return this.scattered?.length ?? 0;
  }

  /** Brings a gathered buffer up to date; returns the bytes copied (0 for in-place buffers). */
  refresh(): number {
    if (!this.scattered) return 0;
    this.scattered.forEach((p, i) => this.bytes.set(p.seg.page(p.page), i * PAGE));
    return this.bytes.length;
  }

  /** True once a truncation by the frontend faulted in one of the pages (they read as zeros now). */
  get faulted(): boolean {
    return this.segments.some((s) => s.faulted);
  }

  /** Keeps the pages mapped while a reader off the JS thread (a CRC) uses them, even past release(); returns the unpin. */
  pin(): () => void {
    const held = this.segments.map((s) => s.retain());
    return () => {
      for (const s of held.splice(0)) s.release();
    };
  }

  release(): void {
    for (const s of this.segments) s.release();
    this.segments.length = 0;
  }
}
