// The send queue of a Channel over a real socket pair, against a peer that does not read: bounded in packets,
// bytes and fds (the queue's fd duplicates never grow this process's fd table past the bound), closed with ENOBUFS
// past the hard bound, reads paused while backlogged when asked, and `onSent` only once a packet has left.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import msgpack from 'msgpack-lite';
import { Channel, type QueueLimits } from '../../shared/channel.js';
import type { ErrnoLike } from '../../shared/errors.js';
import * as native from '../../shared/native/index.js';

const ownFds = () => readdirSync('/proc/self/fd').length;
const limits: QueueLimits = { soft: { packets: 4, bytes: 1 << 20, fds: 4 }, hard: { packets: 1000, bytes: 1 << 24, fds: 32 } };
const tick = () => new Promise((r) => setTimeout(r, 5));

/** A channel over a socket pair, the raw peer, and the error the channel closed with (once it has). */
function pair(): { ch: Channel; peer: number; closedWith: () => ErrnoLike | undefined } {
  const [a, peer] = native.socketPair();
  const ch = new Channel(a, { limits });
  let err: ErrnoLike | undefined;
  ch.on('close', (e) => (err = e));
  return { ch, peer, closedWith: () => err };
}

/** Lets the loop run until the channel has noticed its peer went away (a bounded number of ticks). */
async function untilClosed(ch: Channel): Promise<void> {
  for (let i = 0; i < 400 && ch.isOpen; i++) await tick();
}

describe('channel send queue', () => {
  it('2,000 sends with an fd to a peer that never reads: queued fds stay under the hard bound, then ENOBUFS', async () => {
    const { ch, peer, closedWith } = pair();
    const memfd = native.memfdCreate('carried', 4096, false);
    const before = ownFds();
    let maxFds = 0;
    let sent = 0;
    for (let i = 0; i < 2000 && ch.isOpen; i++) {
      ch.post({ i }, [memfd], () => sent++);
      maxFds = Math.max(maxFds, ownFds() - before);
    }
    expect(ch.isOpen).toBe(false);
    expect(closedWith()).toMatchObject({ code: 'ENOBUFS' });
    expect(maxFds).toBeLessThanOrEqual(limits.hard.fds);
    expect(ownFds()).toBe(before - 1); // the channel's own socket is gone, and every queued duplicate
    // What reached the peer's socket is exactly what was reported sent.
    let got = 0;
    for (let m = native.recv(peer, 1024); m && m.data.length > 0; m = native.recv(peer, 1024)) {
      for (const fd of m.fds) native.close(fd);
      got++;
    }
    expect(got).toBe(sent);
    native.close(memfd);
    native.close(peer);
  });

  it('a peer that hangs up while packets with fds wait: the channel closes with its error, each queued fd closed once', async () => {
    const { ch, peer, closedWith } = pair();
    const memfd = native.memfdCreate('carried', 4096, false);
    const before = ownFds();
    // Fill the peer's socket so that the next packets (each with an fd) wait in the queue.
    while (ch.queued.packets < 3) ch.post({ pad: Buffer.alloc(8192) }, [memfd]);
    // The peer reads what reached it (so that its close is a plain hang-up, not a reset) and closes.
    for (let m = native.recv(peer, 1 << 16); m; m = native.recv(peer, 1 << 16)) for (const fd of m.fds) native.close(fd);
    native.close(peer);
    // The hang-up wakes the writer: its flush fails (before the fix it then closed the head's fds a second time,
    // an EBADF thrown out of the watcher, or worse the close of an fd that had been reused meanwhile).
    await untilClosed(ch);
    expect(ch.isOpen).toBe(false);
    expect(closedWith()?.code).toMatch(/^(EPIPE|ECONNRESET)$/);
    expect(ownFds()).toBe(before - 2); // its socket and the peer's are gone, and every queued duplicate
    native.close(memfd);
  });

  it('a peer that closes with packets unread: the channel closes with ECONNRESET (libuv alone would say EBADF)', async () => {
    const { ch, peer, closedWith } = pair();
    while (ch.queued.packets < 1) ch.post({ pad: Buffer.alloc(8192) });
    native.close(peer);
    await untilClosed(ch);
    expect(closedWith()?.code).toBe('ECONNRESET');
  });

  it('pauses reading a peer while its replies back up, resumes once they drain', async () => {
    const [a, peer] = native.socketPair();
    const ch = new Channel(a, { limits, pauseReads: true });
    const received: number[] = [];
    ch.on('message', (m) => received.push(m.n as number));
    // Fill the peer's socket, then the queue past its soft bound.
    while (ch.queued.packets < limits.soft.packets) ch.post({ pad: Buffer.alloc(8192) });
    expect(ch.backlogged).toBe(true);
    let drained = false;
    void ch.whenDrained().then(() => (drained = true));
    for (let n = 0; n < 10; n++) native.send(peer, msgpack.encode({ n }), []);
    for (let i = 0; i < 20; i++) await tick();
    expect(received).toEqual([]);
    expect(drained).toBe(false);
    // The peer reads everything: the queue drains, and its requests are read, in order.
    for (let i = 0; i < 400 && (ch.queued.packets > 0 || received.length < 10); i++) {
      for (let m = native.recv(peer, 1 << 16); m; m = native.recv(peer, 1 << 16)) void m;
      await tick();
    }
    expect(drained).toBe(true);
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    ch.close();
    native.close(peer);
  });
});
