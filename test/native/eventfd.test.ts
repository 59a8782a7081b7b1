// eventfd doorbells: counting semantics, non-blocking reads, readiness through watch().
import { describe, it, expect } from 'vitest';
import * as native from '../../shared/native/index.js';
import { isCloexec, isNonblocking, nativeErrorOf } from './helpers.js';

describe('eventfd', () => {
  it('is non-blocking and close-on-exec', () => {
    const fd = native.eventfd(0);
    expect(isCloexec(fd)).toBe(true);
    expect(isNonblocking(fd)).toBe(true);
    native.close(fd);
  });

  it('adds writes up, a read returns and clears the counter, an empty read is 0', () => {
    const fd = native.eventfd(0);
    try {
      expect(native.eventfdRead(fd)).toBe(0);
      native.eventfdWrite(fd, 1);
      native.eventfdWrite(fd, 1);
      expect(native.eventfdRead(fd)).toBe(2);
      expect(native.eventfdRead(fd)).toBe(0);
    } finally {
      native.close(fd);
    }
  });

  it('starts from the initial value and handles large counts', () => {
    const fd = native.eventfd(5);
    try {
      native.eventfdWrite(fd, 2 ** 40);
      expect(native.eventfdRead(fd)).toBe(2 ** 40 + 5);
    } finally {
      native.close(fd);
    }
  });

  it('rejects negative or fractional values with EINVAL', () => {
    const fd = native.eventfd(0);
    try {
      expect(nativeErrorOf(() => native.eventfdWrite(fd, -1)).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.eventfdWrite(fd, 0.5)).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.eventfd(-1)).code).toBe('EINVAL');
      expect(native.eventfdRead(fd)).toBe(0);
    } finally {
      native.close(fd);
    }
  });

  it('watch fires readable after a write, and not before', async () => {
    const fd = native.eventfd(0);
    const events: string[] = [];
    let wake: () => void = () => {};
    const fired = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const watcher = native.watch(fd, 'r', (err, readable, writable) => {
      events.push(`${err === null ? 'ok' : err.code} ${readable} ${writable} ${native.eventfdRead(fd)}`);
      wake();
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(events).toEqual([]);
      native.eventfdWrite(fd, 3);
      await fired;
      expect(events).toEqual(['ok true false 3']);
    } finally {
      watcher.close();
      native.close(fd);
    }
  });
});
