// PVD_EVENT_FD (docs/device-node.md): a file's event records as raw packets on a socket the client hands over,
// written without blocking, bounded by the 4096-byte event budget while the socket is full, uevents opt-out, EOF
// after the last record on unplug.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPE, VBLANK } from '../../protocol/kms/constants.js';
import { decodeEvents, EVENT_SIZE, type VblankEvent } from '../../protocol/kms/event.js';
import * as native from '../../shared/native/index.js';
import { Card } from '../../frontend/client/card.js';
import { fails, litRig, type Lit, type Rig } from './fixture.js';

/** A socketpair whose far end the card takes; returns the end we read. */
async function sink(card: Card, uevents = true): Promise<number> {
  const [mine, theirs] = native.socketPair();
  try {
    await card.callWithFds('PVD_EVENT_FD', { uevents }, [theirs]);
  } finally {
    native.close(theirs);
  }
  return mine;
}

/** Every packet waiting on the socket; `null` in the list marks EOF. */
function drain(fd: number): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  for (;;) {
    const got = native.recv(fd, 4096);
    if (!got) return out;
    if (got.data.length === 0) return [...out, null];
    out.push(got.data);
  }
}

/** The first value `what` gives; the test's timeout is the only bound (the frontend writes on turns of its own). */
async function until<T>(what: () => T | undefined): Promise<T> {
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PVD_EVENT_FD', () => {
  let r: Rig;
  let lit: Lit;
  beforeAll(async () => ({ r, lit } = await litRig()));
  afterAll(async () => r?.stop());

  it('a flip-complete record arrives as one raw 32-byte packet on the sink, none as an {ev} packet', async () => {
    const fd = await sink(r.master);
    let evPackets = 0;
    r.master.on('event', () => evPackets++);
    await r.master.pageFlip(lit.out.crtcId, lit.fbs[1]!, 0x1122334455n);
    const got: Buffer[] = [];
    await until(() => (got.push(...(drain(fd) as Buffer[])), got.length >= 1 ? true : undefined));
    expect(got.map((b) => b.length)).toEqual([EVENT_SIZE]);
    const [ev] = decodeEvents(got[0]!) as VblankEvent[];
    expect(ev).toMatchObject({ type: EVENT_TYPE.FLIP_COMPLETE, userData: 0x1122334455n, crtcId: lit.out.crtcId });
    // One more flip back, so the next tests start from fbs[0]; still nothing on the connection.
    await r.master.pageFlip(lit.out.crtcId, lit.fbs[0]!, 2n);
    await until(() => (drain(fd).length ? true : undefined));
    expect(evPackets).toBe(0);
    const [a, b] = native.socketPair();
    await fails(r.master.callWithFds('PVD_EVENT_FD', { uevents: true }, [b]), 'EBUSY');
    for (const x of [a, b, fd]) native.close(x);
  });

  it('needs one Unix socket fd: none or a pipe is EINVAL', async () => {
    const c = r.open();
    await fails(c.call('PVD_EVENT_FD', {}), 'EINVAL');
    const [rd, wr] = native.pipe();
    await fails(c.callWithFds('PVD_EVENT_FD', {}, [wr]), 'EINVAL');
    native.close(rd);
    native.close(wr);
    // The failed calls did not take the file's one sink.
    native.close(await sink(c));
    c.close();
  });

  it('K-EV-07 through the sink: records left unread fill the socket, then the budget (ENOMEM); reading frees it', async () => {
    const c = r.open();
    const fd = await sink(c);
    const wait = (signal: number) => c.call('WAIT_VBLANK', { type: VBLANK.ABSOLUTE | VBLANK.EVENT, sequence: 0, signal });
    // A passed target fires at once: each success is one record that left or waits in the queue.
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < 5000 && refused === 0; i++) {
      try {
        await wait(i);
        ok++;
      } catch (e) {
        expect((e as { code: string }).code).toBe('ENOMEM');
        refused++;
      }
    }
    expect(refused).toBe(1);
    expect(ok).toBeGreaterThan(128); // the socket took some, the queue 128 more
    const seqs: number[] = [];
    await until(() => {
      for (const p of drain(fd)) seqs.push(Number((decodeEvents(p!)[0] as VblankEvent).userData));
      return seqs.length === ok ? true : undefined;
    });
    expect(seqs).toEqual([...Array(ok).keys()]); // in order, none lost
    await wait(99999);
    const last = await until(() => drain(fd)[0] ?? undefined);
    expect((decodeEvents(last)[0] as VblankEvent).userData).toBe(99999n);
    native.close(fd);
    c.close();
  });

  it('a sink whose reader is gone drops the records and gives their budget back', async () => {
    const c = r.open();
    native.close(await sink(c));
    for (let i = 0; i < 300; i++) await c.call('WAIT_VBLANK', { type: VBLANK.ABSOLUTE | VBLANK.EVENT, sequence: 0, signal: i });
    c.close();
  });
});

describe('PVD_EVENT_FD and unplug', () => {
  it('uevents:false stops uevent packets; on unplug the pending flip record comes, then EOF', async () => {
    const { r, lit } = await litRig();
    try {
      const fd = await sink(r.master, false);
      const other = r.open();
      const ueventsOn: string[] = [];
      const ueventsOff: string[] = [];
      other.on('uevent', (u) => ueventsOn.push(u.action));
      r.master.on('uevent', (u) => ueventsOff.push(u.action));
      r.pair.backend.child.kill('SIGSTOP'); // the flip cannot complete
      await r.master.pageFlip(lit.out.crtcId, lit.fbs[1]!, 77n);
      r.pair.backend.child.kill('SIGKILL');
      const got: (Buffer | null)[] = [];
      await until(() => (got.push(...drain(fd)), got.at(-1) === null ? true : undefined));
      expect(got.length).toBe(2);
      expect((decodeEvents(got[0]!)[0] as VblankEvent).userData).toBe(77n);
      await until(() => (ueventsOn.length ? true : undefined));
      expect(ueventsOff).toEqual([]);
      native.close(fd);
    } finally {
      await r.stop();
    }
  });
});

describe('PVD_CLOSE', () => {
  it('releases the file at once: master passes to the next opener, later ops are EBADF', async () => {
    const { r } = await litRig();
    try {
      const first = r.open();
      await first.call('VERSION', {}); // opened (accepted) while r.master is master
      await r.master.call('PVD_CLOSE', {});
      await fails(r.master.call('VERSION', {}), 'EBADF');
      // A file opened while no master exists becomes master (the old one is gone although its socket is open).
      const second = r.open();
      await second.call('SET_MASTER', {});
      await fails(first.call('SET_MASTER', {}), 'EBUSY');
      await fails(first.call('MODE_SETCRTC', { crtc_id: 1, fb_id: 0, x: 0, y: 0, connectors: [], mode: null }), 'EACCES');
    } finally {
      await r.stop();
    }
  });
});
