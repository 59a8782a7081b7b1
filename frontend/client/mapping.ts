// A client's mapping of a buffer's shared pages: the memfd the device handed over, mapped read-write, exposed as
// a typed array over the very pages the backend scans out.
import * as native from '../../shared/native/index.js';

export class BufferMapping {
  readonly bytes: Uint8Array;
  private buffer: ArrayBuffer | undefined;

  constructor(fd: number, offset: number, size: number) {
    try {
      this.buffer = native.map(fd, offset, size, true);
    } finally {
      native.close(fd); // the mapping keeps the file alive
    }
    this.bytes = new Uint8Array(this.buffer);
  }

  get size(): number {
    return this.bytes.byteLength;
  }

  /** 32-bit pixels (XRGB8888 and friends) over the same memory. */
  get words(): Uint32Array {
    return new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength >>> 2);
  }

  unmap(): void {
    if (!this.buffer) return;
    native.unmap(this.buffer);
    this.buffer = undefined;
  }
}
