// Shared-memory segments: a memfd and this process's mapping of it, shared with the peer by passing the fd.
import * as native from './native/index.js';
import { pvError } from './errors.js';

export const PAGE = 4096;

export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE);
}

/** A peer's segment must be a memfd (EINVAL otherwise) holding at least `size` bytes. */
function checkPeerSize(id: number, fd: number, size: number): void {
  if (!native.isMemfd(fd)) throw pvError('EINVAL', `segment ${id}: fd is not a memfd`);
  if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE !== 0) {
    throw pvError('EINVAL', `segment ${id}: size ${size} is not a positive multiple of ${PAGE}`);
  }
  const actual = native.fileSize(fd);
  if (actual < size) throw pvError('EINVAL', `segment ${id}: file holds ${actual} bytes, peer claims ${size}`);
}

export class Segment {
  readonly bytes: Uint8Array;
  private mapping: ArrayBuffer | undefined;
  private refs = 1;

  private constructor(
    readonly id: number,
    readonly fd: number,
    readonly size: number,
    mapping: ArrayBuffer | undefined,
  ) {
    this.mapping = mapping;
    this.bytes = mapping ? new Uint8Array(mapping) : new Uint8Array(0);
  }

  /**
   * A new zero-filled segment of `size` bytes (rounded up to whole pages). `mapped` false leaves it unmapped
   * here: the frontend never touches pixels, it only hands buffers on.
   */
  static create(id: number, name: string, size: number, mapped = true): Segment {
    const rounded = pagesFor(Math.max(size, 1)) * PAGE;
    const fd = native.memfdCreate(name, rounded, true);
    try {
      return new Segment(id, fd, rounded, mapped ? native.map(fd, 0, rounded, true) : undefined);
    } catch (e) {
      native.close(fd);
      throw e;
    }
  }

  /**
   * A mapped segment of this side that the peer shares but must never resize: sealed against shrinking and growing
   * (and against further seals) before its fd is handed out, so a peer's ftruncate fails with EPERM instead of
   * turning this process's next access into a SIGBUS. For rings, page directories and EDID buffers.
   */
  static createFixed(id: number, name: string, size: number): Segment {
    const seg = Segment.create(id, name, size);
    try {
      native.addSeals(seg.fd, native.SEAL.SHRINK | native.SEAL.GROW | native.SEAL.SEAL);
    } catch (e) {
      seg.release();
      throw e;
    }
    return seg;
  }

  /** Takes over an existing memfd (a client's buffer to hand on) without mapping it; `fd` now belongs to it. */
  static wrap(id: number, fd: number, size: number): Segment {
    return new Segment(id, fd, size, undefined);
  }

  /** A segment a peer handed over, kept as an fd to pass on rather than mapped (be-alloc buffers at the frontend). */
  static adoptUnmapped(id: number, fd: number, size: number): Segment {
    checkPeerSize(id, fd, size);
    return new Segment(id, fd, size, undefined);
  }

  /**
   * Maps a segment a peer handed over and closes `fd` (the segment's `fd` is then -1). The mapping is registered with the SIGBUS guard: the peer may truncate
   * its memfd at any time, and that must never kill this process.
   */
  static adopt(id: number, fd: number, size: number): Segment {
    checkPeerSize(id, fd, size);
    // A read-only fd or a write-sealed memfd cannot be mapped shared-writable (EACCES / EPERM): the caller refuses it.
    const mapping = native.map(fd, 0, size, true);
    native.guard(mapping);
    // The mapping keeps the file alive; holding the fd too would spend one per buffer of every peer.
    native.close(fd);
    return new Segment(id, -1, size, mapping);
  }

  get pages(): number {
    return this.size / PAGE;
  }

  /** True once a peer's truncation faulted in this mapping (its pages now read as zeros). */
  get faulted(): boolean {
    return this.mapping !== undefined && native.guardFaults(this.mapping) > 0;
  }

  page(index: number): Uint8Array {
    return this.bytes.subarray(index * PAGE, (index + 1) * PAGE);
  }

  retain(): this {
    this.refs++;
    return this;
  }

  /** Drops one reference; the last one unmaps and closes the fd. */
  release(): void {
    if (--this.refs !== 0) return;
    if (this.mapping) native.unmap(this.mapping);
    this.mapping = undefined;
    if (this.fd >= 0) native.close(this.fd);
  }
}
