// GEM objects: a dumb buffer's memfd and its dbuf on the backend. Handles (per file) and framebuffers hold
// references; the last one destroys the dbuf and lets go of the pages.
import type { Segment } from '../../shared/shm.js';
import type { Fence } from '../../shared/fence.js';
import * as native from '../../shared/native/index.js';

/** A fence fd held for a file, charged to its fence budget until `release()`. */
export interface HeldFence<T> {
  fence: T;
  release: () => void;
}

/** Fences imported onto one buffer at most (IMPORT_SYNC_FILE past it is ENOSPC). */
export const MAX_WRITE_FENCES = 64;

export class GemObject {
  private refs = 0;
  /** Fences imported onto the buffer (dma-buf IMPORT_SYNC_FILE), fds: a commit that shows it waits for them. */
  readonly writeFences: HeldFence<number>[] = [];
  /** Exported release fences: they signal when the backend no longer scans the buffer out. */
  readonly releaseFences: HeldFence<Fence>[] = [];

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
    for (const w of this.writeFences.splice(0)) {
      native.close(w.fence);
      w.release();
    }
    this.retireReleaseFences();
    this.onFree(this);
  }

  /** Signals and drops the exported release fences (the backend no longer scans the buffer out). */
  retireReleaseFences(): void {
    for (const r of this.releaseFences.splice(0)) {
      r.fence.close();
      r.release();
    }
  }

  /** Hands the imported fences to a commit that will wait for them and close them; they leave the file's budget. */
  takeWriteFences(): number[] {
    return this.writeFences.splice(0).map((w) => {
      w.release();
      return w.fence;
    });
  }
}
