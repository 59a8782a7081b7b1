// A hostile frontend on backend.sock, next to an honest frontend + client pair on the same backend: whatever it
// hands over or asks for, it gets an errno for that message (or is disconnected alone), the backend's fds and
// limits hold, and the honest client's flips keep completing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { openSync, closeSync, writeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminCall } from '../../cli/admin-client.js';
import { fdCount, startPair, type Pair } from '../../cli/processes.js';
import type { PeerStatus } from '../../backend/server.js';
import { LIMITS } from '../../backend/limits.js';
import { DBUF_FLG_REQ_ALLOC, Op } from '../../protocol/displif/constants.js';
import { writeDirectoryChain } from '../../protocol/displif/page-directory.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { XenbusState } from '../../protocol/bus/xenbus-state.js';
import { Card } from '../../frontend/client/card.js';
import { showTwoFramebuffers } from '../../frontend/client/flip-buffers.js';
import { GRANT_PAGES_PER_PEER } from '../../shared/grants.js';
import * as native from '../../shared/native/index.js';
import { SEGMENTS_PER_PEER } from '../../shared/sharing.js';
import { Segment } from '../../shared/shm.js';
import { RawDisplay } from '../helpers/raw-display.js';
import { RawFrontend, type AttachOptions } from '../helpers/raw-frontend.js';
import { rawRig } from '../helpers/raw-rig.js';

const EINVAL = -22;

async function eventually(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await sleep(10);
  }
}

/** An honest client flipping between two framebuffers on the pair's own frontend. */
class HonestClient {
  private n = 0n;
  private constructor(
    private readonly card: Card,
    private readonly crtc: number,
    private readonly fbs: number[],
  ) {}

  static async start(path: string): Promise<HonestClient> {
    const card = Card.open(path);
    const { out, fbs } = await showTwoFramebuffers(card);
    return new HonestClient(card, out.crtcId, fbs);
  }

  /** `count` flips, each completing with its own event. */
  async flips(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.n++;
      await this.card.pageFlip(this.crtc, this.fbs[Number(this.n % 2n)]!, this.n);
      expect((await this.card.nextEvent()).userData).toBe(this.n);
    }
  }

  close(): void {
    this.card.close();
  }
}

/** A fresh eventfd whose counter is parked at 2^64 - 2, where a write of 1 can no longer complete. */
function fullEventfd(): number {
  const fd = native.eventfd(0);
  for (let i = 0; i < 2048; i++) native.eventfdWrite(fd, Number.MAX_SAFE_INTEGER); // 2048 (2^53 - 1) = 2^64 - 2048
  native.eventfdWrite(fd, 2046);
  return fd;
}

