// Shared helpers for the native tests: fd flag inspection through /proc and running fixture scripts in children.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { NativeError } from '../../shared/native/index.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** The octal `flags:` field of /proc/self/fdinfo/N (file status flags plus O_CLOEXEC). */
export function fdFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const match = /^flags:\s*([0-7]+)$/m.exec(info);
  if (match === null) throw new Error(`no flags in fdinfo of fd ${fd}`);
  return parseInt(match[1] as string, 8);
}

export function isCloexec(fd: number): boolean {
  return (fdFlags(fd) & O_CLOEXEC) !== 0;
}

export function isNonblocking(fd: number): boolean {
  return (fdFlags(fd) & O_NONBLOCK) !== 0;
}

/** How many fds this process has open right now. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Runs fn and returns the NativeError it throws (fails the test if it does not throw). */
export function nativeErrorOf(fn: () => unknown): NativeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as NativeError;
  }
  throw new Error('expected the call to throw');
}

/** Runs test/native/fixtures/<name> under plain node, with core dumps off (the SIGBUS children die on purpose). */
export function runFixture(name: string, args: string[], timeoutMs = 20_000, nodeArgs: string[] = []): SpawnSyncReturns<string> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  // exec keeps the pid, so the shell's exit status does not hide the child's signal.
  return spawnSync('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, ...nodeArgs, script, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}
