// Shared mappings as external ArrayBuffers: sharing through the page cache, unmap semantics, live accounting.
import { describe, it, expect } from 'vitest';
import { constants as osConstants } from 'node:os';
import * as native from '../../shared/native/index.js';
import { nativeErrorOf, runFixture } from './helpers.js';

const page = native.PAGE_SIZE;

describe('map/unmap', () => {
  it('two mappings of one memfd share their bytes', () => {
    const fd = native.memfdCreate('shared', 2 * page, false);
    const live = native.liveMappings();
    const a = native.map(fd, 0, 2 * page, true);
    const b = native.map(fd, page, page, false);
    try {
      expect(native.liveMappings()).toBe(live + 2);
      expect(a.byteLength).toBe(2 * page);
      expect(b.byteLength).toBe(page);
      const va = new Uint8Array(a);
      va.set([1, 2, 3], page);
      va[2 * page - 1] = 0xee;
      expect([...new Uint8Array(b, 0, 3)]).toEqual([1, 2, 3]);
      expect(new Uint8Array(b)[page - 1]).toBe(0xee);
    } finally {
      native.unmap(a);
      native.unmap(b);
      native.close(fd);
    }
    expect(native.liveMappings()).toBe(live);
  });

  it('a mapping that is not page sized still has exactly the requested length', () => {
    const fd = native.memfdCreate('odd', page, false);
    const buf = native.map(fd, 0, 100, true);
    expect(buf.byteLength).toBe(100);
    native.unmap(buf);
    native.close(fd);
  });

  it('unmap detaches the buffer and drops the live count; a second unmap is EINVAL', () => {
    const fd = native.memfdCreate('unmap', page, false);
    const buf = native.map(fd, 0, page, true);
    const view = new Uint8Array(buf);
    const live = native.liveMappings();
    native.unmap(buf);
    expect(buf.byteLength).toBe(0);
    expect(view.length).toBe(0);
    expect(native.liveMappings()).toBe(live - 1);
    const err = nativeErrorOf(() => native.unmap(buf));
    expect(err.code).toBe('EINVAL');
    expect(err.errno).toBe(osConstants.errno.EINVAL);
    expect(native.liveMappings()).toBe(live - 1);
    native.close(fd);
  });

  it('unmap refuses ArrayBuffers that did not come from map()', () => {
    expect(nativeErrorOf(() => native.unmap(new ArrayBuffer(16))).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.guard(new ArrayBuffer(16))).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.guardFaults(new ArrayBuffer(16))).code).toBe('EINVAL');
  });

  it('mapping a bad fd is EBADF with an errno-style error', () => {
    const err = nativeErrorOf(() => native.map(987_654, 0, page, true));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EBADF');
    expect(err.errno).toBe(osConstants.errno.EBADF);
    expect(err.syscall).toBe('mmap');
    expect(err.message).toBe('EBADF: mmap failed (fd 987654)');
  });

  it('rejects zero, negative and fractional lengths and unaligned offsets with EINVAL', () => {
    const fd = native.memfdCreate('args', 2 * page, false);
    const live = native.liveMappings();
    try {
      for (const [offset, length] of [
        [0, 0],
        [0, -page],
        [0, 1.5],
        [1, page],
        [page / 2, page],
        [-page, page],
      ] as const) {
        expect(nativeErrorOf(() => native.map(fd, offset, length, true)).code).toBe('EINVAL');
      }
      expect(native.liveMappings()).toBe(live);
    } finally {
      native.close(fd);
    }
  });

  it('a write-sealed memfd maps read-only but not writable', () => {
    const fd = native.memfdCreate('ro', page, true);
    native.addSeals(fd, native.SEAL.WRITE);
    try {
      expect(nativeErrorOf(() => native.map(fd, 0, page, true)).code).toBe('EPERM');
      const buf = native.map(fd, 0, page, false);
      expect(new Uint8Array(buf)[0]).toBe(0);
      native.unmap(buf);
    } finally {
      native.close(fd);
    }
  });

  it('guardFaults is 0 for a live unguarded or untouched guarded mapping', () => {
    const fd = native.memfdCreate('guard', page, false);
    const buf = native.map(fd, 0, page, true);
    expect(native.guardFaults(buf)).toBe(0);
    native.guard(buf);
    new Uint8Array(buf)[0] = 1;
    expect(native.guardFaults(buf)).toBe(0);
    native.unmap(buf);
    expect(nativeErrorOf(() => native.guardFaults(buf)).code).toBe('EINVAL');
    native.close(fd);
  });

  it('garbage collection unmaps dropped mappings and nothing else', () => {
    const r = runFixture('gc-child.mjs', [], 30_000, ['--expose-gc']);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ before: 101, after: 1, kept: 42, mapsAfter: 1 });
  });
});