describe('a hostile frontend on the control channel', () => {
  let pair: Pair;
  let honest: HonestClient;
  let sock: string;
  let fifoDir: string;
  const raws: RawFrontend[] = [];
  const raw = async (): Promise<RawFrontend> => {
    const fe = await RawFrontend.open(sock);
    raws.push(fe);
    return fe;
  };
  const connected = async (): Promise<RawFrontend> => {
    const fe = await raw();
    await fe.attach();
    return fe;
  };
  beforeAll(async () => {
    pair = await startPair({ connectors: '64x48', unpaced: true });
    sock = join(pair.dir, 'backend.sock');
    honest = await HonestClient.start(pair.card);
    fifoDir = mkdtempSync(join(tmpdir(), 'pvd-fifo-'));
  });
  afterAll(async () => {
    for (const fe of raws) if (!fe.disconnected) fe.close();
    honest?.close();
    await pair?.stop();
    rmSync(fifoDir, { recursive: true, force: true });
  });

  const peers = async (): Promise<PeerStatus[]> => adminCall<PeerStatus[]>(pair.admin, { cmd: 'status' });
  /** Closes the test's raw frontends and waits until the backend has let go of them. */
  const leave = async (fe: RawFrontend): Promise<void> => {
    if (!fe.disconnected) fe.close();
    for (;;) {
      if (!(await peers()).some((p) => p.domid === fe.domid)) return;
      await sleep(10);
    }
  };
  afterEach(async () => {
    await honest.flips(3);
    expect(pair.backend.child.exitCode).toBeNull();
    for (const fe of raws.splice(0)) await leave(fe);
  });

  /**
   * Hands connector 0's channels over with `fds` in place of eventfds. A backend that took them would use them at
   * once (a kick, a request, a frame done), so a frame is driven through if it ever connects.
   */
  async function hostileChannel(o: AttachOptions): Promise<{ fe: RawFrontend; d: RawDisplay; fb: bigint | undefined }> {
    const fe = await raw();
    const d = new RawDisplay(fe);
    await fe.attach({ ...o, waitConnected: false });
    await eventually(() => fe.disconnected || fe.store.read(`${fe.beDir}/state`) === String(XenbusState.Connected), 'connected or disconnected');
    if (fe.disconnected) return { fe, d, fb: undefined };
    const fb = await d.show(64, 48);
    await d.call(d.flip(fb)).catch(() => undefined);
    return { fe, d, fb };
  }

  it('a pipe with data as the channel the backend waits on: evtchn refused with EINVAL, that frontend alone disconnected', async () => {
    const [r, w] = native.pipe();
    writeSync(w, 'abc'); // a 3-byte "count": an eventfd read of it would fail with EIO in the watcher
    const { fe } = await hostileChannel({ req: [r, native.eventfd(0)] });
    expect(fe.refusals).toContainEqual(expect.objectContaining({ of: 'evtchn', code: 'EINVAL' }));
    await eventually(() => fe.disconnected, 'disconnected (its ring has no channel)');
  });

  it('a pipe read end as the channel the backend kicks: refused with EINVAL', async () => {
    const [r] = native.pipe();
    const { fe } = await hostileChannel({ evt: [native.eventfd(0), r] });
    expect(fe.refusals).toContainEqual(expect.objectContaining({ of: 'evtchn', code: 'EINVAL' }));
    await eventually(() => fe.disconnected, 'disconnected');
  });

  it('a nearly full blocking pipe as the channel the backend kicks: refused, the backend never blocks on it', async () => {
    const path = join(fifoDir, 'full');
    execFileSync('mkfifo', [path]);
    const fifo = openSync(path, 'r+'); // a blocking pipe
    writeSync(fifo, Buffer.alloc(65536 - 4)); // an 8-byte write no longer fits
    try {
      const { fe } = await hostileChannel({ req: [native.eventfd(0), fifo] });
      expect(fe.refusals).toContainEqual(expect.objectContaining({ of: 'evtchn', code: 'EINVAL' }));
      await eventually(() => fe.disconnected, 'disconnected');
    } finally {
      closeSync(fifo);
    }
  });

  it('an eventfd parked at 2^64-2 as the frame-done channel: a kick is pending already, frames keep completing', async () => {
    const { fe, d, fb } = await hostileChannel({ evt: [native.eventfd(0), fullEventfd()] });
    expect(fe.disconnected).toBe(false);
    expect(fe.refusals).toEqual([]);
    for (let i = 0; i < 3; i++) expect(await d.call(d.flip(fb!))).toBe(0);
  });

  it('an eventfd turned blocking and full under a connected ring: that frontend is disconnected, the backend never blocks', async () => {
    const toFrontend = fullEventfd();
    const fe = await raw();
    await fe.attach({ req: [native.eventfd(0), toFrontend] });
    const d = new RawDisplay(fe);
    const destroy = { kind: 'dbufDestroy', operation: Op.DBUF_DESTROY, dbufCookie: 99n } as const;
    expect(await d.call(destroy)).toBe(EINVAL); // its kick finds the counter full: pending already
    await fe.sync();
    expect(fe.disconnected).toBe(false);
    // A child's stdin is made blocking by libuv in the child, on the open file shared with this process and the backend.
    spawnSync('true', [], { stdio: [toFrontend, 'ignore', 'ignore'] });
    await d.call(destroy).catch(() => undefined);
    await eventually(() => fe.disconnected, 'disconnected');
    await pair.backend.waitLine(new RegExp(`domain ${fe.domid}: disconnecting frontend: .*blocking mode`));
  });

  it('a second evtchn for a bound port is refused with EEXIST and its fds are closed; none stay after the peer leaves', async () => {
    const pid = pair.backend.child.pid!;
    const before = fdCount(pid);
    const fe = await connected();
    for (let i = 0; i < 20; i++) {
      const [a, b] = [native.eventfd(0), native.eventfd(0)];
      fe.send({ t: 'evtchn', port: 1 }, [a, b]);
      native.close(a);
      native.close(b);
    }
    await fe.sync();
    expect(fe.refusals.filter((r) => r.of === 'evtchn' && r.code === 'EEXIST')).toHaveLength(20);
    expect(fe.disconnected).toBe(false);
    fe.close();
    await eventually(() => fdCount(pid) <= before, `backend fds back to ${before}`);
  });

  it('ungrant of 2^32-1 refs is refused with ENOENT at once and revokes nothing; exact and partial ungrants work', async () => {
    const fe = await connected();
    fe.send({ t: 'ungrant', gref: 1, count: 0xffffffff });
    await fe.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'ungrant', code: 'ENOENT' })]);
    const d = new RawDisplay(fe);
    expect(await d.call({ kind: 'dbufDestroy', operation: Op.DBUF_DESTROY, dbufCookie: 99n })).toBe(EINVAL); // the ring still answers
    const seg = Segment.create(fe.granter.segmentId(), 'four', 4 * 4096, false);
    const g = fe.granter.share(seg);
    fe.send({ t: 'ungrant', gref: g + 1, count: 2 }); // splits the grant
    fe.send({ t: 'ungrant', gref: g + 1, count: 1 }); // already gone
    fe.send({ t: 'ungrant', gref: g, count: 2 }); // g + 1 is gone
    fe.send({ t: 'ungrant', gref: g, count: 0 });
    fe.send({ t: 'ungrant', gref: g, count: 1 });
    fe.send({ t: 'ungrant', gref: g + 3, count: 1 });
    await fe.sync();
    expect(fe.refusals.slice(1).map((r) => r.code)).toEqual(['ENOENT', 'ENOENT', 'EINVAL']);
    expect(fe.disconnected).toBe(false);
  });

  it('grants past the per-frontend page limit are refused with ENOSPC and a request naming them gets -ENOSPC', async () => {
    const fe = await connected();
    const pages = GRANT_PAGES_PER_PEER; // + the two ring pages: one page too many
    const big = Segment.wrap(fe.granter.segmentId(), native.memfdCreate('sparse', pages * 4096, true), pages * 4096);
    const first = fe.granter.share(big);
    await fe.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'grant', code: 'ENOSPC' })]);
    const d = new RawDisplay(fe);
    expect(await d.call(d.dbufCreate(d.cookie(), 32, 32, await d.directory([first, first + 1, first + 2, first + 3])))).toBe(-28);
    fe.send({ t: 'grant', gref: first, seg: big.id, page: 0, count: pages - 8 }); // fits
    await fe.sync();
    expect(fe.refusals).toHaveLength(1);
    big.release();
  });

  it('a frontend that leaves gives back all it was granted: five in a row may each take the whole per-frontend limit', async () => {
    for (let i = 0; i < 5; i++) {
      const fe = await connected();
      const pages = GRANT_PAGES_PER_PEER - 2 - 1; // ring pages and a directory page
      const big = Segment.wrap(fe.granter.segmentId(), native.memfdCreate('sparse', pages * 4096, true), pages * 4096);
      fe.granter.share(big);
      await fe.sync();
      expect(fe.refusals).toEqual([]);
      big.release();
      await leave(raws.pop()!);
    }
  });

  it('a read-only memfd, a write-sealed memfd and a pipe as buffer segments fail that DBUF_CREATE only', async () => {
    const fe = await connected();
    const d = new RawDisplay(fe);
    const mem = native.memfdCreate('ro', 4096, true);
    const readOnly = openSync(`/proc/self/fd/${mem}`, 'r');
    const sealed = native.memfdCreate('sealed', 4096, true);
    native.addSeals(sealed, native.SEAL.WRITE);
    const [pipeR] = native.pipe();
    const statuses = [];
    for (const fd of [readOnly, sealed, pipeR]) {
      const dir = await d.share(Segment.wrap(fe.granter.segmentId(), fd, 4096));
      statuses.push(await d.call(d.dbufCreate(d.cookie(), 32, 32, dir)));
    }
    expect(statuses).toEqual([-13, -1, EINVAL]); // EACCES, EPERM (mmap of a write-sealed memfd), EINVAL
    expect(fe.refusals.filter((r) => r.of === 'seg').map((r) => r.code)).toEqual(['EACCES', 'EPERM', 'EINVAL']);
    expect(fe.disconnected).toBe(false);
    const dir = await d.share(Segment.create(fe.granter.segmentId(), 'ok', 4096, false));
    expect(await d.call(d.dbufCreate(d.cookie(), 32, 32, dir))).toBe(0);
    for (const fd of [mem, readOnly, sealed, pipeR]) native.close(fd);
  });

  it('a dbuf whose directory names one page several times is -EINVAL', async () => {
    const fe = await connected();
    const d = new RawDisplay(fe);
    const g = fe.granter.share(Segment.create(fe.granter.segmentId(), 'one', 4096, false));
    const dir = await d.directory([g, g, g, g]);
    expect(await d.call(d.dbufCreate(d.cookie(), 64, 64, dir))).toBe(EINVAL);
  });

  it('a scattered dbuf past the per-frontend gathered-copy limit is -ENOMEM; a small one is gathered', async () => {
    const fe = await connected();
    const d = new RawDisplay(fe);
    const pages = LIMITS.gatheredPagesPerPeer + 1;
    const seg = Segment.wrap(fe.granter.segmentId(), native.memfdCreate('sparse', pages * 4096, true), pages * 4096);
    const first = fe.granter.share(seg);
    const reversed = (n: number) => Array.from({ length: n }, (_, i) => first + n - 1 - i);
    expect(await d.call(d.dbufCreate(d.cookie(), 64, 64, await d.directory(reversed(pages)), pages * 4096))).toBe(-12);
    expect(await d.call(d.dbufCreate(d.cookie(), 32, 32, await d.directory(reversed(4))))).toBe(0);
    seg.release();
  });

  it('dbufs and framebuffers past the per-frontend limits are -ENOSPC', async () => {
    const fe = await connected();
    const d = new RawDisplay(fe);
    const dir = await d.share(Segment.create(fe.granter.segmentId(), 'one', 4096, false));
    const dbufs = Array.from({ length: LIMITS.dbufsPerPeer + 1 }, () => d.dbufCreate(d.cookie(), 32, 32, dir));
    const fbs = Array.from({ length: LIMITS.fbsPerPeer + 1 }, () => ({
      kind: 'fbAttach', operation: Op.FB_ATTACH, dbufCookie: dbufs[0]!.dbufCookie, fbCookie: d.cookie(), width: 32, height: 32, pixelFormat: XRGB8888.fourcc,
    }) as const);
    for (const reqs of [dbufs, fbs]) {
      const statuses: number[] = [];
      for (let i = 0; i < reqs.length; i += 32) statuses.push(...(await d.batch(reqs.slice(i, i + 32))));
      expect(statuses.slice(0, -1).every((s) => s === 0)).toBe(true);
      expect(statuses.at(-1)).toBe(-28);
    }
  });

  it('a segment larger than a frontend may grant is refused with EFBIG', async () => {
    const fe = await connected();
    const size = (GRANT_PAGES_PER_PEER + 1) * 4096;
    const fd = native.memfdCreate('huge', size, true);
    fe.send({ t: 'seg', id: fe.granter.segmentId(), size }, [fd]);
    native.close(fd);
    await fe.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'seg', code: 'EFBIG' })]);
  });

  it('connections past the frontend limit are closed at once; the others keep working', async () => {
    const count = (await peers()).length;
    for (let i = count; i < LIMITS.frontends; i++) await raw();
    const extra = await RawFrontend.open(sock).catch((e: Error) => e);
    expect(extra).toBeInstanceOf(Error);
    expect((await peers()).length).toBe(LIMITS.frontends);
  });

  it('segments past the per-frontend limit are refused with ENOSPC; closing one makes room', async () => {
    const fe = await connected();
    const ids: number[] = [];
    for (let i = 0; i < SEGMENTS_PER_PEER; i++) {
      // The ring's segment is the first; this loop adds one too many.
      const fd = native.memfdCreate('one', 4096, false);
      const id = fe.granter.segmentId();
      ids.push(id);
      fe.send({ t: 'seg', id, size: 4096 }, [fd]);
      native.close(fd);
      // In batches: a channel's send queue holds a bounded number of fds, and this side is an honest sender.
      if (i % 128 === 127) await fe.sync();
    }
    await fe.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'seg', code: 'ENOSPC' })]);
    fe.send({ t: 'seg-close', id: ids[0]! });
    const fd = native.memfdCreate('one', 4096, false);
    fe.send({ t: 'seg', id: fe.granter.segmentId(), size: 4096 }, [fd]);
    native.close(fd);
    await fe.sync();
    expect(fe.refusals).toHaveLength(1);
  });

  it('store nodes past the per-frontend limit are refused with ENOSPC, and such a transaction writes nothing', async () => {
    const fe = await connected();
    const writes = (n: number, tag: string): [string, string][] => Array.from({ length: n }, (_, i) => [`${fe.feDir}/junk/${tag}${i}`, 'x']);
    fe.store.transaction(writes(LIMITS.storeKeysPerPeer, 'a'));
    await fe.sync();
    expect(fe.refusals).toEqual([expect.objectContaining({ of: 'txn', code: 'ENOSPC' })]);
    fe.store.transaction(writes(100, 'b'));
    await fe.sync();
    expect(fe.refusals).toHaveLength(1);
  });

  it('frame-done events past the backlog bound of a frontend that never consumes them are dropped, not queued', async () => {
    const fe = await connected();
    const d = new RawDisplay(fe);
    const fb = await d.show(64, 48);
    const batches = Math.ceil((63 + LIMITS.frameDoneBacklog + 8) / LIMITS.queuedFlips);
    const mine = async (): Promise<PeerStatus> => (await peers()).find((p) => p.domid === fe.domid)!;
    for (let i = 1; i <= batches; i++) {
      expect(await d.batch(Array.from({ length: LIMITS.queuedFlips }, () => d.flip(fb)))).toEqual(Array(LIMITS.queuedFlips).fill(0));
      // Each batch is latched before the next is sent, so that only the backlog bound is exercised here.
      while ((await mine()).connectors[0]!.flips < i * LIMITS.queuedFlips) await sleep(5);
    }
    expect((await mine()).connectors[0]).toMatchObject({ flips: batches * LIMITS.queuedFlips, frameDoneDropped: batches * LIMITS.queuedFlips - 63 - LIMITS.frameDoneBacklog });
  });
});

