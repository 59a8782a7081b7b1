// Backend allocation (be-alloc, DBUF_CREATE with REQ_ALLOC): the backend makes the buffer's pages — one memfd per
// buffer — grants them to the frontend over the control channel and writes their refs into the page directory the
// frontend prepared; DBUF_DESTROY revokes them. The frontend syncs on the control channel after the response, so
// it has seen the grants before it reads the directory. Each buffer is one memfd here: a budget bounds them.
import type { Budget } from '../../shared/budget.js';
import type { Granter } from '../../shared/sharing.js';
import { PAGE, Segment } from '../../shared/shm.js';

export interface BackendBuffer {
  seg: Segment;
  gref: number;
}

export class BackendAllocator {
  constructor(
    private readonly granter: Granter,
    private readonly buffers: Budget,
  ) {}

  /** ENOSPC when the frontend holds as many be-alloc buffers as its budget allows. */
  allocate(bytes: number): BackendBuffer {
    this.buffers.take(1);
    try {
      const seg = Segment.create(this.granter.segmentId(), 'pvdisplay-be-buffer', Math.ceil(bytes / PAGE) * PAGE);
      return { seg, gref: this.granter.share(seg) };
    } catch (e) {
      this.buffers.give(1);
      throw e;
    }
  }

  /** Revokes the grants and lets go of this side's mapping (the frontend closes its own copy of the fd). */
  free(buf: BackendBuffer): void {
    this.granter.unshare(buf.seg, buf.gref);
    buf.seg.release();
    this.buffers.give(1);
  }
}
