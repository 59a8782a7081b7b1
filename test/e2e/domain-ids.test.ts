// A connection to backend.sock becomes a frontend (a domain id, a "frontend connected" line) only at its hello: a
// second backend probing the runtime dir, a connection that closes at once, or one whose first message is not a
// valid hello costs nothing, and the probing backend leaves the running one's sockets alone. What a frontend
// reports when it gives up is logged once per frontend.
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { adminCall } from '../../cli/admin-client.js';
import { run, type Proc } from '../../cli/processes.js';
import type { PeerStatus } from '../../backend/server.js';
import { connectChannel } from '../../shared/channel.js';
import { frontendErrorNode } from '../../protocol/bus/store-keys.js';
import { RawFrontend } from '../helpers/raw-frontend.js';

let dir: string;
let backend: Proc;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pvd-domid-'));
  backend = run(['backend', '--runtime-dir', dir, '--connectors', '64x48', '--unpaced']);
  await backend.waitLine(/backend listening/);
});
afterEach(async () => {
  await backend.stop();
  rmSync(dir, { recursive: true, force: true });
});

const status = () => adminCall<PeerStatus[]>(join(dir, 'admin.sock'), { cmd: 'status' });

/** No frontend so far; the first real one is domain 1, announced once. */
async function expectFirstFrontendIsDomain1(): Promise<void> {
  expect(await status()).toEqual([]);
  const frontend = run(['frontend', '--runtime-dir', dir]);
  try {
    await frontend.waitLine(/frontend ready/);
    await backend.waitLine(/frontend connected/);
    expect(backend.lines.filter((l) => l.startsWith('frontend connected'))).toEqual(['frontend connected as domain 1']);
    expect((await status()).map((p) => p.domid)).toEqual([1]);
  } finally {
    await frontend.stop();
  }
}

/** Sends `msg` as the first message and resolves once the backend has closed the connection. */
async function firstMessage(msg: Record<string, unknown>): Promise<void> {
  const ch = connectChannel(join(dir, 'backend.sock'));
  const closed = once(ch, 'close');
  ch.send(msg);
  await closed;
}

it('a second backend on the same dir is refused, takes no domain id and leaves admin.sock serving', async () => {
  const second = run(['backend', '--runtime-dir', dir]);
  expect((await second.exited()).code).toBe(1);
  expect(second.lines.join('\n')).toMatch(/EADDRINUSE: .*backend\.sock is served by a running process/);
  expect(existsSync(join(dir, 'admin.sock'))).toBe(true);
  await expectFirstFrontendIsDomain1();
});

it('a connection that closes at once or opens with anything but a valid hello is closed without a domain id', async () => {
  connectChannel(join(dir, 'backend.sock')).close();
  await firstMessage({ t: 'sync', n: 1 });
  await firstMessage({ t: 'hello', pid: -1 });
  await firstMessage({ t: 'write', path: '/local/domain/1/device/vdispl/0/x', value: '1' });
  await expectFirstFrontendIsDomain1();
});

it("a frontend's error node (xenbus_dev_fatal) is logged once however often it is written; another domain's is refused", async () => {
  const fe = await RawFrontend.open(join(dir, 'backend.sock'));
  try {
    for (const text of ['19 first', '19 second', '19 third']) fe.store.write(frontendErrorNode(fe.domid, 0), text);
    fe.store.write(frontendErrorNode(fe.domid + 1, 0), '1 not mine');
    await fe.granter.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'write', code: 'EACCES' })]);
    // A malformed message last: the backend's line about it comes after any it wrote for the writes.
    fe.ch.send({ t: 'no-such-message' });
    await backend.waitLine(/disconnecting frontend/);
    expect(backend.lines.filter((l) => l.includes('frontend failed'))).toEqual([`[peer] warn: domain ${fe.domid}: frontend failed: 19 first`]);
  } finally {
    fe.close();
  }
});

it('100 frontends that hang up right after their hello leave no peer behind; the next one is served', async () => {
  // Each is welcomed into a socket already closed: before the fix the failed welcome closed the peer before the
  // server listened for that, and every one kept a frontend slot (64) for good, refusing all later frontends.
  for (let i = 1; i <= 100; i++) {
    const ch = connectChannel(join(dir, 'backend.sock'));
    ch.send({ t: 'hello', pid: process.pid });
    ch.close();
    // In tens, so that the listener's backlog never fills.
    if (i % 10 === 0) await backend.waitLine(new RegExp(`frontend connected as domain ${i}$`));
  }
  const frontend = run(['frontend', '--runtime-dir', dir]);
  try {
    await frontend.waitLine(/frontend ready/, 60_000);
    expect((await status()).map((p) => p.frontendState)).toEqual(['Connected']);
  } finally {
    await frontend.stop();
  }
});