describe('flip queue bound (paced)', () => {
  const rig = rawRig({ connectors: '64x48' });

  it('flips past the per-connector queue bound within one vblank are -EBUSY', async () => {
    const d = new RawDisplay(rig.fe);
    const fb = await d.show(64, 48);
    const statuses = await d.batch(Array.from({ length: LIMITS.queuedFlips + 3 }, () => d.flip(fb)));
    expect(statuses).toEqual([...Array(LIMITS.queuedFlips).fill(0), -16, -16, -16]);
  });
});

describe('be-alloc buffer bound', () => {
  const rig = rawRig({ connectors: '64x48', unpaced: true, backendArgs: ['--be-alloc'] });

  it('REQ_ALLOC past the per-frontend buffer limit is -ENOSPC; destroying one makes room', async () => {
    const { fe } = rig;
    const d = new RawDisplay(fe);
    const dir = Segment.create(fe.granter.segmentId(), 'dir', 4096);
    const dirGref = fe.granter.share(dir);
    writeDirectoryChain([dir.page(0)], [dirGref]);
    await fe.sync();
    const cookies = Array.from({ length: LIMITS.backendBuffers.perPeer + 1 }, () => d.cookie());
    const statuses = [];
    for (const c of cookies) statuses.push(await d.call(d.dbufCreate(c, 32, 32, dirGref, 4096, DBUF_FLG_REQ_ALLOC)));
    expect(statuses.filter((s) => s === 0)).toHaveLength(LIMITS.backendBuffers.perPeer);
    expect(statuses.at(-1)).toBe(-28);
    expect(await d.call({ kind: 'dbufDestroy', operation: Op.DBUF_DESTROY, dbufCookie: cookies[0]! })).toBe(0);
    expect(await d.call(d.dbufCreate(d.cookie(), 32, 32, dirGref, 4096, DBUF_FLG_REQ_ALLOC))).toBe(0);
  });
});
