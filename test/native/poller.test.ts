// fd watchers on the Node loop: readiness callbacks, set(), close() semantics, hang-ups, loop liveness.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, onTestFinished } from 'vitest';
import * as native from '../../shared/native/index.js';
import { nativeErrorOf, runFixture } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate` holds, polling the loop; rejects after a while. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('watch', () => {
  it('fires readable when a message arrives, and never after close()', async () => {
    const [a, b] = native.socketPair();
    const seen: string[] = [];
    const watcher = native.watch(b, 'r', (err, readable, writable) => {
      expect(err).toBeNull();
      expect(writable).toBe(false);
      if (!readable) return;
      for (let m = native.recv(b, 100); m !== null; m = native.recv(b, 100)) seen.push(m.data.toString());
    });
    try {
      await sleep(20);
      expect(seen).toEqual([]);
      native.send(a, Buffer.from('ping'), []);
      await until(() => seen.length === 1, 'the first message');
      expect(seen).toEqual(['ping']);
      watcher.close();
      watcher.close(); // idempotent
      watcher.set('rw'); // no effect once closed
      native.send(a, Buffer.from('unseen'), []);
      await sleep(50);
      expect(seen).toEqual(['ping']);
      expect(native.recv(b, 100)!.data.toString()).toBe('unseen');
    } finally {
      watcher.close();
      native.close(a);
      native.close(b);
    }
  });

  it('closing from inside the callback stops further callbacks', async () => {
    const [a, b] = native.socketPair();
    let calls = 0;
    const watcher = native.watch(b, 'r', () => {
      calls++;
      watcher.close(); // the message stays unread, so a live watcher would fire again
    });
    native.send(a, Buffer.from('x'), []);
    await until(() => calls > 0, 'the callback');
    await sleep(50);
    expect(calls).toBe(1);
    native.close(a);
    native.close(b);
  });

  it('reports writable for "w", and set() switches the events', async () => {
    const [a, b] = native.socketPair();
    const seen: string[] = [];
    const watcher = native.watch(a, 'w', (err, readable, writable) => {
      seen.push(`${err === null} ${readable} ${writable}`);
      watcher.set('r'); // nothing to read: the watcher goes quiet
    });
    try {
      await until(() => seen.length > 0, 'writable');
      expect(seen[0]).toBe('true false true');
      const count = seen.length;
      await sleep(30);
      expect(seen.length).toBe(count);
      native.send(b, Buffer.from('now readable'), []);
      await until(() => seen.length > count, 'readable');
      expect(seen[count]).toBe('true true false');
    } finally {
      watcher.close();
      native.close(a);
      native.close(b);
    }
  });

  it('delivers a hang-up as readable, and recv then reads EOF', async () => {
    const [a, b] = native.socketPair();
    const results: number[] = [];
    const watcher = native.watch(b, 'r', (err, readable) => {
      expect(err).toBeNull();
      if (readable) {
        results.push(native.recv(b, 100)!.data.length);
        watcher.close();
      }
    });
    native.close(a);
    await until(() => results.length > 0, 'the hang-up');
    expect(results).toEqual([0]);
    native.close(b);
  });

  it('rejects bad events and unpollable fds', () => {
    const [a, b] = native.socketPair();
    const dir = mkdtempSync(join(tmpdir(), 'pvd-poll-'));
    const path = join(dir, 'file');
    writeFileSync(path, 'x');
    const file = openSync(path, 'r');
    try {
      expect(nativeErrorOf(() => native.watch(a, 'x' as native.PollEvents, () => {})).code).toBe('EINVAL');
      expect(nativeErrorOf(() => native.watch(file, 'r', () => {})).code).toBe('EPERM');
      expect(nativeErrorOf(() => native.watch(987_654, 'r', () => {})).code).toBe('EBADF');
      const w = native.watch(a, 'r', () => {});
      expect(nativeErrorOf(() => native.watch(a, 'r', () => {})).code).toBe('EEXIST');
      w.close();
    } finally {
      closeSync(file);
      rmSync(dir, { recursive: true, force: true });
      native.close(a);
      native.close(b);
    }
  });

  it('an open watcher keeps the process alive; a closed one does not', async () => {
    const closed = runFixture('watch-exit.mjs', ['close'], 10_000);
    expect(closed.error).toBeUndefined();
    expect(closed.status).toBe(0);
    expect(closed.stdout).toContain('closed');
    // By sequence, not by a timeout that a slow start could outlast: the child answers a signal sent after its
    // script ended only if the watcher held its loop, and exits by itself once the watcher is closed.
    const open = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/watch-exit.mjs', import.meta.url)), 'keep'], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void open.kill('SIGKILL'));
    let stdout = '';
    const kept = new Promise<void>((resolve) => open.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), stdout.includes('kept\n') && resolve())));
    const exited = once(open, 'close'); // after its stdout ended: every byte is in
    await kept;
    open.kill('SIGUSR2');
    expect(await exited).toEqual([0, null]);
    expect(stdout).toBe('kept\nstill alive\n');
  });

  it('a watcher left open at exit does not crash teardown', () => {
    const r = runFixture('watch-exit.mjs', ['exit'], 10_000);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('exiting');
  });
});

describe('watch in worker threads', () => {
  it('terminating a worker with open watchers and mappings tears down cleanly', () => {
    const r = runFixture('worker-teardown.mjs', [], 30_000);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ seen: [1, 1, 1, 1], liveAfter: 0 });
  });
});
