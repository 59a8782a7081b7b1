// File descriptors of every kind a hostile peer might attach where the protocol expects a memfd or an eventfd:
// memfds read-write and read-only (opened again through /proc, as a foreign O_RDONLY dma-buf would be), sealed or
// not, of odd sizes; pipe ends (one with data in it, one nearly full); eventfds; /dev/null; a socket. The caller
// closes them after sending (the kernel has duplicated them into the peer by then).
import { openSync, writeSync, constants } from 'node:fs';
import * as native from '../shared/native/index.js';
import type { Prng } from './prng.js';

export const FD_KINDS = ['memfd', 'memfd-ro', 'memfd-sealed', 'memfd-odd', 'pipe-r', 'pipe-w', 'pipe-data', 'pipe-full', 'eventfd', 'eventfd-high', 'devnull', 'socket'] as const;
export type FdKind = (typeof FD_KINDS)[number];

/** Makes one fd of `kind`; `extra` collects the other ends that must be closed too. */
export function makeFd(r: Prng, kind: FdKind, extra: number[]): number {
  const size = r.pick([4096, 8192, 65536, 4 * 1024 * 1024]);
  switch (kind) {
    case 'memfd':
      return native.memfdCreate('fuzz', size, true);
    case 'memfd-ro': {
      const rw = native.memfdCreate('fuzz-ro', size, true);
      extra.push(rw);
      return openSync(`/proc/self/fd/${rw}`, constants.O_RDONLY);
    }
    case 'memfd-sealed': {
      const fd = native.memfdCreate('fuzz-sealed', size, true);
      native.addSeals(fd, native.SEAL.SHRINK | native.SEAL.GROW | (r.chance(0.5) ? native.SEAL.WRITE : 0));
      return fd;
    }
    case 'memfd-odd':
      return native.memfdCreate('fuzz-odd', r.pick([0, 1, 4095, 4097, 12345]), true);
    case 'pipe-r':
    case 'pipe-w':
    case 'pipe-data':
    case 'pipe-full': {
      const [rd, wr] = native.pipe();
      if (kind === 'pipe-data') writeSome(wr, 8);
      if (kind === 'pipe-full') writeSome(wr, 65536 - 4);
      extra.push(rd, wr);
      if (kind === 'pipe-r' || kind === 'pipe-data') return openSync(`/proc/self/fd/${rd}`, constants.O_RDONLY);
      // Opened again through /proc: a new open file description, blocking, as a hostile peer's would be.
      return openSync(`/proc/self/fd/${wr}`, constants.O_WRONLY);
    }
    case 'eventfd':
      return native.eventfd(0);
    case 'eventfd-high': {
      // At the counter's maximum, 2^64 - 2: the peer's next notify() would block (EAGAIN on a non-blocking fd). One
      // write of the whole value (the addon's takes only what a JS number holds, which took 2,049 writes).
      const fd = native.eventfd(0);
      const max = Buffer.alloc(8);
      max.writeBigUInt64LE(0xfffffffffffffffen);
      writeSync(fd, max);
      return fd;
    }
    case 'devnull':
      return openSync('/dev/null', constants.O_RDWR);
    case 'socket': {
      const [a, b] = native.socketPair();
      extra.push(b);
      return a;
    }
  }
}

/** Fills a pipe's buffer with `n` bytes through the addon's non-blocking end. */
function writeSome(fd: number, n: number): void {
  try {
    writeSync(fd, Buffer.alloc(n, 0x5a));
  } catch {
    // a full pipe is what we wanted anyway
  }
}

/** `count` random fds (0..3 by default); returns them and the extra ends, all to close after sending. */
export function randomFds(r: Prng, count = r.pick([0, 0, 1, 1, 2, 3])): { fds: number[]; kinds: FdKind[]; close: () => void } {
  const extra: number[] = [];
  const kinds: FdKind[] = [];
  const fds: number[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.pick(FD_KINDS);
    kinds.push(kind);
    fds.push(makeFd(r, kind, extra));
  }
  return { fds, kinds, close: () => [...fds, ...extra].forEach((fd) => closeQuietly(fd)) };
}

export function closeQuietly(fd: number): void {
  try {
    native.close(fd);
  } catch {
    // already closed
  }
}
