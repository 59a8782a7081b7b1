// A hostile client of the device node against a real frontend process: whatever one connection sends or refuses
// to read costs that connection only; the frontend keeps serving every other client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Card } from '../../frontend/client/card.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { CRTC_SEQUENCE, VBLANK } from '../../protocol/kms/constants.js';
import * as native from '../../shared/native/index.js';
import { fdCount, startPair, type Pair } from '../../cli/processes.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

/** A process's soft limit of open files, from /proc. */
function fdLimit(pid: number): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);
}

describe('hostile client', () => {
  let pair: Pair;
  /** The device's master, flipping between two framebuffers: the client that must keep being served. */
  let honest: Card;
  let out: Output;
  const fbs: number[] = [];
  const handles: number[] = [];
  let flips = 0;
  beforeAll(async () => {
    pair = await startPair({ connectors: '64x48', unpaced: true });
    honest = Card.open(pair.card);
    out = await findOutput(honest, 0);
    for (let i = 0; i < 2; i++) {
      const d = await honest.createDumb(64, 48, 32);
      handles.push(d.handle);
      fbs.push(await honest.addFb2(64, 48, XRGB8888.fourcc, d.handle, d.pitch));
    }
    await honest.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  });
  afterAll(async () => {
    honest?.close();
    await pair?.stop();
  });

  /** The honest master's flips still complete, each with its own event, and a new client can open and allocate. */
  async function honestClientServed(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      flips++;
      await honest.pageFlip(out.crtcId, fbs[flips % 2]!, BigInt(flips));
      expect((await honest.nextEvent()).userData).toBe(BigInt(flips));
    }
    expect((await honest.call('PVD_STATUS', {})).unplugged).toBe(false);
    const card = Card.open(pair.card);
    try {
      expect((await card.call('VERSION', {})).name).toBe('pvdisplay');
      const d = await card.createDumb(64, 48, 32);
      await card.destroyDumb(d.handle);
    } finally {
      card.close();
    }
  }

  it('errors quoting huge arguments stay small; the frontend survives and serves another client', async () => {
    const raw = new RawClient(pair.card);
    try {
      const cases: [Record<string, unknown>, string][] = [
        [{ id: 1, op: 'MODE_CREATE_DUMB', args: { width: new Array(30_000).fill('\u0000'), height: 1, bpp: 32 } }, 'EINVAL'],
        [{ id: 2, op: 'X'.repeat(200_000), args: {} }, 'ENOTTY'],
        [{ id: 3, op: 'MODE_GETCRTC', args: { crtc_id: Buffer.alloc(100_000, 0x41) } }, 'EINVAL'],
      ];
      for (const [req, code] of cases) {
        expect(raw.send(req)).toBe(true);
        const r = await raw.reply(req.id as number);
        expect(r).not.toBeNull();
        const err = r!.msg.err as { code: string; message: string };
        expect(err.code).toBe(code);
        expect(err.message.length).toBeLessThan(1024);
      }
    } finally {
      raw.close();
    }
    expect(pair.frontend.child.exitCode).toBeNull();
    await honestClientServed();
  });

  it('PRIME imports of memfds the backend could not map writable are EACCES; the device stays up', async () => {
    const card = Card.open(pair.card);
    try {
      const expectImport = async (fd: number, code: string) => {
        await expect(card.primeFdToHandle(fd)).rejects.toMatchObject({ code });
        native.close(fd);
      };
      // A foreign memfd opened read-only.
      const memfd = native.memfdCreate('foreign', 8192, true);
      await expectImport(openSync(`/proc/self/fd/${memfd}`, 'r'), 'EACCES');
      // Sealed against writing, now or in the future.
      native.addSeals(memfd, native.SEAL.WRITE);
      await expectImport(memfd, 'EACCES');
      const future = native.memfdCreate('future', 8192, true);
      native.addSeals(future, native.SEAL.FUTURE_WRITE);
      await expectImport(future, 'EACCES');
      // A read-only export of the device's own buffer, after its exporter closed the last handle: the open
      // dma-buf kept the buffer, which comes back (K-PR-07), never a new import for the backend to map.
      const d = await card.createDumb(64, 48, 32);
      const ro = await card.primeHandleToFd(d.handle, 0o2000000);
      await card.destroyDumb(d.handle);
      const back = await card.primeFdToHandle(ro);
      const m = await card.mapDumbFd(back);
      expect(m.size).toBe(d.size);
      for (const fd of [m.fd, ro]) native.close(fd);
      await card.call('GEM_CLOSE', { handle: back });
      // The same buffer exported read-write imports again (an open dma-buf keeps its memory).
      const d2 = await card.createDumb(64, 48, 32);
      const rw = await card.primeHandleToFd(d2.handle, 0o2000002);
      await card.destroyDumb(d2.handle);
      const h = await card.primeFdToHandle(rw);
      native.close(rw);
      await card.call('GEM_CLOSE', { handle: h });
      // Not a memfd at all.
      const f = openSync('/proc/self/status', 'r');
      await expect(card.primeFdToHandle(f)).rejects.toMatchObject({ code: 'EINVAL' });
      closeSync(f);
    } finally {
      card.close();
    }
    await honestClientServed();
  });

  it('four sparse CREATE_DUMBs of 32768x32767x32 are ENOMEM for their file; the device keeps serving', async () => {
    const card = Card.open(pair.card);
    try {
      for (let i = 0; i < 4; i++) await expect(card.createDumb(32768, 32767, 32)).rejects.toMatchObject({ code: 'ENOMEM', errno: 12 });
      // Under the file's budget a big buffer is still fine.
      const d = await card.createDumb(4096, 2047, 32);
      await card.destroyDumb(d.handle);
    } finally {
      card.close();
    }
    await honestClientServed();
  });

  it('a client that never reads: 2,000 MAP_DUMBs do not grow the frontend\'s fds; closing it gives back what it held', async () => {
    const pid = pair.frontend.child.pid!;
    const baseline = fdCount(pid);
    const raw = new RawClient(pair.card);
    try {
      raw.send({ id: 1, op: 'MODE_CREATE_DUMB', args: { width: 64, height: 48, bpp: 32 } });
      const handle = ((await raw.reply(1))!.msg.ok as { handle: number }).handle;
      const before = fdCount(pid);
      // Each reply carries the buffer's memfd. The client's socket takes what it can; past that the frontend
      // stops reading it, so most sends find no room (send() says so, never blocks).
      let accepted = 0;
      let full = 0;
      for (let id = 2; accepted < 2000 && full < 50; id++) {
        if (raw.send({ id, op: 'MODE_MAP_DUMB', args: { handle } })) accepted++;
        else {
          full++;
          id--;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      await honestClientServed();
      expect(fdCount(pid) - before).toBeLessThanOrEqual(16);
      expect(full).toBe(50);
    } finally {
      raw.close();
    }
    await honestClientServed();
    // Eventually: the file's close is handled after its queued requests were answered into the void.
    await until(() => fdCount(pid) <= baseline);
    expect(fdCount(pid)).toBeLessThanOrEqual(baseline);
  });

  it('fences: imports are bounded per buffer, file and device, exports per file; another client\'s CREATE_DUMB never sees EMFILE', async () => {
    const [fence, writeEnd] = native.pipe();
    const files = Array.from({ length: 10 }, () => Card.open(pair.card));
    const codes = new Map<string, number>();
    let imported = 0;
    try {
      // Each hostile file moves to a new buffer when one is full, and stops at its own bound; 10 of them reach the
      // device's bound. Without any bound they would take the frontend's whole fd table, up to one fd short of it
      // (a full table would drop the attacker's own connection, which gives its fds back).
      const pid = pair.frontend.child.pid!;
      const limit = fdLimit(pid);
      const tableFull = () => (imported % 64 === 0 || imported > limit - 200) && fdCount(pid) >= limit - 1;
      attack: for (const card of files) {
        let handle = (await card.createDumb(1, 1, 32)).handle;
        while (!tableFull()) {
          try {
            await card.callWithFds('PRIME_IMPORT_FENCE', { handle }, [fence]);
            imported++;
          } catch (e) {
            const code = (e as { code: string }).code;
            codes.set(code, (codes.get(code) ?? 0) + 1);
            if (code === 'ENOSPC') handle = (await card.createDumb(1, 1, 32)).handle;
            else if (code === 'EMFILE') continue attack;
            else break attack;
          }
        }
      }
      await honestClientServed();
      expect(codes.get('ENFILE')).toBe(1);
      expect(codes.get('EMFILE')).toBe(8);
      expect(imported).toBe(2048);
      // Closing the hostile files gives their fences back (the device's bound is shared by everyone).
      for (const card of files) card.close();
      await honestClientServed();
      // Exported release fences of the buffer on screen: bounded per file, given back once it leaves the screen.
      const onScreen = handles[flips % 2]!;
      let exported = 0;
      for (;;) {
        const r = await honest.callWithFds('PRIME_EXPORT_FENCE', { handle: onScreen }).catch((e: { code: string }) => e.code);
        if (typeof r === 'string') {
          expect(r).toBe('EMFILE');
          break;
        }
        for (const fd of r.fds) native.close(fd);
        exported++;
      }
      expect(exported).toBe(128);
      await honestClientServed();
      const again = await honest.callWithFds('PRIME_EXPORT_FENCE', { handle: onScreen });
      for (const fd of again.fds) native.close(fd);
    } finally {
      for (const card of files) card.close();
      native.close(fence);
      native.close(writeEnd);
    }
  }, 120_000);

  it('vblank waits and sequence events of a file that closes are dropped, not kept until their target', async () => {
    const pending = async () => (await honest.call('PVD_STATUS', {})).crtcs.reduce((n, c) => n + c.pending_vblank_waits, 0);
    const before = await pending();
    const far = 1 << 30;
    const files = Array.from({ length: 8 }, () => Card.open(pair.card));
    try {
      await Promise.all(
        files.map(async (card) => {
          // The file's event budget (128 events) is the bound of its event waits; its blocking waits ride along.
          for (let i = 0; i < 64; i++) await card.call('WAIT_VBLANK', { type: VBLANK.RELATIVE | VBLANK.EVENT, sequence: far, signal: i });
          for (let i = 0; i < 64; i++) await card.call('CRTC_QUEUE_SEQUENCE', { crtc_id: out.crtcId, flags: CRTC_SEQUENCE.RELATIVE, sequence: far, user_data: i });
          await expect(card.call('WAIT_VBLANK', { type: VBLANK.RELATIVE | VBLANK.EVENT, sequence: far, signal: 0 })).rejects.toMatchObject({ code: 'ENOMEM' });
          for (let i = 0; i < 16; i++) void card.call('WAIT_VBLANK', { type: VBLANK.RELATIVE, sequence: far, signal: 0 }).catch(() => undefined);
        }),
      );
      // The event waits stay until their target; the blocking ones would time out after 3 s (a loaded machine may
      // already have seen some go).
      expect(await pending()).toBeGreaterThanOrEqual(before + 8 * 128);
    } finally {
      for (const card of files) card.close();
    }
    await until(async () => (await pending()) <= before);
    expect(await pending()).toBe(before);
    await honestClientServed();
  });
});


describe('buffer budgets', () => {
  const PAGES = 4096;
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({
      connectors: '64x48',
      unpaced: true,
      frontendArgs: ['--limit', `fileBufferBytes=${64 * PAGES}`, '--limit', `deviceBufferBytes=${128 * PAGES}`, '--limit', 'fileBuffers=8', '--limit', 'deviceBuffers=16'],
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  /** A dumb buffer of `pages` pages (1024 pixels of 32 bits a row, one row a page). */
  const dumb = (card: Card, pages: number) => card.createDumb(1024, pages, 32);

  it('per file ENOMEM, per device ENOSPC, for that request only; destroy and close give the budget back', async () => {
    const a = Card.open(pair.card);
    const b = Card.open(pair.card);
    const c = Card.open(pair.card);
    try {
      const a1 = await dumb(a, 32);
      await dumb(a, 32);
      await expect(dumb(a, 1)).rejects.toMatchObject({ code: 'ENOMEM' });
      // A foreign memfd counts too.
      const memfd = native.memfdCreate('foreign', PAGES, true);
      await expect(a.primeFdToHandle(memfd)).rejects.toMatchObject({ code: 'ENOMEM' });
      await dumb(b, 63);
      await expect(dumb(c, 2)).rejects.toMatchObject({ code: 'ENOSPC', errno: 28 });
      await dumb(c, 1);
      await expect(dumb(c, 1)).rejects.toMatchObject({ code: 'ENOSPC' });
      await a.destroyDumb(a1.handle);
      await c.primeFdToHandle(memfd);
      native.close(memfd);
      await dumb(c, 31);
      b.close();
      // The closed file's buffers go back to the device (its DBUF_DESTROYs are in flight: ask until they land).
      let got: unknown;
      await until(async () => (got = await dumb(c, 30).catch(() => undefined)) !== undefined, 20);
      expect(got).toMatchObject({ size: 30 * PAGES });
      // The count of buffers is bounded too, per file and per device (a holds 1, c 4: 1 + 1 imported + 31 + 30 pages).
      const d = Card.open(pair.card);
      const e = Card.open(pair.card);
      try {
        const small = [];
        for (let i = 0; i < 8; i++) small.push(await dumb(d, 1));
        await expect(dumb(d, 1)).rejects.toMatchObject({ code: 'ENOMEM' });
        for (let i = 0; i < 3; i++) await dumb(e, 1);
        await expect(dumb(e, 1)).rejects.toMatchObject({ code: 'ENOSPC' });
        await d.destroyDumb(small[0]!.handle);
        await dumb(e, 1);
      } finally {
        d.close();
        e.close();
      }
    } finally {
      for (const card of [a, b, c]) card.close();
    }
  });
});
