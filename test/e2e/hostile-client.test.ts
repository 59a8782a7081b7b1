// A hostile client of the device node against a real frontend process: whatever one connection sends or refuses
// to read costs that connection only; the frontend keeps serving every other client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, openSync } from 'node:fs';
import { Card } from '../../frontend/client/card.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import * as native from '../../shared/native/index.js';
import { startPair, type Pair } from '../../cli/processes.js';
import { RawClient } from '../helpers/raw-client.js';

describe('hostile client', () => {
  let pair: Pair;
  /** The device's master, flipping between two framebuffers: the client that must keep being served. */
  let honest: Card;
  let out: Output;
  const fbs: number[] = [];
  let flips = 0;
  beforeAll(async () => {
    pair = await startPair({ connectors: '64x48', unpaced: true });
    honest = Card.open(pair.card);
    out = await findOutput(honest, 0);
    for (let i = 0; i < 2; i++) {
      const d = await honest.createDumb(64, 48, 32);
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
      // A read-only export of the device's own buffer, after its exporter closed the last handle.
      const d = await card.createDumb(64, 48, 32);
      const ro = await card.primeHandleToFd(d.handle, 0o2000000);
      await card.destroyDumb(d.handle);
      await expectImport(ro, 'EACCES');
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
});
