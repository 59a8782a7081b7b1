// memfd files: size, seals, memfd detection, hole punching, close-on-exec, and the generic dup/close.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import * as native from '../../shared/native/index.js';
import { isCloexec, nativeErrorOf } from './helpers.js';

const page = native.PAGE_SIZE;

describe('memfd', () => {
  it('creates a close-on-exec memfd of the requested size', () => {
    const fd = native.memfdCreate('size', 3 * page + 5, false);
    try {
      expect(native.fileSize(fd)).toBe(3 * page + 5);
      expect(native.isMemfd(fd)).toBe(true);
      expect(isCloexec(fd)).toBe(true);
      native.truncate(fd, 10);
      expect(native.fileSize(fd)).toBe(10);
    } finally {
      native.close(fd);
    }
  });

  it('exposes the F_SEAL_* bits and a page size', () => {
    expect(native.SEAL).toEqual({ SEAL: 1, SHRINK: 2, GROW: 4, WRITE: 8, FUTURE_WRITE: 16 });
    expect(native.PAGE_SIZE).toBeGreaterThanOrEqual(4096);
    expect(native.PAGE_SIZE & (native.PAGE_SIZE - 1)).toBe(0);
  });

  it('enforces seals: SHRINK forbids truncating smaller, growing is still allowed', () => {
    const fd = native.memfdCreate('sealed', 2 * page, true);
    try {
      expect(native.getSeals(fd)).toBe(0);
      native.addSeals(fd, native.SEAL.SHRINK);
      expect(native.getSeals(fd)).toBe(native.SEAL.SHRINK);
      const err = nativeErrorOf(() => native.truncate(fd, page));
      expect(err.code).toBe('EPERM');
      expect(err.errno).toBe(osConstants.errno.EPERM);
      expect(err.syscall).toBe('ftruncate');
      expect(native.fileSize(fd)).toBe(2 * page);
      native.truncate(fd, 4 * page);
      expect(native.fileSize(fd)).toBe(4 * page);
      native.addSeals(fd, native.SEAL.GROW | native.SEAL.SEAL);
      expect(nativeErrorOf(() => native.truncate(fd, 5 * page)).code).toBe('EPERM');
      expect(nativeErrorOf(() => native.addSeals(fd, native.SEAL.WRITE)).code).toBe('EPERM');
    } finally {
      native.close(fd);
    }
  });

  it('without allowSealing the memfd starts sealed against new seals', () => {
    const fd = native.memfdCreate('unsealable', page, false);
    try {
      expect(native.getSeals(fd)).toBe(native.SEAL.SEAL);
      expect(nativeErrorOf(() => native.addSeals(fd, native.SEAL.SHRINK)).code).toBe('EPERM');
    } finally {
      native.close(fd);
    }
  });

  it('tells memfds from regular files and sockets; getSeals on a regular file is EINVAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-memfd-'));
    const path = join(dir, 'plain');
    writeFileSync(path, 'not a memfd');
    const file = openSync(path, 'r+');
    const [a, b] = native.socketPair();
    try {
      expect(native.isMemfd(file)).toBe(false);
      expect(native.isMemfd(a)).toBe(false);
      const err = nativeErrorOf(() => native.getSeals(file));
      expect(err.code).toBe('EINVAL');
      expect(err.errno).toBe(osConstants.errno.EINVAL);
      expect(err.syscall).toBe('fcntl');
      expect(nativeErrorOf(() => native.isMemfd(987_654)).code).toBe('EBADF');
    } finally {
      closeSync(file);
      native.close(a);
      native.close(b);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('punchHole zeroes a range and keeps the size', () => {
    const fd = native.memfdCreate('holes', 4 * page, false);
    const buf = native.map(fd, 0, 4 * page, true);
    try {
      const view = new Uint8Array(buf);
      view.fill(0x5a);
      native.punchHole(fd, page, 2 * page);
      expect(native.fileSize(fd)).toBe(4 * page);
      expect(view[page - 1]).toBe(0x5a);
      expect(view.subarray(page, 3 * page).every((x) => x === 0)).toBe(true);
      expect(view[3 * page]).toBe(0x5a);
      expect(view[4 * page - 1]).toBe(0x5a);
    } finally {
      native.unmap(buf);
      native.close(fd);
    }
  });

  it('dup gives a close-on-exec fd to the same file; close of a closed fd is EBADF', () => {
    const fd = native.memfdCreate('dup', page, false);
    const copy = native.dup(fd);
    expect(copy).not.toBe(fd);
    expect(isCloexec(copy)).toBe(true);
    native.truncate(copy, 3 * page);
    expect(native.fileSize(fd)).toBe(3 * page);
    native.close(copy);
    native.close(fd);
    const err = nativeErrorOf(() => native.close(fd));
    expect(err.code).toBe('EBADF');
    expect(err.message).toBe(`EBADF: close failed (fd ${fd})`);
  });

  it('rejects bad numbers with EINVAL', () => {
    expect(nativeErrorOf(() => native.memfdCreate('neg', -1, false)).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.memfdCreate('frac', 1.5, false)).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.memfdCreate('nan', Number.NaN, false)).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.fileSize(-1)).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.close(2 ** 40)).code).toBe('EINVAL');
    expect(nativeErrorOf(() => native.memfdCreate('a\0b', 1, false)).code).toBe('EINVAL');
  });
});
