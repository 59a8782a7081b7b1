// GEM objects: a dumb buffer's memfd and its dbuf on the backend. Handles (per file) and framebuffers hold
// references; the last one destroys the dbuf and lets go of the pages.
import type { Segment } from '../../shared/shm.js';
import type { Fence } from '../../shared/fence.js';
import * as native from '../../shared/native/index.js';

export class GemObject {
  private refs = 0;
  /** Fences imported onto the buffer (dma-buf IMPORT_SYNC_FILE): a commit that shows it waits for them. */
  readonly writeFences: number[] = [];
  /** Exported release fences: they signal when the backend no longer scans the buffer out. */
  readonly releaseFences: Fence[] = [];

  constructor(
    readonly seg: Segment,
    readonly cookie: bigint,
    readonly width: number,
    readonly height: number,
    readonly bpp: number,
    readonly pitch: number,
    readonly size: number,
    /** Imported from a foreign memfd (PRIME): no geometry, not mappable through MAP_DUMB (K-DUMB-13). */
    readonly imported: boolean,
    private readonly onFree: (obj: GemObject) => void,
  ) {}

  get references(): number {
    return this.refs;
  }

  get(): this {
    this.refs++;
    return this;
  }

  put(): void {
    if (--this.refs !== 0) return;
    for (const fd of this.writeFences.splice(0)) native.close(fd);
    for (const f of this.releaseFences.splice(0)) f.close();
    this.onFree(this);
  }
}
