// The SIGBUS guard: a truncated shared mapping kills an unguarded process, reads zeros once guarded, and
// faults outside guarded mappings keep their usual fatal meaning. Every case runs in a child process.
import { describe, it, expect } from 'vitest';
import { runFixture } from './helpers.js';

describe('SIGBUS guard', () => {
  it('an unguarded read of a truncated memfd mapping kills the process with SIGBUS', () => {
    const r = runFixture('sigbus-child.mjs', ['unguarded']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain('before 171');
    expect(r.stdout).toContain('truncated');
    expect(r.stdout).not.toContain('survived');
    expect(r.signal).toBe('SIGBUS');
  });

  it('a guarded mapping reads zeros after truncation and counts exactly one fault', () => {
    const r = runFixture('sigbus-child.mjs', ['guarded']);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as Record<string, number>;
    expect(out).toEqual({ before: 0xab, first: 0, faultsAfterFirst: 1, second: 0, written: 7, faults: 1, live: 0 });
  });

  it('a fault in an unguarded mapping still kills the process while another mapping is guarded', () => {
    const r = runFixture('sigbus-child.mjs', ['unrelated']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain('guarded 0 faults 1');
    expect(r.stdout).not.toContain('plain');
    expect(r.signal).toBe('SIGBUS');
  });

  it('a SIGBUS sent with kill() still kills a process that has the guard installed', () => {
    const r = runFixture('sigbus-child.mjs', ['killed']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain('guarded');
    expect(r.stdout).not.toContain('survived');
    expect(r.signal).toBe('SIGBUS');
  });
});
